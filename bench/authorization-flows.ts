/**
 * The authorization code flow and refresh, step by step, against the local server on a
 * dynalite in its own process (so that the server's CPU time excludes the store's). There is
 * no peer for this in the same run, so the reference is the client credentials token request
 * on the same server, sent by the same client at the same concurrency, before and after.
 *
 * The flows run phase by phase: each step of all flows, with a fixed number in flight, before
 * the next step. So every step gets its own requests per second, latency and server CPU time
 * per request. Every flow uses `prompt=consent`, so it shows the consent page as a first
 * sign-in does.
 *
 * Run: node bench/authorization-flows.ts (BENCH_QUICK=1 for a short check)
 */
import { renderBarChart } from './support/bar-chart.ts';
import { Flow, FLOW_STEPS, postForm, type FlowStep } from './support/flow-client.ts';
import { basicAuthorization } from './support/load.ts';
import { startLoadWindow, waitForQuiet } from './support/machine-load.ts';
import { registerResourceServer, resourceServerAuthorization } from './support/resource-server.ts';
import { describeMachine, writeChart, writeResult } from './support/results.ts';
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
import { quick } from './support/settings.ts';
import { fixed, markdownTable, percentile, ratio } from './support/statistics.ts';

const FLOWS = quick ? 20 : 200;
const WARMUP_FLOWS = quick ? 2 : 10;
const CONCURRENCY = 10;
const REFERENCE_REQUESTS = quick ? 200 : 2_000;

/** Requests after sign-in that use the flow's tokens, each measured like a step. */
type TokenUse = 'introspect (access token)' | 'userinfo' | 'revoke (refresh token)';

type Phase = FlowStep | TokenUse | 'client credentials (reference)';

const REFERENCE: Phase = 'client credentials (reference)';

const tokenUses: Array<{ phase: TokenUse; send(flow: Flow): Promise<{ status: number; body: string }> }> = [
  {
    phase: 'introspect (access token)',
    send: (flow) =>
      postForm(
        flow.agent.issuer,
        '/introspect',
        { token: flow.accessToken, token_type_hint: 'access_token' },
        { authorization: resourceServerAuthorization },
      ),
  },
  {
    phase: 'userinfo',
    send: async (flow) => {
      const response = await fetch(`${flow.agent.issuer}/userinfo`, {
        headers: { authorization: `Bearer ${flow.accessToken}` },
      });
      return { status: response.status, body: await response.text() };
    },
  },
  {
    phase: 'revoke (refresh token)',
    send: (flow) =>
      postForm(flow.agent.issuer, '/revoke', {
        token: flow.refreshToken,
        token_type_hint: 'refresh_token',
        client_id: BENCH_PUBLIC_CLIENT_ID,
      }),
  },
];

export interface PhaseResult {
  phase: Phase;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  failures: number;
  /** Server CPU time per request, in milliseconds. */
  serverCpuMilliseconds: number;
  /** CPU time of the dynalite process per request, in milliseconds. */
  storeCpuMilliseconds: number;
  /** Cores that other processes on the machine used during the phase, on average. */
  otherCores: number;
}

export interface FlowsResult {
  machine: ReturnType<typeof describeMachine>;
  flows: number;
  concurrency: number;
  referenceRequests: number;
  phases: PhaseResult[];
  reference: { requestsPerSecond: number; p50: number; p99: number; serverCpuMilliseconds: number };
  flowsPerSecond: number;
  requestsPerSecond: number;
}

async function main(): Promise<void> {
  const machine = describeMachine();
  let store: DynaliteProcess | undefined;
  let server: RunningServer | undefined;
  const phases: PhaseResult[] = [];

  try {
    store = await startDynaliteProcess();
    await registerResourceServer(store.endpoint);
    server = await startLocalServer({
      label: 'local server',
      environment: {
        DYNAMODB_ENDPOINT: store.endpoint,
        // Codes must outlive the phases between consent and redemption; it changes no work.
        AUTHORIZATION_CODE_LIFETIME_SECONDS: '600',
      },
    });
    const running = { server, store };

    // Warm-up: the first requests check the client secret with scrypt and fill the caches.
    await runFlows(running, WARMUP_FLOWS, undefined);
    await referencePhase(running);
    phases.push(await referencePhase(running));
    await runFlows(running, FLOWS, phases);
    phases.push(await referencePhase(running));
  } finally {
    await stopAll([server, store]);
  }

  const result = summarize(machine, phases);
  writeResult('authorization-flows', result);
  writeChart('authorization-flows', chart(result));
  printReport(result);
}

interface Running {
  server: RunningServer;
  store: DynaliteProcess;
}

/**
 * Runs the flows phase by phase, then uses their tokens, and records each phase when `phases`
 * is given.
 */
async function runFlows(running: Running, count: number, phases: PhaseResult[] | undefined) {
  const flows = Array.from({ length: count }, () => new Flow(running.server.issuer));
  const flowAt = (index: number) => {
    const flow = flows[index];
    if (flow === undefined) throw new Error(`no flow ${index}`);
    return flow;
  };

  for (const step of FLOW_STEPS) {
    const result = await measurePhase(running, step, flows.length, (index) => flowAt(index).run(step));
    phases?.push(result);
  }
  for (const use of tokenUses) {
    const result = await measurePhase(running, use.phase, flows.length, async (index) => {
      const started = performance.now();
      const { status, body } = await use.send(flowAt(index));
      if (status !== 200) throw new Error(`${use.phase} returned status ${status}: ${body}`);
      return { milliseconds: performance.now() - started, status };
    });
    phases?.push(result);
  }
}

