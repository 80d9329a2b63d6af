/**
 * Cold start: bundles each function as lib/oauth-function.ts has CDK bundle it, then, in fresh
 * `node` processes, imports the bundle and serves one first request, against a dynalite in
 * its own process. The reference is bench/baseline-function.ts, bundled the same way, which
 * only creates a DynamoDB client and signs one JWT. Functions and baseline take turns, round
 * after round, and each figure is the median over the rounds.
 *
 * Handlers that continue a sign-in need state: a local server on the same table runs the
 * earlier steps of a flow before each fresh process, so each one gets its own interaction,
 * session or token.
 *
 * Run: node bench/cold-start.ts (BENCH_QUICK=1 for a short check)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';
import { INTERACTION_COOKIE, SESSION_COOKIE } from '../functions/http/cookies.ts';
import { hashClientSecret } from '../functions/oauth/client-secret.ts';
import { hashPassword } from '../functions/oauth/password.ts';
import { fallbackRoute, routes } from '../functions/routes.ts';
import { newPkcePair } from '../test/support/authorization-flow.ts';
import { buildApiGatewayEvent, type EventOptions } from './support/api-gateway-events.ts';
import { renderBarChart } from './support/bar-chart.ts';
import { Flow, FLOW_SCOPE, postForm, REDIRECT_URI, type FlowStep } from './support/flow-client.ts';
import { basicAuthorization } from './support/load.ts';
import { registerResourceServer, resourceServerAuthorization } from './support/resource-server.ts';
import { describeMachine, writeChart, writeResult } from './support/results.ts';
import { cleanEnvironment, repositoryRoot, stopAll } from './support/server-process.ts';
import {
  BENCH_CLIENT_ID,
  BENCH_CLIENT_SECRET,
  BENCH_PASSWORD,
  BENCH_PUBLIC_CLIENT_ID,
  BENCH_USERNAME,
  startDynaliteProcess,
  startLocalServer,
  type DynaliteProcess,
  type RunningServer,
} from './support/servers.ts';
import { quick } from './support/settings.ts';
import { fixed, markdownTable, median, ratio } from './support/statistics.ts';

const ROUNDS = quick ? 2 : 7;

/** The banner of lib/oauth-function.ts: ESM output has no `require`, which CommonJS needs. */
const CREATE_REQUIRE_BANNER =
  "import { createRequire as createRequireForBundle } from 'node:module';" +
  'const require = createRequireForBundle(import.meta.url);';

/**
 * Imports the bundle and invokes its handler once, in a fresh process. performance.now()
 * counts from the process's start, so `beforeImport` is Node's own startup.
 */
const CHILD_SCRIPT = `
const beforeImport = performance.now();
const { handler } = await import(process.env.BENCH_BUNDLE_URL);
const imported = performance.now();
const deadline = Date.now() + 5000;
const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: process.env.BENCH_FUNCTION_NAME,
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:' + process.env.BENCH_FUNCTION_NAME,
  memoryLimitInMB: '512',
  awsRequestId: 'cold-start',
  logGroupName: '/aws/lambda/' + process.env.BENCH_FUNCTION_NAME,
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done() {}, fail() {}, succeed() {},
};
const response = await handler(JSON.parse(process.env.BENCH_EVENT), context);
const responded = performance.now();
process.stdout.write('\\nBENCH_RESULT ' + JSON.stringify({
  beforeImport, importMilliseconds: imported - beforeImport,
  firstRequestMilliseconds: responded - imported, status: response.statusCode,
}) + '\\n');
process.exit(0);
`;

interface Target {
  name: string;
  entry: string;
  /** Variables besides the server's, such as BASELINE_GET_ITEM. */
  environment?: Record<string, string>;
  /** Builds the first request, running earlier flow steps on the local server if needed. */
  prepare(context: PrepareContext): Promise<EventOptions>;
  /** Whether the request is a real case of the route rather than a generic one. */
  realistic: boolean;
  /** The scrypt check that the first request makes by design: a client secret or a password. */
  scrypt?: ScryptKind;
}

type ScryptKind = 'client secret' | 'password';

interface PrepareContext {
  server: RunningServer;
}

interface Bundle {
  path: string;
  bytes: number;
  mapBytes: number;
  /** The bundle and its source map compressed with deflate, as in the zip that Lambda gets. */
  compressedBytes: number;
}

