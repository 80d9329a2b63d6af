import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  jwtVerify,
  type CryptoKey,
} from 'jose';
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  issueIdToken,
  signIdToken,
  tokenHash,
  type IdTokenClaims,
} from '../../functions/oauth/id-token.ts';
import { SigningKeys, type ActiveSigningKey } from '../../functions/oauth/signing-keys.ts';
import { UNUSED_SECRET_HASH } from './authorization-context.ts';
import {
  FrozenClock,
  InMemorySigningKeyStore,
  registeredClient,
  TEST_KEY_ENCRYPTION,
} from './support.ts';

const ISSUED_AT = 1_704_067_200;

const CLAIMS: IdTokenClaims = {
  issuer: 'https://auth.example.com',
  subject: 'user-1',
  clientId: 'web-app',
  issuedAt: ISSUED_AT,
  lifetimeSeconds: 300,
  authTime: ISSUED_AT - 30,
  amr: ['pwd'],
  nonce: 'n-0S6_WzA2Mj',
  accessToken: 'access-token-1',
};

describe('tokenHash', () => {
  it('matches OpenID Connect Core example', () => {
    // OpenID Connect Core 1.0 appendix A.4 pairs this access token with this at_hash.
    const hash = tokenHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y', 'RS256');

    expect(hash).toBe('77QmUPtjPfzWtF2AnpK9RQ');
  });

  it('uses SHA-256 half for ES256', () => {
    const hash = tokenHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y', 'ES256');

    expect(hash).toBe('77QmUPtjPfzWtF2AnpK9RQ');
  });

  it('uses SHA-512 half for EdDSA', () => {
    const token = 'jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y';
    const digest = createHash('sha512').update(token, 'ascii').digest();

    const hash = tokenHash(token, 'EdDSA');

    expect(hash).toBe(digest.subarray(0, 32).toString('base64url'));
    expect(Buffer.from(hash, 'base64url')).toHaveLength(32);
  });
});

describe('signIdToken', () => {
  let signingKey: ActiveSigningKey;
  let publicKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    signingKey = { kid: 'key-1', algorithm: 'ES256', privateKey: pair.privateKey };
    publicKey = pair.publicKey;
  });

  it('signs token verifiable with public key', async () => {
    const token = await signIdToken(CLAIMS, signingKey);

    const { payload } = await jwtVerify(token, publicKey, {
      issuer: CLAIMS.issuer,
      audience: 'web-app',
      currentDate: new Date((ISSUED_AT + 1) * 1000),
    });

    expect(payload.sub).toBe('user-1');
  });

  it('sets JWT header with kid', async () => {
    const token = await signIdToken(CLAIMS, signingKey);

    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'key-1' });
  });

  it('sets OpenID Connect claims', async () => {
    const token = await signIdToken(CLAIMS, signingKey);

    expect(decodeJwt(token)).toEqual({
      iss: 'https://auth.example.com',
      sub: 'user-1',
      aud: 'web-app',
      azp: 'web-app',
      iat: ISSUED_AT,
      exp: ISSUED_AT + 300,
      auth_time: ISSUED_AT - 30,
      amr: ['pwd'],
      nonce: 'n-0S6_WzA2Mj',
      at_hash: tokenHash('access-token-1', 'ES256'),
    });
  });

  it('omits absent optional claims', async () => {
    const token = await signIdToken(
      { ...CLAIMS, authTime: undefined, amr: [], nonce: undefined, accessToken: undefined },
      signingKey,
    );

    const payload = decodeJwt(token);

    expect(Object.keys(payload).sort()).toEqual(['aud', 'azp', 'exp', 'iat', 'iss', 'sub']);
  });

  it('expires at lifetime end', async () => {
    const token = await signIdToken(CLAIMS, signingKey);

    const verification = jwtVerify(token, publicKey, {
      currentDate: new Date((ISSUED_AT + 300) * 1000),
    });

    await expect(verification).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
  });
});

describe('issueIdToken', () => {
  function issuer() {
    const clock = new FrozenClock();
    return {
      issuer: 'https://auth.example.com',
      idTokenLifetimeSeconds: 300,
      signingKeys: new SigningKeys(new InMemorySigningKeyStore(), clock, 60, TEST_KEY_ENCRYPTION),
      clock,
    };
  }

  const grant = {
    client: registeredClient(UNUSED_SECRET_HASH, { clientId: 'web-app' }),
    userId: 'user-1',
    scopes: ['openid', 'profile'],
    authTime: 1_704_067_000,
    accessToken: 'access-token-1',
  };

  it('returns nothing without openid scope', async () => {
    const token = await issueIdToken({ ...grant, scopes: ['profile'] }, issuer());

    expect(token).toBeUndefined();
  });

  it('signs with ES256 by default', async () => {
    const token = await issueIdToken(grant, issuer());

    expect(decodeProtectedHeader(token ?? '').alg).toBe('ES256');
  });

  it('signs with client algorithm RS256', async () => {
    const client = registeredClient(UNUSED_SECRET_HASH, {
      clientId: 'web-app',
      idTokenSignedResponseAlg: 'RS256',
    });

    const token = await issueIdToken({ ...grant, client }, issuer());

    const payload = decodeJwt(token ?? '');
    expect(decodeProtectedHeader(token ?? '').alg).toBe('RS256');
    expect(payload.at_hash).toBe(tokenHash('access-token-1', 'RS256'));
  });

  it('signs with client algorithm EdDSA', async () => {
    const context = issuer();
    const client = registeredClient(UNUSED_SECRET_HASH, {
      clientId: 'web-app',
      idTokenSignedResponseAlg: 'EdDSA',
    });

    const token = await issueIdToken({ ...grant, client }, context);

    const jwks = createLocalJWKSet(await context.signingKeys.publicJwks());
    const { payload, protectedHeader } = await jwtVerify(token ?? '', jwks, {
      currentDate: new Date(context.clock.now()),
    });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload.at_hash).toBe(tokenHash('access-token-1', 'EdDSA'));
  });

  it('uses configured lifetime', async () => {
    const settings = { ...issuer(), idTokenLifetimeSeconds: 900 };

    const payload = decodeJwt((await issueIdToken(grant, settings)) ?? '');

    expect(Number(payload.exp) - Number(payload.iat)).toBe(900);
  });
});
