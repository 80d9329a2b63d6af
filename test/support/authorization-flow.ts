/**
 * The browser side of the authorization code flow over plain HTTP. A user agent with its own
 * cookie jar follows the server's redirects by hand and reads the hidden fields of the login
 * and consent forms. It stops at the first redirect that leaves the issuer and never requests
 * the client's redirect URI, so a test can register redirect URIs on any host.
 */
import { createHash, randomBytes } from 'node:crypto';

const FORM = 'application/x-www-form-urlencoded';

/** The maximum number of redirects that one step of the flow follows. */
const MAX_REDIRECTS = 5;

export interface UserCredentials {
  username: string;
  password: string;
}

/** The hidden fields that tie a login or consent form to its interaction. */
export interface InteractionFields {
  interaction: string;
  csrfToken: string;
}

/** A fetch Response with its body already read as text. */
export interface PageResponse {
  response: Response;
  body: string;
}

/**
 * An HTTP client that keeps the server's cookies, as one browser would. Cookies are kept by
 * name only, because every request goes to the one test server.
 */
export class UserAgent {
  readonly issuer: string;
  /** Where requests for the issuer go: another address when several servers share it. */
  readonly #origin: string;
  readonly #cookies = new Map<string, string>();

  constructor(issuer: string, origin: string = issuer) {
    this.issuer = issuer;
    this.#origin = origin;
  }

  /** Returns the value of a stored cookie, or undefined. */
  cookie(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  /** Stores a cookie as if the server had set it. */
  setCookie(name: string, value: string): void {
    this.#cookies.set(name, value);
  }

  async get(url: string): Promise<PageResponse> {
    return this.#send(url, { method: 'GET' });
  }

  /** POSTs a form, with extra headers such as the `Origin` that a browser would send. */
  async postForm(
    url: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<PageResponse> {
    return this.#send(url, {
      method: 'POST',
      headers: { 'content-type': FORM, ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** Sends GET /authorize with the parameters in the query, in the order given. */
  async authorize(parameters: Record<string, string>): Promise<PageResponse> {
    return this.get(authorizationUrl(this.issuer, parameters));
  }

  /**
   * Follows redirects within the issuer with GET and returns the first response that is no
   * such redirect: a page, an error, or a redirect to the client.
   */
  async followWithinIssuer(first: PageResponse): Promise<PageResponse> {
    let current = first;
    for (let hop = 0; hop < MAX_REDIRECTS; hop += 1) {
      const location = current.response.headers.get('location');
      if (location === null || !this.isIssuerUrl(location)) return current;
      current = await this.get(location);
    }
    throw new Error(`More than ${MAX_REDIRECTS} redirects within ${this.issuer}.`);
  }

  /**
   * Runs the flow from GET /authorize to the redirect back to the client. Signs in when the
   * login page appears and submits `decision` on the consent page. Returns the last
   * response, whose Location is the client's redirect URI with a code or an error.
   */
  async completeFlow(
    parameters: Record<string, string>,
    credentials: UserCredentials,
    decision: 'allow' | 'deny' = 'allow',
  ): Promise<PageResponse> {
    let current = await this.followWithinIssuer(await this.authorize(parameters));

    for (let page = 0; page < 2; page += 1) {
      if (current.response.status !== 200) break;

      const fields = readInteractionFields(current.body);
      const form: Record<string, string> = {
        interaction: fields.interaction,
        csrf_token: fields.csrfToken,
      };
      if (isLoginPage(current.body)) {
        current = await this.postForm(`${this.issuer}/login`, { ...form, ...credentials });
      } else {
        current = await this.postForm(`${this.issuer}/consent`, { ...form, decision });
      }
      current = await this.followWithinIssuer(current);
    }
    return current;
  }

  /** Runs the flow with consent allowed and returns the callback URL that carries the code. */
  async obtainCode(
    parameters: Record<string, string>,
    credentials: UserCredentials,
  ): Promise<{ code: string; callback: URL }> {
    const last = await this.completeFlow(parameters, credentials);
    const location = last.response.headers.get('location');
    if (location === null) {
      throw new Error(`The flow ended with status ${last.response.status} and no redirect.\n${last.body}`);
    }
    const callback = new URL(location);
    const code = callback.searchParams.get('code');
    if (code === null) throw new Error(`The redirect carries no code: ${location}`);
    return { code, callback };
  }

  isIssuerUrl(url: string): boolean {
    return url.startsWith(`${this.issuer}/`);
  }

  async #send(url: string, init: RequestInit): Promise<PageResponse> {
    if (!this.isIssuerUrl(url)) throw new Error(`The user agent only requests the issuer, not ${url}.`);

    const headers = new Headers(init.headers);
    if (this.#cookies.size > 0) headers.set('cookie', this.#cookieHeader());
    const target = `${this.#origin}${url.slice(this.issuer.length)}`;
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    this.#storeCookies(response);
    return { response, body: await response.text() };
  }

  #cookieHeader(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  #storeCookies(response: Response): void {
    for (const setCookie of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = setCookie.split(';');
      const separator = pair.indexOf('=');
      if (separator === -1) continue;

      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const deleted = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute));
      if (deleted || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
}

/** Returns the URL of GET /authorize with the parameters in the query, in the order given. */
export function authorizationUrl(issuer: string, parameters: Record<string, string>): string {
  return `${issuer}/authorize?${new URLSearchParams(parameters).toString()}`;
}

/** Reads the interaction id and CSRF token from a login or consent page. */
export function readInteractionFields(html: string): InteractionFields {
  const interaction = readHiddenField(html, 'interaction');
  const csrfToken = readHiddenField(html, 'csrf_token');
  return { interaction, csrfToken };
}

export function isLoginPage(html: string): boolean {
  return html.includes('<form method="post" action="/login">');
}

export function isConsentPage(html: string): boolean {
  return html.includes('<form method="post" action="/consent">');
}

/** Returns the text of the first paragraph of an error page, with HTML entities decoded. */
export function errorPageMessage(html: string): string {
  const match = /<h1>[^<]*<\/h1>\s*<p>([^<]*)<\/p>/.exec(html);
  if (match?.[1] === undefined) throw new Error(`No error message in the page:\n${html}`);
  return decodeEntities(match[1]);
}

/** Returns the text of the error message next to a field of the login page, or undefined. */
export function loginErrorMessage(html: string): string | undefined {
  const match = /<p id="(?:username|password)-error" class="error">([^<]*)<\/p>/.exec(html);
  return match?.[1] === undefined ? undefined : decodeEntities(match[1]);
}

/** Returns a new PKCE code verifier and its S256 code challenge (RFC 7636 section 4.2). */
export function newPkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier, 'ascii').digest('base64url');
  return { verifier, challenge };
}

function readHiddenField(html: string, name: string): string {
  const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(html);
  if (match?.[1] === undefined) throw new Error(`The page has no hidden field ${name}:\n${html}`);
  return decodeEntities(match[1]);
}

function decodeEntities(text: string): string {
  return text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');
}
