/**
 * `npm run bench`: runs the benchmarks one after the other, each in its own process, and
 * writes their figures to bench/results. Names as arguments run only those, in the given
 * order, such as `npm run bench -- token-throughput cost`. BENCH_QUICK=1 shortens the runs.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describeMachine } from './support/results.ts';
import { repositoryRoot } from './support/server-process.ts';

/** Each benchmark's name, with the script and arguments that run it. */
const benchmarks: Array<{ name: string; script: string; arguments?: string[] }> = [
  { name: 'token-throughput', script: 'token-throughput.ts' },
  { name: 'token-throughput-proposals', script: 'token-throughput.ts', arguments: ['--with-proposals'] },
  { name: 'profile-token', script: 'profile-token.ts' },
  { name: 'cache-expiry-burst', script: 'cache-expiry-burst.ts' },
  { name: 'token-path-parts', script: 'token-path-parts.ts' },
  { name: 'authorization-flows', script: 'authorization-flows.ts' },
  { name: 'dynamodb-calls', script: 'dynamodb-calls.ts' },
  { name: 'cold-start', script: 'cold-start.ts' },
  { name: 'bundle-composition', script: 'bundle-composition.ts' },
  { name: 'cost', script: 'cost.ts' },
];
const names = benchmarks.map((benchmark) => benchmark.name);

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !names.includes(name));
if (unknown.length > 0) {
  console.error(`Unknown benchmark ${unknown.join(', ')}. Known: ${names.join(', ')}.`);
  process.exit(2);
}

const machine = describeMachine();
console.log(
  `${machine.cpuModel}, ${machine.logicalCpus} logical CPUs, Node.js ${machine.node}, ` +
    `load average ${machine.loadAverageAtStart} at ${machine.date}`,
);

const selected =
  requested.length > 0 ? requested.map((name) => benchmarks[names.indexOf(name)]) : benchmarks;
for (const benchmark of selected) {
  if (benchmark === undefined) continue;
  const { name, script } = benchmark;
  console.log(`\n## ${name}\n`);
  const run = spawnSync(process.execPath, [join('bench', script), ...(benchmark.arguments ?? [])], {
    cwd: repositoryRoot,
    stdio: 'inherit',
  });
  if (run.status !== 0) {
    console.error(`${name} failed with exit code ${run.status ?? run.signal}.`);
    process.exit(1);
  }
}
