/** The source of the current time, injected wherever expiry is checked so tests can freeze it. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}
