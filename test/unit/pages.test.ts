import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderConsentPage } from '../../functions/pages/consent-page.ts';
import { renderErrorPage } from '../../functions/pages/error-page.ts';
import { escapeHtml, pageHeaders } from '../../functions/pages/html.ts';
import { renderLoginPage, type LoginPageInput } from '../../functions/pages/login-page.ts';

const HOSTILE = '"><script>alert(1)</script>\'&';
const ESCAPED_HOSTILE = '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;&amp;';

const loginInput: LoginPageInput = {
  clientName: 'Example App',
  interactionId: 'interaction-1',
  csrfToken: 'csrf-1',
};

const consentInput = {
  clientName: 'Example App',
  username: 'alice',
  scopes: ['openid', 'profile', 'email', 'offline_access', 'orders:read'],
  interactionId: 'interaction-1',
  csrfToken: 'csrf-1',
};

/** Returns the opening tags of the visible inputs: every input except hidden ones. */
function visibleInputs(html: string): string[] {
  return (html.match(/<input [^>]*>/g) ?? []).filter((tag) => !tag.includes('type="hidden"'));
}

function attribute(tag: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
}

function inputNamed(html: string, name: string): string {
  return visibleInputs(html).find((tag) => attribute(tag, 'name') === name) ?? '';
}

describe('escapeHtml', () => {
  it('escapes markup characters', () => {
    expect(escapeHtml(HOSTILE)).toBe(ESCAPED_HOSTILE);
  });

  it('keeps plain text', () => {
    expect(escapeHtml('Example App 2')).toBe('Example App 2');
  });
});

