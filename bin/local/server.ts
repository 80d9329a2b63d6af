/**
 * The local server: serves every route of the route table over HTTP by invoking the same
 * handler modules that run on Lambda, in-process, with API Gateway HTTP API events.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HttpHandler } from '../../functions/http/handler.ts';
import type { HttpResponse } from '../../functions/http/responses.ts';
import { loadServerConfig } from '../../functions/config.ts';
import { ensureKeyEncryptionKeyFile } from '../../functions/crypto/local-file-key-encryption.ts';
import { fallbackRoute, findRoute, routes } from '../../functions/routes.ts';
import { buildContext, buildEvent, newRequestId } from './api-gateway-event.ts';
import { ensureTable, LocalServerError, startDynalite, type LocalTable } from './local-table.ts';
import { removeTableEndpoint, writeTableEndpoint } from './table-endpoint-file.ts';

export interface LocalServerOptions {
  port: number;
  issuer: string;
  /** Folder of the embedded dynalite's data; unused with `dynamodbEndpoint`. */
  dataDirectory: string;
  tableName: string;
  /** An external DynamoDB-compatible endpoint, in place of the embedded dynalite. */
  dynamodbEndpoint?: string;
  /**
   * Variables passed to the handlers, such as ACCESS_TOKEN_LIFETIME_SECONDS. Without
   * KEY_ENCRYPTION_KEY_FILE or KEY_ENCRYPTION_KMS_KEY_ID, private signing keys are encrypted
   * under `<dataDirectory>/key-encryption-key`, which the first start creates.
   */
  environment: NodeJS.ProcessEnv;
}

export interface RunningServer {
  url: string;
  /** The DynamoDB endpoint that the handlers use. */
  tableEndpoint: string;
  close(): Promise<void>;
}

/** API Gateway rejects request bodies over 10 MB with 413; the local server does the same. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

const repositoryRoot = join(import.meta.dirname, '..', '..');
const requestLog = new Logger({ serviceName: 'local-server' });

// NOTE: all handlers of the local server share one Powertools logger, whose per-request keys
// are global, so the handlers' own log lines can carry another concurrent request's keys. On
// Lambda an instance serves one request at a time, and the request lines below are exact.

export async function startLocalServer(options: LocalServerOptions): Promise<RunningServer> {
  // Check the handlers' configuration before anything starts, with a stand-in endpoint when
  // the embedded dynalite's port is not known yet.
  prepareHandlerEnvironment(options, options.dynamodbEndpoint ?? 'http://127.0.0.1:8000');
  loadServerConfig(process.env);

  const table: LocalTable = options.dynamodbEndpoint
    ? { endpoint: options.dynamodbEndpoint, close: async () => undefined }
    : await startDynalite(options.dataDirectory);

  prepareHandlerEnvironment(options, table.endpoint);
  await createKeyEncryptionKeyFile(process.env.KEY_ENCRYPTION_KEY_FILE);
  const tableClient = new DynamoDBClient({
    region: process.env.AWS_REGION,
    endpoint: table.endpoint,
  });
  await ensureTable(tableClient, options.tableName, {
    expiryIndex: process.env.CONSISTENCY_MODE === 'strong',
  });
  tableClient.destroy();
  const embedded = !options.dynamodbEndpoint;
  if (embedded) {
    // Other processes, such as the administration command, cannot open the locked folder.
    const keyFile = process.env.KEY_ENCRYPTION_KEY_FILE;
    await writeTableEndpoint(options.dataDirectory, {
      endpoint: table.endpoint,
      tableName: options.tableName,
      pid: process.pid,
      ...(keyFile ? { keyEncryptionKeyFile: keyFile } : {}),
    });
  }

  const handlers = await importHandlers();
  const servers = await listen(options.port, (request, response) =>
    serve(request, response, handlers),
  );

  return {
    url: `http://localhost:${options.port}`,
    tableEndpoint: table.endpoint,
    close: async () => {
      await Promise.all(servers.map(closeServer));
      if (embedded) await removeTableEndpoint(options.dataDirectory);
      await table.close();
    },
  };
}

/**
 * Sets the variables that the handlers read at import. Local credentials are fixed, so the
 * SDK never looks up a profile or an instance metadata service for a table on loopback.
 */
