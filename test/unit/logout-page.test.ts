import { describe, expect, it } from 'vitest';
import {
  renderLogoutConfirmationPage,
  renderSignedOutPage,
} from '../../functions/pages/logout-page.ts';

const HOSTILE = '"><script>alert(1)</script>\'&';
const ESCAPED_HOSTILE = '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;&amp;';

describe('renderLogoutConfirmationPage', () => {
  it('posts fields back to /logout', () => {
    const html = renderLogoutConfirmationPage({
      fields: { id_token_hint: 'hint', state: 'state-1' },
    });

    expect(html).toContain('<form method="post" action="/logout">');
    expect(html).toContain('<input type="hidden" name="id_token_hint" value="hint">');
    expect(html).toContain('<input type="hidden" name="state" value="state-1">');
    expect(html).toContain('<button type="submit" name="confirm" value="yes">Sign out</button>');
  });

  it('names signed-in user', () => {
    const html = renderLogoutConfirmationPage({ username: 'alice', fields: {} });

    expect(html).toContain('You are signed in as <strong>alice</strong>.');
  });

  it('escapes username and field values', () => {
    const html = renderLogoutConfirmationPage({
      username: HOSTILE,
      fields: { state: HOSTILE },
    });

    expect(html).not.toContain('<script>');
    expect(html).toContain(`<strong>${ESCAPED_HOSTILE}</strong>`);
    expect(html).toContain(`name="state" value="${ESCAPED_HOSTILE}"`);
  });
});

describe('renderSignedOutPage', () => {
  it('says user is signed out', () => {
    const html = renderSignedOutPage();

    expect(html).toContain('<title>You are signed out</title>');
    expect(html).toContain('<h1>You are signed out</h1>');
    expect(html).not.toContain('<form');
  });
});
