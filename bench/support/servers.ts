/** Starting the servers under test: the local server, the oidc-provider peer and dynalite. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cleanEnvironment,
  freePort,
  startProcess,
  type MeasuredProcess,
} from './server-process.ts';

/** Credentials of the demo confidential client in every benchmark run. */
export const BENCH_CLIENT_ID = 'demo-client';
export const BENCH_CLIENT_SECRET = 'bench-client-secret-0123456789abcdef';
/** The demo user's password in every benchmark run: at least 8 characters. */
export const BENCH_USERNAME = 'demo';
export const BENCH_PASSWORD = 'bench-password-0123';
export const BENCH_PUBLIC_CLIENT_ID = 'demo-spa';

export interface RunningServer extends MeasuredProcess {
  /** Base URL on 127.0.0.1, for load generators. */
  url: string;
  /** The issuer that the server puts into tokens. */
  issuer: string;
}

export interface LocalServerOptions {
  label: string;
  /** Extra variables, such as POWERTOOLS_LOG_LEVEL or DYNAMODB_ENDPOINT. */
  environment?: Record<string, string>;
  /** Options of `node` before the script, such as `--import` or `--cpu-prof`. */
  nodeOptions?: string[];
  /** Data folder of the embedded dynalite; a fresh temporary folder when absent. */
  dataDirectory?: string;
}

/**
 * Starts `node bin/local-server.ts` as `npm start` does, on a free port, with the demo
 * client's and user's credentials fixed. Without DYNAMODB_ENDPOINT it runs its embedded
 * dynalite on a fresh temporary data folder, removed again on stop.
 */
export async function startLocalServer(options: LocalServerOptions): Promise<RunningServer> {
  const port = await freePort();
  const ownFolder = options.dataDirectory === undefined;
  const dataDirectory = options.dataDirectory ?? (await mkdtemp(join(tmpdir(), 'oauth-bench-')));

  const running = await startProcess({
    label: options.label,
    nodeArguments: [...(options.nodeOptions ?? []), 'bin/local-server.ts'],
    environment: {
      ...cleanEnvironment(),
      PORT: String(port),
      DATA_DIR: dataDirectory,
      DEMO_CLIENT_SECRET: BENCH_CLIENT_SECRET,
      DEMO_PASSWORD: BENCH_PASSWORD,
      ...options.environment,
    },
    readyText: 'OAuth server listening',
  });

  return {
    ...running,
    url: `http://127.0.0.1:${port}`,
    issuer: `http://localhost:${port}`,
    stop: async () => {
      await running.stop();
      if (ownFolder) await rm(dataDirectory, { recursive: true, force: true });
    },
  };
}

/** Starts bench/peers/oidc-provider-server.ts with the benchmark client's credentials. */
export async function startOidcProvider(
  label: string,
  nodeOptions: string[] = [],
): Promise<RunningServer> {
  const port = await freePort();
  const running = await startProcess({
    label,
    nodeArguments: [...nodeOptions, 'bench/peers/oidc-provider-server.ts'],
    environment: {
      ...cleanEnvironment(),
      PORT: String(port),
      PEER_CLIENT_ID: BENCH_CLIENT_ID,
      PEER_CLIENT_SECRET: BENCH_CLIENT_SECRET,
    },
    readyText: 'oidc-provider listening',
  });
  const url = `http://127.0.0.1:${port}`;
  return { ...running, url, issuer: url };
}

export interface DynaliteProcess extends MeasuredProcess {
  endpoint: string;
}

/**
 * Starts dynalite in a process of its own (bench/support/dynalite-process.ts), so that the
 * server's CPU time does not include the store's.
 */
export async function startDynaliteProcess(): Promise<DynaliteProcess> {
  const dataDirectory = await mkdtemp(join(tmpdir(), 'oauth-bench-dynalite-'));
  const running = await startProcess({
    label: 'dynalite',
    nodeArguments: ['bench/support/dynalite-process.ts'],
    environment: { ...cleanEnvironment(), DATA_DIR: dataDirectory },
    readyText: 'dynalite listening on ',
  });
  const match = /dynalite listening on (\S+)/.exec(running.startupOutput);
  if (match?.[1] === undefined) throw new Error(`No endpoint in: ${running.startupOutput}`);

  return {
    ...running,
    endpoint: match[1],
    stop: async () => {
      await running.stop();
      await rm(dataDirectory, { recursive: true, force: true });
    },
  };
}
