/**
 * An in-memory cache in front of a client store, so that a warm function serves client
 * metadata without a table read. Unknown client ids are remembered for a shorter time, so a
 * newly registered client works within seconds while a flood of made-up ids stays cheap.
 */
import type { ClientStore, RegisteredClient } from './client.ts';
import type { Clock } from './clock.ts';

interface Entry {
  client: Promise<RegisteredClient | undefined>;
  expiresAt: number;
}

const MAX_UNKNOWN_CLIENT_SECONDS = 5;
const MAX_ENTRIES = 10_000;

export class CachedClientStore implements ClientStore {
  readonly #store: ClientStore;
  readonly #clock: Clock;
  readonly #cacheMilliseconds: number;
  readonly #entries = new Map<string, Entry>();

  constructor(store: ClientStore, clock: Clock, cacheSeconds: number) {
    this.#store = store;
    this.#clock = clock;
    this.#cacheMilliseconds = cacheSeconds * 1000;
  }

  findClient(clientId: string): Promise<RegisteredClient | undefined> {
    const now = this.#clock.now();
    const cached = this.#entries.get(clientId);
    if (cached !== undefined && cached.expiresAt > now) return cached.client;

    // Concurrent requests for one client share a single read.
    const client = this.#store.findClient(clientId);
    const entry: Entry = { client, expiresAt: now + this.#cacheMilliseconds };
    this.#remember(clientId, entry);

    client.then(
      (found) => {
        if (found === undefined) {
          const unknownMilliseconds = MAX_UNKNOWN_CLIENT_SECONDS * 1000;
          entry.expiresAt = now + Math.min(this.#cacheMilliseconds, unknownMilliseconds);
        }
      },
      () => {
        // A failed read is not cached: the next request tries the store again.
        if (this.#entries.get(clientId) === entry) this.#entries.delete(clientId);
      },
    );
    return client;
  }

  forget(clientId: string): void {
    this.#entries.delete(clientId);
  }

  #remember(clientId: string, entry: Entry): void {
    this.#entries.delete(clientId);
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(clientId, entry);
  }
}
