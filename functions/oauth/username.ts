/**
 * Normalizes a username for comparison: surrounding whitespace removed, Unicode NFKC, lower
 * case. Usernames are unique in this form, and login rate limits count failures by it.
 */
export function normalizeUsername(username: string): string {
  return username.trim().normalize('NFKC').toLowerCase();
}
