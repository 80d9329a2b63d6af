/**
 * Validation of the deployment configuration with zod. Every problem is reported at once, each
 * with the property's path, the rule it breaks and the value it has.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import type { DeployConfig, DeployConfigInput } from './deploy-config.ts';
import { powertoolsLogLevels } from './deploy-config.ts';
import { keyRotationSetting } from './signing-keys.ts';
import { strongConsistencyProblem } from './strong-consistency.ts';
import { tokenLifetimeSettings } from './token-lifetimes.ts';
import type { LifetimeSetting } from './token-lifetimes.ts';

export class DeployConfigError extends Error {
  override name = 'DeployConfigError';
}

/** Route 53 publishes health check metrics only here, so their alarms must live here too. */
export const route53MetricsRegion = 'us-east-1';

/** Defaults that come from the CDK CLI's environment rather than from the file. */
export interface EnvironmentDefaults {
  /** CDK_DEFAULT_REGION: the one region when the file names none. */
  readonly region?: string;
  /** CDK_DEFAULT_ACCOUNT: the account when the file names none. */
  readonly account?: string;
}

/** Region used when neither the file nor the environment names one. */
export const fallbackRegion = 'us-east-1';

const regionRule = 'must be an AWS region name such as eu-west-1';
// The pattern that functions/config.ts applies to AWS_REGION.
const regionName = z.string({ error: regionRule }).regex(/^[a-z]{2}(-[a-z]+)+-\d$/, {
  error: regionRule,
});

const hostnameRule = 'must be a lower-case DNS name such as auth.example.com, without a final dot';
const hostname = z.string({ error: hostnameRule }).refine(isHostname, { error: hostnameRule });

function isHostname(value: string): boolean {
  const labels = value.split('.');
  const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
  return value.length <= 253 && labels.length >= 2 && labels.every((each) => label.test(each));
}

function integer(min: number, max: number, rule: string) {
  return z
    .number({ error: rule })
    .int({ error: rule })
    .min(min, { error: rule })
    .max(max, { error: rule });
}

function lifetime(setting: LifetimeSetting) {
  const rule = `must be a whole number of seconds from ${setting.min} to ${setting.max}`;
  return integer(setting.min, setting.max, rule).default(setting.defaultSeconds);
}

const retentionDayValues = Object.values(RetentionDays)
  .filter((value): value is number => typeof value === 'number')
  .toSorted((a, b) => a - b);

const retentionRule = `must be one of ${retentionDayValues.join(', ')} days`;

const snsTopicArnPattern = /^arn:aws[a-z-]*:sns:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:[\w-]{1,256}$/;

const snsTopicArn = z.string().regex(snsTopicArnPattern, {
  error: 'must be the ARN of a standard SNS topic, such as arn:aws:sns:eu-west-1:123456789012:ops',
});

const tableSchema = z.strictObject({
  name: z
    .string({ error: 'must be a DynamoDB table name' })
    .regex(/^[A-Za-z0-9_.-]{3,255}$/, {
      error: 'must be a DynamoDB table name: 3 to 255 letters, digits, _, . or -',
    })
    .default('oauth-server'),
  deletionProtection: z.boolean({ error: 'must be true or false' }).default(true),
  removalPolicy: z
    .enum(['retain', 'destroy'], { error: 'must be "retain" or "destroy"' })
    .default('retain'),
});

const domainSchema = z.strictObject({
  name: hostname,
  hostedZoneId: z.string({ error: 'must be a Route 53 hosted zone ID' }).regex(/^[A-Z0-9]{1,32}$/, {
    error: 'must be a Route 53 hosted zone ID such as Z0123456789ABC, without /hostedzone/',
  }),
  hostedZoneName: hostname,
});

