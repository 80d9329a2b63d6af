/**
 * The middy pipeline that every HTTP handler runs in: per-request log keys, and one place
 * where errors become responses. An OAuthError is answered in RFC 6749 section 5.2 form, a
 * storage fault with 503 and `Retry-After`, and anything else with a generic `server_error`;
 * stack traces and causes reach only the logs.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { OAuthError, ServerError, TemporarilyUnavailableError } from '../oauth/errors.ts';
import { StorageUnavailableError } from '../storage/errors.ts';
import { logger } from './logger.ts';
import { errorResponse, type HttpResponse } from './responses.ts';

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<HttpResponse>;

type Middleware = MiddlewareObj<APIGatewayProxyEventV2, HttpResponse>;

/** Wraps a handler in the shared pipeline; `extra` middlewares run inside the error mapping. */
export function httpHandler(handle: HttpHandler, extra: Middleware[] = []) {
  const pipeline = middy<APIGatewayProxyEventV2, HttpResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(requestKeys());
  for (const middleware of extra) pipeline.use(middleware);
  return pipeline.use(errorResponses()).handler(handle);
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
export function errorResponses(): Middleware {
  return {
    onError: (request) => {
      const error = toOAuthError(request.error);
      logError(error, request.error);
      request.response = errorResponse(error);
    },
  };
}

/** Translates any thrown value into the OAuth error that the client is shown. */
export function toOAuthError(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  if (error instanceof StorageUnavailableError) {
    return new TemporarilyUnavailableError(
      'The server is temporarily unable to handle the request. Retry after the given delay.',
      { cause: error, retryAfterSeconds: 1 },
    );
  }
  return new ServerError('The server encountered an unexpected error.', { cause: error });
}

function logError(error: OAuthError, original: unknown): void {
  const details = { error: error.error, status: error.status, description: error.description };
  if (error.status >= 500) {
    logger.error('request failed', { ...details, cause: original });
  } else {
    logger.info('request rejected', { ...details, cause: describeCause(error.cause) });
  }
}

function describeCause(cause: unknown): string | undefined {
  return cause instanceof Error ? cause.message : undefined;
}
