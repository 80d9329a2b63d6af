/**
 * The middy pipeline that every HTTP handler runs in: per-request log keys, and one place
 * where errors become responses. An OAuthError is answered in RFC 6749 section 5.2 form (or
 * as an HTML page for browser endpoints), a RedirectableError by redirecting to the client,
 * a storage fault with 503 and `Retry-After`, and anything else with a generic
 * `server_error`; stack traces and causes reach only the logs.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { errorRedirect } from '../oauth/authorization.ts';
import {
  InvalidRequestError,
  OAuthError,
  RedirectableError,
  ServerError,
  TemporarilyUnavailableError,
} from '../oauth/errors.ts';
import { renderErrorPage } from '../pages/error-page.ts';
import { pageHeaders } from '../pages/html.ts';
import { StorageUnavailableError } from '../storage/errors.ts';
import { logger } from './logger.ts';
import { countEvent, metrics } from './metrics.ts';
import {
  errorResponse,
  htmlResponse,
  redirectResponse,
  type HttpResponse,
} from './responses.ts';

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<HttpResponse>;

type Middleware = MiddlewareObj<APIGatewayProxyEventV2, HttpResponse>;

export interface HttpHandlerOptions {
  /** Middlewares that run inside the error mapping, such as CORS. */
  middlewares?: Middleware[];
  /** `html` for endpoints that browsers display: errors become pages instead of JSON. */
  errorFormat?: 'json' | 'html';
  /** The issuer, for the `iss` parameter of error redirects (RFC 9207). */
  issuer?: string;
}

/** Wraps a handler in the shared pipeline. */
export function httpHandler(handle: HttpHandler, options: HttpHandlerOptions = {}) {
  const pipeline = middy<APIGatewayProxyEventV2, HttpResponse>()
    .use(
      // logEvent stays off even when POWERTOOLS_LOGGER_LOG_EVENT is set, because the event
      // carries client secrets, passwords and codes.
      injectLambdaContext(logger, { resetKeys: true, logEvent: false }),
    )
    .use(publishMetrics())
    .use(requestKeys());
  for (const middleware of options.middlewares ?? []) pipeline.use(middleware);
  return pipeline.use(errorResponses(options)).handler(handle);
}

/**
 * Publishes the invocation's metrics, if it counted any. Powertools' own middleware would
 * log a warning after every request that counts nothing, such as a metadata request.
 */
function publishMetrics(): Middleware {
  const publish = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: publish, onError: publish };
}

function requestKeys(): Middleware {
  return {
    before: ({ event }) => {
      logger.appendKeys({
        requestId: event.requestContext?.requestId,
        method: event.requestContext?.http?.method,
        path: event.rawPath,
      });
    },
  };
}

/** Maps any error into a response. It is used last, so its onError runs first. */
export function errorResponses(options: HttpHandlerOptions = {}): Middleware {
  return {
    onError: (request) => {
      const thrown = request.error;
      if (thrown instanceof RedirectableError && options.issuer !== undefined) {
        logError(thrown.oauthError, thrown);
        const { oauthError, redirectUri, state, responseMode } = thrown;
        request.response = redirectResponse(
          errorRedirect(redirectUri, options.issuer, oauthError, state, responseMode),
        );
        return;
      }

      const error = toOAuthError(thrown);
      logError(error, thrown);
      request.response = options.errorFormat === 'html' ? errorPage(error) : errorResponse(error);
    },
  };
}

function errorPage(error: OAuthError): HttpResponse {
  const title = error.status >= 500 ? 'Service unavailable' : 'The request cannot be completed';
  const html = renderErrorPage({ title, message: error.description });
  return htmlResponse(error.status, html, { ...pageHeaders(), ...error.headers });
}

/** Translates any thrown value into the OAuth error that the client is shown. */
export function toOAuthError(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  if (error instanceof RedirectableError) return error.oauthError;
  if (error instanceof StorageUnavailableError && isRejectedInput(error.cause)) {
    // DynamoDB refused a value, such as an identifier past its 2048-byte key limit: a retry
    // cannot help, so the client learns that its request is malformed.
    return new InvalidRequestError('A parameter is too long or malformed.', { cause: error });
  }
  if (error instanceof StorageUnavailableError) {
    return new TemporarilyUnavailableError(
      'The server is temporarily unable to handle the request. Retry after the given delay.',
      { cause: error, retryAfterSeconds: 1 },
    );
  }
  return new ServerError('The server encountered an unexpected error.', { cause: error });
}

function isRejectedInput(cause: unknown): boolean {
  return cause instanceof Error && cause.name === 'ValidationException';
}

function logError(error: OAuthError, original: unknown): void {
  const details = { error: error.error, status: error.status, description: error.description };
  if (error.status === 503) countEvent('StorageFaults');
  else if (error.status >= 500) countEvent('ServerErrors');

  if (error.status >= 500) {
    logger.error('request failed', { ...details, cause: original });
  } else {
    logger.info('request rejected', { ...details, cause: describeCause(error.cause) });
  }
}

function describeCause(cause: unknown): string | undefined {
  return cause instanceof Error ? cause.message : undefined;
}
