/**
 * A fault-injecting HTTP proxy on loopback between the server and its dynalite. It forwards
 * every DynamoDB request unchanged until a test injects a fault, and then responds to the
 * selected requests as a failing DynamoDB would: throttled (400), failed (500), late, never,
 * or with the connection dropped. The operation is read from the `X-Amz-Target` header,
 * such as `DynamoDB_20120810.UpdateItem`.
 *
 * The proxy also covers the fault that happens after DynamoDB applied a write: it forwards
 * the request, lets dynalite apply it, and then drops the response, so the caller cannot
 * tell a lost write from a lost response.
 */
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** DynamoDB's JSON error type prefix, as in the `__type` member of its error bodies. */
const ERROR_TYPE_PREFIX = 'com.amazonaws.dynamodb.v20120810#';

/** The throttling errors of DynamoDB. The SDK retries both with its throttling backoff. */
export type ThrottlingError = 'ProvisionedThroughputExceededException' | 'ThrottlingException';

/** What the proxy does with a selected request. */
export type Fault =
  /** Responds 400 with a throttling error, without forwarding. */
  | { kind: 'throttle'; error?: ThrottlingError }
  /** Responds 500 `InternalServerError`, without forwarding. */
  | { kind: 'internal-error' }
  /**
   * Responds after `delayMilliseconds`. With `forward: 'immediately'` (the default) dynalite
   * applies the request at once and only the response is late, as on a slow network. With
   * `forward: 'after-delay'` the request itself reaches dynalite late.
   */
  | { kind: 'slow'; delayMilliseconds: number; forward?: 'immediately' | 'after-delay' }
  /** Reads the request and neither responds nor forwards it, until the caller gives up. */
  | { kind: 'hang' }
  /** Sends the status line and part of a body, then destroys the socket, without forwarding. */
  | { kind: 'drop' }
  /**
   * Forwards the request, so that dynalite applies it, then sends part of dynalite's response
   * and destroys the socket.
   */
  | { kind: 'drop-after-apply' };

/** Which requests a fault applies to. Without `count` or `fraction`, it applies to all of them. */
export interface FaultSelection {
  /** Only requests of these DynamoDB operations, such as `UpdateItem`. */
  operations?: readonly string[];
  /** Only requests whose JSON body contains this text, such as an attribute name. */
  bodyContains?: string;
  /** Applies to the next `count` matching requests, then the proxy forwards again. */
  count?: number;
  /** Applies to this fraction of matching requests, from 0 to 1, drawn from a seeded generator. */
  fraction?: number;
  /** Seed of the generator for `fraction`, so that a run can be repeated. */
  seed?: number;
}

/** One request that reached the proxy, and whether a fault was injected into it. */
export interface ProxiedRequest {
  operation: string;
  fault: Fault['kind'] | undefined;
}

export interface FaultProxy {
  /** The endpoint to give the server as DYNAMODB_ENDPOINT. */
  endpoint: string;
  /** Replaces the current fault; requests that are already in flight keep theirs. */
  inject(fault: Fault, selection?: FaultSelection): void;
  /** Stops injecting faults: every later request is forwarded. */
  clear(): void;
  /** The requests seen since the proxy started or since `resetLog`, in arrival order. */
  log(): readonly ProxiedRequest[];
  /** The number of requests that got a fault since the proxy started or since `resetLog`. */
  injectedCount(): number;
  resetLog(): void;
  close(): Promise<void>;
}

interface ActiveFault {
  fault: Fault;
  selection: FaultSelection;
  /** Requests the fault may still take, for `count`. */
  remaining: number;
  random: () => number;
}

