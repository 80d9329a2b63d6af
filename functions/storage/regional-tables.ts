/**
 * The table's replicas as seen from one region. Reads and ordinary writes go to the local
 * replica. In the eventual consistency mode of a global table, a conditional write is checked
 * only against the replica that receives it, so the same single-use item (an authorization
 * code, a refresh token) could be consumed once in each of two regions before replication
 * catches up. Consuming writes therefore go to the item's home region, the region that created
 * it, while that region responds, and fall back to the local replica only when it does not.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../oauth/clock.ts';
import { logger } from '../http/logger.ts';
import { countEvent } from '../http/metrics.ts';
import { StorageUnavailableError } from './errors.ts';

export type ConsistencyMode = 'eventual' | 'strong';

/** The router of consuming writes of single-use items to a replica. */
export interface ConsumingWrites {
  consume<Result>(
    homeRegion: string | undefined,
    write: (documents: DynamoDBDocumentClient) => Promise<Result>,
  ): Promise<Result>;
}

/** Sends every consuming write to one replica: for one region, tests and the local server. */
export function localWrites(documents: DynamoDBDocumentClient): ConsumingWrites {
  return { consume: (_homeRegion, write) => write(documents) };
}

export interface RegionalTablesSettings {
  localRegion: string;
  mode: ConsistencyMode;
  /** The local replica's client. */
  local: DynamoDBDocumentClient;
  /** Creates a client of another region's replica, for consuming writes. */
  connect(region: string): DynamoDBDocumentClient;
  /** The regions of the table's replicas. */
  regions: readonly string[];
  clock: Clock;
}

/** After a home region fails to respond, consuming writes skip it for this long. */
const HOME_REGION_BACKOFF_MILLISECONDS = 30_000;

export class RegionalTables implements ConsumingWrites {
  readonly #settings: RegionalTablesSettings;
  readonly #remote = new Map<string, DynamoDBDocumentClient>();
  readonly #unavailableUntil = new Map<string, number>();
  /** How many consuming writes fell back to the local replica, for tests and metrics. */
  fallbacks = 0;

  constructor(settings: RegionalTablesSettings) {
    this.#settings = settings;
  }

  get localRegion(): string {
    return this.#settings.localRegion;
  }

  get local(): DynamoDBDocumentClient {
    return this.#settings.local;
  }

  /**
   * Runs a consuming write against the home region's replica, or against the local one when
   * the home region is this region, is unknown, or does not respond. A failed condition is a
   * response, so it is not retried elsewhere.
   */
  async consume<Result>(
    homeRegion: string | undefined,
    write: (documents: DynamoDBDocumentClient) => Promise<Result>,
  ): Promise<Result> {
    const home = this.#homeClient(homeRegion);
    if (home === undefined || homeRegion === undefined) return write(this.local);

    try {
      return await write(home);
    } catch (error) {
      if (!(error instanceof StorageUnavailableError)) throw error;
      this.#unavailableUntil.set(homeRegion, this.#settings.clock.now() + HOME_REGION_BACKOFF_MILLISECONDS);
      this.fallbacks++;
      countEvent('HomeRegionFallbacks');
      logger.warn('home region unavailable, consuming on the local replica', {
        homeRegion,
        localRegion: this.localRegion,
        operation: error.operation,
        cause: error.cause instanceof Error ? error.cause.message : undefined,
      });
      return write(this.local);
    }
  }

  #homeClient(homeRegion: string | undefined): DynamoDBDocumentClient | undefined {
    const { mode, localRegion, regions, clock } = this.#settings;
    // Strongly consistent replicas check conditions across regions: the local one suffices.
    if (mode === 'strong' || homeRegion === undefined || homeRegion === localRegion) return undefined;
    if (!regions.includes(homeRegion)) return undefined;
    if ((this.#unavailableUntil.get(homeRegion) ?? 0) > clock.now()) return undefined;

    let client = this.#remote.get(homeRegion);
    if (client === undefined) {
      client = this.#settings.connect(homeRegion);
      this.#remote.set(homeRegion, client);
    }
    return client;
  }
}
