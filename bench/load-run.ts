/**
 * A bounded load run against the local server, mixing every flow: client credentials, the
 * authorization code flow with a login over HTTP, refresh, introspection, revocation,
 * UserInfo, discovery and JWKS. It counts the statuses of each kind of request, where any
 * status other than the expected ones is a failure, and samples the server process's resident
 * memory (VmRSS in /proc/<pid>/status) to catch growth under steady load.
 *
 *   node bench/load-run.ts [--duration 60] [--connections 50] [--warm-up 30] [--window 10]
 *                          [--max-growth-mib 64]
 *
 * Exit status 1 when any request got an unexpected status or no response, or when the RSS
 * floor grew by more than --max-growth-mib from the first window after the warm-up to the
 * last window. The floor of a window is its lowest sample, the footprint right after garbage
 * collection. The mean follows V8's sawtooth instead, which spanned about 130 MiB at the
 * default load on a 2-core machine. The server runs in its own process on a fresh dynalite
 * that this process hosts, so the server's RSS excludes the store.
 *
 * NOTE: the default warm-up of 30 s comes from a 300 s run on a 2-core machine, where the
 * floor rose to its working size within about 50 s and then grew by less than 10 MiB. A
 * faster machine reaches it sooner; a short run compares a floor that still rises.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { basicAuthorization, registerClients } from '../test/support/clients.ts';
import { startTestTable, TEST_TABLE, type TestTable } from '../test/support/dynalite.ts';
import { startServer, type TestServer } from '../test/support/local-server.ts';
import { registerPublicClients } from '../test/support/public-clients.ts';
import { createUser } from '../test/support/users.ts';

const REDIRECT_URI = 'https://app.example.com/cb';
const USER = { username: 'load-user', password: 'load-user-password-0123' };
const SERVICE = { clientId: 'load-service', secret: 'load-service-secret-0123456789' };
const APP_ID = 'load-app';
const FORM = 'application/x-www-form-urlencoded';

/** A request that gets no response in this time counts as failed. */
const REQUEST_TIMEOUT_MILLISECONDS = 10_000;

/** How often the server's memory is read. */
const SAMPLE_MILLISECONDS = 500;

/** The spacing of the RSS values printed as a trend. */
const TRACE_SECONDS = 5;

export type RequestKind =
  | 'discovery'
  | 'jwks'
  | 'client credentials'
  | 'authorize'
  | 'login page'
  | 'login'
  | 'token (code)'
  | 'refresh'
  | 'introspection'
  | 'revocation'
  | 'userinfo';

/**
 * The statuses of a correct response for each kind. Authorization redirects to the login
 * page (302), and the login redirects back to the client with a code (303), because the
 * client skips consent. Introspection returns 200 for active and inactive tokens alike.
 */
export const EXPECTED_STATUSES: Record<RequestKind, readonly number[]> = {
  discovery: [200],
  jwks: [200],
  'client credentials': [200],
  authorize: [302],
  'login page': [200],
  login: [303],
  'token (code)': [200],
  refresh: [200],
  introspection: [200],
  revocation: [200],
  userinfo: [200],
};

export const REQUEST_KINDS = Object.keys(EXPECTED_STATUSES) as RequestKind[];

export interface LoadOptions {
  durationSeconds: number;
  connections: number;
  /** Seconds at the start whose memory samples are not compared. */
  warmUpSeconds: number;
  /** Length of the first and last windows whose RSS floors are compared, in seconds. */
  windowSeconds: number;
  /** The maximum growth of the RSS floor from the first to the last window; none when absent. */
  maxGrowthMiB?: number;
}

export interface KindReport {
  count: number;
  /** Responses by status, and `no response` for timeouts and connection errors. */
  statuses: Record<string, number>;
  unexpected: number;
  p50Milliseconds: number;
  p99Milliseconds: number;
}

export interface MemoryReport {
  /** The first sample after the warm-up, in MiB. */
  startMiB: number;
  /** The highest sample, in MiB. */
  peakMiB: number;
  /** The last sample, in MiB. */
  endMiB: number;
  /** VmHWM, the kernel's own peak of the process, in MiB. */
  highWaterMiB: number;
  firstWindowMeanMiB: number;
  lastWindowMeanMiB: number;
  /** The lowest sample of the first window after the warm-up, in MiB. */
  firstWindowFloorMiB: number;
  /** The lowest sample of the last window, in MiB. */
  lastWindowFloorMiB: number;
  /** The growth of the floor from the first window to the last, in MiB. */
  growthMiB: number;
  samples: number;
  /** The RSS at every TRACE_SECONDS of the run, in MiB, to show a trend. */
  trace: Array<{ second: number; rssMiB: number }>;
}

