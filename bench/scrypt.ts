/**
 * Measures scrypt at r=8, p=1 for N from 2^14 to 2^17, with the derivation that password and
 * client secret hashing use. Run: node bench/scrypt.ts
 */
import { hashWithScrypt } from '../functions/oauth/scrypt.ts';

const RUNS = 7;

for (const exponent of [14, 15, 16, 17]) {
  const parameters = { cost: 2 ** exponent, blockSize: 8, parallelization: 1 };
  const durations: number[] = [];

  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    await hashWithScrypt('correct horse battery staple', parameters);
    durations.push(performance.now() - start);
  }

  durations.sort((a, b) => a - b);
  const mebibytes = (128 * parameters.cost * parameters.blockSize) / 2 ** 20;
  const median = durations[Math.floor(RUNS / 2)] ?? Number.NaN;
  console.log(`N=2^${exponent}: ${mebibytes} MiB, median ${median.toFixed(1)} ms of ${RUNS}`);
}
