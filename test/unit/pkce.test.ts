import { describe, expect, it } from 'vitest';
import {
  CODE_CHALLENGE_METHODS,
  isValidS256Challenge,
  isValidVerifier,
  s256Challenge,
  verifierMatches,
} from '../../functions/oauth/pkce.ts';

/** The example of RFC 7636 appendix B. */
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('s256Challenge', () => {
  it('computes RFC 7636 example', () => {
    const challenge = s256Challenge(RFC_VERIFIER);

    expect(challenge).toBe(RFC_CHALLENGE);
  });
});

describe('isValidVerifier', () => {
  it('accepts RFC 7636 example', () => {
    expect(isValidVerifier(RFC_VERIFIER)).toBe(true);
  });

  it.each([43, 128])('accepts length %i', (length) => {
    expect(isValidVerifier('a'.repeat(length))).toBe(true);
  });

  it.each([0, 42, 129])('rejects length %i', (length) => {
    expect(isValidVerifier('a'.repeat(length))).toBe(false);
  });

  it('accepts every unreserved character', () => {
    const verifier = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';

    expect(isValidVerifier(verifier)).toBe(true);
  });

  it.each([
    ['plus', '+'],
    ['slash', '/'],
    ['padding', '='],
    ['space', ' '],
    ['percent', '%'],
    ['newline', '\n'],
    ['non-ASCII letter', 'é'],
  ])('rejects %s', (_name, character) => {
    const verifier = `${'a'.repeat(42)}${character}`;

    expect(isValidVerifier(verifier)).toBe(false);
  });

  it('rejects trailing newline after valid verifier', () => {
    expect(isValidVerifier(`${RFC_VERIFIER}\n`)).toBe(false);
  });
});

describe('isValidS256Challenge', () => {
  it('accepts RFC 7636 example', () => {
    expect(isValidS256Challenge(RFC_CHALLENGE)).toBe(true);
  });

  it.each([
    ['42 characters', RFC_CHALLENGE.slice(0, 42)],
    ['44 characters', `${RFC_CHALLENGE}A`],
    ['padding', `${RFC_CHALLENGE.slice(0, 42)}=`],
    ['base64 plus', `${RFC_CHALLENGE.slice(0, 42)}+`],
    ['base64 slash', `${RFC_CHALLENGE.slice(0, 42)}/`],
    ['plain verifier', 'a'.repeat(64)],
  ])('rejects %s', (_name, challenge) => {
    expect(isValidS256Challenge(challenge)).toBe(false);
  });
});

describe('verifierMatches', () => {
  it('matches RFC 7636 example', () => {
    expect(verifierMatches(RFC_VERIFIER, RFC_CHALLENGE)).toBe(true);
  });

  it('rejects another verifier', () => {
    const other = `${RFC_VERIFIER.slice(0, -1)}l`;

    expect(verifierMatches(other, RFC_CHALLENGE)).toBe(false);
  });

  it('rejects verifier equal to challenge', () => {
    expect(verifierMatches(RFC_CHALLENGE, RFC_CHALLENGE)).toBe(false);
  });

  it('rejects challenge of another length', () => {
    expect(verifierMatches(RFC_VERIFIER, RFC_CHALLENGE.slice(0, 42))).toBe(false);
  });

  it('rejects malformed verifier', () => {
    const tooShort = 'a'.repeat(42);

    expect(verifierMatches(tooShort, s256Challenge(tooShort))).toBe(false);
  });
});

describe('CODE_CHALLENGE_METHODS', () => {
  it('lists S256 only', () => {
    expect(CODE_CHALLENGE_METHODS).toEqual(['S256']);
  });
});