export interface LoadReport {
  options: LoadOptions;
  elapsedSeconds: number;
  kinds: Record<RequestKind, KindReport>;
  unexpected: number;
  memory: MemoryReport;
  /** Reasons for failing the run; empty when it passed. */
  failures: string[];
}

interface Outcome {
  kind: RequestKind;
  status: number | 'no response';
  milliseconds: number;
}

/** Tokens of one sign-in, held by the virtual user that obtained them. */
interface UserTokens {
  accessToken: string;
  refreshToken: string;
}

/** Starts a dynalite and a server, runs the load, and stops both. */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const table = await startTestTable();
  let server: TestServer | undefined;
  try {
    await registerLoadClients(table);
    server = await startServer({ DYNAMODB_ENDPOINT: table.endpoint, TABLE_NAME: TEST_TABLE });
    const pid = findServerPid(server.port);
    return await driveLoad(server, pid, options);
  } finally {
    await server?.stop();
    await table.close();
  }
}

async function registerLoadClients(table: TestTable): Promise<void> {
  await registerClients(table.endpoint, [
    {
      clientId: SERVICE.clientId,
      secret: SERVICE.secret,
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['client_credentials'],
      scopes: ['api:read'],
      introspection: true,
    },
  ]);
  await registerPublicClients(table.endpoint, [
    {
      clientId: APP_ID,
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      redirectUris: [REDIRECT_URI],
      scopes: ['openid', 'profile', 'api:read'],
      skipConsent: true,
    },
  ]);
  await createUser(table.endpoint, USER.username, USER.password, { name: 'Load User' });
}

/**
 * Finds the process that the test support spawned for the server: a child of this process
 * whose command runs bin/local-server.ts with this PORT.
 */
function findServerPid(port: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The parent pid is the second field after the command, which is in parentheses.
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== process.pid) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const environment = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (command.includes('local-server.ts') && environment.includes(`PORT=${port}`)) {
        return Number(entry);
      }
    } catch {
      // The process ended while being read.
    }
  }
  throw new Error(`No child process of ${process.pid} runs the local server on port ${port}.`);
}

/** Reads a memory field of /proc/<pid>/status, such as VmRSS, in MiB. */
function readMemoryMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (match?.[1] === undefined) throw new Error(`/proc/${pid}/status has no ${field}.`);
  return Number(match[1]) / 1024;
}

async function driveLoad(
  server: TestServer,
  pid: number,
  options: LoadOptions,
): Promise<LoadReport> {
  const outcomes: Outcome[] = [];
  const samples: Array<{ second: number; rssMiB: number }> = [];
  const started = performance.now();
  const deadline = started + options.durationSeconds * 1000;
  const elapsedSeconds = () => (performance.now() - started) / 1000;

  const sampler = setInterval(() => {
    samples.push({ second: elapsedSeconds(), rssMiB: readMemoryMiB(pid, 'VmRSS') });
  }, SAMPLE_MILLISECONDS);
  try {
    const users = Array.from({ length: options.connections }, (_, index) =>
      runVirtualUser(server.url, index, deadline, outcomes),
    );
    await Promise.all(users);
  } finally {
    clearInterval(sampler);
  }
  samples.push({ second: elapsedSeconds(), rssMiB: readMemoryMiB(pid, 'VmRSS') });

  const kinds = summarizeKinds(outcomes);
  const memory = summarizeMemory(samples, readMemoryMiB(pid, 'VmHWM'), options);
  const unexpected = Object.values(kinds).reduce((sum, kind) => sum + kind.unexpected, 0);
  const failures: string[] = [];
  if (unexpected > 0) {
    failures.push(`${unexpected} requests got an unexpected status or no response.`);
  }
  if (options.maxGrowthMiB !== undefined && memory.growthMiB > options.maxGrowthMiB) {
    failures.push(
      `The RSS floor grew by ${memory.growthMiB.toFixed(1)} MiB from the first to the last ` +
        `${options.windowSeconds} s window, more than ${options.maxGrowthMiB} MiB.`,
    );
  }
  return { options, elapsedSeconds: elapsedSeconds(), kinds, unexpected, memory, failures };
}

/**
 * Sends one connection's worth of load: requests one at a time until the deadline. The user
 * signs in through the code flow whenever it has no tokens, and otherwise picks a request
 * kind by weight.
 */
