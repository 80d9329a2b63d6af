/**
 * The file in the data folder in which a running local server publishes the address of its
 * embedded dynalite, for other processes such as the administration command. LevelDB lets only
 * one process open the folder, so the others send their requests to the server's dynalite.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const TABLE_ENDPOINT_FILE = 'dynamodb-endpoint.json';

export interface TableEndpointRecord {
  /** The dynalite URL, on 127.0.0.1. */
  endpoint: string;
  tableName: string;
  /** The local server's process id, to tell a current file from one left by a crash. */
  pid: number;
  /** The key-encryption key file of the server's signing keys, which new keys must use too. */
  keyEncryptionKeyFile?: string;
}

/** Writes the record through a temporary file, so that a reader never sees half of it. */
export async function writeTableEndpoint(
  dataDirectory: string,
  record: TableEndpointRecord,
): Promise<void> {
  const path = join(dataDirectory, TABLE_ENDPOINT_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(record)}\n`);
  await rename(temporary, path);
}

export async function removeTableEndpoint(dataDirectory: string): Promise<void> {
  await rm(join(dataDirectory, TABLE_ENDPOINT_FILE), { force: true });
}

/**
 * Reads the record of the local server that uses the folder. Returns undefined when there is
 * none, when the file is malformed or names an endpoint off loopback, and when its process no
 * longer runs, as after a crash.
 */
export async function readTableEndpoint(
  dataDirectory: string,
): Promise<TableEndpointRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(dataDirectory, TABLE_ENDPOINT_FILE), 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  }
  const record = parseRecord(text);
  if (record === undefined || !isRunning(record.pid)) return undefined;
  return record;
}

function parseRecord(text: string): TableEndpointRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { endpoint, tableName, pid, keyEncryptionKeyFile } = value as Record<string, unknown>;
  if (typeof endpoint !== 'string' || !/^http:\/\/127\.0\.0\.1:\d{1,5}$/.test(endpoint)) {
    return undefined;
  }
  if (typeof tableName !== 'string' || typeof pid !== 'number') return undefined;
  const keyFile = typeof keyEncryptionKeyFile === 'string' ? { keyEncryptionKeyFile } : {};
  return { endpoint, tableName, pid, ...keyFile };
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}
