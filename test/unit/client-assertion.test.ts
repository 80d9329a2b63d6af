/**
 * `private_key_jwt` client authentication: reading the assertion parameters, and verifying
 * assertions with keys generated here, against a frozen clock and an in-memory jti store.
 */
import { randomUUID } from 'node:crypto';
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Parameters } from '../../functions/http/parameters.ts';
import { CachedClientStore } from '../../functions/oauth/cached-client-store.ts';
import { JWT_BEARER_ASSERTION_TYPE } from '../../functions/oauth/client-assertion.ts';
import {
  ClientAssertionVerifier,
  type AssertionUse,
  type ClientAssertionStore,
} from '../../functions/oauth/client-assertion-verifier.ts';
import {
  ClientAuthenticator,
  readClientCredentials,
} from '../../functions/oauth/client-authentication.ts';
import { hashClientSecret } from '../../functions/oauth/client-secret.ts';
import type { RegisteredClient } from '../../functions/oauth/client.ts';
import { epochSeconds } from '../../functions/oauth/clock.ts';
import {
  basicAuthorization,
  FrozenClock,
  InMemoryClientStore,
  rejectedOAuthError,
  thrownOAuthError,
} from './support.ts';

const ISSUER = 'https://auth.example.com';
const TOKEN_URL = `${ISSUER}/token`;
const CLIENT_ID = 'signing-service';

/** A jti store in a Map with the repository's rule: an unexpired use blocks another. */
class InMemoryClientAssertionStore implements ClientAssertionStore {
  readonly uses = new Map<string, AssertionUse>();

  async recordUse(use: AssertionUse): Promise<boolean> {
    const existing = this.uses.get(use.jtiHash);
    if (existing !== undefined && existing.expiresAt > use.now) return false;
    this.uses.set(use.jtiHash, { ...use });
    return true;
  }
}

interface SigningKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function signingKey(algorithm: string, kid?: string): Promise<SigningKey> {
  const options = algorithm === 'EdDSA' ? { crv: 'Ed25519' } : {};
  const { privateKey, publicKey } = await generateKeyPair(algorithm, options);
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk: kid === undefined ? publicJwk : { ...publicJwk, kid } };
}

function form(values: Record<string, string> = {}): Parameters {
  return new Map(Object.entries(values));
}

