import { beforeAll, describe, expect, it } from 'vitest';
import { CachedClientStore } from '../../functions/oauth/cached-client-store.ts';
import { hashClientSecret } from '../../functions/oauth/client-secret.ts';
import type { SecretHash } from '../../functions/oauth/client.ts';
import { FrozenClock, InMemoryClientStore, registeredClient, rejectionOf } from './support.ts';

const CACHE_SECONDS = 60;

describe('CachedClientStore', () => {
  let secretHash: SecretHash;

  beforeAll(async () => {
    secretHash = await hashClientSecret('secret');
  });

  function setUp(cacheSeconds = CACHE_SECONDS) {
    const store = new InMemoryClientStore();
    store.put(registeredClient(secretHash, { scopes: ['read'] }));
    const clock = new FrozenClock();
    const cached = new CachedClientStore(store, clock, cacheSeconds);
    return { store, clock, cached };
  }

  it('returns stored client', async () => {
    const { cached } = setUp();

    const client = await cached.findClient('service-one');

    expect(client?.scopes).toEqual(['read']);
  });

  it('serves repeat lookup from cache', async () => {
    const { store, clock, cached } = setUp();
    await cached.findClient('service-one');
    clock.advance(CACHE_SECONDS * 1000 - 1);

    await cached.findClient('service-one');

    expect(store.reads).toBe(1);
  });

  it('serves cached metadata before expiry', async () => {
    const { store, clock, cached } = setUp();
    await cached.findClient('service-one');
    store.put(registeredClient(secretHash, { scopes: ['read', 'write'] }));
    clock.advance(CACHE_SECONDS * 1000 - 1);

    const client = await cached.findClient('service-one');

    expect(client?.scopes).toEqual(['read']);
  });

  it('rereads client after expiry', async () => {
    const { store, clock, cached } = setUp();
    await cached.findClient('service-one');
    store.put(registeredClient(secretHash, { scopes: ['read', 'write'] }));
    clock.advance(CACHE_SECONDS * 1000);

    const client = await cached.findClient('service-one');

    expect(client?.scopes).toEqual(['read', 'write']);
    expect(store.reads).toBe(2);
  });

  it('caches each client id separately', async () => {
    const { store, cached } = setUp();
    store.put(registeredClient(secretHash, { clientId: 'service-two' }));
    await cached.findClient('service-one');

    const client = await cached.findClient('service-two');

    expect(client?.clientId).toBe('service-two');
    expect(store.reads).toBe(2);
  });

  it('returns undefined for unknown id', async () => {
    const { cached } = setUp();

    const client = await cached.findClient('unknown');

    expect(client).toBeUndefined();
  });

  it('caches unknown id below 5 s', async () => {
    const { store, clock, cached } = setUp();
    await cached.findClient('unknown');
    clock.advance(4_999);

    await cached.findClient('unknown');

    expect(store.reads).toBe(1);
  });

  it('rereads unknown id after 5 s', async () => {
    const { store, clock, cached } = setUp();
    await cached.findClient('service-new');
    store.put(registeredClient(secretHash, { clientId: 'service-new' }));
    clock.advance(5_000);

    const client = await cached.findClient('service-new');

    expect(client?.clientId).toBe('service-new');
    expect(store.reads).toBe(2);
  });

  it('caps unknown id at cache time', async () => {
    const { store, clock, cached } = setUp(2);
    await cached.findClient('unknown');
    clock.advance(2_000);

    await cached.findClient('unknown');

    expect(store.reads).toBe(2);
  });

  it('caches nothing with zero time', async () => {
    const { store, cached } = setUp(0);
    await cached.findClient('service-one');

    await cached.findClient('service-one');

    expect(store.reads).toBe(2);
  });

  it('does not cache failed read', async () => {
    const { store, cached } = setUp();
    store.failNextRead(new Error('table unavailable'));
    const failure = await rejectionOf(cached.findClient('service-one'));

    const client = await cached.findClient('service-one');

    expect(failure).toHaveProperty('message', 'table unavailable');
    expect(client?.clientId).toBe('service-one');
    expect(store.reads).toBe(2);
  });

  it('shares one read between concurrent lookups', async () => {
    const { store, cached } = setUp();

    const clients = await Promise.all([
      cached.findClient('service-one'),
      cached.findClient('service-one'),
      cached.findClient('service-one'),
    ]);

    expect(store.reads).toBe(1);
    expect(clients.map((client) => client?.clientId)).toEqual([
      'service-one',
      'service-one',
      'service-one',
    ]);
  });

  it('shares one failure between concurrent lookups', async () => {
    const { store, cached } = setUp();
    store.failNextRead(new Error('table unavailable'));

    const failures = await Promise.all([
      rejectionOf(cached.findClient('service-one')),
      rejectionOf(cached.findClient('service-one')),
    ]);

    expect(store.reads).toBe(1);
    expect(failures[0]).toBe(failures[1]);
  });
});
