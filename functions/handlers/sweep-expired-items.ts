/**
 * The scheduled sweep of expired items, for the strong consistency mode, which has no TTL.
 * EventBridge invokes it every few minutes in each region; concurrent runs in several regions
 * are safe, because each delete is conditional on the item still being expired.
 */
import { logger } from '../http/logger.ts';
import { systemClock } from '../oauth/clock.ts';
import { createDocumentClient } from '../storage/dynamodb.ts';
import { ExpiredItemSweeper } from '../storage/expired-item-sweeper.ts';
import { config } from '../runtime/config.ts';

const sweeper = new ExpiredItemSweeper(
  createDocumentClient(config.dynamodb),
  config.tableName,
  systemClock,
);

export async function handler(): Promise<{ deleted: number; truncated: boolean }> {
  const result = await sweeper.sweep();
  logger.info('expired items swept', { ...result });
  return { deleted: result.deleted, truncated: result.truncated };
}
