/**
 * A short load run in the suite: 5 s with 10 connections of the mix that bench/load-run.ts
 * runs for longer, with every flow from discovery to revocation. Every request must get the
 * status its kind expects. Memory growth is reported but not checked, because 5 s are all
 * warm-up; the long run checks it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_KINDS, runLoad, type LoadReport } from '../../bench/load-run.ts';

let report: LoadReport;

beforeAll(async () => {
  report = await runLoad({
    durationSeconds: 5,
    connections: 10,
    warmUpSeconds: 1,
    windowSeconds: 2,
  });
}, 60_000);

describe('load › short run', () => {
  it.each(REQUEST_KINDS)('sends %s requests', (kind) => {
    expect(report.kinds[kind].count).toBeGreaterThan(0);
  });

  it.each(REQUEST_KINDS)('answers every %s request as expected', (kind) => {
    const { unexpected, statuses } = report.kinds[kind];

    expect(unexpected, `statuses: ${JSON.stringify(statuses)}`).toBe(0);
  });

  it('reads the server memory', () => {
    expect(report.memory.samples).toBeGreaterThanOrEqual(5);
  });
});
