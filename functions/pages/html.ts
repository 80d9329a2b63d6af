/**
 * The shared frame of the server-rendered pages: HTML escaping, the document with its one
 * inline style sheet, and the response headers, whose Content-Security-Policy admits only
 * that style sheet. The pages load no scripts, images or other resources.
 */
import { createHash } from 'node:crypto';

const PAGE_STYLE = [
  'body{font-family:system-ui,sans-serif;line-height:1.5;margin:0;padding:1rem;color:#1a1a1a}',
  'main{max-width:26rem;margin:2rem auto}',
  'label{display:block;font-weight:600;margin-top:1rem}',
  'input{display:block;box-sizing:border-box;width:100%;padding:.5rem;font:inherit;',
  'border:1px solid #555;border-radius:4px}',
  'input[aria-invalid=true]{border:2px solid #b00020}',
  '.error{color:#b00020;margin:.25rem 0}',
  'button{margin:1.5rem .5rem 0 0;padding:.5rem 1.25rem;font:inherit;border-radius:4px;',
  'border:1px solid #1a4fa0;background:#1a4fa0;color:#fff;cursor:pointer}',
  'button.secondary{background:#fff;color:#1a4fa0}',
  ':focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}',
].join('');

const PAGE_STYLE_DIGEST = createHash('sha256').update(PAGE_STYLE).digest('base64');

/** The CSP source of the inline style sheet: its SHA-256 digest, base64-encoded. */
export const PAGE_STYLE_SOURCE = `'sha256-${PAGE_STYLE_DIGEST}'`;

/**
 * `form-action` is left out on purpose. Chrome checks it against every redirect that a form
 * submission leads to, not only against the form's `action`. Firefox does not, and the CSP
 * specification leaves the question open (MDN, "CSP: form-action": Chrome 63 blocks such
 * redirects, Firefox 57 does not).
 *
 * The login and consent forms end in a redirect to the client's redirect URI. That URI can
 * have any origin, a loopback port chosen at run time (RFC 8252) or a custom scheme, and the
 * client may redirect again from there. No fixed source list admits all of these, so
 * `form-action 'self'` would stop the flow in Chrome. Without `form-action`, an injected form
 * could send the typed password elsewhere. The pages prevent injection by escaping every
 * interpolated value, and `default-src 'none'` blocks scripts.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${PAGE_STYLE_SOURCE}`,
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Returns the response headers of every page. */
export function pageHeaders(): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for an HTML element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character);
}

/** Wraps a page's `<main>` content in a complete document. `title` is escaped here. */
export function renderDocument(title: string, mainContent: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    mainContent,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Renders the hidden fields that tie a form to its interaction and protect it from CSRF. */
export function renderInteractionFields(interactionId: string, csrfToken: string): string {
  return [
    `<input type="hidden" name="interaction" value="${escapeHtml(interactionId)}">`,
    `<input type="hidden" name="csrf_token" value="${escapeHtml(csrfToken)}">`,
  ].join('\n');
}