describe('renderLoginPage', () => {
  it('declares language', () => {
    const html = renderLoginPage(loginInput);

    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
  });

  it('has main and heading', () => {
    const html = renderLoginPage(loginInput);

    expect(html).toContain('<main>');
    expect(html).toContain('<h1>Sign in</h1>');
  });

  it('posts to /login', () => {
    const html = renderLoginPage(loginInput);

    expect(html).toContain('<form method="post" action="/login">');
  });

  it('carries interaction and CSRF token', () => {
    const html = renderLoginPage(loginInput);

    expect(html).toContain('<input type="hidden" name="interaction" value="interaction-1">');
    expect(html).toContain('<input type="hidden" name="csrf_token" value="csrf-1">');
  });

  it('labels every input', () => {
    const html = renderLoginPage({ ...loginInput, error: 'Wrong password.' });

    const inputs = visibleInputs(html);

    expect(inputs).toHaveLength(2);
    for (const input of inputs) {
      expect(html).toContain(`<label for="${attribute(input, 'id')}">`);
    }
  });

  it('sets autocomplete tokens', () => {
    const html = renderLoginPage(loginInput);

    expect(attribute(inputNamed(html, 'username'), 'autocomplete')).toBe('username');
    expect(attribute(inputNamed(html, 'password'), 'autocomplete')).toBe('current-password');
  });

  it('uses password input type', () => {
    const html = renderLoginPage(loginInput);

    expect(attribute(inputNamed(html, 'password'), 'type')).toBe('password');
  });

  it('focuses username when empty', () => {
    const html = renderLoginPage(loginInput);

    expect(inputNamed(html, 'username')).toContain(' autofocus');
    expect(inputNamed(html, 'password')).not.toContain(' autofocus');
  });

  it('focuses password when username given', () => {
    const html = renderLoginPage({ ...loginInput, username: 'alice', error: 'Wrong password.' });

    expect(inputNamed(html, 'username')).not.toContain(' autofocus');
    expect(inputNamed(html, 'password')).toContain(' autofocus');
  });

  it('focuses username with its error', () => {
    const html = renderLoginPage({
      ...loginInput,
      username: 'alice',
      error: 'Enter a valid username.',
      errorField: 'username',
    });

    expect(inputNamed(html, 'username')).toContain(' autofocus');
    expect(inputNamed(html, 'password')).not.toContain(' autofocus');
  });

  it('orders username before password', () => {
    const html = renderLoginPage(loginInput);

    expect(html.indexOf('name="username"')).toBeLessThan(html.indexOf('name="password"'));
    expect(html.indexOf('name="password"')).toBeLessThan(html.indexOf('<button'));
  });

  it('refills username', () => {
    const html = renderLoginPage({ ...loginInput, username: 'alice' });

    expect(attribute(inputNamed(html, 'username'), 'value')).toBe('alice');
  });

  it('links error to password', () => {
    const html = renderLoginPage({ ...loginInput, username: 'alice', error: 'Wrong password.' });
    const password = inputNamed(html, 'password');

    expect(attribute(password, 'aria-invalid')).toBe('true');
    expect(attribute(password, 'aria-describedby')).toBe('password-error');
    expect(html).toContain('<p id="password-error" class="error">Wrong password.</p>');
  });

  it('links error to username', () => {
    const html = renderLoginPage({
      ...loginInput,
      error: 'Enter your username.',
      errorField: 'username',
    });
    const username = inputNamed(html, 'username');

    expect(attribute(username, 'aria-invalid')).toBe('true');
    expect(attribute(username, 'aria-describedby')).toBe('username-error');
    expect(html).toContain('<p id="username-error" class="error">Enter your username.</p>');
  });

  it('marks no field invalid without error', () => {
    const html = renderLoginPage(loginInput);

    expect(visibleInputs(html).join('\n')).not.toContain('aria-invalid');
    expect(html).not.toContain('class="error"');
  });

  it('prefixes title on error', () => {
    const html = renderLoginPage({ ...loginInput, error: 'Wrong password.' });

    expect(html).toContain('<title>Error: Sign in to Example App</title>');
  });

  it('never echoes password', () => {
    const input = { ...loginInput, username: 'alice', password: 'hunter2-secret' };

    const html = renderLoginPage(input as LoginPageInput);

    expect(html).not.toContain('hunter2-secret');
    expect(attribute(inputNamed(html, 'password'), 'value')).toBeUndefined();
  });

  it('escapes client name', () => {
    const html = renderLoginPage({ ...loginInput, clientName: HOSTILE });

    expect(html).not.toContain('<script>');
    expect(html).toContain(`<strong>${ESCAPED_HOSTILE}</strong>`);
  });

  it('escapes username value', () => {
    const html = renderLoginPage({ ...loginInput, username: HOSTILE });

    expect(html).not.toContain('<script>');
    expect(html).toContain(`value="${ESCAPED_HOSTILE}"`);
  });

  it('escapes error message', () => {
    const html = renderLoginPage({ ...loginInput, error: HOSTILE });

    expect(html).not.toContain('<script>');
  });

  it('escapes hidden fields', () => {
    const html = renderLoginPage({ ...loginInput, interactionId: HOSTILE, csrfToken: HOSTILE });

    expect(html).not.toContain('<script>');
    expect(html).toContain(`name="interaction" value="${ESCAPED_HOSTILE}"`);
    expect(html).toContain(`name="csrf_token" value="${ESCAPED_HOSTILE}"`);
  });
});

