/**
 * Runs dynalite on a free 127.0.0.1 port with the server's table, as the local server's
 * embedded store does, and prints `dynalite listening on <endpoint>`. The data lives under
 * DATA_DIR. Stops on SIGTERM.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable, startDynalite } from '../../bin/local/local-table.ts';

const dataDirectory = process.env.DATA_DIR;
if (dataDirectory === undefined) throw new Error('Set DATA_DIR to a folder for the data.');
const tableName = process.env.TABLE_NAME ?? 'oauth-server';

const table = await startDynalite(dataDirectory);
const client = new DynamoDBClient({
  region: 'us-east-1',
  endpoint: table.endpoint,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
await ensureTable(client, tableName);
client.destroy();

process.stdout.write(`dynalite listening on ${table.endpoint}\n`);
process.on('SIGTERM', () => {
  table.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