async function runVirtualUser(
  issuer: string,
  index: number,
  deadline: number,
  outcomes: Outcome[],
): Promise<void> {
  let tokens: UserTokens | undefined;
  // A different start per user spreads the kinds over time from the first second.
  let turn = index * 7;

  while (performance.now() < deadline) {
    turn += 1;
    if (tokens === undefined) {
      tokens = await signIn(issuer, outcomes);
      continue;
    }
    switch (pickKind(turn)) {
      case 'discovery':
        await record(outcomes, 'discovery', () => get(issuer, '/.well-known/openid-configuration'));
        break;
      case 'jwks':
        await record(outcomes, 'jwks', () => get(issuer, '/jwks.json'));
        break;
      case 'client credentials':
        await record(outcomes, 'client credentials', () =>
          postForm(issuer, '/token', { grant_type: 'client_credentials' }, serviceAuthorization()),
        );
        break;
      case 'refresh':
        tokens = await refresh(issuer, tokens, outcomes);
        break;
      case 'introspection':
        await record(outcomes, 'introspection', () =>
          postForm(
            issuer,
            '/introspect',
            { token: tokens?.accessToken ?? '' },
            serviceAuthorization(),
          ),
        );
        break;
      case 'userinfo':
        await record(outcomes, 'userinfo', () =>
          get(issuer, '/userinfo', { authorization: `Bearer ${tokens?.accessToken ?? ''}` }),
        );
        break;
      case 'revocation':
        // Revoking the refresh token ends the family, so the user signs in again next turn.
        await record(outcomes, 'revocation', () =>
          postForm(issuer, '/revoke', {
            token: tokens?.refreshToken ?? '',
            token_type_hint: 'refresh_token',
            client_id: APP_ID,
          }),
        );
        tokens = undefined;
        break;
    }
  }
}

/** The request kinds a signed-in user picks from, each listed as often as its weight. */
const WEIGHTED_KINDS: readonly RequestKind[] = [
  ...Array<RequestKind>(3).fill('discovery'),
  ...Array<RequestKind>(3).fill('jwks'),
  ...Array<RequestKind>(6).fill('client credentials'),
  ...Array<RequestKind>(4).fill('refresh'),
  ...Array<RequestKind>(4).fill('introspection'),
  ...Array<RequestKind>(4).fill('userinfo'),
  'revocation',
];

/** Picks a kind by a fixed stride through the weighted list, so that runs are repeatable. */
function pickKind(turn: number): RequestKind {
  return WEIGHTED_KINDS[(turn * 13) % WEIGHTED_KINDS.length] ?? 'discovery';
}

/**
 * Runs the authorization code flow of a browser that is not signed in: /authorize, the login
 * page, the login, and the code redemption with PKCE. Returns undefined when a step fails.
 */
async function signIn(issuer: string, outcomes: Outcome[]): Promise<UserTokens | undefined> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: APP_ID,
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile api:read',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });

  const authorize = await record(outcomes, 'authorize', () =>
    get(issuer, `/authorize?${query.toString()}`),
  );
  const loginUrl = authorize?.response.headers.get('location');
  const binding =
    authorize === undefined ? undefined : cookieOf(authorize.response, 'oauth_interaction');
  if (!loginUrl || binding === undefined) return undefined;
  const cookie = { cookie: `oauth_interaction=${binding}` };
  const { pathname, search } = new URL(loginUrl);

  const page = await record(outcomes, 'login page', () =>
    get(issuer, `${pathname}${search}`, cookie),
  );
  const interaction = hiddenField(page?.text ?? '', 'interaction');
  const csrfToken = hiddenField(page?.text ?? '', 'csrf_token');
  if (interaction === undefined || csrfToken === undefined) return undefined;

  const login = await record(outcomes, 'login', () =>
    postForm(issuer, '/login', { interaction, csrf_token: csrfToken, ...USER }, cookie),
  );
  const callback = login?.response.headers.get('location');
  const code = callback ? new URL(callback).searchParams.get('code') : null;
  if (code === null) return undefined;

  const token = await record(outcomes, 'token (code)', () =>
    postForm(issuer, '/token', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      client_id: APP_ID,
      code_verifier: verifier,
    }),
  );
  return token === undefined ? undefined : readTokens(token);
}

async function refresh(
  issuer: string,
  tokens: UserTokens,
  outcomes: Outcome[],
): Promise<UserTokens | undefined> {
  const response = await record(outcomes, 'refresh', () =>
    postForm(issuer, '/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refreshToken,
      client_id: APP_ID,
    }),
  );
  return response === undefined ? undefined : readTokens(response);
}

