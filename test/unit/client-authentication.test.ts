import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Parameters } from '../../functions/http/parameters.ts';
import {
  ClientAuthenticator,
  readClientCredentials,
  type PresentedCredentials,
} from '../../functions/oauth/client-authentication.ts';
import { hashClientSecret } from '../../functions/oauth/client-secret.ts';
import type { SecretHash } from '../../functions/oauth/client.ts';
import {
  basicAuthorization,
  FrozenClock,
  InMemoryClientStore,
  registeredClient,
  rejectedOAuthError,
  thrownOAuthError,
} from './support.ts';

const NOT_BASIC = 'The Authorization header is not valid HTTP Basic credentials.';
const AUTHENTICATION_FAILED = 'Client authentication failed.';

function form(values: Record<string, string> = {}): Parameters {
  return new Map(Object.entries(values));
}

describe('readClientCredentials', () => {
  it('reads Basic credentials', () => {
    const authorization = basicAuthorization('service-one', 'secret');

    const credentials = readClientCredentials(authorization, form());

    expect(credentials).toEqual({
      method: 'client_secret_basic',
      clientId: 'service-one',
      clientSecret: 'secret',
    });
  });

  it('form-decodes Basic client id', () => {
    const authorization = basicAuthorization('svc%3Aone', 'secret');

    const credentials = readClientCredentials(authorization, form());

    expect(credentials.clientId).toBe('svc:one');
  });

  it('decodes plus in Basic secret', () => {
    const authorization = basicAuthorization('service-one', 'two+words');

    const credentials = readClientCredentials(authorization, form());

    expect(credentials.clientSecret).toBe('two words');
  });

  it('decodes %2B in Basic secret', () => {
    const authorization = basicAuthorization('service-one', 'a%2Bb%25c');

    const credentials = readClientCredentials(authorization, form());

    expect(credentials.clientSecret).toBe('a+b%c');
  });

  it('decodes UTF-8 escapes in Basic id', () => {
    const authorization = basicAuthorization('caf%C3%A9', 'secret');

    const credentials = readClientCredentials(authorization, form());

    expect(credentials.clientId).toBe('café');
  });

  it('splits Basic credentials at first colon', () => {
    const authorization = basicAuthorization('service-one', 'se:cret');

    const credentials = readClientCredentials(authorization, form());

    expect(credentials.clientId).toBe('service-one');
    expect(credentials.clientSecret).toBe('se:cret');
  });

  it('accepts lower-case basic scheme', () => {
    const encoded = Buffer.from('service-one:secret').toString('base64');

    const credentials = readClientCredentials(`basic ${encoded}`, form());

    expect(credentials.clientId).toBe('service-one');
  });

  it('accepts empty Basic secret', () => {
    const authorization = basicAuthorization('service-one', '');

    const credentials = readClientCredentials(authorization, form());

    expect(credentials.clientSecret).toBe('');
  });

  it.each(['Basic', 'Basic ', 'Basic !!!!', 'Basic a=b=', 'Basic YQ==YQ==', 'Bearer YTpi', 'YTpi'])(
    'rejects malformed header %j',
    (authorization) => {
      const error = thrownOAuthError(() => readClientCredentials(authorization, form()));

      expect(error.error).toBe('invalid_client');
      expect(error.status).toBe(401);
      expect(error.description).toBe(NOT_BASIC);
    },
  );

  it('rejects Basic credentials without colon', () => {
    const authorization = `Basic ${Buffer.from('service-one').toString('base64')}`;

    const error = thrownOAuthError(() => readClientCredentials(authorization, form()));

    expect(error.error).toBe('invalid_client');
    expect(error.description).toBe('The Basic credentials lack the colon between id and secret.');
  });

  it('rejects Basic credentials that are not UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('service-one:'), Buffer.from([0xc3, 0x28])]);
    const authorization = `Basic ${bytes.toString('base64')}`;

    const error = thrownOAuthError(() => readClientCredentials(authorization, form()));

    expect(error.error).toBe('invalid_client');
    expect(error.description).toBe('The Basic credentials are not valid UTF-8.');
  });

  it('rejects empty Basic client id', () => {
    const authorization = basicAuthorization('', 'secret');

    const error = thrownOAuthError(() => readClientCredentials(authorization, form()));

    expect(error.error).toBe('invalid_client');
    expect(error.description).toBe('The Basic credentials have an empty client id.');
  });

  it.each([
    ['id', 'svc%', 'secret'],
    ['id', 'svc%zz', 'secret'],
    ['secret', 'service-one', '%C3%28'],
  ])('rejects malformed escape in %s', (_part, encodedId, encodedSecret) => {
    const authorization = basicAuthorization(encodedId, encodedSecret);

    const error = thrownOAuthError(() => readClientCredentials(authorization, form()));

    expect(error.error).toBe('invalid_client');
    expect(error.description).toBe(
      'The Basic credentials are not form-urlencoded as RFC 6749 section 2.3.1 requires.',
    );
  });

  it('rejects Basic with body secret', () => {
    const authorization = basicAuthorization('service-one', 'secret');
    const parameters = form({ client_secret: 'secret' });

    const error = thrownOAuthError(() => readClientCredentials(authorization, parameters));

    expect(error.error).toBe('invalid_request');
    expect(error.status).toBe(400);
    expect(error.description).toContain('more than one authentication method');
  });

  it('accepts Basic with matching body id', () => {
    const authorization = basicAuthorization('svc%3Aone', 'secret');
    const parameters = form({ client_id: 'svc:one' });

    const credentials = readClientCredentials(authorization, parameters);

    expect(credentials).toEqual({
      method: 'client_secret_basic',
      clientId: 'svc:one',
      clientSecret: 'secret',
    });
  });

  it('rejects Basic with different body id', () => {
    const authorization = basicAuthorization('service-one', 'secret');
    const parameters = form({ client_id: 'service-two' });

    const error = thrownOAuthError(() => readClientCredentials(authorization, parameters));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe(
      'The client_id in the body differs from the client in the Authorization header.',
    );
  });

  it('reads body credentials as post', () => {
    const parameters = form({ client_id: 'service-one', client_secret: 'secret' });

    const credentials = readClientCredentials(undefined, parameters);

    expect(credentials).toEqual({
      method: 'client_secret_post',
      clientId: 'service-one',
      clientSecret: 'secret',
    });
  });

  it('reads client_id alone as a public client', () => {
    const credentials = readClientCredentials(undefined, form({ client_id: 'spa' }));

    expect(credentials).toEqual({ method: 'none', clientId: 'spa', clientSecret: '' });
  });

  it.each([
    ['client_secret alone', { client_secret: 'secret' }],
    ['no credentials', {}],
  ])('rejects %s', (_case, values) => {
    const error = thrownOAuthError(() => readClientCredentials(undefined, form(values)));

    expect(error.error).toBe('invalid_client');
    expect(error.status).toBe(401);
    expect(error.description).toContain('Client authentication is required');
  });

  it('sets WWW-Authenticate on failure', () => {
    const error = thrownOAuthError(() => readClientCredentials(undefined, form()));

    expect(error.headers['WWW-Authenticate']).toBe('Basic realm="oauth", charset="UTF-8"');
  });

  it('accepts client id of 255 characters', () => {
    const clientId = 'c'.repeat(255);

    const credentials = readClientCredentials(basicAuthorization(clientId, 'secret'), form());

    expect(credentials.clientId).toBe(clientId);
  });

  it('rejects too-long Basic client id', () => {
    const authorization = basicAuthorization('c'.repeat(256), 'secret');

    const error = thrownOAuthError(() => readClientCredentials(authorization, form()));

    expect(error.error).toBe('invalid_client');
    expect(error.description).toBe('The client id is longer than 255 characters.');
  });

  it('rejects too-long body client id', () => {
    const parameters = form({ client_id: 'c'.repeat(256), client_secret: 'secret' });

    const error = thrownOAuthError(() => readClientCredentials(undefined, parameters));

    expect(error.error).toBe('invalid_client');
    expect(error.description).toBe('The client id is longer than 255 characters.');
  });

  it('rejects too-long client secret', () => {
    const parameters = form({ client_id: 'service-one', client_secret: 's'.repeat(513) });

    const error = thrownOAuthError(() => readClientCredentials(undefined, parameters));

    expect(error.error).toBe('invalid_client');
    expect(error.description).toBe(AUTHENTICATION_FAILED);
  });
});

