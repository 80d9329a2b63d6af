/** Requests to the token endpoint and the decoding of its JSON responses. */

const FORM = 'application/x-www-form-urlencoded';

export interface TokenResult {
  response: Response;
  body: Record<string, unknown>;
}

/** POSTs a form to /token, with extra headers such as Authorization, and parses the JSON. */
export async function postToken(
  issuer: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<TokenResult> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': FORM, ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  return { response, body: JSON.parse(text) as Record<string, unknown> };
}