describe('renderConsentPage', () => {
  it('declares language', () => {
    const html = renderConsentPage(consentInput);

    expect(html).toContain('<html lang="en">');
  });

  it('names client in heading', () => {
    const html = renderConsentPage(consentInput);

    expect(html).toContain('<h1>Allow Example App access?</h1>');
  });

  it('names signed-in user', () => {
    const html = renderConsentPage(consentInput);

    expect(html).toContain('<strong>alice</strong>');
  });

  it('describes standard scopes', () => {
    const html = renderConsentPage(consentInput);

    expect(html).toContain('<li>Confirm who you are with your account</li>');
    expect(html).toContain('<li>See your name and basic profile information</li>');
    expect(html).toContain('<li>See your email address and whether it is verified</li>');
    expect(html).toContain('<li>Keep this access while you are away</li>');
  });

  it('names other scopes', () => {
    const html = renderConsentPage(consentInput);

    expect(html).toContain('<li><code>orders:read</code></li>');
  });

  it('names scope shadowing object key', () => {
    const html = renderConsentPage({ ...consentInput, scopes: ['constructor'] });

    expect(html).toContain('<li><code>constructor</code></li>');
  });

  it('handles no scopes', () => {
    const html = renderConsentPage({ ...consentInput, scopes: [] });

    expect(html).toContain('<p>Example App requests no specific permissions.</p>');
    expect(html).not.toContain('<ul');
  });

  it('posts to /consent', () => {
    const html = renderConsentPage(consentInput);

    expect(html).toContain('<form method="post" action="/consent">');
  });

  it('carries interaction and CSRF token', () => {
    const html = renderConsentPage(consentInput);

    expect(html).toContain('<input type="hidden" name="interaction" value="interaction-1">');
    expect(html).toContain('<input type="hidden" name="csrf_token" value="csrf-1">');
  });

  it('offers allow and deny', () => {
    const html = renderConsentPage(consentInput);

    expect(html).toContain('<button type="submit" name="decision" value="allow">Allow</button>');
    expect(html).toMatch(/<button type="submit" name="decision" value="deny"[^>]*>Deny<\/button>/);
  });

  it('has no visible inputs', () => {
    const html = renderConsentPage(consentInput);

    expect(visibleInputs(html)).toEqual([]);
  });

  it('escapes client, user and scopes', () => {
    const html = renderConsentPage({
      ...consentInput,
      clientName: HOSTILE,
      username: HOSTILE,
      scopes: [HOSTILE],
    });

    expect(html).not.toContain('<script>');
    expect(html).toContain(`<strong>${ESCAPED_HOSTILE}</strong>`);
    expect(html).toContain(`<li><code>${ESCAPED_HOSTILE}</code></li>`);
  });

  it('escapes hidden fields', () => {
    const html = renderConsentPage({ ...consentInput, interactionId: HOSTILE, csrfToken: HOSTILE });

    expect(html).not.toContain('<script>');
  });
});

describe('renderErrorPage', () => {
  it('shows title and message', () => {
    const html = renderErrorPage({ title: 'Unknown client', message: 'Check the link.' });

    expect(html).toContain('<title>Unknown client</title>');
    expect(html).toContain('<h1>Unknown client</h1>');
    expect(html).toContain('<p>Check the link.</p>');
  });

  it('escapes title and message', () => {
    const html = renderErrorPage({ title: HOSTILE, message: HOSTILE });

    expect(html).not.toContain('<script>');
    expect(html).toContain(`<h1>${ESCAPED_HOSTILE}</h1>`);
  });

  it('has main and language', () => {
    const html = renderErrorPage({ title: 'Error', message: 'Failed.' });

    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<main>');
  });
});

describe('pageHeaders', () => {
  const csp = pageHeaders()['Content-Security-Policy'] ?? '';
  const directives = csp.split('; ');

  it('admits the inline style by hash', () => {
    const html = renderErrorPage({ title: 'Error', message: 'Failed.' });
    const style = /<style>([^<]*)<\/style>/.exec(html)?.[1] ?? '';
    const digest = createHash('sha256').update(style, 'utf8').digest('base64');

    expect(directives).toContain(`style-src 'sha256-${digest}'`);
  });

  it('contains one inline style', () => {
    const html = renderLoginPage(loginInput);

    expect(html.match(/<style>/g)).toHaveLength(1);
  });

  it('blocks everything else', () => {
    expect(directives).toContain("default-src 'none'");
    expect(directives).toContain("frame-ancestors 'none'");
    expect(directives).toContain("base-uri 'none'");
  });

  it('omits form-action', () => {
    expect(csp).not.toContain('form-action');
  });

  it('loads no external assets', () => {
    const pages = [
      renderLoginPage(loginInput),
      renderConsentPage(consentInput),
      renderErrorPage({ title: 'Error', message: 'Failed.' }),
    ];

    for (const html of pages) {
      expect(html).not.toMatch(/<(script|link|img|iframe)\b|\ssrc=|url\(/);
    }
  });

  it('sets security headers', () => {
    const headers = pageHeaders();

    expect(headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(headers['X-Frame-Options']).toBe('DENY');
    expect(headers['X-Content-Type-Options']).toBe('nosniff');
    expect(headers['Referrer-Policy']).toBe('no-referrer');
    expect(headers['Cache-Control']).toBe('no-store');
  });
});
