/**
 * The steps of the authorization code flow as a browser and an app send them, one request
 * each, timed. A flow signs the demo user in to the demo app (a public client with PKCE), with
 * `prompt=consent` so that every flow shows the consent page, as a first sign-in does.
 */
import {
  newPkcePair,
  readInteractionFields,
  UserAgent,
  type InteractionFields,
} from '../../test/support/authorization-flow.ts';
import { BENCH_PASSWORD, BENCH_PUBLIC_CLIENT_ID, BENCH_USERNAME } from './servers.ts';

/** The demo app's redirect URI; any port matches it (RFC 8252 section 7.3). */
export const REDIRECT_URI = 'http://127.0.0.1/callback';
export const FLOW_SCOPE = 'openid api:read offline_access';

export type FlowStep =
  | 'authorize'
  | 'login page'
  | 'login'
  | 'consent page'
  | 'consent'
  | 'token (code)'
  | 'refresh';

export const FLOW_STEPS: readonly FlowStep[] = [
  'authorize',
  'login page',
  'login',
  'consent page',
  'consent',
  'token (code)',
  'refresh',
];

export interface StepOutcome {
  milliseconds: number;
  status: number;
}

/** One flow's state between its steps. */
export class Flow {
  readonly agent: UserAgent;
  readonly #pkce = newPkcePair();
  #next = '';
  #fields: InteractionFields | undefined;
  code = '';
  accessToken = '';
  refreshToken = '';
  /** The refresh token before the last rotation, for retries within the grace period. */
  previousRefreshToken = '';

  constructor(issuer: string) {
    this.agent = new UserAgent(issuer);
  }

  /** The page that the last redirect within the issuer leads to. */
  get nextUrl(): string {
    return this.#next;
  }

  /** The hidden fields of the last login or consent page read. */
  get fields(): InteractionFields | undefined {
    return this.#fields;
  }

  /** Runs a step and returns its time and status, or throws on an unexpected response. */
  async run(step: FlowStep, options: { prompt?: string } = {}): Promise<StepOutcome> {
    const started = performance.now();
    const status = await this.#send(step, options);
    return { milliseconds: performance.now() - started, status };
  }

  async #send(step: FlowStep, options: { prompt?: string }): Promise<number> {
    switch (step) {
      case 'authorize':
        return this.#authorize(options.prompt ?? 'consent');
      case 'login page':
      case 'consent page': {
        const page = await this.agent.get(this.#next);
        expectStatus(step, page.response, 200, page.body);
        this.#fields = readInteractionFields(page.body);
        return page.response.status;
      }
      case 'login':
        return this.#postInteraction('login', { username: BENCH_USERNAME, password: BENCH_PASSWORD });
      case 'consent':
        return this.#postInteraction('consent', { decision: 'allow' });
      case 'token (code)':
        return this.#redeemCode();
      case 'refresh':
        return this.refresh(this.refreshToken);
    }
  }

  async #authorize(prompt: string): Promise<number> {
    const parameters: Record<string, string> = {
      response_type: 'code',
      client_id: BENCH_PUBLIC_CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: FLOW_SCOPE,
      state: 'bench-state',
      nonce: 'bench-nonce',
      code_challenge: this.#pkce.challenge,
      code_challenge_method: 'S256',
    };
    if (prompt !== '') parameters.prompt = prompt;
    const page = await this.agent.authorize(parameters);
    expectStatus('authorize', page.response, 302, page.body);
    this.#follow(page.response);
    return page.response.status;
  }

  async #postInteraction(page: 'login' | 'consent', form: Record<string, string>): Promise<number> {
    const fields = this.#fields;
    if (fields === undefined) throw new Error(`The ${page} form was posted before its page was read.`);
    const posted = await this.agent.postForm(`${this.agent.issuer}/${page}`, {
      interaction: fields.interaction,
      csrf_token: fields.csrfToken,
      ...form,
    });
    expectStatus(page, posted.response, 303, posted.body);
    this.#follow(posted.response);
    return posted.response.status;
  }

  /** Stores the next page, or the code when the redirect goes back to the app. */
  #follow(response: Response): void {
    const location = response.headers.get('location') ?? '';
    if (this.agent.isIssuerUrl(location)) {
      this.#next = location;
      return;
    }
    const code = new URL(location).searchParams.get('code');
    if (code === null) throw new Error(`The redirect carries no code: ${location}`);
    this.code = code;
  }

  async #redeemCode(): Promise<number> {
    const { status, body } = await postForm(this.agent.issuer, '/token', {
      grant_type: 'authorization_code',
      code: this.code,
      redirect_uri: REDIRECT_URI,
      client_id: BENCH_PUBLIC_CLIENT_ID,
      code_verifier: this.#pkce.verifier,
    });
    this.#storeTokens('token (code)', status, body);
    return status;
  }

  /** Refreshes with the given token and keeps the successor. */
  async refresh(refreshToken: string): Promise<number> {
    const { status, body } = await postForm(this.agent.issuer, '/token', {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: BENCH_PUBLIC_CLIENT_ID,
    });
    this.previousRefreshToken = refreshToken;
    this.#storeTokens('refresh', status, body);
    return status;
  }

  #storeTokens(step: string, status: number, body: string): void {
    if (status !== 200) throw new Error(`${step} returned status ${status}: ${body}`);
    const tokens = JSON.parse(body) as { access_token?: string; refresh_token?: string };
    if (tokens.access_token === undefined || tokens.refresh_token === undefined) {
      throw new Error(`${step} returned no access and refresh token: ${body}`);
    }
    this.accessToken = tokens.access_token;
    this.refreshToken = tokens.refresh_token;
  }
}

/** POSTs a form to the server and returns the status and the body text. */
export async function postForm(
  issuer: string,
  path: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const response = await fetch(`${issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: await response.text() };
}

function expectStatus(step: string, response: Response, expected: number, body: string): void {
  if (response.status !== expected) {
    throw new Error(`${step} returned status ${response.status}, expected ${expected}: ${body.slice(0, 500)}`);
  }
}
