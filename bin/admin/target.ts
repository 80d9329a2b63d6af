/**
 * The table that the administration commands act on. By default it is the local server's:
 * when the server runs, through the dynalite endpoint that it publishes in the data folder,
 * and otherwise through a dynalite of the command's own, which locks the folder until the
 * command ends. `--endpoint` names any DynamoDB-compatible endpoint, and `--region` with
 * `--stack` or `--table` a deployed table, reached with the AWS SDK's default credentials.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { join } from 'node:path';
import { createDocumentClient } from '../../functions/storage/dynamodb.ts';
import { readTableEndpoint } from '../local/table-endpoint-file.ts';
import { TargetError, UsageError } from './errors.ts';
import { cloudFormationIn, readTableName, type StackReader } from './stack-outputs.ts';

/** The local server's table name and region when none is configured. */
export const DEFAULT_TABLE_NAME = 'oauth-server';
const LOCAL_REGION = 'us-east-1';

/** Fixed credentials for a local endpoint, so the SDK never looks for real ones. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

const repositoryRoot = join(import.meta.dirname, '..', '..');

export interface AdminTable {
  /** Where the commands act, for messages, such as `table oauth-server in eu-west-1`. */
  description: string;
  documents: DynamoDBDocumentClient;
  tableName: string;
  region: string;
  /** The local server's data folder, for a local target. */
  dataDirectory?: string;
  /** The key-encryption key file that the running local server uses, if any. */
  keyEncryptionKeyFile?: string;
  close(): Promise<void>;
}

export interface TargetOptions {
  dataDirectory?: string;
  tableName?: string;
  endpoint?: string;
  region?: string;
  stack?: string;
}

/** Chooses and opens the target table; `stackReader` replaces CloudFormation in tests. */
export async function openTarget(
  options: TargetOptions,
  env: NodeJS.ProcessEnv,
  stackReader: (region: string) => StackReader & { destroy(): void } = cloudFormationIn,
): Promise<AdminTable> {
  if (options.endpoint !== undefined) {
    if (options.stack !== undefined) {
      throw new UsageError('--endpoint and --stack exclude each other: choose one table.');
    }
    return openEndpoint(options.endpoint, options.tableName ?? env.TABLE_NAME, options.region);
  }
  if (options.stack !== undefined || options.region !== undefined) {
    return openDeployedTable(options, env, stackReader);
  }
  const dataDirectory = options.dataDirectory ?? env.DATA_DIR ?? join(repositoryRoot, '.data');
  return openLocalTable(dataDirectory, options.tableName ?? env.TABLE_NAME, env);
}

function openEndpoint(
  endpoint: string,
  tableName: string | undefined,
  region: string | undefined,
): AdminTable {
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    throw new UsageError(`--endpoint ${endpoint} is not an http or https URL.`);
  }
  const name = tableName ?? DEFAULT_TABLE_NAME;
  const endpointRegion = region ?? LOCAL_REGION;
  const documents = createDocumentClient({
    region: endpointRegion,
    endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  return {
    description: `table ${name} at ${endpoint}`,
    documents,
    tableName: name,
    region: endpointRegion,
    close: async () => documents.destroy(),
  };
}

async function openDeployedTable(
  options: TargetOptions,
  env: NodeJS.ProcessEnv,
  stackReader: (region: string) => StackReader & { destroy(): void },
): Promise<AdminTable> {
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region === undefined || region === '') {
    throw new UsageError('Name the region of the deployment with --region, such as eu-west-1.');
  }
  let tableName = options.tableName;
  if (tableName === undefined) {
    if (options.stack === undefined) {
      throw new UsageError('With --region, name the table with --stack or --table.');
    }
    const reader = stackReader(region);
    try {
      tableName = await readTableName(reader, options.stack, region);
    } finally {
      reader.destroy();
    }
  }

  const documents = createDocumentClient({ region });
  return {
    description: `table ${tableName} in ${region}`,
    documents,
    tableName,
    region,
    close: async () => documents.destroy(),
  };
}

/**
 * Uses the running local server's dynalite, or starts one on the data folder. The folder
 * and the table are created when missing, as the local server creates them.
 */
async function openLocalTable(
  dataDirectory: string,
  tableName: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<AdminTable> {
  const running = await readTableEndpoint(dataDirectory);
  if (running !== undefined) {
    const name = tableName ?? running.tableName;
    const documents = localDocuments(running.endpoint);
    return {
      description: `table ${name} of the local server (process ${running.pid}) in ${dataDirectory}`,
      documents,
      tableName: name,
      region: LOCAL_REGION,
      dataDirectory,
      ...(running.keyEncryptionKeyFile === undefined
        ? {}
        : { keyEncryptionKeyFile: running.keyEncryptionKeyFile }),
      close: async () => documents.destroy(),
    };
  }

  // Imported here, because dynalite is a development dependency that AWS targets do not need.
  const { ensureTable, LocalServerError, startDynalite } = await import('../local/local-table.ts');
  let dynalite: Awaited<ReturnType<typeof startDynalite>>;
  try {
    dynalite = await startDynalite(dataDirectory);
  } catch (error) {
    if (!(error instanceof LocalServerError)) throw error;
    const locked = error.message.includes('in use by another local server');
    const hint = locked
      ? ' A local server that is still starting publishes its table endpoint in a moment, so ' +
        'run the command again then.'
      : '';
    throw new TargetError(`${error.message}${hint}`);
  }

  const name = tableName ?? DEFAULT_TABLE_NAME;
  const client = new DynamoDBClient({
    region: LOCAL_REGION,
    endpoint: dynalite.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  await ensureTable(client, name, { expiryIndex: env.CONSISTENCY_MODE === 'strong' });
  client.destroy();

  const documents = localDocuments(dynalite.endpoint);
  return {
    description: `table ${name} in ${dataDirectory}`,
    documents,
    tableName: name,
    region: LOCAL_REGION,
    dataDirectory,
    close: async () => {
      documents.destroy();
      await dynalite.close();
    },
  };
}

function localDocuments(endpoint: string): DynamoDBDocumentClient {
  return createDocumentClient({ region: LOCAL_REGION, endpoint, credentials: LOCAL_CREDENTIALS });
}
