/**
 * CPU use of other processes on this shared machine during a measurement, from /proc/stat:
 * the machine's busy time minus that of the benchmark and of the servers it measures.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: ticks per second in /proc/stat. */
const TICKS_PER_SECOND = 100;

/** Other processes may use this many cores before a run waits for them. */
const QUIET_CORES = 0.3;
const MAX_WAIT_SECONDS = 30;

export interface LoadWindow {
  /** Ends the window and returns the cores that other processes used on average. */
  finish(): number;
}

/** Busy time of all CPUs, in milliseconds: everything but idle and iowait. */
function machineBusyMilliseconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  const ticks = [user, nice, system, irq, softirq, steal].reduce<number>((sum, value) => sum + (value ?? 0), 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

function ownMilliseconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/**
 * Starts measuring the CPU use of other processes. `measuredMilliseconds` returns the summed
 * CPU time of the processes under test, which do not count as other.
 */
export function startLoadWindow(measuredMilliseconds: () => number): LoadWindow {
  const started = performance.now();
  const machine = machineBusyMilliseconds();
  const own = ownMilliseconds();
  const measured = measuredMilliseconds();
  return {
    finish: () => {
      const wall = performance.now() - started;
      const other =
        machineBusyMilliseconds() - machine - (ownMilliseconds() - own) - (measuredMilliseconds() - measured);
      return Math.max(0, other / wall);
    },
  };
}

/**
 * Waits, in one-second samples and for at most 30 s, until other processes use at most
 * 0.3 cores, and returns the cores they used in the last sample.
 */
export async function waitForQuiet(measuredMilliseconds: () => number): Promise<number> {
  let cores = Number.POSITIVE_INFINITY;
  for (let second = 0; second < MAX_WAIT_SECONDS; second++) {
    const window = startLoadWindow(measuredMilliseconds);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    cores = window.finish();
    if (cores <= QUIET_CORES) break;
  }
  return cores;
}
