/**
 * The `keys` commands: list the signing keys with their states, rotate them now, and revoke a
 * key. They run SigningKeyAdministration, as the scheduled rotation does, against the target
 * table. Creating a key needs the key encryption of the deployment: KMS on AWS, the key file
 * of the data folder locally.
 */
import { join } from 'node:path';
import type { KeyEncryptionSettings } from '../../functions/config.ts';
import { createKeyEncryption } from '../../functions/crypto/configured-key-encryption.ts';
import { ensureKeyEncryptionKeyFile } from '../../functions/crypto/local-file-key-encryption.ts';
import { systemClock } from '../../functions/oauth/clock.ts';
import {
  SigningKeyAdministration,
  signingKeyLifecycleSettings,
  UnknownSigningKeyError,
  type RotationResult,
  type SigningKeyInfo,
} from '../../functions/oauth/signing-key-administration.ts';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../functions/oauth/signing-keys.ts';
import { SigningKeyRepository } from '../../functions/storage/signing-key-repository.ts';
import { columns } from './client-view.ts';
import {
  booleanOption,
  listOption,
  stringOption,
  type CommandSpec,
  type GroupSpec,
  type Invocation,
  type OptionSpec,
} from './command.ts';
import { NotFoundError, UsageError } from './errors.ts';
import { isoTime } from './io.ts';
import type { AdminTable } from './target.ts';

/** The local server's key-encryption key file, in its data folder. */
const LOCAL_KEY_FILE = 'key-encryption-key';

/**
 * The server settings that the key lifecycle derives its periods from, with the server's
 * defaults, as the variables of the same names set them.
 */
const LIFECYCLE_VARIABLES = {
  KEY_ROTATION_DAYS: { min: 1, max: 365, fallback: 30 },
  ACCESS_TOKEN_LIFETIME_SECONDS: { min: 60, max: 86_400, fallback: 3600 },
  ID_TOKEN_LIFETIME_SECONDS: { min: 60, max: 86_400, fallback: 300 },
  MEMORY_CACHE_SECONDS: { min: 0, max: 3600, fallback: 60 },
} as const;

const KMS_KEY_OPTION: OptionSpec = {
  type: 'string',
  value: 'ARN',
  description:
    'KMS key that encrypts new private keys on AWS (default: KEY_ENCRYPTION_KMS_KEY_ID).',
};

const LIFECYCLE_NOTE =
  'The lifecycle periods follow KEY_ROTATION_DAYS, ACCESS_TOKEN_LIFETIME_SECONDS, ' +
  'ID_TOKEN_LIFETIME_SECONDS and MEMORY_CACHE_SECONDS: set them as the deployment does when ' +
  'it changes their defaults, so that a retired key stays published until its tokens expire.';

async function openAdministration(invocation: Invocation): Promise<SigningKeyAdministration> {
  const table = await invocation.openTable();
  const settings = await keyEncryptionSettings(invocation, table);
  return new SigningKeyAdministration(
    new SigningKeyRepository(table.documents, table.tableName),
    createKeyEncryption(settings, table.region),
    systemClock,
    signingKeyLifecycleSettings(lifecycleConfig(invocation.io.env)),
  );
}

/**
 * Chooses the key encryption: --kms-key-id first, then the key file of the running local
 * server, because a key that the server cannot decrypt would break signing. Next come the
 * server's variables, and last the data folder's default key file, which is created when
 * missing, as the server creates it.
 */
async function keyEncryptionSettings(
  invocation: Invocation,
  table: AdminTable,
): Promise<KeyEncryptionSettings | undefined> {
  const env = invocation.io.env;
  const kmsOption = stringOption(invocation.options, 'kms-key-id');
  if (kmsOption !== undefined) return { kind: 'kms', keyId: kmsOption };
  if (table.keyEncryptionKeyFile !== undefined) {
    return { kind: 'local-file', path: table.keyEncryptionKeyFile };
  }
  if (env.KEY_ENCRYPTION_KMS_KEY_ID) return { kind: 'kms', keyId: env.KEY_ENCRYPTION_KMS_KEY_ID };
  if (env.KEY_ENCRYPTION_KEY_FILE) return { kind: 'local-file', path: env.KEY_ENCRYPTION_KEY_FILE };
  if (table.dataDirectory === undefined) return undefined;

  const path = join(table.dataDirectory, LOCAL_KEY_FILE);
  await ensureKeyEncryptionKeyFile(path);
  return { kind: 'local-file', path };
}

