/**
 * Limits on failed logins, counted per username and per client IP address in fixed time
 * windows. Failures count whether the username exists or not, so the limits reveal nothing
 * about which usernames exist.
 */
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { epochSeconds, type Clock } from './clock.ts';
import { normalizeUsername } from './username.ts';
import type { LoginAttemptStore } from './users.ts';

export interface LoginRateLimits {
  windowSeconds: number;
  maxFailuresPerUsername: number;
  maxFailuresPerIpAddress: number;
}

export const DEFAULT_LOGIN_RATE_LIMITS: LoginRateLimits = {
  windowSeconds: 15 * 60,
  maxFailuresPerUsername: 5,
  maxFailuresPerIpAddress: 20,
};

// NOTE: fixed windows let up to twice a limit through around a window's end, and attempts
// checked at the same moment can each pass before any of them records its failure.
export class LoginRateLimiter {
  readonly #store: LoginAttemptStore;
  readonly #clock: Clock;
  readonly #limits: LoginRateLimits;

  constructor(store: LoginAttemptStore, clock: Clock, limits: Partial<LoginRateLimits> = {}) {
    this.#store = store;
    this.#clock = clock;
    this.#limits = { ...DEFAULT_LOGIN_RATE_LIMITS, ...limits };
  }

  /** Returns false when the username or the IP address has reached its failure limit. */
  async checkAllowed(username: string, ip: string): Promise<boolean> {
    const windowStart = this.#windowStart();
    const [usernameFailures, ipFailures] = await Promise.all([
      this.#store.countFailures(usernameCounter(username), windowStart),
      this.#store.countFailures(ipAddressCounter(ip), windowStart),
    ]);

    return (
      usernameFailures < this.#limits.maxFailuresPerUsername &&
      ipFailures < this.#limits.maxFailuresPerIpAddress
    );
  }

  async recordFailure(username: string, ip: string): Promise<void> {
    const windowStart = this.#windowStart();
    const expiresAt = windowStart + this.#limits.windowSeconds;

    await Promise.all([
      this.#store.recordFailure(usernameCounter(username), windowStart, expiresAt),
      this.#store.recordFailure(ipAddressCounter(ip), windowStart, expiresAt),
    ]);
  }

  #windowStart(): number {
    const now = epochSeconds(this.#clock);
    return now - (now % this.#limits.windowSeconds);
  }
}

/**
 * Returns the counter of a username. It contains a SHA-256 digest rather than the text,
 * because people sometimes type their password into the username field.
 */
export function usernameCounter(username: string): string {
  const digest = createHash('sha256').update(normalizeUsername(username)).digest('base64url');
  return `username#${digest}`;
}

/**
 * Returns the counter of an IP address. IPv6 addresses count by their /64 prefix, because one
 * host usually controls a whole /64 and could otherwise rotate through its addresses.
 */
export function ipAddressCounter(ip: string): string {
  return `ip#${rateLimitedNetwork(ip)}`;
}

function rateLimitedNetwork(ip: string): string {
  const address = ip.trim().toLowerCase().replace(/%.*$/, '');
  if (!isIPv6(address)) return address;

  const mappedIpv4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mappedIpv4?.[1] !== undefined) return mappedIpv4[1];

  const prefix = expandIpv6(address).slice(0, 4);
  return `${prefix.map((group) => parseInt(group, 16).toString(16)).join(':')}::/64`;
}

/** Expands an IPv6 address to its eight groups; an IPv4 tail counts as two. */
function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const headGroups = splitGroups(head);
  if (tail === undefined) return headGroups;

  const tailGroups = splitGroups(tail);
  const zeros = new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups];
}

function splitGroups(part: string): string[] {
  if (part === '') return [];
  return part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group]));
}
