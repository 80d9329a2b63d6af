/** The page for errors that must not redirect to the client, such as an unknown redirect URI. */
import { escapeHtml, renderDocument } from './html.ts';

export interface ErrorPageInput {
  title: string;
  message: string;
}

export function renderErrorPage(input: ErrorPageInput): string {
  return renderDocument(input.title, [
    `<h1>${escapeHtml(input.title)}</h1>`,
    `<p>${escapeHtml(input.message)}</p>`,
  ].join('\n'));
}
