/**
 * The scheduled rotation of the signing keys, which EventBridge invokes every hour in each
 * region. Every write is conditional on the state and version that the run read (see
 * signing-key-lifecycle.ts). Those conditions hold across regions only in the strong mode, so
 * in the eventual mode only the first region of TABLE_REGIONS rotates, and the others skip.
 */
import { createKeyEncryption } from '../crypto/configured-key-encryption.ts';
import { logger } from '../http/logger.ts';
import { systemClock } from '../oauth/clock.ts';
import {
  SigningKeyAdministration,
  signingKeyLifecycleSettings,
  type ScheduledRotationReport,
} from '../oauth/signing-key-administration.ts';
import { createDocumentClient } from '../storage/dynamodb.ts';
import { SigningKeyRepository } from '../storage/signing-key-repository.ts';
import { config } from '../runtime/config.ts';

const administration = new SigningKeyAdministration(
  new SigningKeyRepository(createDocumentClient(config.dynamodb), config.tableName),
  createKeyEncryption(config.keyEncryption, config.dynamodb.region),
  systemClock,
  signingKeyLifecycleSettings(config),
);

export async function handler(): Promise<ScheduledRotationReport | { skipped: string }> {
  const rotatingRegion = config.tableRegions[0];
  if (config.consistencyMode === 'eventual' && rotatingRegion !== config.dynamodb.region) {
    logger.info('signing key rotation skipped', { rotatingRegion });
    return { skipped: `keys rotate in ${rotatingRegion}` };
  }

  const report = await administration.runScheduledRotation();
  logger.info('signing key rotation finished', { ...report });
  return report;
}
