import { describe, expect, it } from 'vitest';
import { toOAuthError } from '../../functions/http/handler.ts';
import { InvalidScopeError, ServerError } from '../../functions/oauth/errors.ts';
import { StorageUnavailableError } from '../../functions/storage/errors.ts';

describe('toOAuthError', () => {
  it('passes OAuthError through', () => {
    const error = new InvalidScopeError('The client may not request the scope: admin.');

    const translated = toOAuthError(error);

    expect(translated).toBe(error);
  });

  it('maps storage failure to 503', () => {
    const cause = new StorageUnavailableError('GetItem', new Error('throttled'));

    const translated = toOAuthError(cause);

    expect(translated.error).toBe('temporarily_unavailable');
    expect(translated.status).toBe(503);
    expect(translated.headers['Retry-After']).toBe('1');
    expect(translated.cause).toBe(cause);
  });

  it('hides storage details from description', () => {
    const cause = new StorageUnavailableError('GetItem', new Error('throttled'));

    const translated = toOAuthError(cause);

    expect(translated.description).not.toContain('GetItem');
    expect(translated.description).not.toContain('DynamoDB');
  });

  it('maps other errors to server_error', () => {
    const cause = new TypeError('Cannot read properties of undefined');

    const translated = toOAuthError(cause);

    expect(translated).toBeInstanceOf(ServerError);
    expect(translated.error).toBe('server_error');
    expect(translated.status).toBe(500);
    expect(translated.cause).toBe(cause);
  });

  it('keeps server_error description generic', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:4567 secret=hunter2');

    const translated = toOAuthError(cause);

    expect(translated.description).toBe('The server encountered an unexpected error.');
    expect(translated.description).not.toContain('ECONNREFUSED');
  });

  it.each([['a string'], [undefined], [null], [{ message: 'plain object' }]])(
    'maps thrown %j to server_error',
    (thrown) => {
      const translated = toOAuthError(thrown);

      expect(translated.error).toBe('server_error');
      expect(translated.description).toBe('The server encountered an unexpected error.');
    },
  );
});

describe('toOAuthError › rejected input', () => {
  it('maps a DynamoDB ValidationException to invalid_request', () => {
    const cause = new Error('One or more parameter values were invalid: key too long');
    cause.name = 'ValidationException';

    const error = toOAuthError(new StorageUnavailableError('GetItem', cause));

    expect(error.error).toBe('invalid_request');
    expect(error.status).toBe(400);
    expect(error.description).toBe('A parameter is too long or malformed.');
  });
});
