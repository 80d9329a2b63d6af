/**
 * Redirect URI matching: exact string comparison, except that a loopback redirect URI
 * (http://127.0.0.1 or http://[::1]) matches any port, because native apps listen on a port
 * chosen at run time (RFC 8252 sections 7.3 and 8.3). `localhost` gets no such exception, as
 * RFC 8252 section 8.3 advises against it.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);

/** Returns the registered URI that the requested one matches, or undefined. */
export function matchRedirectUri(
  requested: string,
  registered: readonly string[],
): string | undefined {
  if (registered.includes(requested)) return requested;

  const withoutPort = loopbackWithoutPort(requested);
  if (withoutPort === undefined) return undefined;
  return registered.find((uri) => loopbackWithoutPort(uri) === withoutPort);
}

/**
 * For an http loopback URI, returns it with the port removed; otherwise undefined. The URI
 * must be in the normal form that the URL parser writes, so that percent-encoding, case
 * changes, dot segments or userinfo cannot make two different URIs compare equal.
 */
function loopbackWithoutPort(uri: string): string | undefined {
  if (!URL.canParse(uri)) return undefined;
  const url = new URL(uri);
  if (url.href !== uri) return undefined;
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  if (url.username !== '' || url.password !== '' || url.hash !== '') return undefined;

  url.port = '';
  return url.href;
}
