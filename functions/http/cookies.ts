/** Cookies of the browser-facing endpoints: reading API Gateway's `cookies` and writing Set-Cookie. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export const SESSION_COOKIE = 'oauth_session';
/** The random value that binds pending authorization requests to the browser that started them. */
export const INTERACTION_COOKIE = 'oauth_interaction';

/** Returns a cookie's value from the request, or undefined. */
export function readCookie(event: APIGatewayProxyEventV2, name: string): string | undefined {
  for (const cookie of event.cookies ?? []) {
    const separator = cookie.indexOf('=');
    if (separator !== -1 && cookie.slice(0, separator).trim() === name) {
      return cookie.slice(separator + 1).trim();
    }
  }
  return undefined;
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  /** Secure everywhere except on a plain-http loopback issuer, where browsers would drop it. */
  secure: boolean;
}

/** Serializes an HttpOnly, SameSite=Lax cookie for the whole site. */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const attributes = [
    `${name}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${options.maxAge}`,
  ];
  if (options.secure) attributes.push('Secure');
  return attributes.join('; ');
}

/** Builds a Set-Cookie that deletes the cookie. */
export function expiredCookie(name: string, secure: boolean): string {
  return serializeCookie(name, '', { maxAge: 0, secure });
}
