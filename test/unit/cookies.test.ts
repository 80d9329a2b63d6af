import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  expiredCookie,
  INTERACTION_COOKIE,
  readCookie,
  serializeCookie,
  SESSION_COOKIE,
} from '../../functions/http/cookies.ts';
import { httpEvent } from './support.ts';

function eventWithCookies(cookies: string[] | undefined): APIGatewayProxyEventV2 {
  const event = httpEvent({ method: 'GET' });
  if (cookies !== undefined) event.cookies = cookies;
  return event;
}

describe('readCookie', () => {
  it('returns value of named cookie', () => {
    const event = eventWithCookies(['theme=dark', `${SESSION_COOKIE}=abc123`]);

    expect(readCookie(event, SESSION_COOKIE)).toBe('abc123');
  });

  it('returns nothing without cookies', () => {
    const event = eventWithCookies(undefined);

    expect(readCookie(event, SESSION_COOKIE)).toBeUndefined();
  });

  it('returns nothing for absent name', () => {
    const event = eventWithCookies(['theme=dark']);

    expect(readCookie(event, SESSION_COOKIE)).toBeUndefined();
  });

  it('keeps equals signs in value', () => {
    const event = eventWithCookies([`${SESSION_COOKIE}=a=b==`]);

    expect(readCookie(event, SESSION_COOKIE)).toBe('a=b==');
  });

  it('trims spaces around name and value', () => {
    const event = eventWithCookies([` ${SESSION_COOKIE} = abc123 `]);

    expect(readCookie(event, SESSION_COOKIE)).toBe('abc123');
  });

  it('returns empty value', () => {
    const event = eventWithCookies([`${SESSION_COOKIE}=`]);

    expect(readCookie(event, SESSION_COOKIE)).toBe('');
  });

  it('returns first of repeated cookies', () => {
    const event = eventWithCookies([`${SESSION_COOKIE}=first`, `${SESSION_COOKIE}=second`]);

    expect(readCookie(event, SESSION_COOKIE)).toBe('first');
  });

  it.each([
    ['longer name', `${SESSION_COOKIE}_old=abc123`],
    ['name as prefix', `x${SESSION_COOKIE}=abc123`],
    ['uppercase name', `${SESSION_COOKIE.toUpperCase()}=abc123`],
    ['name without value', SESSION_COOKIE],
  ])('ignores cookie with %s', (_case, cookie) => {
    const event = eventWithCookies([cookie]);

    expect(readCookie(event, SESSION_COOKIE)).toBeUndefined();
  });

  it('tells session and interaction cookies apart', () => {
    const event = eventWithCookies([`${SESSION_COOKIE}=session`, `${INTERACTION_COOKIE}=binding`]);

    expect(readCookie(event, INTERACTION_COOKIE)).toBe('binding');
  });
});

describe('serializeCookie', () => {
  it('writes secure cookie attributes', () => {
    const cookie = serializeCookie(SESSION_COOKIE, 'abc123', { maxAge: 3600, secure: true });

    expect(cookie).toBe(
      'oauth_session=abc123; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600; Secure',
    );
  });

  it('omits Secure when not secure', () => {
    const cookie = serializeCookie(SESSION_COOKIE, 'abc123', { maxAge: 3600, secure: false });

    expect(cookie).toBe('oauth_session=abc123; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600');
  });
});

describe('expiredCookie', () => {
  it('empties cookie with Max-Age 0', () => {
    const cookie = expiredCookie(INTERACTION_COOKIE, true);

    expect(cookie).toBe('oauth_interaction=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure');
  });

  it('omits Secure when not secure', () => {
    const cookie = expiredCookie(INTERACTION_COOKIE, false);

    expect(cookie).not.toContain('Secure');
  });
});
