import { describe, expect, it } from 'vitest';
import { grantScopes, parseScope } from '../../functions/oauth/scope.ts';
import { thrownOAuthError } from './support.ts';

describe('parseScope', () => {
  it('splits at spaces', () => {
    const scopes = parseScope('read write');

    expect(scopes).toEqual(['read', 'write']);
  });

  it('removes duplicates in request order', () => {
    const scopes = parseScope('write read write');

    expect(scopes).toEqual(['write', 'read']);
  });

  it('ignores extra spaces', () => {
    const scopes = parseScope(' read  write ');

    expect(scopes).toEqual(['read', 'write']);
  });

  it('accepts every allowed character', () => {
    const token = '!#$%&\'()*+,-./0123456789:;<=>?@AZ[]^_`az{|}~';

    const scopes = parseScope(token);

    expect(scopes).toEqual([token]);
  });

  it.each([' ', '   '])('rejects empty scope %j', (scope) => {
    const error = thrownOAuthError(() => parseScope(scope));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe('The scope parameter is empty.');
  });

  it.each([
    ['quote', 'read "write"', '?write?'],
    ['backslash', 'read\\write', 'read?write'],
    ['tab', 'read\twrite', 'read?write'],
    ['non-ASCII', 'läsen', 'l?sen'],
  ])('rejects %s in scope', (_character, scope, shown) => {
    const error = thrownOAuthError(() => parseScope(scope));

    expect(error.error).toBe('invalid_scope');
    expect(error.status).toBe(400);
    expect(error.description).toBe(`The scope '${shown}' contains invalid characters.`);
  });
});

describe('grantScopes', () => {
  it('grants all allowed by default', () => {
    const scopes = grantScopes(undefined, ['read', 'write']);

    expect(scopes).toEqual(['read', 'write']);
  });

  it('grants nothing when none allowed', () => {
    const scopes = grantScopes(undefined, []);

    expect(scopes).toEqual([]);
  });

  it('returns a copy of allowed scopes', () => {
    const allowed = ['read'];

    const scopes = grantScopes(undefined, allowed);
    scopes.push('admin');

    expect(allowed).toEqual(['read']);
  });

  it('grants requested subset', () => {
    const scopes = grantScopes('write', ['read', 'write']);

    expect(scopes).toEqual(['write']);
  });

  it('grants requested scopes once', () => {
    const scopes = grantScopes('read read', ['read', 'write']);

    expect(scopes).toEqual(['read']);
  });

  it('rejects scope not allowed', () => {
    const error = thrownOAuthError(() => grantScopes('read admin', ['read', 'write']));

    expect(error.error).toBe('invalid_scope');
    expect(error.status).toBe(400);
    expect(error.description).toBe('The client may not request the scope: admin.');
  });

  it('names every scope not allowed', () => {
    const error = thrownOAuthError(() => grantScopes('admin read delete', ['read']));

    expect(error.description).toBe('The client may not request the scope: admin delete.');
  });

  it('names at most five scopes', () => {
    const error = thrownOAuthError(() => grantScopes('a b c d e f g', []));

    expect(error.description).toBe('The client may not request the scope: a b c d e.');
  });

  it('matches scopes case-sensitively', () => {
    const error = thrownOAuthError(() => grantScopes('READ', ['read']));

    expect(error.error).toBe('invalid_scope');
  });

  it('rejects malformed requested scope', () => {
    const error = thrownOAuthError(() => grantScopes('"read"', ['"read"']));

    expect(error.error).toBe('invalid_scope');
    expect(error.description).toBe(`The scope '?read?' contains invalid characters.`);
  });
});