function lifecycleConfig(env: NodeJS.ProcessEnv) {
  const value = (name: keyof typeof LIFECYCLE_VARIABLES): number => {
    const { min, max, fallback } = LIFECYCLE_VARIABLES[name];
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const number = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
    if (!(number >= min && number <= max)) {
      throw new UsageError(`${name}=${text} is invalid: use a whole number from ${min} to ${max}.`);
    }
    return number;
  };
  return {
    keyRotationDays: value('KEY_ROTATION_DAYS'),
    accessTokenLifetimeSeconds: value('ACCESS_TOKEN_LIFETIME_SECONDS'),
    idTokenLifetimeSeconds: value('ID_TOKEN_LIFETIME_SECONDS'),
    memoryCacheSeconds: value('MEMORY_CACHE_SECONDS'),
  };
}

function keyJson(key: SigningKeyInfo): Record<string, unknown> {
  const time = (value: number | undefined) =>
    value === undefined ? undefined : isoTime(value, 'milliseconds');
  return {
    kid: key.kid,
    algorithm: key.algorithm,
    state: key.state,
    generation: key.generation,
    createdAt: time(key.createdAt),
    ...(key.activatedAt === undefined ? {} : { activatedAt: time(key.activatedAt) }),
    ...(key.retireAfter === undefined ? {} : { retireAfter: time(key.retireAfter) }),
    ...(key.revokedAt === undefined ? {} : { revokedAt: time(key.revokedAt) }),
  };
}

const list: CommandSpec = {
  name: 'list',
  summary: 'List the signing keys with their states: next, current, retired or revoked',
  arguments: [],
  options: {},
  notes: [
    'A next key is published in the JWKS but does not sign yet; the current key signs; a ' +
      'retired key stays published until the tokens it signed expire (RETIRE AFTER); a ' +
      'revoked key is neither published nor accepted. Private keys are never printed.',
  ],
  async run(invocation) {
    const keys = await (await openAdministration(invocation)).listKeys();
    const rows = keys.map((key) => {
      const json = keyJson(key);
      return [
        key.kid,
        key.algorithm,
        key.state,
        String(key.generation),
        String(json.createdAt ?? ''),
        String(json.activatedAt ?? ''),
        String(json.retireAfter ?? json.revokedAt ?? ''),
      ];
    });
    const header = ['KID', 'ALG', 'STATE', 'GEN', 'CREATED', 'ACTIVATED', 'RETIRE AFTER/REVOKED'];
    return {
      text: rows.length === 0 ? 'No signing keys yet.' : columns(header, rows),
      json: { keys: keys.map(keyJson) },
    };
  },
};

const rotate: CommandSpec = {
  name: 'rotate',
  summary: 'Rotate the signing keys now, whatever the age of the current key',
  arguments: [],
  options: {
    algorithm: {
      type: 'string',
      multiple: true,
      value: 'ALG',
      description: `Rotate only this algorithm: ${SIGNING_ALGORITHMS.join(', ')} (default: all).`,
    },
    immediate: {
      type: 'boolean',
      description:
        'Promote the new key at once, before every cached JWKS can contain it. Relying ' +
        'parties with an older copy reject its tokens until they fetch the JWKS again.',
    },
    'kms-key-id': KMS_KEY_OPTION,
  },
  notes: [
    'Without --immediate, a rotation first publishes a next key; run it again once the key ' +
      'has been published for the publication period (JWKS max-age plus MEMORY_CACHE_SECONDS ' +
      'plus a margin) to promote it. The promoted key signs, and the previous one is retired.',
    LIFECYCLE_NOTE,
  ],
  async run(invocation) {
    const algorithms = parseAlgorithms(listOption(invocation.options, 'algorithm'));
    const immediate = booleanOption(invocation.options, 'immediate') === true;
    const administration = await openAdministration(invocation);
    await invocation.confirm(
      immediate
        ? `Rotate the ${algorithms.join(', ')} signing keys now, promoting new keys at once?`
        : `Rotate the ${algorithms.join(', ')} signing keys?`,
    );

    const results: Partial<Record<SigningAlgorithm, RotationResult>> = {};
    for (const algorithm of algorithms) {
      results[algorithm] = await administration.rotate(algorithm, { immediate });
    }
    const keys = await administration.listKeys();
    const text = algorithms.map((algorithm) =>
      rotationText(algorithm, results[algorithm] ?? {}, keys),
    );
    return { text: text.join('\n'), json: { rotations: results, keys: keys.map(keyJson) } };
  },
};

