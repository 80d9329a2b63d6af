/** The login page: a username and password form that POSTs to /login. */
import { escapeHtml, renderDocument, renderInteractionFields } from './html.ts';

export interface LoginPageInput {
  clientName: string;
  interactionId: string;
  csrfToken: string;
  /** Fills the username field again after a failed attempt. */
  username?: string;
  /** A message shown next to the field it concerns. */
  error?: string;
  /** The field that `error` concerns; the password field when absent. */
  errorField?: 'username' | 'password';
}

interface TextField {
  name: 'username' | 'password';
  label: string;
  type: 'text' | 'password';
  autocomplete: string;
  value?: string;
  error?: string;
  autofocus: boolean;
}

/** Renders the login page. It never writes a password into the page. */
export function renderLoginPage(input: LoginPageInput): string {
  const errorField = input.error === undefined ? undefined : (input.errorField ?? 'password');
  const username = input.username ?? '';
  const focusUsername = username === '' || errorField === 'username';

  const fields = [
    renderField({
      name: 'username',
      label: 'Username',
      type: 'text',
      autocomplete: 'username',
      value: username,
      error: errorField === 'username' ? input.error : undefined,
      autofocus: focusUsername,
    }),
    renderField({
      name: 'password',
      label: 'Password',
      type: 'password',
      autocomplete: 'current-password',
      error: errorField === 'password' ? input.error : undefined,
      autofocus: !focusUsername,
    }),
  ];
  const title = `Sign in to ${input.clientName}`;

  return renderDocument(input.error === undefined ? title : `Error: ${title}`, [
    '<h1>Sign in</h1>',
    `<p>to continue to <strong>${escapeHtml(input.clientName)}</strong></p>`,
    '<form method="post" action="/login">',
    renderInteractionFields(input.interactionId, input.csrfToken),
    ...fields,
    '<button type="submit">Sign in</button>',
    '</form>',
  ].join('\n'));
}

function renderField(field: TextField): string {
  const errorId = `${field.name}-error`;
  const attributes = [
    `id="${field.name}"`,
    `name="${field.name}"`,
    `type="${field.type}"`,
    `autocomplete="${field.autocomplete}"`,
    'required',
  ];
  if (field.type === 'text') attributes.push('autocapitalize="none"', 'spellcheck="false"');
  if (field.value !== undefined && field.value !== '') {
    attributes.push(`value="${escapeHtml(field.value)}"`);
  }
  if (field.error !== undefined) {
    attributes.push('aria-invalid="true"', `aria-describedby="${errorId}"`);
  }
  if (field.autofocus) attributes.push('autofocus');

  const lines = [`<label for="${field.name}">${field.label}</label>`];
  if (field.error !== undefined) {
    lines.push(`<p id="${errorId}" class="error">${escapeHtml(field.error)}</p>`);
  }
  lines.push(`<input ${attributes.join(' ')}>`);
  return lines.join('\n');
}
