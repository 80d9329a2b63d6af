/**
 * CPU time of parts of the client credentials path, each against its alternative, in one
 * process: how much a change proposed from the profile (bench/profile-token.ts) would save per
 * token. Each pair runs in alternating batches, and every figure is a ratio to the project's
 * current code in the same run.
 *
 * Run: node bench/token-path-parts.ts
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, type CryptoKey } from 'jose';
import { createPrivateKey, randomBytes, randomUUID, sign, type KeyObject, type webcrypto } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { seedDemoClient } from '../bin/local/demo-client.ts';
import { ensureKeyEncryptionKeyFile } from '../functions/crypto/local-file-key-encryption.ts';
import { ensureTable, startDynalite } from '../bin/local/local-table.ts';
import { systemClock } from '../functions/oauth/clock.ts';
import { ClientRepository } from '../functions/storage/client-repository.ts';
import { createDocumentClient } from '../functions/storage/dynamodb.ts';
import { buildApiGatewayEvent, buildLambdaContext } from './support/api-gateway-events.ts';
import { basicAuthorization } from './support/load.ts';
import { writeResult } from './support/results.ts';
import { BENCH_CLIENT_ID, BENCH_CLIENT_SECRET } from './support/servers.ts';
import { quick } from './support/settings.ts';
import { fixed, markdownTable, median, ratio } from './support/statistics.ts';

// The token handler's table: a dynalite in this process, with the demo client. A warm handler
// reads nothing from it, so the store's own CPU time stays out of the batches.
const dataDirectory = await mkdtemp(join(tmpdir(), 'oauth-bench-parts-'));
const table = await startDynalite(dataDirectory);
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const tableClient = new DynamoDBClient({ region: 'us-east-1', endpoint: table.endpoint, credentials });
await ensureTable(tableClient, 'oauth-server');
tableClient.destroy();
const seedDocuments = createDocumentClient({ region: 'us-east-1', endpoint: table.endpoint, credentials });
await seedDemoClient(new ClientRepository(seedDocuments, 'oauth-server', systemClock), BENCH_CLIENT_ID, BENCH_CLIENT_SECRET);
seedDocuments.destroy();

const keyFile = join(dataDirectory, 'key-encryption-key');
await ensureKeyEncryptionKeyFile(keyFile);

// The handler modules read these at import. The local server disables metric publishing.
Object.assign(process.env, {
  KEY_ENCRYPTION_KEY_FILE: keyFile,
  ISSUER: 'http://localhost:3000',
  TABLE_NAME: 'oauth-server',
  DYNAMODB_ENDPOINT: table.endpoint,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_METRICS_NAMESPACE: 'OAuthServer',
});
const { countTokenIssued } = await import('../functions/http/metrics.ts');
const { signAccessToken } = await import('../functions/oauth/access-token.ts');
const { handler: tokenHandler } = await import('../functions/handlers/token.ts');
const { readFormBody } = await import('../functions/http/parameters.ts');
const { jsonResponse, NO_STORE } = await import('../functions/http/responses.ts');
const { handleTokenRequest } = await import('../functions/oauth/token-endpoint.ts');
const { tokenEndpoint } = await import('../functions/runtime/services.ts');

const tokenEvent = buildApiGatewayEvent({
  method: 'POST',
  path: '/token',
  form: { grant_type: 'client_credentials', scope: 'api:read' },
  headers: { authorization: basicAuthorization(BENCH_CLIENT_ID, BENCH_CLIENT_SECRET) },
});

/** Runs the token handler's work without the middy pipeline, its logger keys and its metric. */
async function handleTokenWithoutPipeline() {
  const parameters = readFormBody(tokenEvent);
  const { response } = await handleTokenRequest(
    parameters,
    tokenEvent.headers.authorization,
    tokenEndpoint,
    tokenEvent.requestContext.http.sourceIp,
  );
  return jsonResponse(200, response, NO_STORE);
}