/** Starts a proxy on a free port of 127.0.0.1 that forwards to `upstream`, such as dynalite. */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) {
    throw new Error(`The fault proxy forwards to loopback only, not to ${upstream}.`);
  }

  const agent = new Agent({ keepAlive: true });
  const timers = new Set<NodeJS.Timeout>();
  let active: ActiveFault | undefined;
  let log: ProxiedRequest[] = [];

  const server: Server = createServer((request, response) => {
    // A failed forward, such as to a stopped dynalite, reaches the caller as a reset connection.
    handle(request, response).catch(() => response.destroy());
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const operation = operationOf(request.headers);
    const fault = takeFault(operation, body);
    log.push({ operation, fault: fault?.kind });

    switch (fault?.kind) {
      case undefined:
        return relay(await forward(request, body), response);
      case 'throttle':
        return sendError(response, 400, fault.error ?? 'ProvisionedThroughputExceededException');
      case 'internal-error':
        return sendError(response, 500, 'InternalServerError');
      case 'hang':
        // The socket stays open until the SDK's request timeout destroys it, or close().
        return;
      case 'drop':
        return dropMidResponse(response, 200, '{"Item":{"pk":{"S":"');
      case 'drop-after-apply': {
        const upstream = await forward(request, body);
        return dropMidResponse(response, upstream.status, upstream.body.subarray(0, 8).toString());
      }
      case 'slow': {
        if (fault.forward === 'after-delay') {
          await delay(fault.delayMilliseconds);
          return relay(await forward(request, body), response);
        }
        const upstream = await forward(request, body);
        await delay(fault.delayMilliseconds);
        return relay(upstream, response);
      }
    }
  }

  function takeFault(operation: string, body: Buffer): Fault | undefined {
    if (active === undefined) return undefined;
    const { selection } = active;
    if (selection.operations !== undefined && !selection.operations.includes(operation)) {
      return undefined;
    }
    const text = selection.bodyContains === undefined ? '' : body.toString('utf8');
    if (selection.bodyContains !== undefined && !text.includes(selection.bodyContains)) {
      return undefined;
    }
    if (selection.fraction !== undefined && active.random() >= selection.fraction) return undefined;
    if (selection.count !== undefined) {
      if (active.remaining <= 0) return undefined;
      active.remaining -= 1;
    }
    return active.fault;
  }

  async function forward(request: IncomingMessage, body: Buffer): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          hostname: target.hostname.replace(/^\[|\]$/g, ''),
          port: target.port,
          method: request.method,
          path: request.url,
          headers: request.headers,
          agent,
        },
        (upstreamResponse) => {
          readBody(upstreamResponse).then((upstreamBody) => {
            resolve({
              status: upstreamResponse.statusCode ?? 502,
              headers: upstreamResponse.headers,
              body: upstreamBody,
            });
          }, reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  function delay(milliseconds: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, milliseconds);
      timers.add(timer);
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    inject: (fault, selection = {}) => {
      active = {
        fault,
        selection,
        remaining: selection.count ?? Number.POSITIVE_INFINITY,
        random: seededRandom(selection.seed ?? 1),
      };
    },
    clear: () => {
      active = undefined;
    },
    log: () => log,
    injectedCount: () => log.filter((entry) => entry.fault !== undefined).length,
    resetLog: () => {
      log = [];
    },
    close: async () => {
      active = undefined;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
}

interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Returns the DynamoDB operation of a request: `UpdateItem` for `DynamoDB_20120810.UpdateItem`. */
function operationOf(headers: IncomingHttpHeaders): string {
  const targetHeader = headers['x-amz-target'];
  const value = Array.isArray(targetHeader) ? targetHeader[0] : targetHeader;
  return value?.split('.').pop() ?? 'unknown';
}

async function readBody(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function relay(upstream: UpstreamResponse, response: ServerResponse): void {
  if (response.destroyed) return;
  const headers = { ...upstream.headers };
  delete headers['transfer-encoding'];
  headers['content-length'] = String(upstream.body.length);
  response.writeHead(upstream.status, headers);
  response.end(upstream.body);
}

/** Responds as DynamoDB does to a failed request: JSON with `__type` and `message`. */
function sendError(response: ServerResponse, status: number, errorType: string): void {
  if (response.destroyed) return;
  const body = JSON.stringify({
    __type: `${ERROR_TYPE_PREFIX}${errorType}`,
    message: `Injected by the fault proxy: ${errorType}`,
  });
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': String(Buffer.byteLength(body)),
    'x-amzn-requestid': 'FAULTPROXY',
  });
  response.end(body);
}

/** Sends a Content-Length longer than the part of the body it sends, then destroys the socket. */
function dropMidResponse(response: ServerResponse, status: number, part: string): void {
  if (response.destroyed) return;
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': String(part.length + 64),
  });
  response.write(part, () => response.socket?.destroy());
}

/**
 * A linear congruential generator (the constants of Numerical Recipes), so that a `fraction`
 * selection repeats across runs. Statistical quality does not matter here.
 */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
}
