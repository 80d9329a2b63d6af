/**
 * KmsKeyEncryption against a mocked KMS client: KMS cannot run here, and the tests must never
 * reach AWS. The mock imitates GenerateDataKey and Decrypt for one symmetric key: it wraps
 * data keys under a key of its own and, as KMS does, refuses a Decrypt whose key id or
 * encryption context differs from those of GenerateDataKey.
 */
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decryptAesGcm,
  encryptAesGcm,
  type AesGcmCiphertext,
} from '../../functions/crypto/envelope.ts';
import { KmsKeyEncryption, type KmsClient } from '../../functions/crypto/kms-key-encryption.ts';
import { LocalFileKeyEncryption } from '../../functions/crypto/local-file-key-encryption.ts';
import { generateKeyPairJwks } from '../../functions/oauth/signing-key-lifecycle.ts';
import { rejectionOf } from './support.ts';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab';

/** A stand-in for KMS with one key, which records every command it receives. */
class MockKms {
  readonly commands: Array<GenerateDataKeyCommand | DecryptCommand> = [];
  readonly #wrappingKey = randomBytes(32);
  readonly #blobs = new Map<string, { context: string; sealed: AesGcmCiphertext }>();
  returnNoPlaintext = false;
  /** The name of an error that every call throws, as during a KMS outage. */
  failWith: string | undefined;

  readonly client = {
    send: (command: GenerateDataKeyCommand | DecryptCommand) => this.#send(command),
  } as KmsClient;

  async #send(command: GenerateDataKeyCommand | DecryptCommand) {
    this.commands.push(command);
    if (this.failWith !== undefined) throw kmsError(this.failWith);
    if (command.input.KeyId !== KEY_ARN) throw kmsError('NotFoundException');
    const context = JSON.stringify(command.input.EncryptionContext ?? {});