const tokenLifetimesSchema = z.strictObject({
  accessTokenSeconds: lifetime(tokenLifetimeSettings.accessTokenSeconds),
  idTokenSeconds: lifetime(tokenLifetimeSettings.idTokenSeconds),
  authorizationCodeSeconds: lifetime(tokenLifetimeSettings.authorizationCodeSeconds),
  refreshTokenIdleSeconds: lifetime(tokenLifetimeSettings.refreshTokenIdleSeconds),
  refreshTokenAbsoluteSeconds: lifetime(tokenLifetimeSettings.refreshTokenAbsoluteSeconds),
  refreshTokenReuseGraceSeconds: lifetime(tokenLifetimeSettings.refreshTokenReuseGraceSeconds),
  sessionSeconds: lifetime(tokenLifetimeSettings.sessionSeconds),
});

const rotationRule =
  `must be a whole number of days from ${keyRotationSetting.min} to ${keyRotationSetting.max}`;

const signingKeysSchema = z.strictObject({
  rotationDays: integer(keyRotationSetting.min, keyRotationSetting.max, rotationRule).default(
    keyRotationSetting.defaultDays,
  ),
});

const loggingSchema = z.strictObject({
  level: z
    .enum(powertoolsLogLevels, { error: `must be one of ${powertoolsLogLevels.join(', ')}` })
    .default('INFO'),
  retentionDays: z
    .number({ error: retentionRule })
    .refine((days) => retentionDayValues.includes(days), { error: retentionRule })
    .default(RetentionDays.THREE_MONTHS),
});

const alarmsSchema = z.strictObject({
  email: z.email({ error: 'must be an e-mail address' }).optional(),
  topicArns: z
    .record(regionName, snsTopicArn, { error: 'must map region names to ARNs' })
    .optional(),
});

const concurrencyRule = 'must be a whole number from 1 to 10000';

const tokenFunctionSchema = z.strictObject({
  reservedConcurrency: integer(1, 10_000, concurrencyRule).optional(),
  provisionedConcurrency: z
    .strictObject({
      min: integer(1, 10_000, concurrencyRule),
      max: integer(1, 10_000, concurrencyRule),
      targetUtilization: z
        .number({ error: 'must be a number from 0.1 to 0.9' })
        .min(0.1, { error: 'must be a number from 0.1 to 0.9' })
        .max(0.9, { error: 'must be a number from 0.1 to 0.9' })
        .default(0.7),
    })
    .optional(),
});

const burstRule = 'must be a whole number of requests, at least 1';

const throttlingSchema = z.strictObject({
  rateLimit: z
    .number({ error: 'must be a positive number of requests per second' })
    .positive({ error: 'must be a positive number of requests per second' })
    .optional(),
  // The account's quota of the region is the real upper limit, which synthesis cannot know.
  burstLimit: integer(1, Number.MAX_SAFE_INTEGER, burstRule).optional(),
});

const deployConfigShape = {
  stackNamePrefix: z
    .string({ error: 'must be a string' })
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, {
      error: 'must start with a letter and have at most 64 letters, digits and hyphens',
    })
    .default('AuthorizationServer'),
  account: z
    .string({ error: 'must be a 12-digit AWS account ID' })
    .regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account ID' })
    .optional(),
  regions: z
    .array(regionName, { error: 'must be a list of AWS region names' })
    .min(1, { error: 'must name at least one region' }),
  primaryRegion: regionName.optional(),
  consistency: z
    .enum(['eventual', 'strong'], { error: 'must be "eventual" or "strong"' })
    .default('eventual'),
  table: tableSchema.prefault({}),
  domain: domainSchema.optional(),
  tokenLifetimes: tokenLifetimesSchema.prefault({}),
  signingKeys: signingKeysSchema.prefault({}),
  logging: loggingSchema.prefault({}),
  alarms: alarmsSchema.optional(),
  tokenFunction: tokenFunctionSchema.prefault({}),
  throttling: throttlingSchema.optional(),
  tracing: z.boolean({ error: 'must be true or false' }).default(false),
};

const deployConfigSchema = z
  .strictObject(deployConfigShape, { error: 'must be an object of deployment settings' })
  .superRefine(checkRelations);

