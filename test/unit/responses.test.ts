import { describe, expect, it } from 'vitest';
import { errorResponse } from '../../functions/http/responses.ts';
import {
  InvalidClientError,
  InvalidRequestError,
  TemporarilyUnavailableError,
} from '../../functions/oauth/errors.ts';

describe('errorResponse', () => {
  it('sends error and description only', () => {
    const error = new InvalidRequestError('The grant_type parameter is missing.', {
      cause: new Error('internal detail'),
    });

    const response = errorResponse(error);

    expect(JSON.parse(response.body ?? '')).toEqual({
      error: 'invalid_request',
      error_description: 'The grant_type parameter is missing.',
    });
  });

  it('uses the error status', () => {
    const response = errorResponse(new InvalidRequestError('The parameter is invalid.'));

    expect(response.statusCode).toBe(400);
  });

  it('uses overridden status', () => {
    const error = new InvalidRequestError('The request body is larger than 64 KiB.', {
      status: 413,
    });

    const response = errorResponse(error);

    expect(response.statusCode).toBe(413);
  });

  it('forbids caching', () => {
    const response = errorResponse(new InvalidRequestError('The parameter is invalid.'));

    expect(response.headers['Cache-Control']).toBe('no-store');
    expect(response.headers.Pragma).toBe('no-cache');
  });

  it('sends JSON content type', () => {
    const response = errorResponse(new InvalidRequestError('The parameter is invalid.'));

    expect(response.headers['Content-Type']).toBe('application/json;charset=UTF-8');
    expect(response.headers['X-Content-Type-Options']).toBe('nosniff');
  });

  it('challenges invalid_client with Basic', () => {
    const response = errorResponse(new InvalidClientError('Client authentication failed.'));

    expect(response.statusCode).toBe(401);
    expect(response.headers['WWW-Authenticate']).toBe('Basic realm="oauth", charset="UTF-8"');
  });

  it('omits WWW-Authenticate for other errors', () => {
    const response = errorResponse(new InvalidRequestError('The parameter is invalid.'));

    expect(response.headers).not.toHaveProperty('WWW-Authenticate');
  });

  it('sends Retry-After when unavailable', () => {
    const error = new TemporarilyUnavailableError('Retry later.', { retryAfterSeconds: 5 });

    const response = errorResponse(error);

    expect(response.statusCode).toBe(503);
    expect(response.headers['Retry-After']).toBe('5');
  });
});
