/** The logout pages: the question before signing out, and the notice after it. */
import { escapeHtml, renderDocument } from './html.ts';

export interface LogoutConfirmationInput {
  /** The signed-in user's username, when the request carried the session cookie. */
  username?: string;
  /** The request's parameters, which the form sends again with the confirmation. */
  fields: Record<string, string>;
}

/**
 * Renders the question whether to sign out. Its form POSTs the request's parameters to /logout
 * with `confirm=yes`. The page has no Cancel button, because closing it keeps the user signed
 * in, and the post-logout redirect URI would tell the client that the logout happened.
 */
export function renderLogoutConfirmationPage(input: LogoutConfirmationInput): string {
  const introduction =
    input.username === undefined
      ? '<p>An application asks to sign you out.</p>'
      : `<p>An application asks to sign you out. You are signed in as ` +
        `<strong>${escapeHtml(input.username)}</strong>.</p>`;
  const hiddenFields = Object.entries(input.fields).map(
    ([name, value]) =>
      `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`,
  );

  return renderDocument('Sign out?', [
    '<h1>Sign out?</h1>',
    introduction,
    '<form method="post" action="/logout">',
    ...hiddenFields,
    '<button type="submit" name="confirm" value="yes">Sign out</button>',
    '</form>',
    '<p>If you did not start this, close this page to stay signed in.</p>',
  ].join('\n'));
}

/** Renders the notice after a logout without a post-logout redirect URI. */
export function renderSignedOutPage(): string {
  return renderDocument('You are signed out', [
    '<h1>You are signed out</h1>',
    '<p>You can close this page.</p>',
  ].join('\n'));
}