interface Sample {
  beforeImport: number;
  importMilliseconds: number;
  firstRequestMilliseconds: number;
  status: number;
  /** From spawning the process to its exit, as the benchmark saw it. */
  wallMilliseconds: number;
  /** Bytes the function logged (standard output and error), without the benchmark's line. */
  logBytes: number;
}

export interface ColdStartSummary {
  name: string;
  entry: string;
  realistic: boolean;
  bytes: number;
  mapBytes: number;
  compressedBytes: number;
  statuses: number[];
  nodeStartup: number;
  importMilliseconds: number;
  firstRequestMilliseconds: number;
  /** Import plus first request: the part that the function's own code costs. */
  coldMilliseconds: number;
  wallMilliseconds: number;
  /** Median bytes logged by the first request, including the start-up's own lines. */
  logBytes: number;
  coldOverBaseline: number;
  /** The ratio to the baseline that also reads one item, as most handlers do. */
  coldOverBaselineWithRead: number;
  /** The median time of the scrypt check that the first request makes, measured apart. */
  scryptMilliseconds: number;
  coldWithoutScryptOverBaseline: number;
}

export interface ColdStartResult {
  machine: ReturnType<typeof describeMachine>;
  rounds: number;
  baseline: string;
  /** Median scrypt time in the benchmark's own process, per kind, in milliseconds. */
  scrypt: Record<ScryptKind, number>;
  summaries: ColdStartSummary[];
  targetMet: boolean;
}

const BASELINE = 'Baseline (client + one JWT)';
const BASELINE_WITH_READ = 'Baseline + one GetItem';

async function main(): Promise<void> {
  const machine = describeMachine();
  const folder = await mkdtemp(join(tmpdir(), 'oauth-bench-cold-'));
  const keyFile = join(folder, 'key-encryption-key');
  let store: DynaliteProcess | undefined;
  let server: RunningServer | undefined;
  const targets = listTargets();
  const samples = new Map<string, Sample[]>(targets.map((target) => [target.name, []]));
  const bundles = new Map<string, Bundle>();

  try {
    for (const entry of new Set(targets.map((target) => target.entry))) {
      bundles.set(entry, await bundle(entry, join(folder, `bundle-${bundles.size}`)));
    }
    store = await startDynaliteProcess();
    await registerResourceServer(store.endpoint);
    // The fresh processes use the local server's key-encryption key to unwrap the signing key.
    server = await startLocalServer({
      label: 'local server',
      environment: { DYNAMODB_ENDPOINT: store.endpoint, KEY_ENCRYPTION_KEY_FILE: keyFile },
    });
    // The signing key exists before any fresh process needs it, as in a deployed table.
    await prepareClientCredentialsToken({ server });

    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        const event = await target.prepare({ server });
        const file = bundles.get(target.entry);
        if (file === undefined) throw new Error(`no bundle for ${target.entry}`);
        const sample = await runFresh(target, file, event, { server, store, keyFile });
        samples.get(target.name)?.push(sample);
      }
      console.log(`round ${round + 1} of ${ROUNDS} done`);
    }
  } finally {
    await stopAll([server, store]);
    await rm(folder, { recursive: true, force: true });
  }

  const scrypt = await measureScrypt();
  const result = summarize(machine, targets, samples, bundles, scrypt);
  writeResult('cold-start', result);
  writeChart('cold-start', chart(result));
  printReport(result);
}

/** Times the two scrypt checks, with the servers stopped, as medians of ROUNDS runs. */
async function measureScrypt(): Promise<Record<ScryptKind, number>> {
  const time = async (work: () => Promise<unknown>) => {
    const durations: number[] = [];
    for (let run = 0; run < ROUNDS; run++) {
      const started = performance.now();
      await work();
      durations.push(performance.now() - started);
    }
    return median(durations);
  };
  return {
    'client secret': await time(() => hashClientSecret('bench-client-secret')),
    password: await time(() => hashPassword('bench-password')),
  };
}

/** Routes whose first request checks a client secret or a password with scrypt. */
const scryptByRoute: Record<string, ScryptKind> = {
  Token: 'client secret',
  Revoke: 'client secret',
  Introspect: 'client secret',
  Login: 'password',
};