const referenceHeaders = { authorization: basicAuthorization(BENCH_CLIENT_ID, BENCH_CLIENT_SECRET) };

function referencePhase(running: Running): Promise<PhaseResult> {
  return measurePhase(running, REFERENCE, REFERENCE_REQUESTS, async () => {
    const started = performance.now();
    const { status, body } = await postForm(
      running.server.issuer,
      '/token',
      { grant_type: 'client_credentials', scope: 'api:read' },
      referenceHeaders,
    );
    if (status !== 200) throw new Error(`client credentials returned status ${status}: ${body}`);
    return { milliseconds: performance.now() - started, status };
  });
}

/** Sends `count` requests with CONCURRENCY in flight and measures them. */
async function measurePhase(
  running: Running,
  phase: Phase,
  count: number,
  send: (index: number) => Promise<{ milliseconds: number; status: number }>,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  let failures = 0;
  let nextIndex = 0;
  const measuredCpu = () => running.server.cpuMilliseconds() + running.store.cpuMilliseconds();
  await waitForQuiet(measuredCpu);
  const window = startLoadWindow(measuredCpu);
  const serverCpuBefore = running.server.cpuMilliseconds();
  const storeCpuBefore = running.store.cpuMilliseconds();
  const started = performance.now();

  const worker = async () => {
    while (nextIndex < count) {
      const index = nextIndex++;
      try {
        latencies.push((await send(index)).milliseconds);
      } catch (error) {
        failures += 1;
        if (failures <= 3) console.error(`${phase} failed: ${String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));

  const seconds = (performance.now() - started) / 1000;
  const otherCores = window.finish();
  const serverCpu = running.server.cpuMilliseconds() - serverCpuBefore;
  const storeCpu = running.store.cpuMilliseconds() - storeCpuBefore;
  return {
    phase,
    requests: count,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failures,
    serverCpuMilliseconds: serverCpu / count,
    storeCpuMilliseconds: storeCpu / count,
    otherCores,
  };
}

function summarize(machine: FlowsResult['machine'], phases: PhaseResult[]): FlowsResult {
  const references = phases.filter((phase) => phase.phase === REFERENCE);
  const steps = phases.filter((phase) => (FLOW_STEPS as readonly Phase[]).includes(phase.phase));
  const average = (pick: (phase: PhaseResult) => number) =>
    references.reduce((sum, phase) => sum + pick(phase), 0) / references.length;
  const flowSeconds = steps.reduce((sum, phase) => sum + phase.seconds, 0);

  return {
    machine,
    flows: FLOWS,
    concurrency: CONCURRENCY,
    referenceRequests: REFERENCE_REQUESTS,
    phases,
    reference: {
      requestsPerSecond: average((phase) => phase.requestsPerSecond),
      p50: average((phase) => phase.p50),
      p99: average((phase) => phase.p99),
      serverCpuMilliseconds: average((phase) => phase.serverCpuMilliseconds),
    },
    flowsPerSecond: FLOWS / flowSeconds,
    requestsPerSecond: steps.reduce((sum, phase) => sum + phase.requests, 0) / flowSeconds,
  };
}

function chart(result: FlowsResult): string {
  return renderBarChart({
    title: `Requests per second per step, ${result.concurrency} in flight (higher is better)`,
    unit: 'req/s',
    groups: [
      {
        label: 'authorization code flow, refresh, and uses of the tokens',
        bars: result.phases
          .filter((phase) => phase.phase !== REFERENCE)
          .map((phase) => ({ label: phase.phase, value: phase.requestsPerSecond, color: '#1f77b4' })),
      },
      {
        label: 'reference: client credentials, mean of before and after',
        bars: [{ label: 'client credentials', value: result.reference.requestsPerSecond, color: '#9ecae1' }],
      },
    ],
  });
}

function printReport(result: FlowsResult): void {
  const { reference } = result;
  console.log(
    `\n${result.flows} flows, ${result.concurrency} requests in flight; reference: client credentials ` +
      `on the same server, ${result.referenceRequests} requests before and after the flows.\n`,
  );
  console.log(
    markdownTable([
      ['step', 'req/s', 'p50 ms', 'p99 ms', 'server CPU ms/req', 'dynalite CPU ms/req', 'failures', 'req/s ÷ ref', 'p50 ÷ ref', 'other cores'],
      ...result.phases.map((phase) => [
        phase.phase,
        fixed(phase.requestsPerSecond, 0),
        fixed(phase.p50, 2),
        fixed(phase.p99, 2),
        fixed(phase.serverCpuMilliseconds, 2),
        fixed(phase.storeCpuMilliseconds, 2),
        String(phase.failures),
        ratio(phase.requestsPerSecond / reference.requestsPerSecond),
        ratio(phase.p50 / reference.p50),
        fixed(phase.otherCores, 2),
      ]),
    ]),
  );
  console.log(
    `\nWhole flows (authorize to refresh): ${fixed(result.flowsPerSecond, 1)} flows/s, ` +
      `${fixed(result.requestsPerSecond, 0)} req/s over those steps; reference ${fixed(reference.requestsPerSecond, 0)} req/s, p50 ${fixed(reference.p50, 2)} ms.`,
  );
}

await main();