function assertionForm(assertion: string, extra: Record<string, string> = {}): Parameters {
  return form({
    client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
    client_assertion: assertion,
    ...extra,
  });
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('readClientCredentials with assertion', () => {
  const assertion = `${base64url({ alg: 'ES256' })}.${base64url({ sub: CLIENT_ID })}.c2ln`;

  it('reads client id from sub', () => {
    const credentials = readClientCredentials(undefined, assertionForm(assertion));

    expect(credentials).toEqual({
      method: 'private_key_jwt',
      clientId: CLIENT_ID,
      clientAssertion: assertion,
    });
  });

  it('accepts matching client_id', () => {
    const parameters = assertionForm(assertion, { client_id: CLIENT_ID });

    const credentials = readClientCredentials(undefined, parameters);

    expect(credentials.clientId).toBe(CLIENT_ID);
  });

  it('rejects client_id other than sub', () => {
    const parameters = assertionForm(assertion, { client_id: 'other-client' });

    const error = thrownOAuthError(() => readClientCredentials(undefined, parameters));

    expect(error.error).toBe('invalid_client');
    expect(error.status).toBe(401);
    expect(error.description).toBe(
      'The client_id differs from the sub claim of the client_assertion.',
    );
  });

  it('rejects assertion with Basic header', () => {
    const authorization = basicAuthorization(CLIENT_ID, 'secret');

    const error = thrownOAuthError(() =>
      readClientCredentials(authorization, assertionForm(assertion)),
    );

    expect(error.error).toBe('invalid_request');
    expect(error.status).toBe(400);
    expect(error.description).toBe(
      'The client used more than one authentication method: send either the Authorization ' +
        'header or a client_assertion, not both.',
    );
  });

  it('rejects assertion with client_secret', () => {
    const parameters = assertionForm(assertion, { client_id: CLIENT_ID, client_secret: 's' });

    const error = thrownOAuthError(() => readClientCredentials(undefined, parameters));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe(
      'The client used more than one authentication method: send either client_secret or a ' +
        'client_assertion, not both.',
    );
  });

  it('rejects missing client_assertion_type', () => {
    const parameters = form({ client_assertion: assertion });

    const error = thrownOAuthError(() => readClientCredentials(undefined, parameters));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe('The client_assertion_type parameter is missing.');
  });

  it('rejects missing client_assertion', () => {
    const parameters = form({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE });

    const error = thrownOAuthError(() => readClientCredentials(undefined, parameters));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe('The client_assertion parameter is missing.');
  });

  it('rejects SAML assertion type', () => {
    const parameters = form({
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
      client_assertion: assertion,
    });

    const error = thrownOAuthError(() => readClientCredentials(undefined, parameters));

    expect(error.error).toBe('invalid_client');
    expect(error.description).toContain('is not supported: use ' + JWT_BEARER_ASSERTION_TYPE);
  });

  it.each(['not-a-jwt', 'a.b.c', `${base64url({ alg: 'ES256' })}.bm90IGpzb24.c2ln`])(
    'rejects malformed assertion %j',
    (malformed) => {
      const error = thrownOAuthError(() =>
        readClientCredentials(undefined, assertionForm(malformed)),
      );

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe('The client_assertion is not a valid JWT.');
    },
  );

  it('rejects assertion without sub', () => {
    const withoutSub = `${base64url({ alg: 'ES256' })}.${base64url({ iss: CLIENT_ID })}.c2ln`;

    const error = thrownOAuthError(() =>
      readClientCredentials(undefined, assertionForm(withoutSub)),
    );

    expect(error.error).toBe('invalid_client');
    expect(error.description).toBe(
      'The client_assertion has no sub claim: set sub and iss to the client id.',
    );
  });

  it('rejects assertion over 8192 characters', () => {
    const long = `${assertion}${'A'.repeat(8193 - assertion.length)}`;

    const error = thrownOAuthError(() => readClientCredentials(undefined, assertionForm(long)));

    expect(error.error).toBe('invalid_client');
    expect(error.description).toBe('The client_assertion is longer than 8192 characters.');
  });

  it('sends no Basic challenge', () => {
    const parameters = assertionForm(assertion, { client_id: 'other-client' });

    const error = thrownOAuthError(() => readClientCredentials(undefined, parameters));

    expect(error.headers['WWW-Authenticate']).toBeUndefined();
  });
});

describe('ClientAuthenticator with private_key_jwt', () => {
  let es256: SigningKey;
  let otherEs256: SigningKey;

  beforeAll(async () => {
    es256 = await signingKey('ES256', 'key-1');
    otherEs256 = await signingKey('ES256', 'key-2');
  });

  function jwtClient(keys: JWK[], overrides: Partial<RegisteredClient> = {}): RegisteredClient {
    return {
      clientId: CLIENT_ID,
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys },
      grantTypes: ['client_credentials'],
      scopes: ['read'],
      ...overrides,
    };
  }

  function setUp(keys: JWK[] = [es256.publicJwk]) {
    const clients = new InMemoryClientStore();
    clients.put(jwtClient(keys));
    const clock = new FrozenClock();
    const store = new InMemoryClientAssertionStore();
    const verifier = new ClientAssertionVerifier({
      audiences: [TOKEN_URL, ISSUER],
      store,
      clock,
    });
    const authenticator = new ClientAuthenticator(clients, clock, 60, verifier);
    const now = epochSeconds(clock);
    return { clients, clock, store, authenticator, now };
  }

  function claims(now: number, overrides: JWTPayload = {}): JWTPayload {
    return {
      iss: CLIENT_ID,
      sub: CLIENT_ID,
      aud: TOKEN_URL,
      jti: randomUUID(),
      iat: now,
      exp: now + 60,
      ...overrides,
    };
  }

  async function sign(
    payload: JWTPayload,
    key: SigningKey = es256,
    header: Partial<JWTHeaderParameters> = {},
  ): Promise<string> {
    const protectedHeader = { alg: 'ES256', kid: key.publicJwk.kid, ...header };
    return new SignJWT(payload).setProtectedHeader(protectedHeader).sign(key.privateKey);
  }

  function authenticate(authenticator: ClientAuthenticator, assertion: string) {
    return authenticator.authenticate(readClientCredentials(undefined, assertionForm(assertion)));
  }

  async function rejection(authenticator: ClientAuthenticator, assertion: string) {
    return rejectedOAuthError(authenticate(authenticator, assertion));
  }

  describe('accepted assertions', () => {
    it('returns client for valid assertion', async () => {
      const { authenticator, now } = setUp();

      const client = await authenticate(authenticator, await sign(claims(now)));

      expect(client.clientId).toBe(CLIENT_ID);
    });

    it.each([
      ['RS256', 'RS256'],
      ['PS256', 'PS256'],
      ['ES384', 'ES384'],
      ['EdDSA', 'EdDSA'],
      ['Ed25519', 'EdDSA'],
    ])('accepts %s signature', async (alg, keyAlgorithm) => {
      const key = await signingKey(keyAlgorithm, 'only-key');
      const { authenticator, now } = setUp([key.publicJwk]);

      const client = await authenticate(authenticator, await sign(claims(now), key, { alg }));

      expect(client.clientId).toBe(CLIENT_ID);
    });

    it('accepts issuer as audience', async () => {
      const { authenticator, now } = setUp();

      const assertion = await sign(claims(now, { aud: ISSUER }));

      expect((await authenticate(authenticator, assertion)).clientId).toBe(CLIENT_ID);
    });

    it('accepts audience array with issuer', async () => {
      const { authenticator, now } = setUp();

      const assertion = await sign(claims(now, { aud: ['https://other.example.com', ISSUER] }));

      expect((await authenticate(authenticator, assertion)).clientId).toBe(CLIENT_ID);
    });

    it('accepts assertion without iat', async () => {
      const { authenticator, now } = setUp();

      const assertion = await sign(claims(now, { iat: undefined, exp: now + 300 }));

      expect((await authenticate(authenticator, assertion)).clientId).toBe(CLIENT_ID);
    });

    it('accepts lifetime of 300 seconds', async () => {
      const { authenticator, now } = setUp();

      const assertion = await sign(claims(now, { iat: now - 100, exp: now + 200 }));

      expect((await authenticate(authenticator, assertion)).clientId).toBe(CLIENT_ID);
    });

    it('accepts exp within clock skew', async () => {
      const { authenticator, now } = setUp();

      const assertion = await sign(claims(now, { iat: now - 60, exp: now - 30 + 1 }));

      expect((await authenticate(authenticator, assertion)).clientId).toBe(CLIENT_ID);
    });

    it('accepts nbf within clock skew', async () => {
      const { authenticator, now } = setUp();

      const assertion = await sign(claims(now, { nbf: now + 30 }));

      expect((await authenticate(authenticator, assertion)).clientId).toBe(CLIENT_ID);
    });

    it('selects key by kid among several', async () => {
      const { authenticator, now } = setUp([es256.publicJwk, otherEs256.publicJwk]);

      const assertion = await sign(claims(now), otherEs256);

      expect((await authenticate(authenticator, assertion)).clientId).toBe(CLIENT_ID);
    });

    it('accepts missing kid with one key', async () => {
      const { authenticator, now } = setUp();

      const assertion = await sign(claims(now), es256, { kid: undefined });

      expect((await authenticate(authenticator, assertion)).clientId).toBe(CLIENT_ID);
    });

    it('accepts the same jti from another client', async () => {
      const { clients, authenticator, now } = setUp();
      clients.put(jwtClient([es256.publicJwk], { clientId: 'second-service' }));
      const jti = 'shared-jti';
      await authenticate(authenticator, await sign(claims(now, { jti })));

      const second = await sign(claims(now, { jti, iss: 'second-service', sub: 'second-service' }));

      expect((await authenticate(authenticator, second)).clientId).toBe('second-service');
    });
  });

  describe('jti', () => {
    it('rejects replayed assertion', async () => {
      const { authenticator, now } = setUp();
      const assertion = await sign(claims(now));
      await authenticate(authenticator, assertion);

      const error = await rejection(authenticator, assertion);

      expect(error.error).toBe('invalid_client');
      expect(error.status).toBe(401);
      expect(error.description).toBe(
        'The client_assertion was already used: sign a new one with a new jti.',
      );
    });

    it('keeps jti until exp plus skew', async () => {
      const { store, authenticator, now } = setUp();

      await authenticate(authenticator, await sign(claims(now, { exp: now + 45 })));

      const [use] = [...store.uses.values()];
      expect(use?.clientId).toBe(CLIENT_ID);
      expect(use?.expiresAt).toBe(now + 45 + 30);
      expect(use?.jtiHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('records no jti for rejected assertion', async () => {
      const { store, authenticator, now } = setUp();

      await rejection(authenticator, await sign(claims(now, { aud: 'https://elsewhere.example' })));

      expect(store.uses.size).toBe(0);
    });

    it('rejects missing jti', async () => {
      const { authenticator, now } = setUp();

      const error = await rejection(authenticator, await sign(claims(now, { jti: undefined })));

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe('The client_assertion has no jti claim.');
    });

    it('rejects empty jti', async () => {
      const { authenticator, now } = setUp();

      const error = await rejection(authenticator, await sign(claims(now, { jti: '' })));

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe('The client_assertion jti claim must be a non-empty string.');
    });
  });

  describe('claims', () => {
    it('rejects wrong audience', async () => {
      const { authenticator, now } = setUp();
      const assertion = await sign(claims(now, { aud: 'https://elsewhere.example' }));

      const error = await rejection(authenticator, assertion);

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe(
        `The client_assertion aud claim must contain ${TOKEN_URL} or ${ISSUER}.`,
      );
    });

    it('rejects missing audience', async () => {
      const { authenticator, now } = setUp();

      const error = await rejection(authenticator, await sign(claims(now, { aud: undefined })));

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe('The client_assertion has no aud claim.');
    });

    it('rejects iss other than client id', async () => {
      const { authenticator, now } = setUp();

      const error = await rejection(authenticator, await sign(claims(now, { iss: 'someone' })));

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe(
        'The client_assertion iss and sub claims must both be the client id.',
      );
    });

    it('rejects missing iss', async () => {
      const { authenticator, now } = setUp();

      const error = await rejection(authenticator, await sign(claims(now, { iss: undefined })));

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe('The client_assertion has no iss claim.');
    });

    it('rejects missing exp', async () => {
      const { authenticator, now } = setUp();

      const error = await rejection(authenticator, await sign(claims(now, { exp: undefined })));

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe('The client_assertion has no exp claim.');
    });

    it('rejects expired assertion', async () => {
      const { authenticator, now } = setUp();
      const assertion = await sign(claims(now, { iat: now - 90, exp: now - 30 }));

      const error = await rejection(authenticator, assertion);

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe('The client_assertion has expired.');
    });

    it('rejects assertion after clock advance', async () => {
      const { clock, authenticator, now } = setUp();
      const assertion = await sign(claims(now, { exp: now + 60 }));
      clock.advance(90_000);

      const error = await rejection(authenticator, assertion);

      expect(error.description).toBe('The client_assertion has expired.');
    });

    it('rejects lifetime over 300 seconds', async () => {
      const { authenticator, now } = setUp();

      const error = await rejection(authenticator, await sign(claims(now, { exp: now + 301 })));

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe(
        'The client_assertion is valid for 301 seconds, more than the maximum of 300: ' +
          'set exp at most 300 seconds after iat.',
      );
    });

    it('rejects long lifetime with old iat', async () => {
      const { authenticator, now } = setUp();
      const assertion = await sign(claims(now, { iat: now - 3600, exp: now + 60 }));

      const error = await rejection(authenticator, assertion);

      expect(error.error).toBe('invalid_client');
      expect(error.description).toContain('is valid for 3660 seconds');
    });

    it('rejects far exp without iat', async () => {
      const { authenticator, now } = setUp();
      const assertion = await sign(claims(now, { iat: undefined, exp: now + 3600 }));

      const error = await rejection(authenticator, assertion);

      expect(error.error).toBe('invalid_client');
      expect(error.description).toContain('is valid for 3600 seconds');
    });

    it('rejects iat in the future', async () => {
      const { authenticator, now } = setUp();
      const assertion = await sign(claims(now, { iat: now + 31, exp: now + 90 }));

      const error = await rejection(authenticator, assertion);

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe('The client_assertion iat claim is in the future.');
    });

    it('rejects nbf in the future', async () => {
      const { authenticator, now } = setUp();

      const error = await rejection(authenticator, await sign(claims(now, { nbf: now + 31 })));

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe(
        'The client_assertion is not valid yet: its nbf is in the future.',
      );
    });
  });

  describe('algorithms and keys', () => {
    it('rejects alg none', async () => {
      const { authenticator, now } = setUp();
      const unsigned = `${base64url({ alg: 'none' })}.${base64url(claims(now))}.`;

      const error = await rejection(authenticator, unsigned);

      expect(error.error).toBe('invalid_client');
      expect(error.description).toMatch(/^The client_assertion is not signed \(alg none\)/);
    });

    it('rejects header without alg', async () => {
      const { authenticator, now } = setUp();
      const unsigned = `${base64url({ typ: 'JWT' })}.${base64url(claims(now))}.c2ln`;

      const error = await rejection(authenticator, unsigned);

      expect(error.error).toBe('invalid_client');
      expect(error.description).toMatch(/^The client_assertion is not signed/);
    });

    it('rejects HS256 with any secret', async () => {
      const { authenticator, now } = setUp();
      const secret = new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes');
      const assertion = await new SignJWT(claims(now))
        .setProtectedHeader({ alg: 'HS256' })
        .sign(secret);

      const error = await rejection(authenticator, assertion);

      expect(error.error).toBe('invalid_client');
      expect(error.description).toMatch(/^The client_assertion uses HS256, an HMAC algorithm/);
    });

    it('rejects HS256 keyed with public key', async () => {
      const { authenticator, now } = setUp();
      const secret = new TextEncoder().encode(JSON.stringify(es256.publicJwk));
      const assertion = await new SignJWT(claims(now))
        .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
        .sign(secret);

      const error = await rejection(authenticator, assertion);

      expect(error.error).toBe('invalid_client');
      expect(error.description).toMatch(/an HMAC algorithm/);
    });

    it('rejects unlisted algorithm', async () => {
      const { authenticator, now } = setUp();
      const forged = `${base64url({ alg: 'ES256K' })}.${base64url(claims(now))}.c2ln`;

      const error = await rejection(authenticator, forged);

      expect(error.error).toBe('invalid_client');
      expect(error.description).toMatch(/^The client_assertion alg 'ES256K' is not accepted/);
    });

    it('rejects unknown kid', async () => {
      const { authenticator, now } = setUp([es256.publicJwk, otherEs256.publicJwk]);
      const assertion = await sign(claims(now), es256, { kid: 'key-9' });

      const error = await rejection(authenticator, assertion);

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe(
        "No key in the client's jwks matches the assertion's kid and alg.",
      );
    });

    it('rejects missing kid among several keys', async () => {
      const { authenticator, now } = setUp([es256.publicJwk, otherEs256.publicJwk]);
      const assertion = await sign(claims(now), es256, { kid: undefined });

      const error = await rejection(authenticator, assertion);

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe(
        "Several keys in the client's jwks match the assertion: name one in the kid header.",
      );
    });

    it('rejects key of other type', async () => {
      const { authenticator, now } = setUp();
      const rsa = await signingKey('RS256', 'key-1');

      const error = await rejection(authenticator, await sign(claims(now), rsa, { alg: 'RS256' }));

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe(
        "No key in the client's jwks matches the assertion's kid and alg.",
      );
    });

    it('rejects signature of unregistered key', async () => {
      const { authenticator, now } = setUp();
      const impostor = await signingKey('ES256', 'key-1');

      const error = await rejection(authenticator, await sign(claims(now), impostor));

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe(
        "The client_assertion signature does not verify with the client's keys.",
      );
    });

    it('rejects client without jwks', async () => {
      const { clients, authenticator, now } = setUp();
      clients.put(jwtClient([], { jwks: undefined }));

      const error = await rejection(authenticator, await sign(claims(now)));

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe('The client has no registered keys (jwks) for its assertion.');
    });

    it('sends no Basic challenge', async () => {
      const { authenticator, now } = setUp();

      const error = await rejection(authenticator, await sign(claims(now, { aud: 'x' })));

      expect(error.headers['WWW-Authenticate']).toBeUndefined();
    });
  });

  describe('methods', () => {
    it('rejects secret for jwt client', async () => {
      const { authenticator } = setUp();
      const credentials = readClientCredentials(basicAuthorization(CLIENT_ID, 'guess'), form());

      const error = await rejectedOAuthError(authenticator.authenticate(credentials));

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe(
        'The client must authenticate with private_key_jwt, not client_secret_basic.',
      );
    });

    it('rejects client_id alone for jwt client', async () => {
      const { authenticator } = setUp();
      const credentials = readClientCredentials(undefined, form({ client_id: CLIENT_ID }));

      const error = await rejectedOAuthError(authenticator.authenticate(credentials));

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe(
        'Client authentication is required: send a client_assertion signed with a key of the ' +
          "client's jwks (private_key_jwt).",
      );
    });

    it('rejects assertion for secret client', async () => {
      const { clients, authenticator, now } = setUp();
      const secretHash = await hashClientSecret('a-secret');
      const secretClient = { tokenEndpointAuthMethod: 'client_secret_basic' as const, secretHash };
      clients.put(jwtClient([], { ...secretClient, jwks: undefined }));

      const error = await rejection(authenticator, await sign(claims(now)));

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe(
        'The client must authenticate with client_secret_basic, not private_key_jwt.',
      );
    });

    it('rejects unknown client', async () => {
      const { authenticator, now } = setUp();
      const assertion = await sign(claims(now, { iss: 'nobody', sub: 'nobody' }));

      const error = await rejection(authenticator, assertion);

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe('Client authentication failed.');
      expect(error.headers['WWW-Authenticate']).toBeUndefined();
    });

    it('rejects assertion without verifier', async () => {
      const { clients, clock, now } = setUp();
      const authenticator = new ClientAuthenticator(clients, clock, 60);

      const error = await rejection(authenticator, await sign(claims(now)));

      expect(error.error).toBe('invalid_client');
      expect(error.description).toBe('Client authentication failed.');
    });
  });

  describe('key rotation behind a cache', () => {
    function cachedSetUp() {
      const clients = new InMemoryClientStore();
      clients.put(jwtClient([es256.publicJwk]));
      const clock = new FrozenClock();
      const verifier = new ClientAssertionVerifier({
        audiences: [TOKEN_URL, ISSUER],
        store: new InMemoryClientAssertionStore(),
        clock,
      });
      const cache = new CachedClientStore(clients, clock, 60);
      const authenticator = new ClientAuthenticator(cache, clock, 60, verifier);
      return { clients, authenticator, now: epochSeconds(clock) };
    }

    it('accepts newly registered key at once', async () => {
      const { clients, authenticator, now } = cachedSetUp();
      await authenticate(authenticator, await sign(claims(now)));
      clients.put(jwtClient([otherEs256.publicJwk]));

      const client = await authenticate(authenticator, await sign(claims(now), otherEs256));

      expect(client.jwks?.keys[0]?.kid).toBe('key-2');
    });

    it('reads client once for unknown key', async () => {
      const { clients, authenticator, now } = cachedSetUp();
      await authenticate(authenticator, await sign(claims(now)));
      const readsBefore = clients.reads;

      await rejection(authenticator, await sign(claims(now), otherEs256));

      expect(clients.reads - readsBefore).toBe(1);
    });
  });
});