function listTargets(): Target[] {
  const targets: Target[] = [
    {
      name: BASELINE,
      entry: 'bench/baseline-function.ts',
      prepare: async () => ({ method: 'GET', path: '/baseline' }),
      realistic: true,
    },
    {
      name: BASELINE_WITH_READ,
      entry: 'bench/baseline-function.ts',
      environment: { BASELINE_GET_ITEM: 'true' },
      prepare: async () => ({ method: 'GET', path: '/baseline' }),
      realistic: true,
    },
  ];
  for (const route of routes) {
    const known = firstRequests[route.name];
    const scrypt = scryptByRoute[route.name];
    targets.push({
      name: route.name,
      entry: route.entry,
      prepare: known ?? (async () => genericRequest(route.method, route.path)),
      realistic: known !== undefined,
      ...(scrypt === undefined ? {} : { scrypt }),
    });
  }
  targets.push({
    name: fallbackRoute.name,
    entry: fallbackRoute.entry,
    prepare: async () => ({ method: 'GET', path: '/no-such-path', routeKey: '$default' }),
    realistic: true,
  });
  return targets;
}

function genericRequest(method: 'GET' | 'POST', path: string): EventOptions {
  return method === 'POST' ? { method, path, form: {} } : { method, path };
}

function authorizationParameters(): Record<string, string> {
  return {
    response_type: 'code',
    client_id: BENCH_PUBLIC_CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: FLOW_SCOPE,
    state: 'bench-state',
    code_challenge: newPkcePair().challenge,
    code_challenge_method: 'S256',
    prompt: 'consent',
  };
}

/** Runs the first steps of a flow on the local server and returns the flow. */
async function flowUntil(server: RunningServer, steps: FlowStep[]): Promise<Flow> {
  const flow = new Flow(server.issuer);
  for (const step of steps) await flow.run(step);
  return flow;
}

function interactionCookies(flow: Flow, withSession: boolean): string[] {
  const cookies = [`${INTERACTION_COOKIE}=${flow.agent.cookie(INTERACTION_COOKIE) ?? ''}`];
  if (withSession) cookies.push(`${SESSION_COOKIE}=${flow.agent.cookie(SESSION_COOKIE) ?? ''}`);
  return cookies;
}

function pageRequest(flow: Flow, withSession: boolean): EventOptions {
  const url = new URL(flow.nextUrl);
  return {
    method: 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    cookies: interactionCookies(flow, withSession),
  };
}

function formFields(flow: Flow): Record<string, string> {
  const fields = flow.fields;
  if (fields === undefined) throw new Error('The flow has read no form yet.');
  return { interaction: fields.interaction, csrf_token: fields.csrfToken };
}

async function prepareClientCredentialsToken({ server }: PrepareContext): Promise<string> {
  const { status, body } = await postForm(
    server.issuer,
    '/token',
    { grant_type: 'client_credentials', scope: 'api:read' },
    { authorization: basicAuthorization(BENCH_CLIENT_ID, BENCH_CLIENT_SECRET) },
  );
  if (status !== 200) throw new Error(`client credentials returned status ${status}: ${body}`);
  return (JSON.parse(body) as { access_token: string }).access_token;
}

const allSteps: FlowStep[] = ['authorize', 'login page', 'login', 'consent page', 'consent', 'token (code)'];

