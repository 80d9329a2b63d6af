/**
 * Profiles a server under client credentials load: starts it with `node --cpu-prof`, runs the
 * same load as bench/token-throughput.ts at 10 connections, stops it, and prints the functions
 * and packages with the most CPU time during the load. The profile itself stays in a temporary
 * folder, whose path is printed.
 *
 * Run: node bench/profile-token.ts [ours|ours-warn|ours-proposed|oidc-provider]
 * (ours-proposed: with bench/experiments/register-proposals.ts, as token-throughput runs it)
 */
import { readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarizeProfile, type ProfileSummary, type TimeShare } from './support/cpu-profile.ts';
import { basicAuthorization, runLoad } from './support/load.ts';
import { writeResult } from './support/results.ts';
import {
  BENCH_CLIENT_ID,
  BENCH_CLIENT_SECRET,
  startLocalServer,
  startOidcProvider,
  type RunningServer,
} from './support/servers.ts';
import { loadSettings } from './support/settings.ts';
import { fixed, markdownTable } from './support/statistics.ts';

const target = process.argv[2] ?? 'ours';
if (!['ours', 'ours-warn', 'ours-proposed', 'oidc-provider'].includes(target)) {
  throw new Error(`Unknown server ${target}: expected ours, ours-warn, ours-proposed or oidc-provider.`);
}

const CONNECTIONS = 10;
const profileDirectory = await mkdtemp(join(tmpdir(), 'oauth-bench-profile-'));
const profileOptions = ['--cpu-prof', `--cpu-prof-dir=${profileDirectory}`];

const server = await start();
const request = {
  url: `${server.url}/token`,
  method: 'POST' as const,
  headers: {
    authorization: basicAuthorization(BENCH_CLIENT_ID, BENCH_CLIENT_SECRET),
    'content-type': 'application/x-www-form-urlencoded',
  },
  body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api:read' }).toString(),
  connections: CONNECTIONS,
};

let loadStart = 0;
try {
  await runLoad({ ...request, durationSeconds: loadSettings.warmupSeconds });
  loadStart = performance.now();
  const load = await runLoad({ ...request, durationSeconds: loadSettings.durationSeconds });
  console.log(
    `${target} under profiling: ${fixed(load.requestsPerSecond, 0)} req/s, p50 ${fixed(load.p50, 2)} ms, ` +
      `p99 ${fixed(load.p99, 2)} ms, failures ${load.errors + load.timeouts + load.non2xx}`,
  );
} finally {
  await server.stop();
}
// The window covers the measured load and the stop; startup and warm-up stay out.
const windowMilliseconds = performance.now() - loadStart;

const file = readdirSync(profileDirectory).find((name) => name.endsWith('.cpuprofile'));
if (file === undefined) throw new Error(`No .cpuprofile in ${profileDirectory}.`);
const summary = summarizeProfile(join(profileDirectory, file), windowMilliseconds);
writeResult(`profile-${target}`, summary);
printSummary(summary);
console.log(`\nProfile: ${join(profileDirectory, file)}`);

function start(): Promise<RunningServer> {
  if (target === 'oidc-provider') return startOidcProvider('oidc-provider', profileOptions);
  const proposals = target === 'ours-proposed' ? ['--import', './bench/experiments/register-proposals.ts'] : [];
  return startLocalServer({
    label: `local server (${target})`,
    nodeOptions: [...profileOptions, ...proposals],
    ...(target === 'ours-warn' ? { environment: { POWERTOOLS_LOG_LEVEL: 'WARN' } } : {}),
  });
}

function printSummary(summary: ProfileSummary): void {
  const busyShare = (summary.busyMilliseconds / (summary.busyMilliseconds + summary.idleMilliseconds)) * 100;
  console.log(
    `\nWindow ${fixed(summary.windowMilliseconds, 0)} ms: busy ${fixed(summary.busyMilliseconds, 0)} ms ` +
      `(${fixed(busyShare, 1)} %), idle ${fixed(summary.idleMilliseconds, 0)} ms`,
  );
  const table = (title: string, shares: TimeShare[], rows: number) => {
    console.log(`\n${title} (share of busy time):\n`);
    console.log(
      markdownTable([
        ['name', 'ms', '%'],
        ...shares.slice(0, rows).map((share) => [share.name, fixed(share.milliseconds, 0), fixed(share.percent, 1)]),
      ]),
    );
  };
  table('Self time by package', summary.selfByPackage, 15);
  table('Inclusive time by package', summary.inclusiveByPackage, 15);
  table('Self time by function', summary.selfByFunction, 25);
  table('Inclusive time by function', summary.inclusiveByFunction, 40);
}
