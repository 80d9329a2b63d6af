/**
 * Server configuration, read once from environment variables at cold start and validated with
 * zod. A bad value stops the process with a message that names the variable and its form.
 */
import * as z from './zod.ts';

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

const httpUrl = (description: string) =>
  z.string().check(
    z.refine((value) => URL.canParse(value) && /^https?:\/\//.test(value), {
      error: `must be ${description}`,
      abort: true,
    }),
  );

const seconds = (min: number, max: number, fallback: number) => {
  const error = `must be a whole number of seconds from ${min} to ${max}`;
  const digits = z.string().check(z.regex(/^\d{1,9}$/, { error }));
  const inRange = z.number().check(z.minimum(min, { error }), z.maximum(max, { error }));
  return z._default(z.pipe(z.pipe(digits, z.transform(Number)), inRange), fallback);
};

const days = (min: number, max: number, fallback: number) => {
  const error = `must be a whole number of days from ${min} to ${max}`;
  const digits = z.string().check(z.regex(/^\d{1,4}$/, { error }));
  const inRange = z.number().check(z.minimum(min, { error }), z.maximum(max, { error }));
  return z._default(z.pipe(z.pipe(digits, z.transform(Number)), inRange), fallback);
};

/** The ARN of a KMS key, such as a multi-Region key `arn:aws:kms:…:key/mrk-…`. */
const kmsKeyArn = z.string().check(
  z.regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, {
    error: 'must be the ARN of a KMS key, such as arn:aws:kms:eu-west-1:111122223333:key/mrk-…',
  }),
);

/** The issuer identifier of RFC 8414: an https URL (http only on loopback), no query or fragment. */
const issuerUrl = z.pipe(
  httpUrl('an http(s) URL such as https://auth.example.com').check(
    z.refine((value) => !value.includes('?') && !value.includes('#'), {
      error: 'must have no query or fragment (RFC 8414 section 2)',
      abort: true,
    }),
    z.refine((value) => value.startsWith('https://') || isLoopbackUrl(value), {
      error: 'must use https, except on localhost, 127.0.0.1 or [::1]',
    }),
  ),
  z.transform((value: string) => value.replace(/\/+$/, '')),
);

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** A comma-separated list of regions, such as `us-east-1,eu-west-1`. */
const regionList = z.pipe(
  z.string().check(
    z.refine((value) => value.split(',').every((region) => REGION.test(region.trim())), {
      error: 'must be AWS regions separated by commas, such as us-east-1,eu-west-1',
    }),
  ),
  z.transform((value: string) => value.split(',').map((region) => region.trim())),
);

/** `region=url` pairs separated by commas, naming a DynamoDB endpoint per replica region. */
const regionEndpoints = z.pipe(
  z.string().check(
    z.refine(
      (value) =>
        value.split(',').every((pair) => {
          const [region = '', url = ''] = pair.split('=');
          return REGION.test(region.trim()) && URL.canParse(url.trim());
        }),
      { error: 'must be region=URL pairs separated by commas' },
    ),
  ),
  z.transform((value: string) =>
    Object.fromEntries(
      value.split(',').map((pair) => {
        const [region = '', url = ''] = pair.split('=');
        return [region.trim(), url.trim()];
      }),
    ),
  ),
);

const environmentSchema = z.object({
  ISSUER: issuerUrl,
  TABLE_NAME: z
    .string({ error: 'must name the DynamoDB table' })
    .check(z.regex(/^[A-Za-z0-9_.-]{3,255}$/, { error: 'must be a DynamoDB table name' })),
  ACCESS_TOKEN_LIFETIME_SECONDS: seconds(60, 86_400, 3_600),
  ID_TOKEN_LIFETIME_SECONDS: seconds(60, 86_400, 300),
  ACCESS_TOKEN_AUDIENCE: z.optional(z.string().check(z.minLength(1))),
  MEMORY_CACHE_SECONDS: seconds(0, 3_600, 60),
  AUTHORIZATION_CODE_LIFETIME_SECONDS: seconds(10, 600, 60),
  REFRESH_TOKEN_IDLE_SECONDS: seconds(60, 31_536_000, 1_209_600),
  REFRESH_TOKEN_ABSOLUTE_SECONDS: seconds(60, 31_536_000, 7_776_000),
  REFRESH_TOKEN_REUSE_GRACE_SECONDS: seconds(0, 60, 10),
  SESSION_LIFETIME_SECONDS: seconds(60, 2_592_000, 43_200),
  DYNAMODB_ENDPOINT: z.optional(httpUrl('an http(s) URL such as http://127.0.0.1:4567')),
  DYNAMODB_REGION_ENDPOINTS: z.optional(regionEndpoints),
  CONSISTENCY_MODE: z._default(
    z.enum(['eventual', 'strong'], { error: 'must be eventual or strong' }),
    'eventual',
  ),
  TABLE_REGIONS: z.optional(regionList),
  AWS_REGION: z
    .string({ error: 'must name an AWS region such as eu-west-1' })
    .check(z.regex(REGION, { error: 'must name an AWS region such as eu-west-1' })),
  KEY_ROTATION_DAYS: days(1, 365, 30),
  KEY_ENCRYPTION_KMS_KEY_ID: z.optional(kmsKeyArn),
  KEY_ENCRYPTION_KEY_FILE: z.optional(z.string().check(z.minLength(1))),
});

/**
 * The key that encrypts the private signing keys in the table: a KMS key on AWS, or a
 * key-encryption key in a local file.
 */