/** The first request of each route that continues a real case; others get a generic one. */
const firstRequests: Record<string, (context: PrepareContext) => Promise<EventOptions>> = {
  Authorize: async () => ({ method: 'GET', path: '/authorize', query: authorizationParameters() }),
  AuthorizePost: async () => ({ method: 'POST', path: '/authorize', form: authorizationParameters() }),
  LoginPage: async ({ server }) => pageRequest(await flowUntil(server, ['authorize']), false),
  Login: async ({ server }) => {
    const flow = await flowUntil(server, ['authorize', 'login page']);
    return {
      method: 'POST',
      path: '/login',
      form: { ...formFields(flow), username: BENCH_USERNAME, password: BENCH_PASSWORD },
      cookies: interactionCookies(flow, false),
    };
  },
  ConsentPage: async ({ server }) =>
    pageRequest(await flowUntil(server, ['authorize', 'login page', 'login']), true),
  Consent: async ({ server }) => {
    const flow = await flowUntil(server, ['authorize', 'login page', 'login', 'consent page']);
    return {
      method: 'POST',
      path: '/consent',
      form: { ...formFields(flow), decision: 'allow' },
      cookies: interactionCookies(flow, true),
    };
  },
  Token: async () => ({
    method: 'POST',
    path: '/token',
    form: { grant_type: 'client_credentials', scope: 'api:read' },
    headers: { authorization: basicAuthorization(BENCH_CLIENT_ID, BENCH_CLIENT_SECRET) },
  }),
  Revoke: async (context) => ({
    method: 'POST',
    path: '/revoke',
    form: { token: await prepareClientCredentialsToken(context), token_type_hint: 'access_token' },
    headers: { authorization: basicAuthorization(BENCH_CLIENT_ID, BENCH_CLIENT_SECRET) },
  }),
  Introspect: async (context) => ({
    method: 'POST',
    path: '/introspect',
    form: { token: await prepareClientCredentialsToken(context), token_type_hint: 'access_token' },
    headers: { authorization: resourceServerAuthorization },
  }),
  Userinfo: async ({ server }) => ({
    method: 'GET',
    path: '/userinfo',
    headers: { authorization: `Bearer ${(await flowUntil(server, allSteps)).accessToken}` },
  }),
  UserinfoPost: async ({ server }) => ({
    method: 'POST',
    path: '/userinfo',
    form: { access_token: (await flowUntil(server, allSteps)).accessToken },
  }),
  AuthorizationServerMetadata: async () => ({
    method: 'GET',
    path: '/.well-known/oauth-authorization-server',
  }),
  OpenIdConfiguration: async () => ({ method: 'GET', path: '/.well-known/openid-configuration' }),
  Jwks: async () => ({ method: 'GET', path: '/jwks.json' }),
  Health: async () => ({ method: 'GET', path: '/health' }),
};

/** Bundles an entry with the options of lib/oauth-function.ts (CDK adds --bundle). */
async function bundle(entry: string, directory: string): Promise<Bundle> {
  const path = join(directory, 'index.mjs');
  await build({
    entryPoints: [join(repositoryRoot, entry)],
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    outfile: path,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: { js: CREATE_REQUIRE_BANNER },
    logLevel: 'error',
  });
  const code = await readFile(path);
  const map = await readFile(`${path}.map`);
  return {
    path,
    bytes: (await stat(path)).size,
    mapBytes: map.length,
    compressedBytes: deflateRawSync(code, { level: 9 }).length + deflateRawSync(map, { level: 9 }).length,
  };
}

/** Imports the bundle in a fresh process, with the environment of a deployed function. */
async function runFresh(
  target: Target,
  file: Bundle,
  event: EventOptions,
  { server, store, keyFile }: { server: RunningServer; store: DynaliteProcess; keyFile: string },
): Promise<Sample> {
  const environment: NodeJS.ProcessEnv = {
    ...cleanEnvironment(),
    ISSUER: server.issuer,
    TABLE_NAME: 'oauth-server',
    DYNAMODB_ENDPOINT: store.endpoint,
    // On AWS the functions unwrap the signing key with KMS, which a key file replaces here.
    KEY_ENCRYPTION_KEY_FILE: keyFile,
    POWERTOOLS_SERVICE_NAME: 'oauth-server',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    NODE_OPTIONS: '--enable-source-maps',
    BENCH_BUNDLE_URL: pathToFileURL(file.path).href,
    BENCH_FUNCTION_NAME: target.name,
    BENCH_EVENT: JSON.stringify(buildApiGatewayEvent(event)),
    ...target.environment,
  };

  const started = performance.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT], {
    cwd: tmpdir(),
    env: environment,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  const wallMilliseconds = performance.now() - started;

  const line = stdout.split('\n').find((text) => text.startsWith('BENCH_RESULT '));
  if (code !== 0 || line === undefined) {
    throw new Error(`${target.name} failed in a fresh process (exit ${code}).\n${stdout}\n${stderr}`);
  }
  const result = JSON.parse(line.slice('BENCH_RESULT '.length)) as Omit<Sample, 'wallMilliseconds' | 'logBytes'>;
  const logBytes = Buffer.byteLength(stdout) + Buffer.byteLength(stderr) - Buffer.byteLength(line) - 2;
  return { ...result, wallMilliseconds, logBytes };
}

