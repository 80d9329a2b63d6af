/**
 * DynamoDB calls per request: runs the local server with bench/count-dynamodb-calls.ts
 * preloaded, on a dynalite in its own process, and takes the difference of the call counts
 * around each request, or around a batch of requests divided by its size.
 *
 * The local server runs every handler in one process, so they share one client and signing
 * key cache, whereas on Lambda every function instance has its own. "Warm" figures are exact
 * for a warm Lambda instance too. The first requests after a start show the cold reads that a
 * cold Lambda instance makes, but here a later handler finds what an earlier one cached.
 *
 * Run: node bench/dynamodb-calls.ts
 */
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallSnapshot, OperationCount } from './count-dynamodb-calls.ts';
import { Flow, FLOW_STEPS, postForm, type FlowStep } from './support/flow-client.ts';
import { basicAuthorization } from './support/load.ts';
import { registerResourceServer, resourceServerAuthorization } from './support/resource-server.ts';
import { describeMachine, writeResult } from './support/results.ts';
import { stopAll } from './support/server-process.ts';
import {
  BENCH_CLIENT_ID,
  BENCH_CLIENT_SECRET,
  BENCH_PUBLIC_CLIENT_ID,
  startDynaliteProcess,
  startLocalServer,
  type DynaliteProcess,
  type RunningServer,
} from './support/servers.ts';
import { fixed, markdownTable } from './support/statistics.ts';

const WARM_CLIENT_CREDENTIALS = 100;
const WARM_FLOWS = 5;

const READ_OPERATIONS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

/**
 * Minimum read units of an eventually consistent read, which DynamoDB charges also for a Query
 * that finds nothing, where dynalite reports 0. Every Query here reads the signing keys, well
 * under 4 KB, so each counts at least this much.
 */
const MIN_QUERY_READ_UNITS = 0.5;

export interface CallCount {
  calls: number;
  failures: number;
  consistentReads: number;
  capacityUnits: number;
}

export interface Scenario {
  name: string;
  /** Requests the counts are divided by. */
  requests: number;
  operations: Record<string, CallCount>;
  reads: number;
  writes: number;
  /** Read request units; each Query at least MIN_QUERY_READ_UNITS. */
  readUnits: number;
  /** Write request units, including failed conditional writes, which also consume them. */
  writeUnits: number;
}

export interface CallsResult {
  machine: ReturnType<typeof describeMachine>;
  scenarios: Scenario[];
}

/** Reads the preload's counts by signalling the server and waiting for the file. */
class CallCounter {
  readonly #pid: number;
  readonly #file: string;
  #sequence = 0;

  constructor(pid: number, file: string) {
    this.#pid = pid;
    this.#file = file;
  }