    if (command instanceof GenerateDataKeyCommand) {
      const dataKey = randomBytes(32);
      const blob = randomBytes(16);
      const sealed = encryptAesGcm(this.#wrappingKey, dataKey, Buffer.from(context));
      this.#blobs.set(blob.toString('hex'), { context, sealed });
      return {
        KeyId: KEY_ARN,
        CiphertextBlob: new Uint8Array(blob),
        Plaintext: this.returnNoPlaintext ? undefined : new Uint8Array(dataKey),
      };
    }

    const stored = this.#blobs.get(Buffer.from(command.input.CiphertextBlob ?? []).toString('hex'));
    if (stored === undefined || stored.context !== context) {
      throw kmsError('InvalidCiphertextException');
    }
    const plaintext = decryptAesGcm(this.#wrappingKey, stored.sealed, Buffer.from(context));
    return { KeyId: KEY_ARN, Plaintext: new Uint8Array(plaintext) };
  }
}

function kmsError(name: string): Error {
  const error = new Error(`mocked KMS ${name}`);
  error.name = name;
  return error;
}

describe('KmsKeyEncryption', () => {
  it('requests AES-256 data key', async () => {
    const kms = new MockKms();
    const { kid, privateJwk } = await generateKeyPairJwks('ES256');

    await new KmsKeyEncryption(kms.client, KEY_ARN).encrypt(privateJwk, kid);

    expect(kms.commands).toHaveLength(1);
    expect(kms.commands[0]).toBeInstanceOf(GenerateDataKeyCommand);
    expect(kms.commands[0]?.input).toEqual({
      KeyId: KEY_ARN,
      KeySpec: 'AES_256',
      EncryptionContext: { purpose: 'oauth-signing-key', kid },
    });
  });

  it('stores only encrypted data key', async () => {
    const kms = new MockKms();
    const { kid, privateJwk } = await generateKeyPairJwks('ES256');

    const encrypted = await new KmsKeyEncryption(kms.client, KEY_ARN).encrypt(privateJwk, kid);

    expect(Object.keys(encrypted).sort()).toEqual([
      'ciphertext',
      'encryptedDataKey',
      'iv',
      'keyEncryption',
      'tag',
    ]);
    expect(encrypted.keyEncryption).toBe('kms');
    expect(Buffer.from(encrypted.encryptedDataKey, 'base64url')).toHaveLength(16);
    expect(Buffer.from(encrypted.iv, 'base64url')).toHaveLength(12);
    expect(Buffer.from(encrypted.tag, 'base64url')).toHaveLength(16);
    expect(JSON.stringify(encrypted)).not.toContain(String(privateJwk.d));
  });

  it('decrypts with key id and context', async () => {
    const kms = new MockKms();
    const encryption = new KmsKeyEncryption(kms.client, KEY_ARN);
    const { kid, privateJwk } = await generateKeyPairJwks('RS256');
    const encrypted = await encryption.encrypt(privateJwk, kid);

    const decrypted = await encryption.decrypt(encrypted, kid);

    expect(decrypted).toEqual(privateJwk);
    expect(kms.commands[1]).toBeInstanceOf(DecryptCommand);
    expect(kms.commands[1]?.input).toEqual({
      KeyId: KEY_ARN,
      CiphertextBlob: Buffer.from(encrypted.encryptedDataKey, 'base64url'),
      EncryptionContext: { purpose: 'oauth-signing-key', kid },
    });
  });

  it('rejects ciphertext of another kid', async () => {
    const kms = new MockKms();
    const encryption = new KmsKeyEncryption(kms.client, KEY_ARN);
    const { kid, privateJwk } = await generateKeyPairJwks('ES256');
    const encrypted = await encryption.encrypt(privateJwk, kid);

    const failure = await rejectionOf(encryption.decrypt(encrypted, 'another-kid'));

    expect(failure).toHaveProperty('name', 'InvalidCiphertextException');
  });

  it('rejects tampered ciphertext', async () => {
    const kms = new MockKms();
    const encryption = new KmsKeyEncryption(kms.client, KEY_ARN);
    const { kid, privateJwk } = await generateKeyPairJwks('ES256');
    const encrypted = await encryption.encrypt(privateJwk, kid);
    const ciphertext = Buffer.from(encrypted.ciphertext, 'base64url');
    ciphertext[0] = (ciphertext[0] ?? 0) ^ 1;

    const failure = await rejectionOf(
      encryption.decrypt({ ...encrypted, ciphertext: ciphertext.toString('base64url') }, kid),
    );

    expect(failure).toHaveProperty('message', 'Unsupported state or unable to authenticate data');
  });

  it('rejects key of local key file', async () => {
    const kms = new MockKms();
    const { kid, privateJwk } = await generateKeyPairJwks('ES256');
    const local = await LocalFileKeyEncryption.withKey(randomBytes(32)).encrypt(privateJwk, kid);

    const encryption = new KmsKeyEncryption(kms.client, KEY_ARN);
    const failure = await rejectionOf(encryption.decrypt(local, kid));

    expect(failure).toHaveProperty(
      'message',
      `The private key of signing key ${kid} was encrypted with local-file, but this server ` +
        'decrypts with KMS (KEY_ENCRYPTION_KMS_KEY_ID).',
    );
    expect(kms.commands).toHaveLength(0);
  });

  it('reports throttling as unavailable', async () => {
    const kms = new MockKms();
    kms.failWith = 'ThrottlingException';
    const encryption = new KmsKeyEncryption(kms.client, KEY_ARN);
    const { privateJwk } = await generateKeyPairJwks('ES256');

    const error = await rejectionOf(encryption.encrypt(privateJwk, 'throttled'));

    expect(error).toHaveProperty('name', 'StorageUnavailableError');
    expect(error).toHaveProperty('message', 'KMS GenerateDataKey failed');
  });

  it('fails without plaintext data key', async () => {
    const kms = new MockKms();
    kms.returnNoPlaintext = true;
    const { kid, privateJwk } = await generateKeyPairJwks('ES256');

    const failure = await rejectionOf(
      new KmsKeyEncryption(kms.client, KEY_ARN).encrypt(privateJwk, kid),
    );

    expect(failure).toHaveProperty('message', 'KMS GenerateDataKey returned no data key.');
  });
});
