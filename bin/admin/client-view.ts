/**
 * How clients are printed. Neither form contains the secret hash: only whether the client
 * has a secret.
 */
import type { RegisteredClient } from '../../functions/oauth/client.ts';
import { isoTime } from './io.ts';

/** The JSON form of a client: the stored attributes without `secretHash`, times in ISO 8601. */
export function clientJson(client: RegisteredClient): Record<string, unknown> {
  const { secretHash, tokensRevokedBefore, ...rest } = client;
  return {
    ...rest,
    hasSecret: secretHash !== undefined,
    ...(tokensRevokedBefore === undefined
      ? {}
      : { tokensRevokedBefore: isoTime(tokensRevokedBefore, 'seconds') }),
  };
}

/** The text form of one client, one `label: value` line per setting that it has. */
export function clientText(client: RegisteredClient): string {
  const rows: [string, string | undefined][] = [
    ['client id', client.clientId],
    ['name', client.clientName],
    ['auth method', authMethodText(client)],
    ['grant types', listText(client.grantTypes)],
    ['response types', client.responseTypes?.join(', ')],
    ['redirect URIs', client.redirectUris?.join('\n  ')],
    ['scopes', listText(client.scopes, ' ')],
    ['audience', client.audience],
    ['access token lifetime', secondsText(client.accessTokenLifetimeSeconds)],
    ['refresh token idle', secondsText(client.refreshTokenIdleSeconds)],
    ['refresh token absolute', secondsText(client.refreshTokenAbsoluteSeconds)],
    ['skip consent', client.skipConsent ? 'yes' : undefined],
    ['introspection', client.introspection ? 'allowed' : undefined],
    ['ID token algorithm', client.idTokenSignedResponseAlg],
    ['post-logout URIs', client.postLogoutRedirectUris?.join('\n  ')],
    ['public keys', client.jwks?.keys.map((key) => key.kid ?? key.kty).join(', ')],
    ['tokens revoked before', timeText(client.tokensRevokedBefore)],
  ];
  return rows
    .filter((row): row is [string, string] => row[1] !== undefined && row[1] !== '')
    .map(([label, value]) =>
      value.includes('\n') ? `${label}:\n  ${value}` : `${label}: ${value}`,
    )
    .join('\n');
}

/** One line of `clients list`. */
export function clientSummary(client: RegisteredClient): string[] {
  return [
    client.clientId,
    client.tokenEndpointAuthMethod,
    listText(client.grantTypes),
    client.clientName ?? '',
  ];
}

function authMethodText(client: RegisteredClient): string {
  if (client.tokenEndpointAuthMethod === 'none') return 'none (public client)';
  if (client.secretHash !== undefined) return `${client.tokenEndpointAuthMethod} (secret set)`;
  return client.tokenEndpointAuthMethod;
}

function listText(items: string[], separator = ', '): string {
  return items.length === 0 ? '(none)' : items.join(separator);
}

function secondsText(seconds: number | undefined): string | undefined {
  return seconds === undefined ? undefined : `${seconds} s`;
}

function timeText(seconds: number | undefined): string | undefined {
  return seconds === undefined ? undefined : isoTime(seconds, 'seconds');
}

/** Lays out rows as columns separated by two spaces. */
export function columns(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, index) => Math.max(...all.map((row) => (row[index] ?? '').length)));
  return all
    .map((row) => row.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ').trimEnd())
    .join('\n');
}
