/**
 * Revocation by time, for what the table cannot find by index: a user signed out everywhere
 * (`signedOutAt`) and every token of a client (`tokensRevokedBefore`). Each stores a cutoff in
 * seconds since the Unix epoch, and sessions, refresh token families and access tokens that
 * began before it stop counting.
 */

/** Returns whether a time, in seconds since the Unix epoch, is before a cutoff, if any. */
export function isBeforeCutoff(time: number, cutoff: number | undefined): boolean {
  return cutoff !== undefined && time < cutoff;
}

/**
 * Returns the cutoff for a revocation at `nowMilliseconds`: the start of the next second.
 * Session, family and token times are whole seconds, so this cutoff also covers whatever began
 * earlier in the current second. The caller that stores it then waits until the cutoff has
 * passed, so that a sign-in after the revocation is not cut off.
 */
export function cutoffAfter(nowMilliseconds: number): number {
  return Math.floor(nowMilliseconds / 1000) + 1;
}