const firstResponse = await tokenHandler(tokenEvent, buildLambdaContext('Token'));
if (firstResponse.statusCode !== 200) {
  throw new Error(`The token handler returned status ${firstResponse.statusCode}: ${firstResponse.body}`);
}

const BATCH = quick ? 200 : 2_000;
const BATCHES = quick ? 4 : 10;

interface Pair {
  name: string;
  current: string;
  alternative: string;
  runCurrent(): unknown;
  runAlternative(): unknown;
}

interface PairResult {
  name: string;
  current: string;
  alternative: string;
  /** Median over batches of CPU microseconds per operation. */
  currentMicroseconds: number;
  alternativeMicroseconds: number;
  alternativeOverCurrent: number;
}

const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
const privateJwk = { ...(await exportJWK(privateKey)), kid: 'parts', alg: 'ES256' };
const cryptoKey = (await importJWK(privateJwk, 'ES256')) as CryptoKey;
const keyObject = createPrivateKey({ key: privateJwk as webcrypto.JsonWebKey, format: 'jwk' });
const claims = {
  issuer: 'http://localhost:3000',
  subject: 'demo-client',
  clientId: 'demo-client',
  audience: 'http://localhost:3000',
  scopes: ['api:read'],
  issuedAt: Math.floor(Date.now() / 1000),
  lifetimeSeconds: 3600,
};

