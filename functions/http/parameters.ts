/**
 * Parsing of `application/x-www-form-urlencoded` request bodies and query strings.
 *
 * API Gateway HTTP APIs join repeated query parameters with commas, so parameters are parsed
 * from `rawQueryString` and the raw body, where a repeated parameter can be detected. RFC 6749
 * section 3.1 forbids repeating a parameter and states that a parameter sent without a value
 * is treated as omitted.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InvalidRequestError } from '../oauth/errors.ts';

/** Validated request parameters: each name at most once, empty values dropped. */
export type Parameters = ReadonlyMap<string, string>;

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** The largest form body that the endpoints accept, in bytes. */
export const MAX_FORM_BODY_BYTES = 64 * 1024;

/** Parameters with the names that were repeated; each repeated name keeps its first value. */
export interface ParametersWithRepeats {
  parameters: Parameters;
  repeated: readonly string[];
}

/**
 * Parses an urlencoded string into parameters. Rejects repeated names, malformed percent
 * escapes and escapes that do not decode to UTF-8.
 */
export function parseUrlEncoded(encoded: string): Parameters {
  const { parameters, repeated } = parseUrlEncodedWithRepeats(encoded);
  const [first] = repeated;
  if (first !== undefined) {
    throw new InvalidRequestError(`The parameter '${printable(first)}' is repeated.`);
  }
  return parameters;
}

/**
 * Parses like parseUrlEncoded but reports repeated names instead of rejecting them, for the
 * authorization endpoint, which must know the client and redirect URI to answer a repeat
 * correctly.
 */
export function parseUrlEncodedWithRepeats(encoded: string): ParametersWithRepeats {
  const parameters = new Map<string, string>();
  const repeated: string[] = [];

  for (const pair of encoded.split('&')) {
    if (pair === '') continue;

    const separator = pair.indexOf('=');
    const name = decodeComponent(separator === -1 ? pair : pair.slice(0, separator));
    const value = separator === -1 ? '' : decodeComponent(pair.slice(separator + 1));

    if (name === '') throw new InvalidRequestError('A parameter has an empty name.');
    // A parameter without a value counts as omitted, so it cannot repeat another.
    if (value === '') continue;

    if (parameters.has(name)) {
      if (!repeated.includes(name)) repeated.push(name);
      continue;
    }
    parameters.set(name, value);
  }

  return { parameters, repeated };
}

/**
 * Reads the form parameters of a POST request. Rejects other media types (400, as RFC 6749
 * section 5.2 specifies for every malformed request), bodies over MAX_FORM_BODY_BYTES (413), and
 * bodies that are not valid form encoding.
 */
export function readFormBody(event: APIGatewayProxyEventV2): Parameters {
  return parseUrlEncoded(readFormText(event));
}

/** Reads a form body like readFormBody, reporting repeated names instead of rejecting them. */
export function readFormBodyWithRepeats(event: APIGatewayProxyEventV2): ParametersWithRepeats {
  return parseUrlEncodedWithRepeats(readFormText(event));
}

function readFormText(event: APIGatewayProxyEventV2): string {
  const mediaType = (event.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== FORM_CONTENT_TYPE) {
    throw new InvalidRequestError(`The request body must be ${FORM_CONTENT_TYPE}.`);
  }

  const body = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.length > MAX_FORM_BODY_BYTES) {
    throw new InvalidRequestError(
      `The request body is larger than ${MAX_FORM_BODY_BYTES / 1024} KiB.`,
      { status: 413 },
    );
  }

  // The urlencoded form is ASCII, so a byte outside it cannot come from a conforming client.
  const text = bytes.toString('latin1');
  if (/[^\x20-\x7e]/.test(text)) {
    throw new InvalidRequestError('The request body contains characters that are not urlencoded.');
  }
  return text;
}

/** Reads query parameters from `rawQueryString`, where repeated parameters are still apart. */
export function readQuery(event: APIGatewayProxyEventV2): Parameters {
  return parseUrlEncoded(event.rawQueryString ?? '');
}

/** Reads the query like readQuery, reporting repeated names instead of rejecting them. */
export function readQueryWithRepeats(event: APIGatewayProxyEventV2): ParametersWithRepeats {
  return parseUrlEncodedWithRepeats(event.rawQueryString ?? '');
}

function decodeComponent(component: string): string {
  try {
    return decodeURIComponent(component.replaceAll('+', ' '));
  } catch (cause) {
    throw new InvalidRequestError('The request contains an invalid percent-encoded sequence.', {
      cause,
    });
  }
}

/**
 * Makes client-supplied text safe to quote in an error description, which RFC 6749 section
 * 5.2 limits to %x20-21 / %x23-5B / %x5D-7E: other characters become `?`, and long text is
 * cut with `...`.
 */
export function printable(text: string, maxLength = 40): string {
  const visible = text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?');
  return visible.length > maxLength ? `${visible.slice(0, maxLength)}...` : visible;
}