function readTokens(page: Page): UserTokens | undefined {
  const body = JSON.parse(page.text) as Record<string, unknown>;
  if (typeof body.access_token !== 'string' || typeof body.refresh_token !== 'string') {
    return undefined;
  }
  return { accessToken: body.access_token, refreshToken: body.refresh_token };
}

/** A response with its body read, which frees the connection for the next request. */
interface Page {
  response: Response;
  text: string;
}

/**
 * Sends a request, reads the whole response, records its status and latency, and returns it
 * when the status was expected.
 */
async function record(
  outcomes: Outcome[],
  kind: RequestKind,
  send: () => Promise<Response>,
): Promise<Page | undefined> {
  const started = performance.now();
  let page: Page;
  try {
    const response = await send();
    page = { response, text: await response.text() };
  } catch {
    outcomes.push({ kind, status: 'no response', milliseconds: performance.now() - started });
    return undefined;
  }
  const { status } = page.response;
  outcomes.push({ kind, status, milliseconds: performance.now() - started });
  return EXPECTED_STATUSES[kind].includes(status) ? page : undefined;
}

function get(
  issuer: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${issuer}${path}`, {
    headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MILLISECONDS),
  });
}

function postForm(
  issuer: string,
  path: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': FORM, ...headers },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MILLISECONDS),
  });
}

function serviceAuthorization(): Record<string, string> {
  return { authorization: basicAuthorization(SERVICE.clientId, SERVICE.secret) };
}

function cookieOf(response: Response, name: string): string | undefined {
  for (const setCookie of response.headers.getSetCookie()) {
    const [pair = ''] = setCookie.split(';');
    if (pair.startsWith(`${name}=`)) return pair.slice(name.length + 1);
  }
  return undefined;
}

function hiddenField(html: string, name: string): string | undefined {
  return new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(html)?.[1];
}

function summarizeKinds(outcomes: Outcome[]): Record<RequestKind, KindReport> {
  const kinds = {} as Record<RequestKind, KindReport>;
  for (const kind of REQUEST_KINDS) {
    const ofKind = outcomes.filter((outcome) => outcome.kind === kind);
    const statuses: Record<string, number> = {};
    for (const outcome of ofKind) statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
    const latencies = ofKind.map((outcome) => outcome.milliseconds).sort((a, b) => a - b);
    kinds[kind] = {
      count: ofKind.length,
      statuses,
      unexpected: ofKind.filter(
        (outcome) =>
          outcome.status === 'no response' || !EXPECTED_STATUSES[kind].includes(outcome.status),
      ).length,
      p50Milliseconds: percentile(latencies, 0.5),
      p99Milliseconds: percentile(latencies, 0.99),
    };
  }
  return kinds;
}

/** Returns the nearest-rank percentile of sorted values, or 0 for none. */
function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, rank)] ?? 0;
}

function summarizeMemory(
  samples: Array<{ second: number; rssMiB: number }>,
  highWaterMiB: number,
  options: LoadOptions,
): MemoryReport {
  const afterWarmUp = samples.filter((sample) => sample.second >= options.warmUpSeconds);
  const measured = afterWarmUp.length > 0 ? afterWarmUp : samples;
  const firstStart = measured[0]?.second ?? 0;
  const lastEnd = measured.at(-1)?.second ?? 0;
  const mean = (values: number[]) =>
    values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
  const firstWindow = measured
    .filter((sample) => sample.second < firstStart + options.windowSeconds)
    .map((sample) => sample.rssMiB);
  const lastWindow = measured
    .filter((sample) => sample.second > lastEnd - options.windowSeconds)
    .map((sample) => sample.rssMiB);

  const firstWindowFloorMiB = Math.min(...firstWindow);
  const lastWindowFloorMiB = Math.min(...lastWindow);
  return {
    startMiB: measured[0]?.rssMiB ?? 0,
    peakMiB: Math.max(...samples.map((sample) => sample.rssMiB)),
    endMiB: samples.at(-1)?.rssMiB ?? 0,
    highWaterMiB,
    firstWindowMeanMiB: mean(firstWindow),
    lastWindowMeanMiB: mean(lastWindow),
    firstWindowFloorMiB,
    lastWindowFloorMiB,
    growthMiB: lastWindowFloorMiB - firstWindowFloorMiB,
    samples: samples.length,
    trace: traceOf(samples),
  };
}

/**
 * Returns the lowest sample of every TRACE_SECONDS interval: the footprint right after the
 * garbage collections of that interval, which shows a trend better than single samples.
 */
function traceOf(samples: Array<{ second: number; rssMiB: number }>) {
  const trace: Array<{ second: number; rssMiB: number }> = [];
  for (const sample of samples) {
    const bucket = Math.floor(sample.second / TRACE_SECONDS) * TRACE_SECONDS;
    const last = trace.at(-1);
    if (last === undefined || last.second !== bucket) {
      trace.push({ second: bucket, rssMiB: sample.rssMiB });
    } else {
      last.rssMiB = Math.min(last.rssMiB, sample.rssMiB);
    }
  }
  return trace;
}

/** Formats a report as plain text lines for the terminal. */
export function formatReport(report: LoadReport): string {
  const { options, memory } = report;
  const lines = [
    `Load run: ${options.connections} connections for ${options.durationSeconds} s ` +
      `(${report.elapsedSeconds.toFixed(1)} s elapsed).`,
    '',
    'kind                 count   req/s   p50 ms   p99 ms  unexpected  statuses',
  ];
  for (const kind of REQUEST_KINDS) {
    const entry = report.kinds[kind];
    const statuses = Object.entries(entry.statuses)
      .map(([status, count]) => `${status}: ${count}`)
      .join(', ');
    lines.push(
      [
        kind.padEnd(18),
        String(entry.count).padStart(7),
        (entry.count / report.elapsedSeconds).toFixed(1).padStart(7),
        entry.p50Milliseconds.toFixed(1).padStart(8),
        entry.p99Milliseconds.toFixed(1).padStart(8),
        String(entry.unexpected).padStart(11),
        ` ${statuses}`,
      ].join(' '),
    );
  }
  const mib = (value: number) => `${value.toFixed(1)} MiB`;
  const bound =
    options.maxGrowthMiB === undefined ? 'not checked' : `bound ${options.maxGrowthMiB} MiB`;
  const trace = memory.trace.map((sample) => sample.rssMiB.toFixed(0)).join(' ');
  lines.push(
    '',
    `Server RSS: start ${mib(memory.startMiB)} (after ${options.warmUpSeconds} s warm-up), ` +
      `peak ${mib(memory.peakMiB)} (VmHWM ${mib(memory.highWaterMiB)}), ` +
      `end ${mib(memory.endMiB)}, ${memory.samples} samples.`,
    `First ${options.windowSeconds} s window: floor ${mib(memory.firstWindowFloorMiB)}, ` +
      `mean ${mib(memory.firstWindowMeanMiB)}. Last window: floor ` +
      `${mib(memory.lastWindowFloorMiB)}, mean ${mib(memory.lastWindowMeanMiB)}.`,
    `Growth of the floor: ${mib(memory.growthMiB)} (${bound}).`,
    `Lowest RSS of every ${TRACE_SECONDS} s (MiB): ${trace}`,
    '',
    report.failures.length === 0 ? 'PASS' : `FAIL\n${report.failures.join('\n')}`,
  );
  return lines.join('\n');
}

function parseOptions(argv: string[]): LoadOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '60' },
      connections: { type: 'string', default: '50' },
      'warm-up': { type: 'string', default: '30' },
      window: { type: 'string', default: '10' },
      'max-growth-mib': { type: 'string', default: '64' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      [
        'Usage: node bench/load-run.ts [options]',
        '  --duration SECONDS       length of the load, default 60',
        '  --connections N          concurrent connections, each with one request at a time,',
        '                           default 50',
        '  --warm-up SECONDS        start of the run whose memory is not compared, default 30',
        '  --window SECONDS         length of the first and last memory windows, default 10',
        '  --max-growth-mib MIB     accepted growth of the RSS floor between them, default 64',
        '',
      ].join('\n'),
    );
    process.exit(0);
  }

  const number = (name: string, text: string, minimum: number) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < minimum) {
      throw new Error(`--${name} must be a number of at least ${minimum}, not '${text}'.`);
    }
    return value;
  };
  const options = {
    durationSeconds: number('duration', values.duration, 1),
    connections: Math.floor(number('connections', values.connections, 1)),
    warmUpSeconds: number('warm-up', values['warm-up'], 0),
    windowSeconds: number('window', values.window, 1),
    maxGrowthMiB: number('max-growth-mib', values['max-growth-mib'], 0),
  };
  if (options.warmUpSeconds + 2 * options.windowSeconds > options.durationSeconds) {
    throw new Error(
      '--duration must be at least --warm-up plus two --window lengths, so that the ' +
        'windows do not overlap.',
    );
  }
  return options;
}

async function main(): Promise<void> {
  let options: LoadOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const report = await runLoad(options);
  process.stdout.write(`${formatReport(report)}\n`);
  process.exit(report.failures.length === 0 ? 0 : 1);
}

if (import.meta.main) await main();