/** Builds a compact JWS with node:crypto's synchronous sign, the alternative to jose's SignJWT. */
function signWithNodeCrypto(key: KeyObject): string {
  const header = { alg: 'ES256', typ: 'at+jwt', kid: 'parts' };
  const payload = {
    client_id: claims.clientId,
    scope: claims.scopes.join(' '),
    iss: claims.issuer,
    sub: claims.subject,
    aud: claims.audience,
    jti: randomUUID(),
    iat: claims.issuedAt,
    exp: claims.issuedAt + claims.lifetimeSeconds,
  };
  const signingInput =
    `${Buffer.from(JSON.stringify(header)).toString('base64url')}.` +
    Buffer.from(JSON.stringify(payload)).toString('base64url');
  // ieee-p1363 is the raw r || s form that JWS requires (RFC 7518 section 3.4).
  const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

const tokenMetricsByGrantType = new Map<string, Metrics>();

/** Counts a token on one single-metric instance per grant type, created once, not per token. */
function countTokenIssuedReusingInstance(grantType: string): void {
  let instance = tokenMetricsByGrantType.get(grantType);
  if (instance === undefined) {
    instance = new Metrics({
      namespace: 'OAuthServer',
      serviceName: 'oauth-server',
      singleMetric: true,
      defaultDimensions: { grantType },
    });
    tokenMetricsByGrantType.set(grantType, instance);
  }
  instance.addMetric('TokensIssued', MetricUnit.Count, 1);
}

const emptyResponse = { statusCode: 200, headers: {}, body: '' };
const middyDefault = middy(async () => emptyResponse);
const middyWithoutTimeout = middy(async () => emptyResponse, { timeoutEarlyInMillis: 0 });
const pipelineLogger = new Logger({ serviceName: 'oauth-server' });
const middyWithLogger = middy(
  async () => {
    pipelineLogger.appendKeys({ grantType: 'client_credentials' });
    pipelineLogger.appendKeys({ clientId: 'demo-client' });
    pipelineLogger.debug('token issued');
    return emptyResponse;
  },
  { timeoutEarlyInMillis: 0 },
)
  .use(injectLambdaContext(pipelineLogger, { resetKeys: true, logEvent: false }))
  .use({
    before: () => {
      pipelineLogger.appendKeys({ requestId: 'request', method: 'POST', path: '/token' });
    },
  });

const pairs: Pair[] = [
  {
    name: 'token handler (warm, client credentials)',
    current: 'handler: middy, Powertools logger keys, metric',
    alternative: 'the same grant without the pipeline',
    runCurrent: async () => {
      const response = await tokenHandler(tokenEvent, buildLambdaContext('Token'));
      if (response.statusCode !== 200) throw new Error(`The token handler returned status ${response.statusCode}.`);
    },
    runAlternative: () => handleTokenWithoutPipeline(),
  },
  {
    name: 'middy per invocation',
    current: 'middy() defaults: an early-timeout timer per invocation',
    alternative: 'middy() with timeoutEarlyInMillis 0',
    runCurrent: () => middyDefault({}, buildLambdaContext('Token')),
    runAlternative: () => middyWithoutTimeout({}, buildLambdaContext('Token')),
  },
  {
    name: 'Powertools logger per invocation',
    current: 'injectLambdaContext with resetKeys, 5 appended keys, a debug call',
    alternative: 'no logger',
    runCurrent: () => middyWithLogger({}, buildLambdaContext('Token')),
    runAlternative: () => middyWithoutTimeout({}, buildLambdaContext('Token')),
  },
  {
    name: 'sign access token',
    current: 'signAccessToken: jose SignJWT, WebCrypto CryptoKey',
    alternative: 'node:crypto sign() with a KeyObject, synchronous',
    runCurrent: () =>
      signAccessToken(claims, { kid: 'parts', algorithm: 'ES256', privateKey: cryptoKey }),
    runAlternative: () => signWithNodeCrypto(keyObject),
  },
  {
    name: 'jti',
    current: 'randomBytes(16).toString(base64url)',
    alternative: 'randomUUID(), from a buffered pool',
    runCurrent: () => randomBytes(16).toString('base64url'),
    runAlternative: () => randomUUID(),
  },
  {
    name: 'TokensIssued metric (publishing disabled)',
    current: 'countTokenIssued: metrics.singleMetric() per token',
    alternative: 'one single-metric instance per grant type',
    runCurrent: () => countTokenIssued('client_credentials'),
    runAlternative: () => countTokenIssuedReusingInstance('client_credentials'),
  },
];

async function timeBatch(operation: () => unknown): Promise<number> {
  const start = process.cpuUsage();
  for (let index = 0; index < BATCH; index++) await operation();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / BATCH;
}

async function measurePair(pair: Pair): Promise<PairResult> {
  // Warm-up, so that both sides run optimized code.
  await timeBatch(pair.runCurrent);
  await timeBatch(pair.runAlternative);

  const current: number[] = [];
  const alternative: number[] = [];
  for (let batch = 0; batch < BATCHES; batch++) {
    if (batch % 2 === 0) {
      current.push(await timeBatch(pair.runCurrent));
      alternative.push(await timeBatch(pair.runAlternative));
    } else {
      alternative.push(await timeBatch(pair.runAlternative));
      current.push(await timeBatch(pair.runCurrent));
    }
  }
  const currentMicroseconds = median(current);
  const alternativeMicroseconds = median(alternative);
  return {
    name: pair.name,
    current: pair.current,
    alternative: pair.alternative,
    currentMicroseconds,
    alternativeMicroseconds,
    alternativeOverCurrent: alternativeMicroseconds / currentMicroseconds,
  };
}

// The alternative token must verify as the current one does.
const alternativeToken = signWithNodeCrypto(keyObject);
await jwtVerify(alternativeToken, publicKey, { issuer: claims.issuer, audience: claims.audience, typ: 'at+jwt' });

const results: PairResult[] = [];
try {
  for (const pair of pairs) results.push(await measurePair(pair));
} finally {
  await table.close();
  await rm(dataDirectory, { recursive: true, force: true });
}
writeResult('token-path-parts', { batch: BATCH, batches: BATCHES, results });

console.log(
  markdownTable([
    ['part', 'current', 'CPU µs/op', 'alternative', 'CPU µs/op', 'alternative / current'],
    ...results.map((result) => [
      result.name,
      result.current,
      fixed(result.currentMicroseconds, 1),
      result.alternative,
      fixed(result.alternativeMicroseconds, 1),
      ratio(result.alternativeOverCurrent),
    ]),
  ]),
);