describe('ClientAuthenticator', () => {
  const SECRET = 'correct-secret';
  const REMEMBER_SECONDS = 60;
  let secretHash: SecretHash;

  beforeAll(async () => {
    secretHash = await hashClientSecret(SECRET);
  });

  function basicCredentials(clientSecret: string): PresentedCredentials {
    return { method: 'client_secret_basic', clientId: 'service-one', clientSecret };
  }

  function setUp(rememberSeconds = REMEMBER_SECONDS) {
    const store = new InMemoryClientStore();
    store.put(registeredClient(secretHash));
    const clock = new FrozenClock();
    const authenticator = new ClientAuthenticator(store, clock, rememberSeconds);
    return { store, clock, authenticator };
  }

  /**
   * Stores the client with a new salt but the old hash value. A fresh scrypt check of the
   * right secret then fails, so a success shows that the earlier check was remembered.
   */
  function replaceSalt(store: InMemoryClientStore): void {
    const salt = randomBytes(16).toString('base64url');
    store.put(registeredClient({ ...secretHash, salt }));
  }

  it('returns client for right secret', async () => {
    const { authenticator } = setUp();

    const client = await authenticator.authenticate(basicCredentials(SECRET));

    expect(client.clientId).toBe('service-one');
  });

  it('rejects unknown client', async () => {
    const { authenticator } = setUp();
    const credentials: PresentedCredentials = {
      method: 'client_secret_basic',
      clientId: 'unknown',
      clientSecret: SECRET,
    };

    const error = await rejectedOAuthError(authenticator.authenticate(credentials));

    expect(error.error).toBe('invalid_client');
    expect(error.status).toBe(401);
    expect(error.description).toBe(AUTHENTICATION_FAILED);
  });

  it('rejects wrong authentication method', async () => {
    const { authenticator } = setUp();
    const credentials: PresentedCredentials = {
      method: 'client_secret_post',
      clientId: 'service-one',
      clientSecret: SECRET,
    };

    const error = await rejectedOAuthError(authenticator.authenticate(credentials));

    expect(error.error).toBe('invalid_client');
    expect(error.description).toBe(
      'The client must authenticate with client_secret_basic, not client_secret_post.',
    );
  });

  it('rejects wrong secret', async () => {
    const { authenticator } = setUp();

    const error = await rejectedOAuthError(authenticator.authenticate(basicCredentials('wrong')));

    expect(error.error).toBe('invalid_client');
    expect(error.description).toBe(AUTHENTICATION_FAILED);
  });

  it('remembers success within remember time', async () => {
    const { store, clock, authenticator } = setUp();
    await authenticator.authenticate(basicCredentials(SECRET));
    replaceSalt(store);
    clock.advance(REMEMBER_SECONDS * 1000 - 1);

    const client = await authenticator.authenticate(basicCredentials(SECRET));

    expect(client.clientId).toBe('service-one');
  });

  it('forgets success after remember time', async () => {
    const { store, clock, authenticator } = setUp();
    await authenticator.authenticate(basicCredentials(SECRET));
    replaceSalt(store);
    clock.advance(REMEMBER_SECONDS * 1000);

    const error = await rejectedOAuthError(authenticator.authenticate(basicCredentials(SECRET)));

    expect(error.error).toBe('invalid_client');
    expect(error.description).toBe(AUTHENTICATION_FAILED);
  });

  it('remembers nothing with zero time', async () => {
    const { store, authenticator } = setUp(0);
    await authenticator.authenticate(basicCredentials(SECRET));
    replaceSalt(store);

    const error = await rejectedOAuthError(authenticator.authenticate(basicCredentials(SECRET)));

    expect(error.error).toBe('invalid_client');
  });

  it('rejects old secret after hash change', async () => {
    const { store, clock, authenticator } = setUp();
    await authenticator.authenticate(basicCredentials(SECRET));
    store.put(registeredClient(await hashClientSecret('new-secret')));
    clock.advance(1000);

    const error = await rejectedOAuthError(authenticator.authenticate(basicCredentials(SECRET)));

    expect(error.error).toBe('invalid_client');
    expect(error.description).toBe(AUTHENTICATION_FAILED);
  });

  it('accepts new secret after hash change', async () => {
    const { store, authenticator } = setUp();
    await authenticator.authenticate(basicCredentials(SECRET));
    store.put(registeredClient(await hashClientSecret('new-secret')));

    const client = await authenticator.authenticate(basicCredentials('new-secret'));

    expect(client.clientId).toBe('service-one');
  });
});
