/**
 * Token throughput: client credentials token requests against the local server and against
 * node oidc-provider (bench/peers/oidc-provider-server.ts), each in its own process, with the
 * same autocannon load. Every measured run follows an unmeasured warm-up, and the order of the
 * servers flips each round, because absolute figures on a shared machine drift. The local
 * server runs twice: at the default log level INFO, where it writes one request log line per
 * request as users run it, and at WARN, without that line, to show what the line costs.
 *
 * With --with-proposals it adds a fourth server: the local server with the changes that
 * docs/benchmarks.md proposes, swapped in by bench/experiments/register-proposals.ts, and
 * writes its figures as token-throughput-proposals.
 *
 * Run: node bench/token-throughput.ts [--with-proposals] (BENCH_QUICK=1 for a short check)
 */
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { renderBarChart } from './support/bar-chart.ts';
import { basicAuthorization, runLoad, type LoadResult } from './support/load.ts';
import { startLoadWindow, waitForQuiet } from './support/machine-load.ts';
import { describeMachine, writeChart, writeResult } from './support/results.ts';
import { stopAll } from './support/server-process.ts';
import {
  BENCH_CLIENT_ID,
  BENCH_CLIENT_SECRET,
  startLocalServer,
  startOidcProvider,
  type RunningServer,
} from './support/servers.ts';
import { loadSettings } from './support/settings.ts';
import { fixed, markdownTable, mean, ratio } from './support/statistics.ts';

type ArmName = 'ours' | 'ours-warn' | 'oidc-provider' | 'ours-proposed';

interface Arm {
  name: ArmName;
  description: string;
  color: string;
  /** Path of the server's JWKS, to verify a sample token. */
  jwksPath: string;
  start(): Promise<RunningServer>;
}

const withProposals = process.argv.includes('--with-proposals');
const resultName = withProposals ? 'token-throughput-proposals' : 'token-throughput';

const allArms: Arm[] = [
  {
    name: 'ours',
    description: 'local server, POWERTOOLS_LOG_LEVEL INFO (default): one request log line per request',
    color: '#1f77b4',
    jwksPath: '/jwks.json',
    start: () => startLocalServer({ label: 'local server (INFO)' }),
  },
  {
    name: 'oidc-provider',
    description: 'oidc-provider 9 peer: no request log',
    color: '#ff7f0e',
    jwksPath: '/jwks',
    start: () => startOidcProvider('oidc-provider'),
  },
  {
    name: 'ours-warn',
    description: 'local server, POWERTOOLS_LOG_LEVEL WARN: no request log line',
    color: '#9ecae1',
    jwksPath: '/jwks.json',
    start: () => startLocalServer({ label: 'local server (WARN)', environment: { POWERTOOLS_LOG_LEVEL: 'WARN' } }),
  },
  {
    name: 'ours-proposed',
    description: 'local server, log level INFO, with the proposed signing and metric changes',
    color: '#2ca02c',
    jwksPath: '/jwks.json',
    start: () =>
      startLocalServer({
        label: 'local server (proposals)',
        nodeOptions: ['--import', './bench/experiments/register-proposals.ts'],
      }),
  },
];

const arms = allArms.filter((arm) =>
  withProposals ? arm.name !== 'ours-warn' : arm.name !== 'ours-proposed',
);

const TOKEN_BODY = new URLSearchParams({ grant_type: 'client_credentials', scope: 'api:read' }).toString();
const TOKEN_HEADERS = {
  authorization: basicAuthorization(BENCH_CLIENT_ID, BENCH_CLIENT_SECRET),
  'content-type': 'application/x-www-form-urlencoded',
};

export interface ThroughputRun extends LoadResult {
  arm: ArmName;
  round: number;
  /** Server CPU time (user + system, all threads) per 2xx response, in milliseconds. */
  cpuMillisecondsPerToken: number;
  /** Lines the server wrote to standard output per response. */
  logLinesPerResponse: number;
  /** Cores that other processes on the machine used during the measured run, on average. */
  otherCores: number;
}

export interface ThroughputSummary {
  connections: number;
  arm: ArmName;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  cpuMillisecondsPerToken: number;
  failures: number;
}

export interface ThroughputResult {
  machine: ReturnType<typeof describeMachine>;
  settings: typeof loadSettings;
  arms: Array<{ name: ArmName; description: string }>;
  samples: Record<ArmName, { header: unknown; claims: unknown; responseBytes: number }>;
  runs: ThroughputRun[];
  summaries: ThroughputSummary[];
  ratios: Array<{
    connections: number;
    requestsPerSecond: number;
    requestsPerSecondByRound: number[];
    p99: number;
    cpuPerToken: number;
    oursWarnOverOurs: number;
    proposedOverPeer: number;
  }>;
  targetMet: boolean;
}