type ParsedConfig = z.output<typeof deployConfigSchema>;

type RelationIssue = [path: (string | number)[], message: string];

/** Checks the rules that involve more than one property. */
function checkRelations(config: ParsedConfig, context: z.RefinementCtx): void {
  const issues: RelationIssue[] = [
    ...regionIssues(config),
    ...tableIssues(config),
    ...domainIssues(config),
    ...lifetimeIssues(config),
    ...alarmIssues(config),
    ...concurrencyIssues(config),
  ];
  for (const [path, message] of issues) {
    context.addIssue({ code: 'custom', path, message, params: { relation: true } });
  }
}

function regionIssues(config: ParsedConfig): RelationIssue[] {
  const issues: RelationIssue[] = [];
  config.regions.forEach((region, index) => {
    if (config.regions.indexOf(region) !== index) {
      issues.push([['regions', index], `"${region}" is listed twice`]);
    }
  });
  const primary = config.primaryRegion;
  if (primary !== undefined && !config.regions.includes(primary)) {
    issues.push([
      ['primaryRegion'],
      `"${primary}" must be one of regions (${config.regions.join(', ')})`,
    ]);
  }
  if (config.consistency === 'strong') {
    const problem = strongConsistencyProblem(config.regions);
    if (problem !== undefined) issues.push([['consistency'], problem]);
  }
  return issues;
}

function tableIssues(config: ParsedConfig): RelationIssue[] {
  // CloudFormation cannot delete a protected table, so deleting the stack would fail.
  if (config.table.removalPolicy === 'destroy' && config.table.deletionProtection) {
    return [[['table', 'removalPolicy'], '"destroy" requires table.deletionProtection: false']];
  }
  return [];
}

function domainIssues(config: ParsedConfig): RelationIssue[] {
  const domain = config.domain;
  if (domain === undefined) return [];
  const zone = domain.hostedZoneName;
  if (domain.name === zone || domain.name.endsWith(`.${zone}`)) return [];
  return [[['domain', 'name'], `"${domain.name}" is not in the hosted zone "${zone}"`]];
}

function lifetimeIssues(config: ParsedConfig): RelationIssue[] {
  const { refreshTokenIdleSeconds: idle, refreshTokenAbsoluteSeconds: absolute } =
    config.tokenLifetimes;
  if (idle <= absolute) return [];
  return [
    [
      ['tokenLifetimes', 'refreshTokenIdleSeconds'],
      `${idle} must not exceed refreshTokenAbsoluteSeconds (${absolute})`,
    ],
  ];
}

function alarmIssues(config: ParsedConfig): RelationIssue[] {
  const alarms = config.alarms;
  if (alarms === undefined) return [];
  if (alarms.email !== undefined && alarms.topicArns !== undefined) {
    return [[['alarms'], 'set either email or topicArns, not both']];
  }
  if (alarms.email === undefined && alarms.topicArns === undefined) {
    return [[['alarms'], 'set email or topicArns, or leave alarms out']];
  }
  return alarms.topicArns === undefined ? [] : topicArnIssues(config, alarms.topicArns);
}

function topicArnIssues(config: ParsedConfig, topicArns: Record<string, string>): RelationIssue[] {
  const issues: RelationIssue[] = [];
  const needed = alarmRegions(config);
  for (const [region, arn] of Object.entries(topicArns)) {
    const arnRegion = snsTopicArnPattern.exec(arn)?.[1];
    if (arnRegion !== undefined && arnRegion !== region) {
      issues.push([
        ['alarms', 'topicArns', region],
        `the topic is in ${arnRegion}, but an alarm notifies only a topic in its own region`,
      ]);
    }
    if (!needed.includes(region)) {
      issues.push([
        ['alarms', 'topicArns', region],
        `no stack with alarms is deployed to ${region} (stacks: ${needed.join(', ')})`,
      ]);
    }
  }
  const missing = needed.filter((region) => topicArns[region] === undefined);
  if (missing.length > 0) {
    issues.push([
      ['alarms', 'topicArns'],
      `missing a topic for ${missing.join(', ')}; ` +
        'each region with alarms needs a topic in that region' +
        (config.domain === undefined
          ? ''
          : `, and the health check alarms are in ${route53MetricsRegion}`),
    ]);
  }
  return issues;
}

