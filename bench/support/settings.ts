/**
 * Run lengths of the benchmarks. BENCH_QUICK=1 shortens every run, to check that the scripts
 * work; its figures are not for the record.
 */
export const quick = process.env.BENCH_QUICK === '1';

export const loadSettings = {
  /** Seconds of unmeasured load before each measured run. */
  warmupSeconds: quick ? 1 : 2,
  /** Seconds of each measured run. */
  durationSeconds: quick ? 2 : 10,
  /** Rounds of runs per connection count; the order of the servers flips each round. */
  rounds: quick ? 1 : 3,
  connections: [10, 50],
};