  async snapshot(): Promise<Record<string, OperationCount>> {
    this.#sequence += 1;
    process.kill(this.#pid, 'SIGUSR2');
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const text = await readFile(this.#file, 'utf8').catch(() => '');
      if (text !== '') {
        const snapshot = JSON.parse(text) as CallSnapshot;
        if (snapshot.sequence === this.#sequence) return structuredClone(snapshot.operations);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`The server wrote no call counts to ${this.#file} within 5 s.`);
  }

  /** Runs `action` and returns the calls it caused, divided by `requests`. */
  async measure(name: string, requests: number, action: () => Promise<unknown>): Promise<Scenario> {
    const before = await this.snapshot();
    await action();
    const after = await this.snapshot();
    return scenario(name, requests, before, after);
  }
}

function scenario(
  name: string,
  requests: number,
  before: Record<string, OperationCount>,
  after: Record<string, OperationCount>,
): Scenario {
  const operations: Record<string, CallCount> = {};
  let reads = 0;
  let writes = 0;
  let readUnits = 0;
  let writeUnits = 0;

  for (const [operation, total] of Object.entries(after)) {
    const earlier = before[operation];
    const calls = (total.calls - (earlier?.calls ?? 0)) / requests;
    if (calls === 0) continue;
    const failures = (total.failures - (earlier?.failures ?? 0)) / requests;
    const withoutCapacity = (total.withoutCapacity - (earlier?.withoutCapacity ?? 0)) / requests;
    const reported = (total.capacityUnits - (earlier?.capacityUnits ?? 0)) / requests;
    const count: CallCount = {
      calls,
      failures,
      consistentReads: (total.consistentReads - (earlier?.consistentReads ?? 0)) / requests,
      capacityUnits: reported,
    };
    operations[operation] = count;

    if (READ_OPERATIONS.has(operation)) {
      reads += calls;
      const minimum = operation === 'Query' ? calls * MIN_QUERY_READ_UNITS : 0;
      readUnits += Math.max(reported + withoutCapacity * MIN_QUERY_READ_UNITS, minimum);
    } else {
      writes += calls;
      // A failed conditional write reports no capacity but consumes at least one unit.
      writeUnits += reported + failures;
    }
  }
  return { name, requests, operations, reads, writes, readUnits, writeUnits };
}

async function main(): Promise<void> {
  const machine = describeMachine();
  const folder = await mkdtemp(join(tmpdir(), 'oauth-bench-calls-'));
  const callsFile = join(folder, 'calls.json');
  let store: DynaliteProcess | undefined;
  let server: RunningServer | undefined;
  const scenarios: Scenario[] = [];

  const start = async (label: string) => {
    if (store === undefined) throw new Error('dynalite is not running');
    // The restart keeps the data folder, whose key-encryption key unwraps the signing key.
    const started = await startLocalServer({
      label,
      nodeOptions: ['--import', './bench/count-dynamodb-calls.ts'],
      environment: { DYNAMODB_ENDPOINT: store.endpoint, DYNAMODB_CALLS_FILE: callsFile },
      dataDirectory: join(folder, 'server-data'),
    });
    return { started, counter: new CallCounter(started.pid, callsFile) };
  };

  try {
    store = await startDynaliteProcess();
    await registerResourceServer(store.endpoint);

    const first = await start('local server (first start)');
    server = first.started;
    scenarios.push(...(await firstStart(server, first.counter)));
    await server.stop();

    const second = await start('local server (restart)');
    server = second.started;
    scenarios.push(...(await restart(server, second.counter)));
  } catch (error) {
    if (server !== undefined) console.error(`Server output before the failure:\n${server.recentOutput()}${server.errors()}`);
    throw error;
  } finally {
    await stopAll([server, store]);
    await rm(folder, { recursive: true, force: true });
  }

  const result: CallsResult = { machine, scenarios };
  writeResult('dynamodb-calls', result);
  printReport(result);
}

const clientCredentialsHeaders = { authorization: basicAuthorization(BENCH_CLIENT_ID, BENCH_CLIENT_SECRET) };
const resourceServerHeaders = { authorization: resourceServerAuthorization };

async function clientCredentials(server: RunningServer): Promise<void> {
  const { status, body } = await postForm(
    server.issuer,
    '/token',
    { grant_type: 'client_credentials', scope: 'api:read' },
    clientCredentialsHeaders,
  );
  if (status !== 200) throw new Error(`client credentials returned status ${status}: ${body}`);
}

async function expectOk(
  name: string,
  request: Promise<{ status: number; body: string }>,
): Promise<string> {
  const { status, body } = await request;
  if (status !== 200) throw new Error(`${name} returned status ${status}: ${body}`);
  return body;
}

/** Measures the requests on a fresh table, where the first token creates the signing key. */
async function firstStart(server: RunningServer, counter: CallCounter): Promise<Scenario[]> {
  const scenarios: Scenario[] = [];
  scenarios.push(
    await counter.measure('client credentials: first token of a new table (creates the signing key)', 1, () =>
      clientCredentials(server),
    ),
  );
  scenarios.push(
    await counter.measure(`client credentials: warm (mean of ${WARM_CLIENT_CREDENTIALS})`, WARM_CLIENT_CREDENTIALS, async () => {
      for (let index = 0; index < WARM_CLIENT_CREDENTIALS; index++) await clientCredentials(server);
    }),
  );

  // The first flow of the process reads the demo app's client and the user; later ones do not.
  scenarios.push(...(await flowSteps(server, counter, 1, 'first flow after start')));
  scenarios.push(...(await flowSteps(server, counter, WARM_FLOWS, `warm, mean of ${WARM_FLOWS} flows`)));
  scenarios.push(...(await afterSignIn(server, counter)));
  return scenarios;
}

/** Measures the first requests after a restart on the same table, where the key exists. */
async function restart(server: RunningServer, counter: CallCounter): Promise<Scenario[]> {
  const scenarios: Scenario[] = [];
  scenarios.push(
    await counter.measure('client credentials: first token after a cold start', 1, () =>
      clientCredentials(server),
    ),
  );
  scenarios.push(...(await flowSteps(server, counter, 1, 'first flow after a cold start')));
  return scenarios;
}

/** Runs `flows` flows one after the other, measuring each step over all of them. */
async function flowSteps(
  server: RunningServer,
  counter: CallCounter,
  flows: number,
  label: string,
): Promise<Scenario[]> {
  const all = Array.from({ length: flows }, () => new Flow(server.issuer));
  const totals = new Map<FlowStep, Array<{ before: Record<string, OperationCount>; after: Record<string, OperationCount> }>>();
  for (const flow of all) {
    for (const step of FLOW_STEPS) {
      const before = await counter.snapshot();
      await flow.run(step);
      const after = await counter.snapshot();
      totals.set(step, [...(totals.get(step) ?? []), { before, after }]);
    }
  }
  return FLOW_STEPS.map((step) => mergeSamples(`${step} (${label})`, totals.get(step) ?? []));
}

/** Sums the differences of several samples and divides by their number. */
function mergeSamples(
  name: string,
  samples: Array<{ before: Record<string, OperationCount>; after: Record<string, OperationCount> }>,
): Scenario {
  const before: Record<string, OperationCount> = {};
  const after: Record<string, OperationCount> = {};
  for (const sample of samples) {
    for (const [target, source] of [
      [before, sample.before],
      [after, sample.after],
    ] as const) {
      for (const [operation, count] of Object.entries(source)) {
        const sum = (target[operation] ??= {
          calls: 0,
          failures: 0,
          consistentReads: 0,
          capacityUnits: 0,
          withoutCapacity: 0,
        });
        sum.calls += count.calls;
        sum.failures += count.failures;
        sum.consistentReads += count.consistentReads;
        sum.capacityUnits += count.capacityUnits;
        sum.withoutCapacity += count.withoutCapacity;
      }
    }
  }
  return scenario(name, samples.length, before, after);
}

/** Measures a returning user, a refresh retry, introspection, userinfo and revocation. */
async function afterSignIn(server: RunningServer, counter: CallCounter): Promise<Scenario[]> {
  const scenarios: Scenario[] = [];
  const flow = new Flow(server.issuer);
  for (const step of FLOW_STEPS) await flow.run(step);

  scenarios.push(
    await counter.measure('refresh: retry of the same token within the grace period', 1, () =>
      flow.refresh(flow.previousRefreshToken),
    ),
  );
  scenarios.push(
    await counter.measure('authorize: returning user with a session and stored consent (code at once)', 1, () =>
      flow.run('authorize', { prompt: '' }),
    ),
  );
  scenarios.push(await counter.measure('token (code): returning user', 1, () => flow.run('token (code)')));

  const introspect = (token: string, hint: string) =>
    expectOk(
      'introspect',
      postForm(server.issuer, '/introspect', { token, token_type_hint: hint }, resourceServerHeaders),
    );
  // The resource server's first request reads its client; the measured ones find it cached.
  scenarios.push(
    await counter.measure('introspect: first request of the resource server (reads its client)', 1, () =>
      introspect('not-a-token', 'access_token'),
    ),
  );
  scenarios.push(
    await counter.measure('introspect: access token', 1, () => introspect(flow.accessToken, 'access_token')),
  );
  scenarios.push(
    await counter.measure('introspect: refresh token', 1, () => introspect(flow.refreshToken, 'refresh_token')),
  );
  scenarios.push(
    await counter.measure('userinfo: GET with the access token', 1, () =>
      fetch(`${server.issuer}/userinfo`, { headers: { authorization: `Bearer ${flow.accessToken}` } }).then(
        async (response) => {
          if (response.status !== 200) throw new Error(`userinfo returned status ${response.status}: ${await response.text()}`);
        },
      ),
    ),
  );

  const revoke = (token: string, hint: string) =>
    expectOk(
      'revoke',
      postForm(server.issuer, '/revoke', { token, token_type_hint: hint, client_id: BENCH_PUBLIC_CLIENT_ID }),
    );
  scenarios.push(
    await counter.measure('revoke: access token', 1, () => revoke(flow.accessToken, 'access_token')),
  );
  scenarios.push(
    await counter.measure('revoke: refresh token (revokes its family)', 1, () =>
      revoke(flow.refreshToken, 'refresh_token'),
    ),
  );
  return scenarios;
}

function printReport(result: CallsResult): void {
  const operationNames = [
    ...new Set(result.scenarios.flatMap((entry) => Object.keys(entry.operations))),
  ].sort();
  const cell = (entry: Scenario, operation: string) => {
    const count = entry.operations[operation];
    if (count === undefined) return '';
    const notes: string[] = [];
    if (count.consistentReads > 0) notes.push(`${fixed(count.consistentReads, 1)} consistent`);
    if (count.failures > 0) notes.push(`${fixed(count.failures, 1)} failed`);
    return `${formatCount(count.calls)}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
  };
  console.log(
    markdownTable([
      ['request', ...operationNames, 'reads', 'writes', 'RRU', 'WRU'],
      ...result.scenarios.map((entry) => [
        entry.name,
        ...operationNames.map((operation) => cell(entry, operation)),
        formatCount(entry.reads),
        formatCount(entry.writes),
        fixed(entry.readUnits, 1),
        fixed(entry.writeUnits, 1),
      ]),
    ]),
  );
}

function formatCount(value: number): string {
  return Number.isInteger(value) ? String(value) : fixed(value, 2);
}

await main();
