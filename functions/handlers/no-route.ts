/**
 * Every request that matches no route: 405 with `Allow` when the path exists under another
 * method (such as GET /token), 404 otherwise. On API Gateway this serves `$default`.
 */
import { httpHandler } from '../http/handler.ts';
import { printable } from '../http/parameters.ts';
import { InvalidRequestError } from '../oauth/errors.ts';
import { methodsAt } from '../routes.ts';

export const handler = httpHandler(async (event) => {
  const method = event.requestContext.http.method;
  const path = event.rawPath;
  const allowed = methodsAt(path);

  if (allowed.length > 0) {
    throw new InvalidRequestError(`${printable(method)} is not allowed on ${path}.`, {
      status: 405,
      headers: { Allow: allowed.join(', ') },
    });
  }
  throw new InvalidRequestError(`No endpoint at ${printable(path, 200)}.`, { status: 404 });
});
