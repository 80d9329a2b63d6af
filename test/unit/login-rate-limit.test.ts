import { describe, expect, it } from 'vitest';
import {
  ipAddressCounter,
  LoginRateLimiter,
  usernameCounter,
} from '../../functions/oauth/login-rate-limit.ts';
import type { LoginAttemptStore } from '../../functions/oauth/users.ts';
import { FrozenClock, START_TIME } from './support.ts';

const WINDOW_MILLISECONDS = 15 * 60 * 1000;

/** A login attempt store in a Map, keyed by counter and window start, that keeps expiry. */
class InMemoryLoginAttemptStore implements LoginAttemptStore {
  readonly counters = new Map<string, { count: number; expiresAt: number }>();

  async recordFailure(counter: string, windowStart: number, expiresAt: number): Promise<number> {
    const key = `${counter} ${windowStart}`;
    const count = (this.counters.get(key)?.count ?? 0) + 1;
    this.counters.set(key, { count, expiresAt });
    return count;
  }

  async countFailures(counter: string, windowStart: number): Promise<number> {
    return this.counters.get(`${counter} ${windowStart}`)?.count ?? 0;
  }
}

function setup(clock = new FrozenClock()) {
  const store = new InMemoryLoginAttemptStore();
  const limiter = new LoginRateLimiter(store, clock);
  return { store, limiter, clock };
}

async function recordFailures(
  limiter: LoginRateLimiter,
  count: number,
  username: (attempt: number) => string,
  ip: string,
): Promise<void> {
  for (let attempt = 0; attempt < count; attempt++) {
    await limiter.recordFailure(username(attempt), ip);
  }
}