/** Regions of the stacks that have alarms: every server region, and us-east-1 with a domain. */
function alarmRegions(config: {
  readonly regions: readonly string[];
  readonly domain?: unknown;
}): string[] {
  const regions = [...config.regions];
  if (config.domain !== undefined && !regions.includes(route53MetricsRegion)) {
    regions.push(route53MetricsRegion);
  }
  return regions;
}

function concurrencyIssues(config: ParsedConfig): RelationIssue[] {
  const { reservedConcurrency: reserved, provisionedConcurrency: provisioned } =
    config.tokenFunction;
  if (provisioned === undefined) return [];
  const path = ['tokenFunction', 'provisionedConcurrency', 'max'];
  if (provisioned.max < provisioned.min) {
    return [[path, `${provisioned.max} must be at least min (${provisioned.min})`]];
  }
  // Lambda rejects provisioned concurrency above the function's reserved concurrency.
  if (reserved !== undefined && provisioned.max > reserved) {
    const rule = `must not exceed tokenFunction.reservedConcurrency (${reserved})`;
    return [[path, `${provisioned.max} ${rule}`]];
  }
  return [];
}

/**
 * Validates a configuration and applies its defaults, or throws a DeployConfigError that lists
 * every problem. `source` names the file in the message.
 */
export function parseDeployConfig(
  input: unknown,
  environment: EnvironmentDefaults = {},
  source = 'deploy configuration',
): DeployConfig {
  const withDefaults = applyEnvironmentDefaults(input, environment);
  const result = deployConfigSchema.safeParse(withDefaults);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => describeIssue(issue, withDefaults));
    throw new DeployConfigError(`Invalid ${source}:\n  ${problems.join('\n  ')}`);
  }
  return resolve(result.data);
}

function applyEnvironmentDefaults(input: unknown, environment: EnvironmentDefaults): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const config = input as DeployConfigInput;
  return {
    ...config,
    regions: config.regions ?? [environment.region || fallbackRegion],
    ...(config.account === undefined && environment.account
      ? { account: environment.account }
      : {}),
  };
}

function resolve(config: ParsedConfig): DeployConfig {
  const primaryRegion = config.primaryRegion ?? config.regions[0] ?? fallbackRegion;
  const provisioned = config.tokenFunction.provisionedConcurrency;
  return {
    stackNamePrefix: config.stackNamePrefix,
    account: config.account,
    regions: [primaryRegion, ...config.regions.filter((region) => region !== primaryRegion)],
    primaryRegion,
    consistency: config.consistency,
    table: config.table,
    domain: config.domain,
    tokenLifetimes: config.tokenLifetimes,
    signingKeys: config.signingKeys,
    logging: config.logging,
    alarms: config.alarms ?? {},
    tokenFunction: {
      reservedConcurrency: config.tokenFunction.reservedConcurrency,
      provisionedConcurrency: provisioned,
    },
    throttling: config.throttling,
    tracing: config.tracing,
  };
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => JSON.stringify(key)).join(', ');
    return `${path || 'top level'}: unknown property ${keys}`;
  }
  // Messages of the relation checks already name the values involved.
  if (issue.code === 'custom' && issue.params?.relation === true) {
    return `${path}: ${issue.message}`;
  }

  const value = valueAt(input, issue.path);
  const shown = value === undefined ? 'it is not set' : `got ${JSON.stringify(value)}`;
  return `${path || 'top level'}: ${issue.message} (${shown})`;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => {
      if (typeof key === 'number') return `[${key}]`;
      return index === 0 ? String(key) : `.${String(key)}`;
    })
    .join('');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