function prepareHandlerEnvironment(options: LocalServerOptions, endpoint: string): void {
  Object.assign(process.env, options.environment, {
    ISSUER: options.issuer,
    TABLE_NAME: options.tableName,
    DYNAMODB_ENDPOINT: endpoint,
    AWS_REGION: options.environment.AWS_REGION || 'us-east-1',
    // Metrics are CloudWatch log lines, which would only clutter the local server's output.
    POWERTOOLS_METRICS_DISABLED: options.environment.POWERTOOLS_METRICS_DISABLED ?? 'true',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  if (!options.environment.KEY_ENCRYPTION_KMS_KEY_ID) {
    process.env.KEY_ENCRYPTION_KEY_FILE =
      options.environment.KEY_ENCRYPTION_KEY_FILE || defaultKeyEncryptionKeyFile(options);
  }
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
}

function defaultKeyEncryptionKeyFile(options: LocalServerOptions): string {
  return join(options.dataDirectory, 'key-encryption-key');
}

/**
 * Creates the key-encryption key file with 32 random bytes, readable only by its owner,
 * unless it exists. It is as secret as the table: with both, anyone can sign tokens.
 */
async function createKeyEncryptionKeyFile(path: string | undefined): Promise<void> {
  if (path === undefined) return;
  try {
    await ensureKeyEncryptionKeyFile(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new LocalServerError(
      `The key-encryption key file ${path} cannot be created: ${reason}. Set ` +
        'KEY_ENCRYPTION_KEY_FILE to a writable path, or DATA_DIR to a writable folder.',
    );
  }
}

interface LoadedHandlers {
  byName: Map<string, HttpHandler>;
}

async function importHandlers(): Promise<LoadedHandlers> {
  const byName = new Map<string, HttpHandler>();
  for (const route of [...routes, fallbackRoute]) {
    const module = (await import(pathToFileURL(join(repositoryRoot, route.entry)).href)) as {
      handler: HttpHandler;
    };
    byName.set(route.name, module.handler);
  }
  return { byName };
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  handlers: LoadedHandlers,
): Promise<void> {
  const started = performance.now();
  const requestId = newRequestId();
  const method = request.method ?? 'GET';
  const path = (request.url ?? '/').split('?')[0] ?? '/';

  let result: HttpResponse;
  try {
    const body = await readBody(request);
    result = body === undefined ? payloadTooLarge() : await invoke(request, body, handlers, requestId);
  } catch (error) {
    requestLog.error('handler invocation failed', { requestId, error });
    result = {
      statusCode: 500,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ error: 'server_error', error_description: 'Internal error.' }),
    };
  }

  writeResponse(response, result);
  requestLog.info('request', {
    method,
    path,
    status: result.statusCode,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
    requestId,
  });
}

async function invoke(
  request: IncomingMessage,
  body: Buffer,
  handlers: LoadedHandlers,
  requestId: string,
): Promise<HttpResponse> {
  const method = request.method ?? 'GET';
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  const route = findRoute(method, path);
  const name = route?.name ?? fallbackRoute.name;
  const routeKey = route ? `${route.method} ${route.path}` : '$default';

  const handler = handlers.byName.get(name);
  if (handler === undefined) throw new Error(`no handler loaded for ${name}`);
  return handler(buildEvent(request, body, routeKey, requestId), buildContext(name, requestId));
}

/** Reads the request body, or returns undefined when it passes MAX_REQUEST_BYTES. */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) {
      request.resume();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The answer to a body over MAX_REQUEST_BYTES. API Gateway itself answers such a request with
 * its own 413 before any function runs; the local server answers in the OAuth error form.
 */
function payloadTooLarge(): HttpResponse {
  return {
    statusCode: 413,
    headers: {
      'Content-Type': 'application/json;charset=UTF-8',
      'Cache-Control': 'no-store',
      Connection: 'close',
    },
    body: JSON.stringify({
      error: 'invalid_request',
      error_description: 'The request body is larger than 10 MiB.',
    }),
  };
}

function writeResponse(response: ServerResponse, result: HttpResponse): void {
  const headers: Record<string, string | string[]> = { ...result.headers };
  if (result.cookies && result.cookies.length > 0) headers['set-cookie'] = result.cookies;

  const body = result.body ?? '';
  const bytes = result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  response.writeHead(result.statusCode, headers);
  response.end(bytes);
}

/**
 * Listens on the IPv4 and IPv6 loopback addresses, so that `localhost` works whichever one
 * it resolves to. Only loopback: the local server is not meant to be reachable from outside.
 */
async function listen(
  port: number,
  listener: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<Server[]> {
  const servers: Server[] = [];
  for (const host of ['127.0.0.1', '::1']) {
    const server = createServer(listener);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      servers.push(server);
    } catch (error) {
      // A machine without IPv6 still serves on 127.0.0.1, but a port taken on ::1 is an error:
      // clients that resolve localhost to ::1 would reach the other process.
      if (host === '127.0.0.1' || !isAddressUnavailable(error)) throw error;
    }
  }
  return servers;
}

function isAddressUnavailable(error: unknown): boolean {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  return code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT';
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
