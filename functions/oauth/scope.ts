/** Scope values (RFC 6749 section 3.3): parsing and checks against a client's allowed scopes. */
import { InvalidRequestError, InvalidScopeError } from './errors.ts';
import { printable } from '../http/parameters.ts';

/** scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), RFC 6749 appendix A.4 */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Splits a space-delimited scope parameter into distinct scope tokens, in request order. */
export function parseScope(scope: string): string[] {
  const tokens = scope.split(' ').filter((token) => token !== '');
  if (tokens.length === 0) throw new InvalidRequestError('The scope parameter is empty.');

  for (const token of tokens) {
    if (!SCOPE_TOKEN.test(token)) {
      throw new InvalidScopeError(`The scope '${printable(token)}' contains invalid characters.`);
    }
  }
  return [...new Set(tokens)];
}

/**
 * Returns the scopes to grant: the requested ones when the client may have all of them, or
 * every allowed scope when none is requested (RFC 6749 section 3.3 lets the server apply a
 * default).
 */
export function grantScopes(requested: string | undefined, allowed: readonly string[]): string[] {
  if (requested === undefined) return [...allowed];

  const tokens = parseScope(requested);
  const notAllowed = tokens.filter((token) => !allowed.includes(token));
  if (notAllowed.length > 0) {
    const names = notAllowed.slice(0, 5).map((token) => printable(token)).join(' ');
    throw new InvalidScopeError(`The client may not request the scope: ${names}.`);
  }
  return tokens;
}