async function main(): Promise<void> {
  const machine = describeMachine();
  const servers = new Map<ArmName, RunningServer>();
  const runs: ThroughputRun[] = [];
  let samples: ThroughputResult['samples'];

  try {
    for (const arm of arms) servers.set(arm.name, await arm.start());
    samples = await sampleTokens(servers);

    for (const connections of loadSettings.connections) {
      for (let round = 0; round < loadSettings.rounds; round++) {
        const order = round % 2 === 0 ? arms : [...arms].reverse();
        for (const arm of order) {
          const server = servers.get(arm.name);
          if (server === undefined) throw new Error(`${arm.name} is not running`);
          const run = await measure(arm.name, server, connections, round, () =>
            [...servers.values()].reduce((sum, running) => sum + running.cpuMilliseconds(), 0),
          );
          runs.push(run);
          console.log(
            `${arm.name} c=${connections} round ${round + 1}: ${fixed(run.requestsPerSecond, 0)} req/s, ` +
              `p50 ${fixed(run.p50, 2)} ms, p99 ${fixed(run.p99, 2)} ms, ` +
              `${fixed(run.cpuMillisecondsPerToken, 3)} CPU ms/token, failures ${failures(run)}, ` +
              `other processes ${fixed(run.otherCores, 2)} cores`,
          );
        }
      }
    }
  } finally {
    await stopAll([...servers.values()]);
  }

  const summaries = summarize(runs);
  const ratios = loadSettings.connections.map((connections) => compare(connections, runs, summaries));
  const targetMet = ratios.every((entry) => entry.requestsPerSecond >= 1.5 && entry.p99 <= 1);
  const result: ThroughputResult = {
    machine,
    settings: loadSettings,
    arms: arms.map(({ name, description }) => ({ name, description })),
    samples,
    runs,
    summaries,
    ratios,
    targetMet,
  };

  writeResult(resultName, result);
  writeChart(resultName, throughputChart(summaries));
  writeChart(`${resultName}-cpu`, cpuChart(summaries));
  printReport(result);
}

/**
 * Requests one token from each server, verifies it against the server's JWKS and decodes it,
 * to show that all do the same work.
 */
async function sampleTokens(servers: Map<ArmName, RunningServer>) {
  const samples = {} as ThroughputResult['samples'];
  for (const [name, server] of servers) {
    const arm = arms.find((candidate) => candidate.name === name);
    if (arm === undefined) throw new Error(`no arm ${name}`);
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: TOKEN_HEADERS,
      body: TOKEN_BODY,
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`${name} returned status ${response.status}: ${text}`);
    const { access_token: token } = JSON.parse(text) as { access_token: string };
    const jwks = (await (await fetch(`${server.url}${arm.jwksPath}`)).json()) as JSONWebKeySet;
    await jwtVerify(token, createLocalJWKSet(jwks), { typ: 'at+jwt', algorithms: ['ES256'] });
    const [header = '', claims = ''] = token.split('.');
    samples[name] = {
      header: JSON.parse(Buffer.from(header, 'base64url').toString()),
      claims: JSON.parse(Buffer.from(claims, 'base64url').toString()),
      responseBytes: Buffer.byteLength(text),
    };
  }
  return samples;
}

async function measure(
  arm: ArmName,
  server: RunningServer,
  connections: number,
  round: number,
  serversCpuMilliseconds: () => number,
): Promise<ThroughputRun> {
  const request = {
    url: `${server.url}/token`,
    method: 'POST' as const,
    headers: TOKEN_HEADERS,
    body: TOKEN_BODY,
    connections,
  };
  await waitForQuiet(serversCpuMilliseconds);
  // One request alone first: when the server's 60 s client cache has expired while it idled,
  // this one refills it, and the concurrent warm-up does not start with every connection
  // checking the secret with scrypt at once.
  await fetch(request.url, { method: 'POST', headers: TOKEN_HEADERS, body: TOKEN_BODY }).then((response) =>
    response.arrayBuffer(),
  );
  await runLoad({ ...request, durationSeconds: loadSettings.warmupSeconds });
  await settle();

  const cpuBefore = server.cpuMilliseconds();
  const linesBefore = server.outputLines();
  const window = startLoadWindow(serversCpuMilliseconds);
  const load = await runLoad({ ...request, durationSeconds: loadSettings.durationSeconds });
  const otherCores = window.finish();
  await settle();
  const cpuAfter = server.cpuMilliseconds();
  const linesAfter = server.outputLines();

  return {
    arm,
    round,
    ...load,
    cpuMillisecondsPerToken: (cpuAfter - cpuBefore) / load.successes,
    logLinesPerResponse: (linesAfter - linesBefore) / (load.successes + load.non2xx),
    otherCores,
  };
}