function summarize(
  machine: ColdStartResult['machine'],
  targets: Target[],
  samples: Map<string, Sample[]>,
  bundles: Map<string, Bundle>,
  scrypt: Record<ScryptKind, number>,
): ColdStartResult {
  const baselineSamples = samples.get(BASELINE) ?? [];
  const baselineCold = median(baselineSamples.map(coldOf));
  const baselineWithReadCold = median((samples.get(BASELINE_WITH_READ) ?? []).map(coldOf));

  const summaries = targets.map((target): ColdStartSummary => {
    const own = samples.get(target.name) ?? [];
    const file = bundles.get(target.entry);
    const coldMilliseconds = median(own.map(coldOf));
    const scryptMilliseconds = target.scrypt === undefined ? 0 : scrypt[target.scrypt];
    return {
      name: target.name,
      entry: target.entry,
      realistic: target.realistic,
      bytes: file?.bytes ?? Number.NaN,
      mapBytes: file?.mapBytes ?? Number.NaN,
      compressedBytes: file?.compressedBytes ?? Number.NaN,
      statuses: [...new Set(own.map((sample) => sample.status))],
      nodeStartup: median(own.map((sample) => sample.beforeImport)),
      importMilliseconds: median(own.map((sample) => sample.importMilliseconds)),
      firstRequestMilliseconds: median(own.map((sample) => sample.firstRequestMilliseconds)),
      coldMilliseconds,
      wallMilliseconds: median(own.map((sample) => sample.wallMilliseconds)),
      logBytes: median(own.map((sample) => sample.logBytes)),
      coldOverBaseline: coldMilliseconds / baselineCold,
      coldOverBaselineWithRead: coldMilliseconds / baselineWithReadCold,
      scryptMilliseconds,
      coldWithoutScryptOverBaseline: (coldMilliseconds - scryptMilliseconds) / baselineCold,
    };
  });

  const functions = summaries.filter((summary) => !summary.entry.startsWith('bench/'));
  return {
    machine,
    rounds: ROUNDS,
    baseline: BASELINE,
    scrypt,
    summaries,
    targetMet: functions.every((summary) => summary.coldOverBaseline <= 1.5),
  };
}

function coldOf(sample: Sample): number {
  return sample.importMilliseconds + sample.firstRequestMilliseconds;
}

function chart(result: ColdStartResult): string {
  return renderBarChart({
    title: `Cold start: import + first request, median of ${result.rounds} fresh processes (lower is better)`,
    unit: 'ms',
    groups: [
      {
        label: 'functions and baselines',
        bars: result.summaries.map((summary) => ({
          label: summary.name,
          value: summary.coldMilliseconds,
          color: summary.entry.startsWith('bench/') ? '#9ecae1' : '#1f77b4',
        })),
      },
    ],
  });
}

function printReport(result: ColdStartResult): void {
  console.log(`\nMedian of ${result.rounds} fresh processes each; ratio to ${result.baseline}.\n`);
  console.log(
    markdownTable([
      ['function', 'bundle KiB', 'zipped KiB', 'node startup ms', 'import ms', 'first request ms', 'import + first ms', 'ratio', 'ratio without scrypt', 'ratio to baseline + GetItem', 'status'],
      ...result.summaries.map((summary) => [
        summary.realistic ? summary.name : `${summary.name} (generic request)`,
        fixed(summary.bytes / 1024, 0),
        fixed(summary.compressedBytes / 1024, 0),
        fixed(summary.nodeStartup, 0),
        fixed(summary.importMilliseconds, 0),
        fixed(summary.firstRequestMilliseconds, 0),
        fixed(summary.coldMilliseconds, 0),
        ratio(summary.coldOverBaseline),
        summary.scryptMilliseconds > 0 ? ratio(summary.coldWithoutScryptOverBaseline) : '',
        ratio(summary.coldOverBaselineWithRead),
        summary.statuses.join(', '),
      ]),
    ]),
  );
  console.log(
    `\nscrypt, measured apart: client secret ${fixed(result.scrypt['client secret'], 0)} ms, ` +
      `password ${fixed(result.scrypt.password, 0)} ms.`,
  );
  console.log(`Target (every function within 1.5× the baseline): ${result.targetMet ? 'met' : 'missed'}`);
}

await main();
