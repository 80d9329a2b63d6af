/**
 * API Gateway HTTP API events (payload format 2.0) and Lambda contexts for invoking handlers
 * directly, shaped as bin/local/api-gateway-event.ts builds them: the body base64-encoded,
 * cookies apart from the headers, the raw query string untouched.
 */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';

export interface EventOptions {
  method: 'GET' | 'POST';
  path: string;
  /** The route key of the matched route, such as `POST /token`, or `$default`. */
  routeKey?: string;
  query?: Record<string, string>;
  /** A form body, sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Cookies as `name=value`. */
  cookies?: string[];
}

export function buildApiGatewayEvent(options: EventOptions): APIGatewayProxyEventV2 {
  const rawQueryString = options.query ? new URLSearchParams(options.query).toString() : '';
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
  const headers: Record<string, string> = {
    host: 'localhost',
    'user-agent': 'bench',
    ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
    ...options.headers,
  };
  const requestId = randomUUID();
  const now = Date.now();
  const routeKey = options.routeKey ?? `${options.method} ${options.path}`;

  return {
    version: '2.0',
    routeKey,
    rawPath: options.path,
    rawQueryString,
    ...(options.cookies && options.cookies.length > 0 ? { cookies: options.cookies } : {}),
    headers,
    ...(options.query ? { queryStringParameters: options.query } : {}),
    requestContext: {
      accountId: 'bench',
      apiId: 'bench',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: options.method,
        path: options.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'bench',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body === undefined
      ? { isBase64Encoded: false }
      : { body: Buffer.from(body).toString('base64'), isBase64Encoded: true }),
  };
}

export function buildLambdaContext(functionName: string): Context {
  const deadline = Date.now() + 5_000;
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