function parseAlgorithms(values: string[] | undefined): SigningAlgorithm[] {
  if (values === undefined) return [...SIGNING_ALGORITHMS];
  const known: readonly string[] = SIGNING_ALGORITHMS;
  const algorithms = values.flatMap((value) => value.split(',')).map((value) => value.trim());
  const unknown = algorithms.filter((algorithm) => !known.includes(algorithm));
  if (unknown.length > 0) {
    throw new UsageError(
      `--algorithm ${unknown[0]} is invalid: use one of ${SIGNING_ALGORITHMS.join(', ')}.`,
    );
  }
  return [...new Set(algorithms)] as SigningAlgorithm[];
}

/** Describes what a rotation wrote, with the state in which it left a created key. */
function rotationText(
  algorithm: SigningAlgorithm,
  result: RotationResult,
  keys: SigningKeyInfo[],
): string {
  const { created, promoted, retired } = result;
  const changes: string[] = [];
  if (created !== undefined && created === promoted) {
    changes.push(`created ${created} and made it the current key`);
  } else {
    if (promoted !== undefined) changes.push(`promoted ${promoted} to the current key`);
    if (created !== undefined) {
      const state = keys.find((key) => key.kid === created)?.state ?? 'next';
      changes.push(
        state === 'current'
          ? `created ${created} as the current key`
          : `created ${created} as the next key, published now, which signs once a later ` +
              'rotation promotes it',
      );
    }
  }
  if (retired !== undefined) changes.push(`retired ${retired}`);
  if (changes.length === 0) {
    return (
      `${algorithm}: no change. The next key has not been published long enough to be ` +
      'promoted: run the rotation again later, or with --immediate.'
    );
  }
  return `${algorithm}: ${changes.join('; ')}.`;
}

const revoke: CommandSpec = {
  name: 'revoke',
  summary: 'Revoke a signing key: it leaves the JWKS and its tokens stop verifying',
  arguments: ['kid'],
  options: { 'kms-key-id': KMS_KEY_OPTION },
  notes: [
    'A revoked current key is replaced at once, by the next key or by a new key. The private ' +
      'key is erased. Function instances notice within MEMORY_CACHE_SECONDS (60 by default).',
    LIFECYCLE_NOTE,
  ],
  async run(invocation) {
    const kid = invocation.arguments[0] ?? '';
    const administration = await openAdministration(invocation);
    const key = (await administration.listKeys()).find((candidate) => candidate.kid === kid);
    if (key === undefined) throw new NotFoundError(`No signing key has kid ${kid}.`);
    if (key.state === 'revoked') {
      return {
        text: `The signing key ${kid} was already revoked.`,
        json: { key: keyJson(key), alreadyRevoked: true },
      };
    }
    await invocation.confirm(
      `Revoke the ${key.state} ${key.algorithm} signing key ${kid}? Every token it signed ` +
        'stops verifying. This cannot be undone.',
    );
    try {
      await administration.revoke(kid);
    } catch (error) {
      if (error instanceof UnknownSigningKeyError) {
        throw new NotFoundError(`No signing key has kid ${kid}.`);
      }
      throw error;
    }
    const revoked = (await administration.listKeys()).find((candidate) => candidate.kid === kid);
    return {
      text: `Revoked the signing key ${kid}.`,
      json: { key: keyJson(revoked ?? key), alreadyRevoked: false },
    };
  },
};

export const keyCommands: GroupSpec = {
  name: 'keys',
  summary: 'List, rotate and revoke the signing keys',
  commands: [list, rotate, revoke],
};
