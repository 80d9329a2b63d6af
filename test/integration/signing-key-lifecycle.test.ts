/**
 * The signing key lifecycle against dynalite: the conditional writes of SigningKeyRepository,
 * concurrent rotations by several SigningKeyAdministration instances, as the scheduled job
 * runs in several regions at once, and keys that older versions stored in plaintext.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CompactSign, compactVerify, importJWK } from 'jose';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalFileKeyEncryption } from '../../functions/crypto/local-file-key-encryption.ts';
import type { Clock } from '../../functions/oauth/clock.ts';
import {
  SigningKeyAdministration,
  signingKeyLifecycleSettings,
} from '../../functions/oauth/signing-key-administration.ts';
import {
  generateKeyPairJwks,
  generateSigningKey,
} from '../../functions/oauth/signing-key-lifecycle.ts';
import { SigningKeys, type StoredSigningKey } from '../../functions/oauth/signing-keys.ts';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import { SigningKeyRepository } from '../../functions/storage/signing-key-repository.ts';
import { signingKeyKey } from '../../functions/storage/table.ts';
import {
  LOCAL_CREDENTIALS,
  startTestTable,
  TEST_REGION,
  TEST_TABLE,
  type TestTable,
} from '../support/dynalite.ts';

const DAY = 86_400_000;
const INSTANCES = 8;
const KEY_ENCRYPTION = LocalFileKeyEncryption.withKey(randomBytes(32));
const SETTINGS = signingKeyLifecycleSettings({
  keyRotationDays: 30,
  accessTokenLifetimeSeconds: 3_600,
  idTokenLifetimeSeconds: 300,
  memoryCacheSeconds: 60,
});

/** A clock shared by every instance of a test, moved only by the test. */
class TestClock implements Clock {
  time = Date.UTC(2024, 0, 1);

  now(): number {
    return this.time;
  }
}

let table: TestTable;
let documents: DynamoDBDocumentClient;
let clock: TestClock;

