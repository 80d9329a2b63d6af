/**
 * Settings of the signing keys: the environment variable that carries each one to the
 * functions, and the range and default that functions/config.ts applies to it. A test checks
 * that the two files agree.
 */

export const keyRotationSetting = {
  /** Environment variable that functions/config.ts reads. */
  variable: 'KEY_ROTATION_DAYS',
  min: 1,
  max: 365,
  defaultDays: 30,
} as const;

export interface SigningKeySettings {
  /** Days that a signing key signs before the scheduled rotation replaces it. */
  readonly rotationDays: number;
}

/** Returns the functions' environment variables for the signing key settings. */
export function signingKeyEnvironment(settings: SigningKeySettings): Record<string, string> {
  return { [keyRotationSetting.variable]: String(settings.rotationDays) };
}
