/**
 * `npm run demo-app`: a small native-style app that signs a user in through the local server
 * with the authorization code flow and PKCE, using oauth4webapi. It listens for the redirect
 * on a free port of 127.0.0.1, which the demo client's registered http://127.0.0.1/callback
 * matches by the loopback rule of RFC 8252. It prints the authorization URL. Once the browser
 * comes back, it redeems the code and validates the ID token, reads the UserInfo endpoint,
 * refreshes once, shows the tokens, and prints a logout URL.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';

const issuer = new URL(process.env.ISSUER ?? `http://localhost:${process.env.PORT ?? '3000'}`);
const client: oauth.Client = { client_id: process.env.DEMO_PUBLIC_CLIENT_ID ?? 'demo-spa' };
const scope = process.env.DEMO_SCOPE ?? 'openid profile email api:read';
const insecure = { [oauth.allowInsecureRequests]: issuer.protocol === 'http:' };
const openid = scope.split(' ').includes('openid');

const server = await discover();
const codeVerifier = oauth.generateRandomCodeVerifier();
const state = oauth.generateRandomState();
const nonce = openid ? oauth.generateRandomNonce() : undefined;
const listener = createServer((request, response) => {
  handleCallback(request, response).catch((error: unknown) => fail(response, error));
});
await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));

const redirectUri = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/callback`;
const authorizationUrl = await buildAuthorizationUrl();
process.stdout.write(`Open this URL in a browser and sign in:\n\n  ${authorizationUrl}\n\n`);

async function discover(): Promise<oauth.AuthorizationServer> {
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure });
  return oauth.processDiscoveryResponse(issuer, response);
}

async function buildAuthorizationUrl(): Promise<string> {
  const url = new URL(String(server.authorization_endpoint));
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('scope', scope);
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  if (nonce !== undefined) url.searchParams.set('nonce', nonce);
  return url.href;
}

async function handleCallback(request: IncomingMessage, response: ServerResponse) {
  const url = new URL(request.url ?? '/', redirectUri);
  if (url.pathname !== '/callback') {
    response.writeHead(404).end();
    return;
  }

  // Checks `iss` (RFC 9207) and `state`, and turns an error response into an exception.
  const parameters = oauth.validateAuthResponse(server, client, url, state);
  const tokenResponse = await oauth.authorizationCodeGrantRequest(
    server, client, oauth.None(), parameters, redirectUri, codeVerifier, insecure,
  );
  // With a nonce, oauth4webapi requires an ID token and checks its claims, nonce included.
  const tokens = await oauth.processAuthorizationCodeResponse(server, client, tokenResponse, {
    ...(nonce === undefined ? {} : { expectedNonce: nonce }),
  });
  const idTokenClaims = oauth.getValidatedIdTokenClaims(tokens);
  const userinfo =
    idTokenClaims === undefined ? undefined : await readUserinfo(tokens, idTokenClaims.sub);

  const refreshed = tokens.refresh_token === undefined ? undefined : await refresh(tokens.refresh_token);
  const summary = {
    access_token: tokens.access_token,
    scope: tokens.scope,
    expires_in: tokens.expires_in,
    id_token_claims: idTokenClaims,
    userinfo,
    refresh_token_received: tokens.refresh_token !== undefined,
    refreshed_access_token: refreshed?.access_token,
  };

  response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`The app received tokens. You can close this tab.\n\n${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`The app received tokens:\n${JSON.stringify(summary, null, 2)}\n`);
  if (tokens.id_token !== undefined) {
    process.stdout.write(`\nTo sign out, open:\n\n  ${logoutUrl(tokens.id_token)}\n\n`);
  }
  listener.close();
}

async function readUserinfo(tokens: oauth.TokenEndpointResponse, subject: string) {
  const response = await oauth.userInfoRequest(server, client, tokens.access_token, insecure);
  return oauth.processUserInfoResponse(server, client, subject, response);
}

/** Builds the end session URL (OpenID Connect RP-Initiated Logout 1.0) of this sign-in. */
function logoutUrl(idToken: string): string {
  const url = new URL(String(server.end_session_endpoint));
  url.searchParams.set('id_token_hint', idToken);
  url.searchParams.set('client_id', client.client_id);
  return url.href;
}

async function refresh(refreshToken: string): Promise<oauth.TokenEndpointResponse> {
  const response = await oauth.refreshTokenGrantRequest(
    server, client, oauth.None(), refreshToken, insecure,
  );
  return oauth.processRefreshTokenResponse(server, client, response);
}

function fail(response: ServerResponse, error: unknown) {
  const message = error instanceof Error ? error.message : String(error);
  response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`The sign-in failed: ${message}\n`);
  process.stderr.write(`The sign-in failed: ${message}\n`);
  process.exitCode = 1;
  listener.close();
}