describe('LoginRateLimiter', () => {
  it('allows first attempt', async () => {
    const { limiter } = setup();

    const allowed = await limiter.checkAllowed('alice', '192.0.2.1');

    expect(allowed).toBe(true);
  });

  it('allows after 4 username failures', async () => {
    const { limiter } = setup();
    await recordFailures(limiter, 4, () => 'alice', '192.0.2.1');

    const allowed = await limiter.checkAllowed('alice', '192.0.2.1');

    expect(allowed).toBe(true);
  });

  it('blocks after 5 username failures', async () => {
    const { limiter } = setup();
    await recordFailures(limiter, 5, () => 'alice', '192.0.2.1');

    const allowed = await limiter.checkAllowed('alice', '192.0.2.1');

    expect(allowed).toBe(false);
  });

  it('blocks username from other IP', async () => {
    const { limiter } = setup();
    await recordFailures(limiter, 5, () => 'alice', '192.0.2.1');

    const allowed = await limiter.checkAllowed('alice', '198.51.100.7');

    expect(allowed).toBe(false);
  });

  it('allows other username from same IP', async () => {
    const { limiter } = setup();
    await recordFailures(limiter, 5, () => 'alice', '192.0.2.1');

    const allowed = await limiter.checkAllowed('bob', '192.0.2.1');

    expect(allowed).toBe(true);
  });

  it('counts username case-insensitively', async () => {
    const { limiter } = setup();
    const spellings = ['alice', 'Alice', 'ALICE', ' alice', 'alice '];
    await recordFailures(limiter, 5, (attempt) => spellings[attempt] ?? 'alice', '192.0.2.1');

    const allowed = await limiter.checkAllowed('aLiCe', '192.0.2.1');

    expect(allowed).toBe(false);
  });

  it('allows after 19 IP failures', async () => {
    const { limiter } = setup();
    await recordFailures(limiter, 19, (attempt) => `user-${attempt}`, '192.0.2.1');

    const allowed = await limiter.checkAllowed('new-user', '192.0.2.1');

    expect(allowed).toBe(true);
  });

  it('blocks after 20 IP failures', async () => {
    const { limiter } = setup();
    await recordFailures(limiter, 20, (attempt) => `user-${attempt}`, '192.0.2.1');

    const allowed = await limiter.checkAllowed('new-user', '192.0.2.1');

    expect(allowed).toBe(false);
  });

  it('allows other IP after IP limit', async () => {
    const { limiter } = setup();
    await recordFailures(limiter, 20, (attempt) => `user-${attempt}`, '192.0.2.1');

    const allowed = await limiter.checkAllowed('new-user', '192.0.2.2');

    expect(allowed).toBe(true);
  });

  it('blocks whole IPv6 /64', async () => {
    const { limiter } = setup();
    for (let attempt = 0; attempt < 20; attempt++) {
      await limiter.recordFailure(`user-${attempt}`, `2001:db8::${attempt.toString(16)}`);
    }

    const allowed = await limiter.checkAllowed('new-user', '2001:db8:0:0:ffff::1');

    expect(allowed).toBe(false);
  });

  it('allows other IPv6 /64', async () => {
    const { limiter } = setup();
    for (let attempt = 0; attempt < 20; attempt++) {
      await limiter.recordFailure(`user-${attempt}`, `2001:db8::${attempt.toString(16)}`);
    }

    const allowed = await limiter.checkAllowed('new-user', '2001:db8:0:1::1');

    expect(allowed).toBe(true);
  });

  it('allows again in next window', async () => {
    const { limiter, clock } = setup();
    await recordFailures(limiter, 5, () => 'alice', '192.0.2.1');

    clock.advance(WINDOW_MILLISECONDS);
    const allowed = await limiter.checkAllowed('alice', '192.0.2.1');

    expect(allowed).toBe(true);
  });

  it('keeps blocking until window ends', async () => {
    const { limiter, clock } = setup();
    await recordFailures(limiter, 5, () => 'alice', '192.0.2.1');

    clock.advance(WINDOW_MILLISECONDS - 1000);
    const allowed = await limiter.checkAllowed('alice', '192.0.2.1');

    expect(allowed).toBe(false);
  });

  it('aligns windows to their length', async () => {
    const { limiter, clock } = setup(new FrozenClock(START_TIME + 10 * 60 * 1000));
    await recordFailures(limiter, 5, () => 'alice', '192.0.2.1');

    clock.advance(5 * 60 * 1000);
    const allowed = await limiter.checkAllowed('alice', '192.0.2.1');

    expect(allowed).toBe(true);
  });

  it('expires counters at window end', async () => {
    const { limiter, store } = setup(new FrozenClock(START_TIME + 10 * 60 * 1000));

    await limiter.recordFailure('alice', '192.0.2.1');

    const expiries = [...store.counters.values()].map((counter) => counter.expiresAt);
    expect(expiries).toEqual([START_TIME / 1000 + 900, START_TIME / 1000 + 900]);
  });

  it('keeps username out of counter keys', async () => {
    const { limiter, store } = setup();

    await limiter.recordFailure('alice@example.com', '192.0.2.1');

    const keys = [...store.counters.keys()].join(' ');
    expect(keys).not.toContain('alice');
  });

  it('applies custom limits', async () => {
    const store = new InMemoryLoginAttemptStore();
    const limiter = new LoginRateLimiter(store, new FrozenClock(), { maxFailuresPerUsername: 2 });
    await recordFailures(limiter, 2, () => 'alice', '192.0.2.1');

    const allowed = await limiter.checkAllowed('alice', '192.0.2.1');

    expect(allowed).toBe(false);
  });
});

describe('ipAddressCounter', () => {
  it('keeps IPv4 address', () => {
    expect(ipAddressCounter('192.0.2.1')).toBe('ip#192.0.2.1');
  });

  it('groups IPv6 by /64', () => {
    expect(ipAddressCounter('2001:db8:1:2:3:4:5:6')).toBe('ip#2001:db8:1:2::/64');
  });

  it('expands compressed IPv6', () => {
    expect(ipAddressCounter('2001:db8::1')).toBe('ip#2001:db8:0:0::/64');
  });

  it('ignores leading zeros and case', () => {
    expect(ipAddressCounter('2001:0DB8:0000:0001::1')).toBe('ip#2001:db8:0:1::/64');
  });

  it('expands leading double colon', () => {
    expect(ipAddressCounter('::1')).toBe('ip#0:0:0:0::/64');
  });

  it('maps IPv4-mapped IPv6 to IPv4', () => {
    expect(ipAddressCounter('::ffff:192.0.2.1')).toBe('ip#192.0.2.1');
  });

  it('handles IPv4 tail', () => {
    expect(ipAddressCounter('64:ff9b::192.0.2.1')).toBe('ip#64:ff9b:0:0::/64');
  });
});

describe('usernameCounter', () => {
  it('normalizes username', () => {
    expect(usernameCounter(' Alice ')).toBe(usernameCounter('alice'));
  });

  it('separates usernames', () => {
    expect(usernameCounter('alice')).not.toBe(usernameCounter('bob'));
  });
});
