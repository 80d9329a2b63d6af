import { describe, expect, it } from 'vitest';
import { matchRedirectUri } from '../../functions/oauth/redirect-uri.ts';

const WEB = 'https://app.example.com/callback';
const LOOPBACK_V4 = 'http://127.0.0.1/callback';
const LOOPBACK_V6 = 'http://[::1]/callback';

describe('matchRedirectUri', () => {
  it('matches identical URI', () => {
    const matched = matchRedirectUri(WEB, [WEB]);

    expect(matched).toBe(WEB);
  });

  it('matches identical URI with query', () => {
    const uri = 'https://app.example.com/callback?tenant=acme';

    const matched = matchRedirectUri(uri, [uri]);

    expect(matched).toBe(uri);
  });

  it('matches no URI when none registered', () => {
    const matched = matchRedirectUri(WEB, []);

    expect(matched).toBeUndefined();
  });

  it.each([
    ['another path', 'https://app.example.com/callback2'],
    ['trailing slash', 'https://app.example.com/callback/'],
    ['path prefix', 'https://app.example.com/call'],
    ['added query', 'https://app.example.com/callback?x=1'],
    ['empty query', 'https://app.example.com/callback?'],
    ['another host', 'https://evil.example.com/callback'],
    ['subdomain', 'https://evil.app.example.com/callback'],
    ['http scheme', 'http://app.example.com/callback'],
    ['added port', 'https://app.example.com:8443/callback'],
  ])('rejects web URI with %s', (_change, requested) => {
    const matched = matchRedirectUri(requested, [WEB]);

    expect(matched).toBeUndefined();
  });

  it.each([
    ['uppercase host', 'https://APP.example.com/callback'],
    ['uppercase scheme', 'HTTPS://app.example.com/callback'],
    ['default port', 'https://app.example.com:443/callback'],
    ['dot segment', 'https://app.example.com/x/../callback'],
    ['percent-encoding', 'https://app.example.com/%63allback'],
    ['userinfo', 'https://user@app.example.com/callback'],
    ['fragment', 'https://app.example.com/callback#frag'],
  ])('rejects web URI with %s', (_form, requested) => {
    const matched = matchRedirectUri(requested, [WEB]);

    expect(matched).toBeUndefined();
  });

  it.each([
    ['IPv4', LOOPBACK_V4, 'http://127.0.0.1:51234/callback'],
    ['IPv6', LOOPBACK_V6, 'http://[::1]:51234/callback'],
  ])('matches %s loopback on any port', (_family, registered, requested) => {
    const matched = matchRedirectUri(requested, [registered]);

    expect(matched).toBe(registered);
  });

  it('matches loopback registered with another port', () => {
    const registered = 'http://127.0.0.1:8080/callback';

    const matched = matchRedirectUri('http://127.0.0.1:9090/callback', [registered]);

    expect(matched).toBe(registered);
  });

  it('matches loopback with same query', () => {
    const registered = 'http://127.0.0.1/callback?app=cli';

    const matched = matchRedirectUri('http://127.0.0.1:51234/callback?app=cli', [registered]);

    expect(matched).toBe(registered);
  });

  it('returns loopback URI that matches', () => {
    const registered = [WEB, 'http://127.0.0.1/other', LOOPBACK_V4];

    const matched = matchRedirectUri('http://127.0.0.1:51234/callback', registered);

    expect(matched).toBe(LOOPBACK_V4);
  });

  it.each([
    ['another path', 'http://127.0.0.1:51234/other'],
    ['trailing slash', 'http://127.0.0.1:51234/callback/'],
    ['added query', 'http://127.0.0.1:51234/callback?x=1'],
    ['another loopback address', 'http://127.0.0.2:51234/callback'],
    ['IPv6 address', 'http://[::1]:51234/callback'],
  ])('rejects loopback URI with %s', (_change, requested) => {
    const matched = matchRedirectUri(requested, [LOOPBACK_V4]);

    expect(matched).toBeUndefined();
  });

  it('rejects localhost on another port', () => {
    const registered = 'http://localhost/callback';

    const matched = matchRedirectUri('http://localhost:51234/callback', [registered]);

    expect(matched).toBeUndefined();
  });

  it('matches localhost exactly', () => {
    const registered = 'http://localhost:8080/callback';

    const matched = matchRedirectUri(registered, [registered]);

    expect(matched).toBe(registered);
  });

  it('rejects localhost for IPv4 loopback', () => {
    const matched = matchRedirectUri('http://localhost:51234/callback', [LOOPBACK_V4]);

    expect(matched).toBeUndefined();
  });

  it('rejects https loopback on another port', () => {
    const registered = 'https://127.0.0.1/callback';

    const matched = matchRedirectUri('https://127.0.0.1:51234/callback', [registered]);

    expect(matched).toBeUndefined();
  });

  it.each([
    ['uppercase scheme', 'HTTP://127.0.0.1:51234/callback'],
    ['default port', 'http://127.0.0.1:80/callback'],
    ['port with leading zero', 'http://127.0.0.1:051234/callback'],
    ['dot segment', 'http://127.0.0.1:51234/x/../callback'],
    ['percent-encoding', 'http://127.0.0.1:51234/%63allback'],
    ['userinfo', 'http://user@127.0.0.1:51234/callback'],
    ['userinfo with password', 'http://user:secret@127.0.0.1:51234/callback'],
    ['fragment', 'http://127.0.0.1:51234/callback#frag'],
    ['backslash', 'http://127.0.0.1:51234\\callback'],
    ['decimal IPv4 host', 'http://2130706433:51234/callback'],
    ['short IPv4 host', 'http://127.1:51234/callback'],
    ['trailing dot in host', 'http://127.0.0.1.:51234/callback'],
  ])('rejects non-normal IPv4 loopback: %s', (_form, requested) => {
    const matched = matchRedirectUri(requested, [LOOPBACK_V4]);

    expect(matched).toBeUndefined();
  });

  it.each([
    ['expanded address', 'http://[0:0:0:0:0:0:0:1]:51234/callback'],
    ['uppercase scheme', 'HTTP://[::1]:51234/callback'],
    ['userinfo', 'http://user@[::1]:51234/callback'],
  ])('rejects non-normal IPv6 loopback: %s', (_form, requested) => {
    const matched = matchRedirectUri(requested, [LOOPBACK_V6]);

    expect(matched).toBeUndefined();
  });

  it('ignores registered loopback in non-normal form', () => {
    const registered = 'http://127.0.0.1:80/callback';

    const matched = matchRedirectUri('http://127.0.0.1:51234/callback', [registered]);

    expect(matched).toBeUndefined();
  });

  it.each(['not a uri', '', '/callback', 'http://'])('rejects unparsable URI %j', (requested) => {
    const matched = matchRedirectUri(requested, [LOOPBACK_V4, WEB]);

    expect(matched).toBeUndefined();
  });
});