/** Waits for requests still in flight and for the server's output to arrive. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 300));
}

function failures(run: LoadResult): number {
  return run.errors + run.timeouts + run.non2xx;
}

/** Averages the rounds of each server and connection count; CPU per token over all runs. */
function summarize(runs: ThroughputRun[]): ThroughputSummary[] {
  const summaries: ThroughputSummary[] = [];
  for (const connections of loadSettings.connections) {
    for (const arm of arms) {
      const own = runs.filter((run) => run.arm === arm.name && run.connections === connections);
      const cpu = own.reduce((sum, run) => sum + run.cpuMillisecondsPerToken * run.successes, 0);
      const tokens = own.reduce((sum, run) => sum + run.successes, 0);
      summaries.push({
        connections,
        arm: arm.name,
        requestsPerSecond: mean(own.map((run) => run.requestsPerSecond)),
        p50: mean(own.map((run) => run.p50)),
        p99: mean(own.map((run) => run.p99)),
        cpuMillisecondsPerToken: cpu / tokens,
        failures: own.reduce((sum, run) => sum + failures(run), 0),
      });
    }
  }
  return summaries;
}

function compare(connections: number, runs: ThroughputRun[], summaries: ThroughputSummary[]) {
  const find = (arm: ArmName) => {
    const summary = summaries.find((entry) => entry.arm === arm && entry.connections === connections);
    return (
      summary ?? {
        connections,
        arm,
        requestsPerSecond: Number.NaN,
        p50: Number.NaN,
        p99: Number.NaN,
        cpuMillisecondsPerToken: Number.NaN,
        failures: 0,
      }
    );
  };
  const ours = find('ours');
  const peer = find('oidc-provider');
  const byRound = (arm: ArmName, round: number) =>
    runs.find((run) => run.arm === arm && run.connections === connections && run.round === round);

  const requestsPerSecondByRound: number[] = [];
  for (let round = 0; round < loadSettings.rounds; round++) {
    const oursRun = byRound('ours', round);
    const peerRun = byRound('oidc-provider', round);
    if (oursRun && peerRun) requestsPerSecondByRound.push(oursRun.requestsPerSecond / peerRun.requestsPerSecond);
  }

  return {
    connections,
    requestsPerSecond: ours.requestsPerSecond / peer.requestsPerSecond,
    requestsPerSecondByRound,
    p99: ours.p99 / peer.p99,
    cpuPerToken: ours.cpuMillisecondsPerToken / peer.cpuMillisecondsPerToken,
    oursWarnOverOurs: find('ours-warn').requestsPerSecond / ours.requestsPerSecond,
    proposedOverPeer: find('ours-proposed').requestsPerSecond / peer.requestsPerSecond,
  };
}

function throughputChart(summaries: ThroughputSummary[]): string {
  return renderBarChart({
    title: 'Client credentials tokens per second (higher is better)',
    unit: 'req/s',
    groups: loadSettings.connections.map((connections) => ({
      label: `${connections} connections`,
      bars: arms.map((arm) => ({
        label: arm.name,
        color: arm.color,
        value:
          summaries.find((entry) => entry.arm === arm.name && entry.connections === connections)
            ?.requestsPerSecond ?? Number.NaN,
      })),
    })),
  });
}

function cpuChart(summaries: ThroughputSummary[]): string {
  return renderBarChart({
    title: 'Server CPU time per token (lower is better)',
    unit: 'ms',
    decimals: 3,
    groups: loadSettings.connections.map((connections) => ({
      label: `${connections} connections`,
      bars: arms.map((arm) => ({
        label: arm.name,
        color: arm.color,
        value:
          summaries.find((entry) => entry.arm === arm.name && entry.connections === connections)
            ?.cpuMillisecondsPerToken ?? Number.NaN,
      })),
    })),
  });
}

function printReport(result: ThroughputResult): void {
  console.log('\nPer server, mean of the rounds (CPU per token over all rounds):\n');
  console.log(
    markdownTable([
      ['connections', 'server', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms/token', 'errors + non-2xx'],
      ...result.summaries.map((entry) => [
        String(entry.connections),
        entry.arm,
        fixed(entry.requestsPerSecond, 0),
        fixed(entry.p50, 2),
        fixed(entry.p99, 2),
        fixed(entry.cpuMillisecondsPerToken, 3),
        String(entry.failures),
      ]),
    ]),
  );
  console.log('\nRatios ours / oidc-provider:\n');
  console.log(
    markdownTable([
      ['connections', 'req/s', 'req/s by round', 'p99', 'CPU per token', 'ours-warn / ours req/s', 'ours-proposed / oidc-provider req/s'],
      ...result.ratios.map((entry) => [
        String(entry.connections),
        ratio(entry.requestsPerSecond),
        entry.requestsPerSecondByRound.map(ratio).join(', '),
        ratio(entry.p99),
        ratio(entry.cpuPerToken),
        ratio(entry.oursWarnOverOurs),
        ratio(entry.proposedOverPeer),
      ]),
    ]),
  );
  const lines = result.runs.filter((run) => run.arm === 'ours').map((run) => run.logLinesPerResponse);
  console.log(`\nLog lines per response of 'ours': ${lines.map((value) => fixed(value, 2)).join(', ')}`);
  console.log(
    `Target (>= 1.5× req/s and p99 no worse at every connection count): ${result.targetMet ? 'met' : 'missed'}`,
  );
}

await main();
