/**
 * Estimated AWS cost per million operations, from the figures that the other benchmarks wrote
 * to bench/results: server CPU time per request (token-throughput, authorization-flows) and
 * DynamoDB request units per request (dynamodb-calls). Beside it, Amazon Cognito's price for
 * the same work.
 *
 * Every price below is an estimate: it was not read from the pricing pages for this script,
 * so check each against its page before relying on it.
 *
 * Run: node bench/cost.ts (after the other benchmarks)
 */
import type { FlowsResult } from './authorization-flows.ts';
import type { ColdStartResult } from './cold-start.ts';
import type { CallsResult, Scenario } from './dynamodb-calls.ts';
import { readResult, writeResult } from './support/results.ts';
import { fixed, markdownTable } from './support/statistics.ts';
import type { ThroughputResult } from './token-throughput.ts';

/** us-east-1 prices, remembered as of early 2025 and not checked against the pages here. */
export const prices = {
  apiGatewayPerMillionRequests: {
    usd: 1.0,
    note: 'HTTP API, first 300 million requests a month',
    source: 'https://aws.amazon.com/api-gateway/pricing/',
  },
  lambdaPerMillionRequests: {
    usd: 0.2,
    note: 'Lambda requests',
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  lambdaArmPerGbSecond: {
    usd: 0.0000133334,
    note: 'Lambda duration on arm64, first 7.5 billion GB-seconds a month',
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  dynamodbPerMillionReadUnits: {
    usd: 0.125,
    note: 'DynamoDB on-demand read request units',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  dynamodbPerMillionWriteUnits: {
    usd: 0.625,
    note: 'DynamoDB on-demand write request units',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  dynamodbPerMillionReplicatedWriteUnits: {
    usd: 0.625,
    note: 'DynamoDB global tables, replicated write request units, per replica region',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  cloudwatchLogsPerGb: {
    usd: 0.5,
    note: 'CloudWatch Logs ingestion, standard class',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
  },
  cognitoMachineToMachinePerMillionTokens: {
    usd: 225,
    note: 'Cognito M2M: $2.25 per 10,000 client credentials token requests, plus $6 per app client a month',
    source: 'https://aws.amazon.com/cognito/pricing/',
  },
  cognitoEssentialsPerMonthlyActiveUser: {
    usd: 0.015,
    note: 'Cognito Essentials tier, per monthly active user beyond the first 10,000',
    source: 'https://aws.amazon.com/cognito/pricing/',
  },
  cognitoLitePerMonthlyActiveUser: {
    usd: 0.0055,
    note: 'Cognito Lite tier, per monthly active user from 10,001 to 100,000 (lower above)',
    source: 'https://aws.amazon.com/cognito/pricing/',
  },
} as const;

export const pricesKnownAsOf = 'early 2025, from memory; not checked against the pages';

/** The function's memory, as lib/oauth-function.ts sets it. */
const MEMORY_GB = 0.5;

/**
 * Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB (as
 * functions/oauth/password.ts notes), so CPU-bound work takes about 1769 / 512 times as long
 * at 512 MB as on a whole core. An estimate: the local core and Graviton differ, and the local
 * CPU time includes the local server's HTTP handling.
 */
const CPU_SLOWDOWN_AT_512_MB = 1769 / 512;

/** An estimate of one DynamoDB call's latency inside a region, counted as if sequential. */
const DYNAMODB_CALL_MILLISECONDS = 5;

/** An estimate of the log bytes per invocation: Lambda's START, END and REPORT lines. */
const PLATFORM_LOG_BYTES = 350;

interface Step {
  name: string;
  cpuMilliseconds: number;
  calls: Scenario;
  /** Source of the CPU figure when it is not the step's own. */
  cpuNote?: string;
}

export interface OperationCost {
  name: string;
  requests: number;
  cpuMilliseconds: number;
  estimatedLambdaMilliseconds: number;
  readUnits: number;
  writeUnits: number;
  usdPerMillion: {
    apiGateway: number;
    lambdaRequests: number;
    lambdaDuration: number;
    dynamodb: number;
    logs: number;
    total: number;
    perExtraRegion: number;
  };
  cognitoUsdPerMillion?: number;
  notes: string[];
}

function required<Result>(name: string): Result {
  const result = readResult<Result>(name);
  if (result === undefined) {
    throw new Error(`bench/results/${name}.json is missing: run node bench/${name}.ts first.`);
  }
  return result;
}

const throughput = required<ThroughputResult>('token-throughput');
const flows = required<FlowsResult>('authorization-flows');
const calls = required<CallsResult>('dynamodb-calls');
const coldStart = readResult<ColdStartResult>('cold-start');

function scenario(prefix: string): Scenario {
  const found = calls.scenarios.find((entry) => entry.name.startsWith(prefix));
  if (found === undefined) throw new Error(`dynamodb-calls has no scenario "${prefix}…"`);
  return found;
}

function phaseCpu(phase: string): number {
  const found = flows.phases.find((entry) => entry.phase === phase);
  if (found === undefined) throw new Error(`authorization-flows has no phase "${phase}"`);
  return found.serverCpuMilliseconds;
}

const clientCredentialsCpu =
  throughput.summaries.find((entry) => entry.arm === 'ours' && entry.connections === 10)
    ?.cpuMillisecondsPerToken ?? Number.NaN;

const flowStep = (step: string): Step => ({
  name: step,
  cpuMilliseconds: phaseCpu(step),
  calls: scenario(`${step} (warm`),
});

const operations: Array<{ name: string; steps: Step[]; cognitoUsdPerMillion?: number }> = [
  {
    name: 'client credentials token (warm function)',
    steps: [
      {
        name: 'token',
        cpuMilliseconds: clientCredentialsCpu,
        calls: scenario('client credentials: warm'),
      },
    ],
    cognitoUsdPerMillion: prices.cognitoMachineToMachinePerMillionTokens.usd,
  },
  {
    name: 'first sign-in: authorize, login and consent pages, code redeemed',
    steps: ['authorize', 'login page', 'login', 'consent page', 'consent', 'token (code)'].map(flowStep),
  },
  {
    name: 'returning sign-in: session and consent stored, code redeemed',
    steps: [
      {
        name: 'authorize',
        cpuMilliseconds: phaseCpu('authorize'),
        calls: scenario('authorize: returning user'),
        cpuNote: 'CPU of the authorize step that shows the login page',
      },
      { name: 'token (code)', cpuMilliseconds: phaseCpu('token (code)'), calls: scenario('token (code): returning user') },
    ],
  },
  { name: 'refresh', steps: [flowStep('refresh')] },
  {
    name: 'introspection of an access token',
    steps: [{ name: 'introspect', cpuMilliseconds: phaseCpu('introspect (access token)'), calls: scenario('introspect: access token') }],
  },
  {
    name: 'userinfo',
    steps: [{ name: 'userinfo', cpuMilliseconds: phaseCpu('userinfo'), calls: scenario('userinfo:') }],
  },
  {
    name: 'revocation of a refresh token',
    steps: [{ name: 'revoke', cpuMilliseconds: phaseCpu('revoke (refresh token)'), calls: scenario('revoke: refresh token') }],
  },
];

function estimate(operation: (typeof operations)[number]): OperationCost {
  let lambdaMilliseconds = 0;
  let cpuMilliseconds = 0;
  let readUnits = 0;
  let writeUnits = 0;
  const notes: string[] = [];

  for (const step of operation.steps) {
    const callCount = step.calls.reads + step.calls.writes;
    const milliseconds = step.cpuMilliseconds * CPU_SLOWDOWN_AT_512_MB + callCount * DYNAMODB_CALL_MILLISECONDS;
    // Lambda bills duration in whole milliseconds, rounded up.
    lambdaMilliseconds += Math.ceil(milliseconds);
    cpuMilliseconds += step.cpuMilliseconds;
    readUnits += step.calls.readUnits;
    writeUnits += step.calls.writeUnits;
    if (step.cpuNote) notes.push(`${step.name}: ${step.cpuNote}`);
  }

  const requests = operation.steps.length;
  const lambdaDuration = (lambdaMilliseconds / 1000) * MEMORY_GB * prices.lambdaArmPerGbSecond.usd * 1e6;
  const dynamodb =
    readUnits * prices.dynamodbPerMillionReadUnits.usd + writeUnits * prices.dynamodbPerMillionWriteUnits.usd;
  const logs = (requests * PLATFORM_LOG_BYTES * 1e6 * prices.cloudwatchLogsPerGb.usd) / 1024 ** 3;
  const apiGateway = requests * prices.apiGatewayPerMillionRequests.usd;
  const lambdaRequests = requests * prices.lambdaPerMillionRequests.usd;

  return {
    name: operation.name,
    requests,
    cpuMilliseconds,
    estimatedLambdaMilliseconds: lambdaMilliseconds,
    readUnits,
    writeUnits,
    usdPerMillion: {
      apiGateway,
      lambdaRequests,
      lambdaDuration,
      dynamodb,
      logs,
      total: apiGateway + lambdaRequests + lambdaDuration + dynamodb + logs,
      perExtraRegion: writeUnits * prices.dynamodbPerMillionReplicatedWriteUnits.usd,
    },
    ...(operation.cognitoUsdPerMillion === undefined ? {} : { cognitoUsdPerMillion: operation.cognitoUsdPerMillion }),
    notes,
  };
}

const costs = operations.map(estimate);

/** Lambda bills the INIT phase of on-demand functions too; an estimate per cold start. */
const tokenColdStart = coldStart?.summaries.find((entry) => entry.name === 'Token');
const coldStartUsd =
  tokenColdStart === undefined
    ? Number.NaN
    : ((tokenColdStart.coldMilliseconds * CPU_SLOWDOWN_AT_512_MB) / 1000) * MEMORY_GB * prices.lambdaArmPerGbSecond.usd;

writeResult('cost', {
  prices,
  pricesKnownAsOf,
  assumptions: {
    memoryGb: MEMORY_GB,
    cpuSlowdownAt512Mb: CPU_SLOWDOWN_AT_512_MB,
    dynamodbCallMilliseconds: DYNAMODB_CALL_MILLISECONDS,
    platformLogBytes: PLATFORM_LOG_BYTES,
  },
  costs,
  tokenColdStartUsd: coldStartUsd,
});

console.log(
  markdownTable([
    [
      'operation',
      'requests',
      'local CPU ms',
      'est. Lambda ms',
      'RRU',
      'WRU',
      'API GW $',
      'Lambda $',
      'DynamoDB $',
      'logs $',
      'total $ per million',
      '+ $ per extra region',
      'Cognito $ per million',
    ],
    ...costs.map((cost) => [
      cost.name,
      String(cost.requests),
      fixed(cost.cpuMilliseconds, 2),
      String(cost.estimatedLambdaMilliseconds),
      fixed(cost.readUnits, 1),
      fixed(cost.writeUnits, 1),
      fixed(cost.usdPerMillion.apiGateway, 2),
      fixed(cost.usdPerMillion.lambdaRequests + cost.usdPerMillion.lambdaDuration, 2),
      fixed(cost.usdPerMillion.dynamodb, 2),
      fixed(cost.usdPerMillion.logs, 2),
      fixed(cost.usdPerMillion.total, 2),
      fixed(cost.usdPerMillion.perExtraRegion, 2),
      cost.cognitoUsdPerMillion === undefined ? '' : fixed(cost.cognitoUsdPerMillion, 0),
    ]),
  ]),
);
for (const cost of costs) for (const note of cost.notes) console.log(`Note, ${cost.name}: ${note}`);

const firstSignIn = costs.find((cost) => cost.name.startsWith('first sign-in'));
const refresh = costs.find((cost) => cost.name === 'refresh');
if (firstSignIn && refresh) {
  const perSignIn = firstSignIn.usdPerMillion.total / 1e6;
  const perRefresh = refresh.usdPerMillion.total / 1e6;
  for (const tier of ['cognitoEssentialsPerMonthlyActiveUser', 'cognitoLitePerMonthlyActiveUser'] as const) {
    const price = prices[tier].usd;
    console.log(
      `${prices[tier].note}: $${price} buys an estimated ${fixed(price / perSignIn, 0)} first sign-ins ` +
        `or ${fixed(price / perRefresh, 0)} refreshes here.`,
    );
  }
}
console.log(`Token function cold start (INIT billed): an estimated $${coldStartUsd.toExponential(2)} each.`);
console.log(`Prices: us-east-1, ${pricesKnownAsOf}.`);
