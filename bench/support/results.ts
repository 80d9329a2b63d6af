/** The results folder: each benchmark writes its figures as JSON, and charts as SVG. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from './server-process.ts';

export const resultsDirectory = join(repositoryRoot, 'bench', 'results');

export interface Machine {
  cpuModel: string;
  logicalCpus: number;
  node: string;
  loadAverageAtStart: string;
  date: string;
}

export function describeMachine(): Machine {
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    logicalCpus: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
    node: process.version,
    loadAverageAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    date: new Date().toISOString(),
  };
}

export function writeResult(name: string, result: unknown): string {
  mkdirSync(resultsDirectory, { recursive: true });
  const path = join(resultsDirectory, `${name}.json`);
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}

export function writeChart(name: string, svg: string): string {
  mkdirSync(resultsDirectory, { recursive: true });
  const path = join(resultsDirectory, `${name}.svg`);
  writeFileSync(path, svg);
  return path;
}

/** Reads a result that an earlier benchmark wrote, or returns undefined when it is missing. */
export function readResult<Result>(name: string): Result | undefined {
  try {
    return JSON.parse(readFileSync(join(resultsDirectory, `${name}.json`), 'utf8')) as Result;
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  }
}
