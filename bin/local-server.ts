/**
 * `npm start`: runs the authorization server on this machine, on an embedded dynalite whose
 * data persists under the data folder, and seeds a demo client.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigurationError, parseEnvironment } from '../functions/config.ts';
import { systemClock } from '../functions/oauth/clock.ts';
import { ClientRepository } from '../functions/storage/client-repository.ts';
import { createDocumentClient } from '../functions/storage/dynamodb.ts';
import { UserRepository } from '../functions/storage/user-repository.ts';
import { seedDemoClient, type DemoClientOutcome } from './local/demo-client.ts';
import {
  DEMO_REDIRECT_URI,
  seedDemoPublicClient,
  seedDemoUser,
  type DemoUserOutcome,
} from './local/demo-user.ts';
import { LocalServerError } from './local/local-table.ts';
import { startLocalServer } from './local/server.ts';

const PORT_MESSAGE = 'must be a TCP port number from 1 to 65535';

const localSchema = z.object({
  PORT: z
    .string()
    .regex(/^\d{1,5}$/, { message: PORT_MESSAGE })
    .transform(Number)
    .pipe(z.number().min(1, { message: PORT_MESSAGE }).max(65_535, { message: PORT_MESSAGE }))
    .default(3000),
  POWERTOOLS_LOG_LEVEL: z
    .string()
    .regex(/^(trace|debug|info|warn|error|critical|silent)$/i, {
      message: 'must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT',
    })
    .optional(),
  ISSUER: z.string().optional(),
  DATA_DIR: z.string().default(join(import.meta.dirname, '..', '.data')),
  TABLE_NAME: z.string().default('oauth-server'),
  DYNAMODB_ENDPOINT: z.string().optional(),
  DEMO_CLIENT_ID: z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, { message: 'must be 1 to 255 visible ASCII characters' })
    .default('demo-client'),
  DEMO_CLIENT_SECRET: z
    .string()
    .regex(/^[\x21-\x7e]{1,512}$/, { message: 'must be 1 to 512 visible ASCII characters' })
    .optional(),
  DEMO_PUBLIC_CLIENT_ID: z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, { message: 'must be 1 to 255 visible ASCII characters' })
    .default('demo-spa'),
  DEMO_USERNAME: z
    .string()
    .regex(/^[^\s]{1,128}$/, { message: 'must be 1 to 128 characters without spaces' })
    .default('demo'),
  DEMO_PASSWORD: z
    .string()
    .min(8, { message: 'must be at least 8 characters' })
    .max(1024, { message: 'must be at most 1024 characters' })
    .optional(),
});

async function main(): Promise<void> {
  const local = parseEnvironment(localSchema, process.env);
  const issuer = local.ISSUER ?? `http://localhost:${local.PORT}`;

  const server = await startLocalServer({
    port: local.PORT,
    issuer,
    dataDirectory: local.DATA_DIR,
    tableName: local.TABLE_NAME,
    dynamodbEndpoint: local.DYNAMODB_ENDPOINT,
    environment: process.env,
  });

  // Importing the runtime configuration validates every variable the handlers read.
  const { config } = await import('../functions/runtime/config.ts');
  const documents = createDocumentClient(config.dynamodb);
  const clients = new ClientRepository(documents, config.tableName, systemClock);
  const demo = await seedDemoClient(clients, local.DEMO_CLIENT_ID, local.DEMO_CLIENT_SECRET);
  await seedDemoPublicClient(clients, local.DEMO_PUBLIC_CLIENT_ID);
  const users = new UserRepository(documents, config.tableName, systemClock);
  const demoUser = await seedDemoUser(users, local.DEMO_USERNAME, local.DEMO_PASSWORD);

  printBanner(server.url, config.issuer, demo, demoUser, local.DEMO_PUBLIC_CLIENT_ID);
  stopOnSignal(server.close);
}

function printBanner(
  url: string,
  issuer: string,
  demo: DemoClientOutcome,
  demoUser: DemoUserOutcome,
  publicClientId: string,
): void {
  const lines = [
    `OAuth server listening on ${url} (issuer ${issuer})`,
    `  metadata: ${issuer}/.well-known/oauth-authorization-server`,
    `  demo client: ${demo.clientId} (client_secret_basic, client_credentials)`,
  ];
  if (demo.status === 'created' && demo.generatedSecret !== undefined) {
    lines.push(
      `  demo client secret: ${demo.generatedSecret}`,
      '  The secret is shown only now: only its hash is stored. Set DEMO_CLIENT_SECRET to choose one.',
    );
  }
  lines.push(
    `  demo app: ${publicClientId} (public client, authorization_code with PKCE, redirect ${DEMO_REDIRECT_URI})`,
    `  demo user: ${demoUser.username}`,
  );
  if (demoUser.status === 'created' && demoUser.generatedPassword !== undefined) {
    lines.push(
      `  demo user password: ${demoUser.generatedPassword}`,
      '  The password is shown only now. Set DEMO_PASSWORD to choose one.',
    );
  }
  lines.push('  To sign in through the demo app, run `npm run demo-app` in another terminal.');
  process.stdout.write(`${lines.join('\n')}\nPress Ctrl-C to stop.\n`);
}

function stopOnSignal(close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`Received ${signal}, stopping.\n`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Stopping failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigurationError || error instanceof LocalServerError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`The local server failed to start: ${describe(error)}\n`);
  }
  process.exit(1);
});

function describe(error: unknown): string {
  if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
    return 'the port is in use. Stop the other process or set PORT to a free port.';
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
