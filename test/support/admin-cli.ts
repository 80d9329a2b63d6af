/**
 * Runs the administration command as an operator would, in a child process with
 * `node bin/admin.ts`, against a data folder, and collects its output and exit status.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { newPkcePair, type UserAgent, type UserCredentials } from './authorization-flow.ts';
import { basicAuthorization } from './clients.ts';
import { postToken, type TokenResult } from './token-requests.ts';

const repositoryRoot = join(import.meta.dirname, '..', '..');

export interface AdminRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Parses standard output as the JSON document that --json prints. */
  json<Value = Record<string, unknown>>(): Value;
}

export interface AdminRunOptions {
  /** Written to standard input, which is then closed; standard input is empty otherwise. */
  input?: string;
  environment?: Record<string, string>;
}

/** Runs `oauth-admin` with `args` and DATA_DIR set to `dataDirectory`. */
export async function runAdminCli(
  dataDirectory: string,
  args: string[],
  { input = '', environment = {} }: AdminRunOptions = {},
): Promise<AdminRun> {
  const child = spawn(process.execPath, ['bin/admin.ts', ...args], {
    cwd: repositoryRoot,
    env: { ...cleanEnvironment(), DATA_DIR: dataDirectory, ...environment },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);

  const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return {
    status,
    stdout,
    stderr,
    json: <Value>() => {
      try {
        return JSON.parse(stdout) as Value;
      } catch {
        throw new Error(`The output is not JSON (status ${status}):\n${stdout}\n${stderr}`);
      }
    },
  };
}

/**
 * The parent's environment without the variables that choose another table or reach AWS, so
 * that the command uses only the data folder.
 */
function cleanEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(environment)) {
    if (/^(AWS_|KEY_ENCRYPTION_|DATA_DIR$|TABLE_NAME$|DYNAMODB_ENDPOINT$)/.test(name)) {
      delete environment[name];
    }
  }
  return environment;
}

/** A confidential client created with the command, and its secret. */
export interface AdminClient {
  clientId: string;
  secret: string;
}

/**
 * Creates a client with `clients create --json` and returns its generated secret; throws with
 * the command's output when it fails.
 */
export async function createClientWithCli(
  dataDirectory: string,
  clientId: string,
  options: string[],
): Promise<AdminClient> {
  const args = ['clients', 'create', clientId, ...options, '--json'];
  const run = await runAdminCli(dataDirectory, args);
  if (run.status !== 0) throw new Error(`clients create failed (${run.status}):\n${run.stderr}`);
  const secret = run.json<{ clientSecret?: string }>().clientSecret;
  if (secret === undefined) throw new Error(`clients create printed no secret:\n${run.stdout}`);
  return { clientId, secret };
}

/** POSTs a form to /introspect as `client` and returns the JSON response. */
export async function introspectToken(
  issuer: string,
  client: AdminClient,
  token: string,
): Promise<Record<string, unknown>> {
  const credentials = Buffer.from(`${client.clientId}:${client.secret}`).toString('base64');
  const response = await fetch(`${issuer}/introspect`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${credentials}`,
    },
    body: new URLSearchParams({ token }).toString(),
  });
  return (await response.json()) as Record<string, unknown>;
}

/** The redirect URI of the user clients that the administration tests create. */
export const ADMIN_REDIRECT_URI = 'https://app.example.com/cb';

/** The options of `clients create` for a confidential client of the code flow. */
export const WEB_CLIENT_OPTIONS = [
  '--grant-type',
  'authorization_code,refresh_token',
  '--redirect-uri',
  ADMIN_REDIRECT_URI,
  '--scope',
  'openid api:read',
  '--skip-consent',
];

/**
 * Signs in through the browser `agent` (or reuses its session), redeems the code as `client`
 * and returns the access and refresh tokens.
 */
export async function signInForTokens(
  agent: UserAgent,
  client: AdminClient,
  credentials: UserCredentials,
): Promise<{ accessToken: string; refreshToken: string }> {
  const pkce = newPkcePair();
  const { code } = await agent.obtainCode(
    {
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: ADMIN_REDIRECT_URI,
      scope: 'openid api:read',
      state: 'admin-test',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    },
    credentials,
  );
  const { response, body } = await postToken(
    agent.issuer,
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: ADMIN_REDIRECT_URI,
      code_verifier: pkce.verifier,
    },
    { authorization: basicAuthorization(client.clientId, client.secret) },
  );
  if (response.status !== 200) {
    throw new Error(`The code redemption failed: ${JSON.stringify(body)}`);
  }
  return { accessToken: String(body.access_token), refreshToken: String(body.refresh_token) };
}

/** Sends a refresh token grant request as `client`. */
export function refreshAs(
  issuer: string,
  client: AdminClient,
  refreshToken: string,
): Promise<TokenResult> {
  return postToken(
    issuer,
    { grant_type: 'refresh_token', refresh_token: refreshToken },
    { authorization: basicAuthorization(client.clientId, client.secret) },
  );
}
