/** Builders of API Gateway HTTP API (payload format 2.0) responses. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { OAuthError } from '../oauth/errors.ts';

export type HttpResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
};

const JSON_HEADERS = {
  'Content-Type': 'application/json;charset=UTF-8',
  'X-Content-Type-Options': 'nosniff',
};

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** Responses that carry tokens or credentials must not be cached (RFC 6749 section 5.1). */
export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/** Metadata documents change only with a deployment, so browsers and clients may cache them. */
export const METADATA_CACHE_HEADERS = { 'Cache-Control': 'public, max-age=300' };

/** The error response of RFC 6749 section 5.2. */
export function errorResponse(error: OAuthError): HttpResponse {
  return jsonResponse(
    error.status,
    { error: error.error, error_description: error.description },
    { ...NO_STORE, ...error.headers },
  );
}

/**
 * Builds a redirect of the browser: 302 after a GET, and 303 after a form POST, which makes
 * the browser follow with GET. Redirects that carry codes must not be cached or leak through
 * Referer.
 */
export function redirectResponse(
  location: string,
  { status = 302, cookies = [] }: { status?: 302 | 303; cookies?: string[] } = {},
): HttpResponse {
  return {
    statusCode: status,
    headers: { Location: location, 'Referrer-Policy': 'no-referrer', ...NO_STORE },
    ...(cookies.length > 0 ? { cookies } : {}),
    body: '',
  };
}

export function htmlResponse(
  statusCode: number,
  html: string,
  headers: Record<string, string>,
  cookies: string[] = [],
): HttpResponse {
  return {
    statusCode,
    headers,
    ...(cookies.length > 0 ? { cookies } : {}),
    body: html,
  };
}
