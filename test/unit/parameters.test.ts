import { describe, expect, it } from 'vitest';
import {
  MAX_FORM_BODY_BYTES,
  parseUrlEncoded,
  printable,
  readFormBody,
  readQuery,
} from '../../functions/http/parameters.ts';
import { formEvent, httpEvent, thrownOAuthError } from './support.ts';

const INVALID_ESCAPE = 'The request contains an invalid percent-encoded sequence.';

describe('parseUrlEncoded', () => {
  it('parses name and value pairs', () => {
    const parameters = parseUrlEncoded('grant_type=client_credentials&scope=read');

    expect(Object.fromEntries(parameters)).toEqual({
      grant_type: 'client_credentials',
      scope: 'read',
    });
  });

  it('decodes plus as space', () => {
    const parameters = parseUrlEncoded('scope=read+write');

    expect(parameters.get('scope')).toBe('read write');
  });

  it('decodes %2B as plus', () => {
    const parameters = parseUrlEncoded('secret=a%2Bb');

    expect(parameters.get('secret')).toBe('a+b');
  });

  it('decodes UTF-8 percent escapes', () => {
    const parameters = parseUrlEncoded('client_name=caf%C3%A9');

    expect(parameters.get('client_name')).toBe('café');
  });

  it('decodes percent-encoded names', () => {
    const parameters = parseUrlEncoded('grant%5Ftype=client_credentials');

    expect(parameters.get('grant_type')).toBe('client_credentials');
  });

  it('keeps equals signs in value', () => {
    const parameters = parseUrlEncoded('assertion=a=b==');

    expect(parameters.get('assertion')).toBe('a=b==');
  });

  it('drops parameters with empty value', () => {
    const parameters = parseUrlEncoded('scope=&grant_type=client_credentials');

    expect(parameters.has('scope')).toBe(false);
    expect(parameters.size).toBe(1);
  });

  it('drops parameters without equals sign', () => {
    const parameters = parseUrlEncoded('scope&grant_type=client_credentials');

    expect(parameters.has('scope')).toBe(false);
    expect(parameters.size).toBe(1);
  });

  it('skips empty pairs', () => {
    const parameters = parseUrlEncoded('&a=1&&b=2&');

    expect(Object.fromEntries(parameters)).toEqual({ a: '1', b: '2' });
  });

  it('returns nothing for empty input', () => {
    const parameters = parseUrlEncoded('');

    expect(parameters.size).toBe(0);
  });

  it('rejects repeated parameter', () => {
    const error = thrownOAuthError(() => parseUrlEncoded('scope=read&scope=write'));

    expect(error.error).toBe('invalid_request');
    expect(error.status).toBe(400);
    expect(error.description).toBe("The parameter 'scope' is repeated.");
  });

  it('rejects repeat spelled with escapes', () => {
    const error = thrownOAuthError(() => parseUrlEncoded('scope=read&sc%6Fpe=write'));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe("The parameter 'scope' is repeated.");
  });

  it('rejects identical repeated parameter', () => {
    const error = thrownOAuthError(() => parseUrlEncoded('scope=read&scope=read'));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe("The parameter 'scope' is repeated.");
  });

  // RFC 6749 section 3.1 treats a parameter sent without a value as omitted. An empty repeat
  // is therefore no second occurrence, and `scope=read&scope=` is the request `scope=read`.
  it('ignores empty repeat after value', () => {
    const parameters = parseUrlEncoded('scope=read&scope=');

    expect(parameters.get('scope')).toBe('read');
  });

  it('ignores empty repeat before value', () => {
    const parameters = parseUrlEncoded('scope=&scope=read');

    expect(parameters.get('scope')).toBe('read');
  });

  it('ignores bare name repeat', () => {
    const parameters = parseUrlEncoded('scope&scope=read');

    expect(parameters.get('scope')).toBe('read');
  });

  it('rejects an empty parameter name', () => {
    const error = thrownOAuthError(() => parseUrlEncoded('grant_type=client_credentials&=value'));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe('A parameter has an empty name.');
  });

  it('shows control characters as question marks', () => {
    const error = thrownOAuthError(() => parseUrlEncoded('a%0Ab=1&a%0Ab=2'));

    expect(error.description).toBe("The parameter 'a?b' is repeated.");
  });

  it.each(['a=%', 'a=%2', 'a=%zz', 'a=100%', '%zz=1'])(
    'rejects malformed escape in %s',
    (input) => {
      const error = thrownOAuthError(() => parseUrlEncoded(input));

      expect(error.error).toBe('invalid_request');
      expect(error.status).toBe(400);
      expect(error.description).toBe(INVALID_ESCAPE);
    },
  );

  it.each(['a=%C3%28', 'a=%FF', 'a=%C3', 'a=%ED%A0%80', '%C3%28=1'])(
    'rejects invalid UTF-8 in %s',
    (input) => {
      const error = thrownOAuthError(() => parseUrlEncoded(input));

      expect(error.error).toBe('invalid_request');
      expect(error.description).toBe(INVALID_ESCAPE);
    },
  );
});

