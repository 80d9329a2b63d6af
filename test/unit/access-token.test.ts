import {
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  jwtVerify,
  type CryptoKey,
} from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken, type AccessTokenClaims } from '../../functions/oauth/access-token.ts';
import type { ActiveSigningKey } from '../../functions/oauth/signing-keys.ts';

const ISSUED_AT = 1_704_067_200;

const CLAIMS: AccessTokenClaims = {
  issuer: 'https://auth.example.com',
  subject: 'service-one',
  clientId: 'service-one',
  audience: 'https://api.example.com',
  scopes: ['read', 'write'],
  issuedAt: ISSUED_AT,
  lifetimeSeconds: 600,
};

describe('signAccessToken', () => {
  let signingKey: ActiveSigningKey;
  let publicKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    signingKey = { kid: 'key-1', algorithm: 'ES256', privateKey: pair.privateKey };
    publicKey = pair.publicKey;
  });

  async function verify(token: string) {
    return jwtVerify(token, publicKey, {
      algorithms: ['ES256'],
      typ: 'at+jwt',
      issuer: CLAIMS.issuer,
      audience: CLAIMS.audience,
      currentDate: new Date((ISSUED_AT + 1) * 1000),
    });
  }

  it('signs token verifiable with public key', async () => {
    const { token } = await signAccessToken(CLAIMS, signingKey);

    const verified = await verify(token);

    expect(verified.payload.sub).toBe('service-one');
  });

  it('sets at+jwt header with kid', async () => {
    const { token } = await signAccessToken(CLAIMS, signingKey);

    const header = decodeProtectedHeader(token);

    expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: 'key-1' });
  });

  it('sets RFC 9068 claims', async () => {
    const { token, jti } = await signAccessToken(CLAIMS, signingKey);

    const { payload } = await verify(token);

    expect(payload).toEqual({
      iss: 'https://auth.example.com',
      sub: 'service-one',
      client_id: 'service-one',
      aud: 'https://api.example.com',
      scope: 'read write',
      jti,
      iat: ISSUED_AT,
      exp: ISSUED_AT + 600,
    });
  });

  it('sets exp from lifetime', async () => {
    const { token } = await signAccessToken({ ...CLAIMS, lifetimeSeconds: 3600 }, signingKey);

    const payload = decodeJwt(token);

    expect(payload.exp).toBe(ISSUED_AT + 3600);
  });

  it('returns lifetime as expiresIn', async () => {
    const issued = await signAccessToken(CLAIMS, signingKey);

    expect(issued.expiresIn).toBe(600);
  });

  it('omits scope claim without scopes', async () => {
    const { token } = await signAccessToken({ ...CLAIMS, scopes: [] }, signingKey);

    const payload = decodeJwt(token);

    expect(payload).not.toHaveProperty('scope');
  });

  it('uses distinct random jti', async () => {
    const first = await signAccessToken(CLAIMS, signingKey);
    const second = await signAccessToken(CLAIMS, signingKey);

    expect(first.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(first.jti).not.toBe(second.jti);
  });

  it('adds extra private claims', async () => {
    const extraClaims = { refresh_family: 'family-1' };
    const { token } = await signAccessToken({ ...CLAIMS, extraClaims }, signingKey);

    const { payload } = await verify(token);

    expect(payload.refresh_family).toBe('family-1');
  });

  it('keeps registered claims over extra claims', async () => {
    const extraClaims = { client_id: 'intruder', scope: 'admin', sub: 'intruder', iss: 'x' };
    const { token } = await signAccessToken({ ...CLAIMS, scopes: [], extraClaims }, signingKey);

    const payload = decodeJwt(token);

    expect(payload.client_id).toBe('service-one');
    expect(payload.sub).toBe('service-one');
    expect(payload.iss).toBe('https://auth.example.com');
    expect(payload).not.toHaveProperty('scope');
  });

  it('expires at lifetime end', async () => {
    const { token } = await signAccessToken(CLAIMS, signingKey);

    const verification = jwtVerify(token, publicKey, {
      currentDate: new Date((ISSUED_AT + 600) * 1000),
    });

    await expect(verification).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
  });
});
