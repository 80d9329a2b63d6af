/**
 * Closed-loop HTTP load with autocannon's programmatic API. Latencies are taken from each
 * response event, in fractional milliseconds, because autocannon's own histogram keeps whole
 * milliseconds only.
 */
import autocannon from 'autocannon';
import { percentile } from './statistics.ts';

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  connections: number;
  durationSeconds: number;
  /** 2xx responses. */
  successes: number;
  requestsPerSecond: number;
  /** Latency of 2xx responses, in milliseconds. */
  p50: number;
  p99: number;
  /** Connection errors, timeouts and non-2xx responses. */
  errors: number;
  timeouts: number;
  non2xx: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    method: options.method,
    headers: options.headers ?? {},
    ...(options.body === undefined ? {} : { body: options.body }),
    timeout: 10,
  });
  instance.on('response', (_client, statusCode, _bytes, milliseconds) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(milliseconds);
  });
  const result = await instance;

  return {
    connections: options.connections,
    durationSeconds: result.duration,
    successes: result['2xx'],
    requestsPerSecond: result['2xx'] / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Returns `Basic <base64>` for client_secret_basic (RFC 6749 section 2.3.1). */
export function basicAuthorization(clientId: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}