export type KeyEncryptionSettings =
  | { kind: 'kms'; keyId: string }
  | { kind: 'local-file'; path: string };

export interface ServerConfig {
  /** The issuer identifier, without a trailing slash. */
  issuer: string;
  tableName: string;
  accessTokenLifetimeSeconds: number;
  /**
   * ID token lifetime. A relying party checks an ID token once, when it arrives, so the
   * default is short: 300 seconds limit the replay of a leaked one.
   */
  idTokenLifetimeSeconds: number;
  /** The default `aud` of access tokens when the client registers none. */
  accessTokenAudience: string;
  /** How long a warm function keeps client metadata and signing keys in memory. */
  memoryCacheSeconds: number;
  authorizationCodeLifetimeSeconds: number;
  refreshTokenIdleSeconds: number;
  refreshTokenAbsoluteSeconds: number;
  /** How long after a rotation a retry of the same refresh gets the same successor. */
  refreshTokenReuseGraceSeconds: number;
  /** How long a browser stays signed in. */
  sessionLifetimeSeconds: number;
  dynamodb: { region: string; endpoint?: string };
  /** The consistency mode of the global table's replicas. */
  consistencyMode: 'eventual' | 'strong';
  /** The regions of the table's replicas, this function's region among them. */
  tableRegions: string[];
  /** DynamoDB endpoints of other regions' replicas, for local tests of several regions. */
  regionEndpoints: Record<string, string>;
  /** How long a signing key signs before the scheduled rotation replaces it. */
  keyRotationDays: number;
  /** Undefined when neither KEY_ENCRYPTION_KMS_KEY_ID nor KEY_ENCRYPTION_KEY_FILE is set. */
  keyEncryption: KeyEncryptionSettings | undefined;
}

/** Reads and validates the server configuration, or throws a ConfigurationError. */
export function loadServerConfig(environment: NodeJS.ProcessEnv = process.env): ServerConfig {
  const values = parseEnvironment(environmentSchema, environment);

  return {
    issuer: values.ISSUER,
    tableName: values.TABLE_NAME,
    accessTokenLifetimeSeconds: values.ACCESS_TOKEN_LIFETIME_SECONDS,
    idTokenLifetimeSeconds: values.ID_TOKEN_LIFETIME_SECONDS,
    accessTokenAudience: values.ACCESS_TOKEN_AUDIENCE ?? values.ISSUER,
    memoryCacheSeconds: values.MEMORY_CACHE_SECONDS,
    authorizationCodeLifetimeSeconds: values.AUTHORIZATION_CODE_LIFETIME_SECONDS,
    refreshTokenIdleSeconds: values.REFRESH_TOKEN_IDLE_SECONDS,
    refreshTokenAbsoluteSeconds: values.REFRESH_TOKEN_ABSOLUTE_SECONDS,
    refreshTokenReuseGraceSeconds: values.REFRESH_TOKEN_REUSE_GRACE_SECONDS,
    sessionLifetimeSeconds: values.SESSION_LIFETIME_SECONDS,
    dynamodb: { region: values.AWS_REGION, endpoint: values.DYNAMODB_ENDPOINT },
    consistencyMode: values.CONSISTENCY_MODE,
    tableRegions: tableRegions(values.TABLE_REGIONS, values.AWS_REGION),
    regionEndpoints: values.DYNAMODB_REGION_ENDPOINTS ?? {},
    keyRotationDays: values.KEY_ROTATION_DAYS,
    keyEncryption: keyEncryption(values.KEY_ENCRYPTION_KMS_KEY_ID, values.KEY_ENCRYPTION_KEY_FILE),
  };
}

function keyEncryption(
  kmsKeyId: string | undefined,
  keyFile: string | undefined,
): KeyEncryptionSettings | undefined {
  if (kmsKeyId !== undefined && keyFile !== undefined) {
    throw new ConfigurationError(
      'Invalid configuration:\n  set only one of KEY_ENCRYPTION_KMS_KEY_ID (on AWS) and ' +
        'KEY_ENCRYPTION_KEY_FILE (locally)',
    );
  }
  if (kmsKeyId !== undefined) return { kind: 'kms', keyId: kmsKeyId };
  if (keyFile !== undefined) return { kind: 'local-file', path: keyFile };
  return undefined;
}

function tableRegions(listed: string[] | undefined, localRegion: string): string[] {
  if (listed === undefined) return [localRegion];
  if (!listed.includes(localRegion)) {
    throw new ConfigurationError(
      `Invalid configuration:\n  TABLE_REGIONS must include AWS_REGION ${localRegion} ` +
        `(got "${listed.join(',')}")`,
    );
  }
  return listed;
}

/**
 * Parses environment variables with a schema from `zod` or `zod/mini`. Empty strings count as
 * unset, so that `VAR= npm start` falls back to the default.
 */
export function parseEnvironment<Schema extends z.core.$ZodObject>(
  schema: Schema,
  environment: NodeJS.ProcessEnv,
): z.output<Schema> {
  const present = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = z.safeParse(schema, present);
  if (result.success) return result.data;

  const problems = result.error.issues.map((issue) => {
    const variable = String(issue.path[0]);
    const value = present[variable];
    const shown = value === undefined ? 'it is not set' : `got ${JSON.stringify(value)}`;
    return `${variable} ${issue.message} (${shown})`;
  });
  throw new ConfigurationError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
}

export function isLoopbackUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { hostname } = new URL(value);
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}