beforeAll(async () => {
  table = await startTestTable();
  documents = createDocumentClient({
    region: TEST_REGION,
    endpoint: table.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
});

afterAll(async () => {
  documents?.destroy();
  await table?.close();
});

/** Each test starts without signing keys. */
beforeEach(async () => {
  clock = new TestClock();
  const repository = new SigningKeyRepository(documents, TEST_TABLE);
  for (const key of await repository.listSigningKeys()) {
    await repository.deleteSigningKey(key);
  }
});

function repository(): SigningKeyRepository {
  return new SigningKeyRepository(documents, TEST_TABLE);
}

function administration(): SigningKeyAdministration {
  return new SigningKeyAdministration(repository(), KEY_ENCRYPTION, clock, SETTINGS);
}

async function states(): Promise<string[]> {
  const keys = await repository().listSigningKeys();
  return keys
    .filter((key) => key.algorithm === 'ES256')
    .map((key) => `${key.generation}:${key.state}`);
}

function newKey(generation: number, state: 'next' | 'current' = 'current') {
  return generateSigningKey('ES256', generation, state, { keyEncryption: KEY_ENCRYPTION, clock });
}

/** Writes a key item as versions before key states and key encryption did. */
async function putPlaintextKey(): Promise<StoredSigningKey> {
  const { kid, publicJwk, privateJwk } = await generateKeyPairJwks('ES256');
  const legacy = {
    kid,
    algorithm: 'ES256' as const,
    generation: 1,
    publicJwk,
    privateJwk,
    createdAt: clock.now(),
  };
  await documents.send(
    new PutCommand({ TableName: TEST_TABLE, Item: { ...signingKeyKey('ES256', 1), ...legacy } }),
  );
  return { ...legacy, state: 'current', version: 0 };
}

async function storedItem(generation: number) {
  const { Item: item } = await documents.send(
    new GetCommand({ TableName: TEST_TABLE, Key: signingKeyKey('ES256', generation) }),
  );
  return item;
}

describe('SigningKeyRepository', () => {
  it('reads back created key', async () => {
    const key = await newKey(1);

    const created = await repository().createSigningKey(key);

    expect(created).toBe(true);
    expect(await repository().listSigningKeys()).toEqual([key]);
  });

  it('rejects second key of same generation', async () => {
    await repository().createSigningKey(await newKey(1));

    const created = await repository().createSigningKey(await newKey(1));

    expect(created).toBe(false);
    expect(await repository().listSigningKeys()).toHaveLength(1);
  });

  it('updates only the version that was read', async () => {
    const key = await newKey(2, 'next');
    await repository().createSigningKey(key);
    const promoted = await repository().updateSigningKey(key, {
      state: 'current',
      activatedAt: clock.now(),
    });

    const stale = await repository().updateSigningKey(key, { state: 'revoked' });

    expect(promoted).toBe(true);
    expect(stale).toBe(false);
    expect(await storedItem(2)).toMatchObject({ state: 'current', version: 2 });
  });

  it('erases private key on request', async () => {
    const key = await newKey(1);
    await repository().createSigningKey(key);

    await repository().updateSigningKey(key, {
      state: 'retired',
      retireAfter: clock.now() + 1_000,
      encryptedPrivateKey: null,
    });

    const item = await storedItem(1);
    expect(item).not.toHaveProperty('encryptedPrivateKey');
    expect(item).toMatchObject({ state: 'retired', version: 2, retireAfter: clock.now() + 1_000 });
  });

  it('does not recreate deleted key', async () => {
    const key = await newKey(1);
    await repository().createSigningKey(key);
    await repository().deleteSigningKey(key);

    const updated = await repository().updateSigningKey(key, { state: 'revoked' });

    expect(updated).toBe(false);
    expect(await storedItem(1)).toBeUndefined();
  });

  it('reads plaintext key as current version 0', async () => {
    const legacy = await putPlaintextKey();

    const keys = await repository().listSigningKeys();

    expect(keys).toEqual([legacy]);
  });
});

describe('plaintext key of older version', () => {
  it('signs with it', async () => {
    const legacy = await putPlaintextKey();
    const signingKeys = new SigningKeys(repository(), clock, 60, KEY_ENCRYPTION);

    const key = await signingKeys.current();
    const signature = await new CompactSign(new TextEncoder().encode('payload'))
      .setProtectedHeader({ alg: 'ES256' })
      .sign(key.privateKey);

    expect(key.kid).toBe(legacy.kid);
    const publicKey = await importJWK(legacy.publicJwk, 'ES256');
    await expect(compactVerify(signature, publicKey)).resolves.toHaveProperty('payload');
  });

  it('is encrypted by scheduled rotation', async () => {
    const legacy = await putPlaintextKey();

    const report = await administration().runScheduledRotation();

    expect(report.encrypted).toEqual([legacy.kid]);
    const item = await storedItem(1);
    expect(item).not.toHaveProperty('privateJwk');
    expect(item).toMatchObject({ state: 'current', version: 1, activatedAt: legacy.createdAt });
    expect(item?.encryptedPrivateKey?.keyEncryption).toBe('local-file');
    const signingKeys = new SigningKeys(repository(), clock, 60, KEY_ENCRYPTION);
    expect((await signingKeys.current()).kid).toBe(legacy.kid);
  });

  it('can be revoked', async () => {
    const legacy = await putPlaintextKey();

    await administration().revoke(legacy.kid);

    const item = await storedItem(1);
    expect(item).not.toHaveProperty('privateJwk');
    expect(item).toMatchObject({ state: 'revoked', version: 1, revokedAt: clock.now() });
    expect(await states()).toEqual(['1:revoked', '2:current']);
  });
});

describe('concurrent rotations', () => {
  it('create one next key', async () => {
    await repository().createSigningKey(await newKey(1));
    const instances = Array.from({ length: INSTANCES }, () => administration());

    const reports = await Promise.all(instances.map((instance) => instance.runScheduledRotation()));

    const created = reports.map((report) => report.rotations.ES256?.created).filter(Boolean);
    expect(created).toHaveLength(1);
    expect(await states()).toEqual(['1:current', '2:next']);
  });

  it('promote once', async () => {
    await repository().createSigningKey(await newKey(1));
    await administration().runScheduledRotation();
    clock.time += 30 * DAY;
    const instances = Array.from({ length: INSTANCES }, () => administration());

    const reports = await Promise.all(instances.map((instance) => instance.runScheduledRotation()));

    const rotations = reports.map((report) => report.rotations.ES256).filter(Boolean);
    expect(rotations).toHaveLength(1);
    expect(Object.keys(rotations[0] ?? {}).sort()).toEqual(['created', 'promoted', 'retired']);
    expect(await states()).toEqual(['1:retired', '2:current', '3:next']);
  });

  it('promote once with immediate rotate', async () => {
    await repository().createSigningKey(await newKey(1));
    const instances = Array.from({ length: INSTANCES }, () => administration());

    const results = await Promise.all(
      instances.map((instance) => instance.rotate('ES256', { immediate: true })),
    );

    expect(results.filter((result) => result.promoted !== undefined)).toHaveLength(1);
    expect(results.filter((result) => result.created !== undefined)).toHaveLength(1);
    expect(await states()).toEqual(['1:retired', '2:current']);
  });
});
