import { describe, expect, it } from 'vitest';
import { normalizeUsername } from '../../functions/oauth/username.ts';

describe('normalizeUsername', () => {
  it('lower-cases', () => {
    expect(normalizeUsername('Alice')).toBe('alice');
  });

  it('trims whitespace', () => {
    expect(normalizeUsername('  alice\t')).toBe('alice');
  });

  it('composes characters', () => {
    expect(normalizeUsername('Jose\u0301')).toBe('jos\u00e9');
  });

  it('keeps inner spaces', () => {
    expect(normalizeUsername('alice smith')).toBe('alice smith');
  });
});
