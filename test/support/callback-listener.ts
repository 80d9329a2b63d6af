/** A loopback listener that stands in for a native app's redirect URI and records callbacks. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CallbackListener {
  redirectUri: string;
  /** Resolves with the next callback URL that the browser opens. */
  nextCallback(): Promise<URL>;
  close(): Promise<void>;
}

export async function startCallbackListener(): Promise<CallbackListener> {
  const waiting: Array<(url: URL) => void> = [];
  const received: URL[] = [];
  let base = '';

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', base);
    if (url.pathname !== '/callback') {
      // Browsers also ask for /favicon.ico, which is no callback.
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain' }).end('callback received');
    const resolve = waiting.shift();
    if (resolve) resolve(url);
    else received.push(url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    redirectUri: `${base}/callback`,
    nextCallback: () => {
      const ready = received.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve) => waiting.push(resolve));
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
