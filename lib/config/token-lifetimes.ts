/**
 * Token and session lifetimes: the environment variable that carries each one to the functions,
 * and the range and default that functions/config.ts applies to that variable. A test checks
 * that the two files agree.
 */

export interface LifetimeSetting {
  /** Environment variable that functions/config.ts reads. */
  readonly variable: string;
  readonly min: number;
  readonly max: number;
  readonly defaultSeconds: number;
}

export const tokenLifetimeSettings = {
  accessTokenSeconds: {
    variable: 'ACCESS_TOKEN_LIFETIME_SECONDS',
    min: 60,
    max: 86_400,
    defaultSeconds: 3_600,
  },
  idTokenSeconds: {
    variable: 'ID_TOKEN_LIFETIME_SECONDS',
    min: 60,
    max: 86_400,
    defaultSeconds: 300,
  },
  authorizationCodeSeconds: {
    variable: 'AUTHORIZATION_CODE_LIFETIME_SECONDS',
    min: 10,
    max: 600,
    defaultSeconds: 60,
  },
  refreshTokenIdleSeconds: {
    variable: 'REFRESH_TOKEN_IDLE_SECONDS',
    min: 60,
    max: 31_536_000,
    defaultSeconds: 1_209_600,
  },
  refreshTokenAbsoluteSeconds: {
    variable: 'REFRESH_TOKEN_ABSOLUTE_SECONDS',
    min: 60,
    max: 31_536_000,
    defaultSeconds: 7_776_000,
  },
  refreshTokenReuseGraceSeconds: {
    variable: 'REFRESH_TOKEN_REUSE_GRACE_SECONDS',
    min: 0,
    max: 60,
    // Longer than a request that fails with 503 after the SDK's retries (about 6.5 s) plus
    // its Retry-After, so the client's retry of that refresh is not taken for reuse.
    defaultSeconds: 10,
  },
  sessionSeconds: {
    variable: 'SESSION_LIFETIME_SECONDS',
    min: 60,
    max: 2_592_000,
    defaultSeconds: 43_200,
  },
} as const satisfies Record<string, LifetimeSetting>;

export type TokenLifetimeName = keyof typeof tokenLifetimeSettings;

/** Lifetimes in seconds, one per setting. */
export type TokenLifetimes = Record<TokenLifetimeName, number>;

export const tokenLifetimeNames = Object.keys(tokenLifetimeSettings) as TokenLifetimeName[];

/** Returns the functions' environment variables for the lifetimes. */
export function tokenLifetimeEnvironment(lifetimes: TokenLifetimes): Record<string, string> {
  return Object.fromEntries(
    tokenLifetimeNames.map((name) => [
      tokenLifetimeSettings[name].variable,
      String(lifetimes[name]),
    ]),
  );
}
