/** The cutoff times that `users sign-out` and `tokens revoke --client` store. */
import { setTimeout as sleep } from 'node:timers/promises';
import { cutoffAfter } from '../../functions/oauth/revocation-cutoffs.ts';

/**
 * Stores a cutoff for a revocation now, through `store`, then waits until the cutoff has
 * passed: the cutoff is the start of the next second, and a sign-in in that second would
 * otherwise still be cut off after the command has returned. Returns the cutoff.
 */
// NOTE: the cutoff comes from this machine's clock. If that clock runs ahead of the server's,
// sign-ins within the difference after the command are cut off too. If it lags, sessions and
// tokens begun within the difference before the command stay valid.
export async function revokeNow(store: (cutoff: number) => Promise<void>): Promise<number> {
  const cutoff = cutoffAfter(Date.now());
  await store(cutoff);
  const wait = cutoff * 1000 - Date.now();
  if (wait > 0) await sleep(wait);
  return cutoff;
}

export const OFFLINE_TOKENS_NOTE =
  'Resource servers that verify access tokens offline, against the JWKS, accept them until ' +
  'they expire.';
