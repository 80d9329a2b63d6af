/**
 * Child processes that the benchmarks measure: the local server, the oidc-provider peer and a
 * dynalite store. Each listens on loopback only, and its CPU time is read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const repositoryRoot = join(import.meta.dirname, '..', '..');

/** Clock ticks per second of utime and stime in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

/** Maximum time for a process to print its ready line. */
const START_TIMEOUT_MILLISECONDS = 30_000;

/** Output kept per process for error messages; the rest is only counted. */
const KEPT_OUTPUT_CHARACTERS = 16_384;

export interface ProcessOptions {
  /** Name in messages, such as `local server`. */
  label: string;
  /** Arguments of `node`, such as `['bin/local-server.ts']`. */
  nodeArguments: string[];
  environment: NodeJS.ProcessEnv;
  /** Text on standard output that shows the process is ready. */
  readyText: string;
}

export interface MeasuredProcess {
  label: string;
  pid: number;
  /** Standard output up to and including the ready line. */
  startupOutput: string;
  /** Lines written to standard output since the ready line. */
  outputLines(): number;
  /** The last characters of standard output, for error messages. */
  recentOutput(): string;
  /** The last characters of standard error. */
  errors(): string;
  /** User plus system CPU time of the whole process (all threads), in milliseconds. */
  cpuMilliseconds(): number;
  /** Sends SIGTERM, waits for the exit, and sends SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** Finds a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}

/** Variables that configure the servers, the AWS SDK or Node.js itself. */
const SERVER_VARIABLES =
  /^(AWS_|DEMO_|POWERTOOLS_|KEY_ENCRYPTION_|DYNAMODB_|ACCESS_TOKEN_|AUTHORIZATION_CODE_|REFRESH_TOKEN_|SESSION_|ISSUER$|DATA_DIR$|TABLE_NAME$|TABLE_REGIONS$|CONSISTENCY_MODE$|MEMORY_CACHE_SECONDS$|PORT$|NODE_OPTIONS$)/;

/**
 * Returns the parent's environment without AWS, demo and server settings, so that only what a
 * benchmark passes reaches the child. Fixed credentials keep the AWS SDK from looking up a
 * profile or an instance metadata service.
 */
export function cleanEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(environment)) {
    if (SERVER_VARIABLES.test(name)) {
      delete environment[name];
    }
  }
  environment.AWS_ACCESS_KEY_ID = 'local';
  environment.AWS_SECRET_ACCESS_KEY = 'local';
  environment.AWS_REGION = 'us-east-1';
  return environment;
}

/** Starts `node` with the given arguments and waits for its ready line. */
export async function startProcess(options: ProcessOptions): Promise<MeasuredProcess> {
  const child = spawn(process.execPath, options.nodeArguments, {
    cwd: repositoryRoot,
    env: options.environment,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${options.label} did not start.`);
  const pid = child.pid;

  let startupOutput = '';
  let ready = false;
  let lines = 0;
  let recent = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    if (ready) {
      for (const byte of chunk) if (byte === 10) lines += 1;
      recent = (recent + chunk.toString()).slice(-KEPT_OUTPUT_CHARACTERS);
      return;
    }
    startupOutput += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-KEPT_OUTPUT_CHARACTERS);
  });

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.label} did not start within 30 s.\n${startupOutput}\n${stderr}`));
    }, START_TIMEOUT_MILLISECONDS);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${options.label} exited with ${code} before it was ready.\n${stderr}`));
    };
    const onData = () => {
      if (!startupOutput.includes(options.readyText)) return;
      ready = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout?.off('data', onData);
      resolve();
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });

  return {
    label: options.label,
    pid,
    startupOutput,
    outputLines: () => lines,
    recentOutput: () => recent,
    errors: () => stderr,
    cpuMilliseconds: () => readCpuMilliseconds(pid),
    stop: () => stopChild(child),
  };
}

/** Reads utime + stime of a process, which /proc sums over all of its threads. */
export function readCpuMilliseconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name in brackets may contain spaces, so fields are counted after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  return ((userTicks + systemTicks) * 1000) / CLOCK_TICKS_PER_SECOND;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Stops every process, also when some fail to stop. */
export async function stopAll(processes: Array<MeasuredProcess | undefined>): Promise<void> {
  await Promise.allSettled(processes.map((running) => running?.stop()));
}
