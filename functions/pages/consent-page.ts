/** The consent page: the scopes a client requests, with Allow and Deny buttons. */
import { escapeHtml, renderDocument, renderInteractionFields } from './html.ts';

export interface ConsentPageInput {
  clientName: string;
  /** The signed-in user's username, shown so that a user on a shared device notices. */
  username: string;
  scopes: string[];
  interactionId: string;
  csrfToken: string;
}

/** Plain-language descriptions of the scopes that OpenID Connect Core 1.0 defines. */
const SCOPE_DESCRIPTIONS = new Map<string, string>([
  ['openid', 'Confirm who you are with your account'],
  ['profile', 'See your name and basic profile information'],
  ['email', 'See your email address and whether it is verified'],
  ['offline_access', 'Keep this access while you are away'],
]);

/**
 * Renders the consent page. Its form POSTs to /consent with `decision` set to `allow` or
 * `deny` by the button pressed. No element has `autofocus`, because there is no field to
 * fill, and a focused Allow button would make approving by accident easier.
 */
export function renderConsentPage(input: ConsentPageInput): string {
  const clientName = escapeHtml(input.clientName);

  return renderDocument(`Allow ${input.clientName} access?`, [
    `<h1>Allow ${clientName} access?</h1>`,
    `<p>You are signed in as <strong>${escapeHtml(input.username)}</strong>.</p>`,
    renderScopes(clientName, input.scopes),
    '<form method="post" action="/consent">',
    renderInteractionFields(input.interactionId, input.csrfToken),
    '<button type="submit" name="decision" value="allow">Allow</button>',
    '<button type="submit" name="decision" value="deny" class="secondary">Deny</button>',
    '</form>',
  ].join('\n'));
}

function renderScopes(clientName: string, scopes: string[]): string {
  if (scopes.length === 0) return `<p>${clientName} requests no specific permissions.</p>`;

  const items = scopes.map((scope) => `<li>${describeScope(scope)}</li>`);
  return [
    `<h2 id="scopes">${clientName} requests permission to:</h2>`,
    '<ul aria-labelledby="scopes">',
    ...items,
    '</ul>',
  ].join('\n');
}

function describeScope(scope: string): string {
  const description = SCOPE_DESCRIPTIONS.get(scope);
  return description === undefined ? `<code>${escapeHtml(scope)}</code>` : description;
}