describe('readFormBody', () => {
  it('reads urlencoded body', () => {
    const event = formEvent('grant_type=client_credentials&scope=read+write');

    const parameters = readFormBody(event);

    expect(Object.fromEntries(parameters)).toEqual({
      grant_type: 'client_credentials',
      scope: 'read write',
    });
  });

  it.each([
    'application/x-www-form-urlencoded;charset=UTF-8',
    'application/x-www-form-urlencoded; charset=utf-8',
    'Application/X-WWW-Form-Urlencoded',
    ' application/x-www-form-urlencoded ',
  ])('accepts content type %s', (contentType) => {
    const event = formEvent('grant_type=client_credentials', contentType);

    const parameters = readFormBody(event);

    expect(parameters.get('grant_type')).toBe('client_credentials');
  });

  it.each([
    'application/json',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded-extra',
  ])('rejects content type %s', (contentType) => {
    const event = formEvent('grant_type=client_credentials', contentType);

    const error = thrownOAuthError(() => readFormBody(event));

    expect(error.error).toBe('invalid_request');
    expect(error.status).toBe(400);
    expect(error.description).toBe(
      'The request body must be application/x-www-form-urlencoded.',
    );
  });

  it('rejects missing content type', () => {
    const event = httpEvent({ body: 'grant_type=client_credentials' });

    const error = thrownOAuthError(() => readFormBody(event));

    expect(error.error).toBe('invalid_request');
    expect(error.status).toBe(400);
  });

  it('reads missing body as empty', () => {
    const event = httpEvent({ headers: { 'content-type': 'application/x-www-form-urlencoded' } });

    const parameters = readFormBody(event);

    expect(parameters.size).toBe(0);
  });

  it('accepts body of exactly 64 KiB', () => {
    const body = `a=${'x'.repeat(MAX_FORM_BODY_BYTES - 2)}`;

    const parameters = readFormBody(formEvent(body));

    expect(parameters.get('a')).toHaveLength(MAX_FORM_BODY_BYTES - 2);
  });

  it('rejects body over 64 KiB', () => {
    const body = `a=${'x'.repeat(MAX_FORM_BODY_BYTES - 1)}`;

    const error = thrownOAuthError(() => readFormBody(formEvent(body)));

    expect(error.error).toBe('invalid_request');
    expect(error.status).toBe(413);
    expect(error.description).toBe('The request body is larger than 64 KiB.');
  });

  it('decodes base64 body', () => {
    const event = httpEvent({
      body: Buffer.from('grant_type=client_credentials').toString('base64'),
      isBase64Encoded: true,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    const parameters = readFormBody(event);

    expect(parameters.get('grant_type')).toBe('client_credentials');
  });

  it('measures base64 body after decoding', () => {
    const decoded = `a=${'x'.repeat(MAX_FORM_BODY_BYTES - 2)}`;
    const event = httpEvent({
      body: Buffer.from(decoded).toString('base64'),
      isBase64Encoded: true,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    const parameters = readFormBody(event);

    expect(parameters.get('a')).toHaveLength(MAX_FORM_BODY_BYTES - 2);
  });

  it('rejects oversized base64 body', () => {
    const decoded = `a=${'x'.repeat(MAX_FORM_BODY_BYTES - 1)}`;
    const event = httpEvent({
      body: Buffer.from(decoded).toString('base64'),
      isBase64Encoded: true,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    const error = thrownOAuthError(() => readFormBody(event));

    expect(error.status).toBe(413);
  });

  it.each(['client_name=café', 'scope=read\u00a0write', 'scope=read\nwrite', 'scope=\u0000'])(
    'rejects raw non-urlencoded character in %j',
    (body) => {
      const error = thrownOAuthError(() => readFormBody(formEvent(body)));

      expect(error.error).toBe('invalid_request');
      expect(error.status).toBe(400);
      expect(error.description).toBe(
        'The request body contains characters that are not urlencoded.',
      );
    },
  );

  it('rejects non-ASCII bytes in base64 body', () => {
    const bytes = Buffer.concat([Buffer.from('client_name=caf'), Buffer.from([0xe9])]);
    const event = httpEvent({
      body: bytes.toString('base64'),
      isBase64Encoded: true,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    const error = thrownOAuthError(() => readFormBody(event));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe(
      'The request body contains characters that are not urlencoded.',
    );
  });

  it('rejects repeated body parameter', () => {
    const event = formEvent('grant_type=client_credentials&grant_type=password');

    const error = thrownOAuthError(() => readFormBody(event));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe("The parameter 'grant_type' is repeated.");
  });
});

describe('readQuery', () => {
  it('reads raw query string', () => {
    const event = httpEvent({ method: 'GET', rawQueryString: 'client_id=svc&scope=read+write' });

    const parameters = readQuery(event);

    expect(Object.fromEntries(parameters)).toEqual({ client_id: 'svc', scope: 'read write' });
  });

  it('rejects repeated query parameter', () => {
    const event = httpEvent({ method: 'GET', rawQueryString: 'scope=read&scope=write' });

    const error = thrownOAuthError(() => readQuery(event));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe("The parameter 'scope' is repeated.");
  });

  it('reads empty query string', () => {
    const event = httpEvent({ method: 'GET', rawQueryString: '' });

    const parameters = readQuery(event);

    expect(parameters.size).toBe(0);
  });
});

describe('printable', () => {
  it('keeps printable ASCII', () => {
    expect(printable('client_credentials ~!')).toBe('client_credentials ~!');
  });

  it('replaces control characters', () => {
    expect(printable('a\nb\tc\u0000d\u007f')).toBe('a?b?c?d?');
  });

  it('replaces non-ASCII characters', () => {
    expect(printable('café')).toBe('caf?');
  });

  it('keeps text of exactly max length', () => {
    const text = 'x'.repeat(40);

    expect(printable(text)).toBe(text);
  });

  it('truncates text over max length', () => {
    const text = 'x'.repeat(41);

    expect(printable(text)).toBe(`${'x'.repeat(40)}...`);
  });

  it('applies custom max length', () => {
    expect(printable('abcdef', 3)).toBe('abc...');
  });
});
