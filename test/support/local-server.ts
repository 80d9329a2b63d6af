/**
 * Starts the local server as `npm start` does, in a child process on a free loopback port,
 * and waits until it listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const repositoryRoot = join(import.meta.dirname, '..', '..');

/**
 * The key-encryption key file of every test server, in the git-ignored data folder, so that
 * tests never use the one of `npm start`. The first server to start creates it.
 */
export const TEST_KEY_ENCRYPTION_KEY_FILE = join(
  repositoryRoot,
  '.data',
  'test-key-encryption-key',
);

export interface TestServer {
  url: string;
  port: number;
  /** Everything the server printed to standard output so far. */
  output(): string;
  /** Everything the server printed to standard error so far: warnings and errors. */
  errors(): string;
  /** Sends a signal and resolves with the exit code, or the signal that ended the process. */
  stop(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
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

/**
 * Starts the server with `node bin/local-server.ts`, or with `npm start` itself when
 * `viaNpm` is set, as the README tells a user to.
 */
export async function startServer(
  environment: Record<string, string>,
  { viaNpm = false } = {},
): Promise<TestServer> {
  const port = environment.PORT ? Number(environment.PORT) : await freePort();
  const [command, args] = viaNpm
    ? ['npm', ['start', '--silent']]
    : [process.execPath, ['bin/local-server.ts']];
  // npm runs in a process group of its own, so that stop() can signal the group as Ctrl-C in
  // a terminal does: npm forwards nothing when only it receives the signal.
  const child = spawn(command, args, {
    cwd: repositoryRoot,
    env: { ...serverEnvironment(), PORT: String(port), ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: viaNpm,
  });

  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitForListening(child, () => stdout, () => stderr);

  return {
    url: `http://localhost:${port}`,
    port,
    output: () => stdout,
    errors: () => stderr,
    stop: (signal = 'SIGINT') => stopProcess(child, signal, viaNpm),
  };
}

/**
 * Runs the local server expecting it to fail at startup, and returns its exit code and
 * standard error.
 */
export async function runFailingServer(
  environment: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['bin/local-server.ts'], {
    cwd: repositoryRoot,
    env: { ...serverEnvironment(), ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, stderr };
}

/**
 * Returns the parent's environment without variables that would change the server's
 * behaviour, and with the test servers' key-encryption key file.
 */
function serverEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN' };
  for (const name of Object.keys(environment)) {
    if (
      /^(AWS_|DEMO_|KEY_ENCRYPTION_|ISSUER$|DATA_DIR$|TABLE_NAME$|DYNAMODB_ENDPOINT$|PORT$)/.test(
        name,
      )
    ) {
      delete environment[name];
    }
  }
  environment.KEY_ENCRYPTION_KEY_FILE = TEST_KEY_ENCRYPTION_KEY_FILE;
  return environment;
}

function waitForListening(
  child: ChildProcess,
  stdout: () => string,
  stderr: () => string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The server did not start within 20 s.\n${stdout()}\n${stderr()}`));
    }, 20_000);
    const onData = () => {
      if (stdout().includes('OAuth server listening')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The server exited with ${code} before listening.\n${stderr()}`));
    });
  });
}

function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals,
  wholeGroup: boolean,
): Promise<number | NodeJS.Signals | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  const send = (toSend: NodeJS.Signals) => {
    if (wholeGroup && child.pid !== undefined) process.kill(-child.pid, toSend);
    else child.kill(toSend);
  };

  return new Promise((resolve) => {
    const timer = setTimeout(() => send('SIGKILL'), 10_000);
    child.once('exit', (code, endedBy) => {
      clearTimeout(timer);
      resolve(code ?? endedBy);
    });
    send(signal);
  });
}
