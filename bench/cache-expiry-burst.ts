/**
 * Concurrent client credentials requests when the local server's cached secret check has
 * expired: starts the local server, loads it with 50 connections for 2 s, waits until the
 * 60 s of MEMORY_CACHE_SECONDS have passed, and loads it again for 2 s. In both windows every
 * request in flight checks the client secret with scrypt, because a check in progress is not
 * shared. Prints the responses of both windows and the server CPU time of the second.
 *
 * Run: node bench/cache-expiry-burst.ts (about 70 s)
 */
import { basicAuthorization, runLoad, type LoadResult } from './support/load.ts';
import { writeResult } from './support/results.ts';
import { BENCH_CLIENT_ID, BENCH_CLIENT_SECRET, startLocalServer } from './support/servers.ts';
import { fixed } from './support/statistics.ts';

const CONNECTIONS = 50;
const LOAD_SECONDS = 2;
/** MEMORY_CACHE_SECONDS of the local server by default, plus 2 s. */
const WAIT_MILLISECONDS = 62_000;

const server = await startLocalServer({ label: 'local server' });
const request = {
  url: `${server.url}/token`,
  method: 'POST' as const,
  headers: {
    authorization: basicAuthorization(BENCH_CLIENT_ID, BENCH_CLIENT_SECRET),
    'content-type': 'application/x-www-form-urlencoded',
  },
  body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api:read' }).toString(),
  connections: CONNECTIONS,
  durationSeconds: LOAD_SECONDS,
};

let afterStart: LoadResult;
let afterExpiry: LoadResult;
let cpuMilliseconds: number;
try {
  afterStart = await runLoad(request);
  await new Promise((resolve) => setTimeout(resolve, WAIT_MILLISECONDS));
  const cpuBefore = server.cpuMilliseconds();
  afterExpiry = await runLoad(request);
  cpuMilliseconds = server.cpuMilliseconds() - cpuBefore;
} finally {
  await server.stop();
}

writeResult('cache-expiry-burst', { connections: CONNECTIONS, loadSeconds: LOAD_SECONDS, afterStart, afterExpiry, cpuMilliseconds });
const describe = (result: LoadResult) =>
  `${result.successes} responses in ${fixed(result.durationSeconds, 2)} s, p50 ${fixed(result.p50, 0)} ms`;
console.log(`First ${LOAD_SECONDS} s after the start, ${CONNECTIONS} connections: ${describe(afterStart)}`);
console.log(
  `First ${LOAD_SECONDS} s after the cache expired: ${describe(afterExpiry)}, ` +
    `server CPU ${fixed(cpuMilliseconds, 0)} ms`,
);
