/**
 * The deployment configuration: what a team writes in deploy.config.ts (DeployConfigInput),
 * and the validated form with every default applied (DeployConfig) that the stacks read.
 */
import type { SigningKeySettings } from './signing-keys.ts';
import type { TokenLifetimes } from './token-lifetimes.ts';

/** Log levels of Powertools for AWS Lambda (TypeScript), the values of POWERTOOLS_LOG_LEVEL. */
export const powertoolsLogLevels = [
  'TRACE',
  'DEBUG',
  'INFO',
  'WARN',
  'ERROR',
  'CRITICAL',
  'SILENT',
] as const;

export type PowertoolsLogLevel = (typeof powertoolsLogLevels)[number];

/**
 * Consistency of the global table across regions: `eventual` (multi-Region eventual
 * consistency, asynchronous replication) or `strong` (multi-Region strong consistency).
 */
export type ConsistencyMode = 'eventual' | 'strong';

export interface DomainInput {
  /** Host name that clients use, such as `auth.example.com`; the issuer is `https://<name>`. */
  readonly name: string;
  /** ID of the Route 53 public hosted zone that contains `name`, such as `Z0123456789ABC`. */
  readonly hostedZoneId: string;
  /** Name of that hosted zone, such as `example.com`. */
  readonly hostedZoneName: string;
}

export interface TableInput {
  /**
   * Name of the global table, the same in every region, so that each region's functions find
   * their replica by name.
   *
   * @default 'oauth-server'
   */
  readonly name?: string;
  /**
   * Whether DynamoDB rejects deletion of every replica. Turn it off only for deployments whose
   * data may be lost.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What CloudFormation does with the table when the stack deletes or replaces it. `destroy`
   * requires `deletionProtection: false`.
   *
   * @default 'retain'
   */
  readonly removalPolicy?: 'retain' | 'destroy';
}

export interface SigningKeysInput {
  /**
   * Days that a signing key signs tokens before the scheduled rotation replaces it with the
   * next key, from 1 to 365 (KEY_ROTATION_DAYS).
   *
   * @default 30
   */
  readonly rotationDays?: number;
}

export interface LoggingInput {
  /**
   * Minimum level of the functions' log entries (POWERTOOLS_LOG_LEVEL).
   *
   * @default 'INFO'
   */
  readonly level?: PowertoolsLogLevel;
  /**
   * Retention of every log group, in days: one of the values that CloudWatch Logs accepts
   * (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
   * 2922, 3288, 3653), or 9999 to keep logs forever.
   *
   * @default 90
   */
  readonly retentionDays?: number;
}

export interface AlarmsInput {
  /**
   * E-mail address that receives alarm notifications. Every stack with alarms creates an SNS
   * topic with this subscription, and the recipient confirms each one once.
   *
   * @default - no e-mail subscription
   */
  readonly email?: string;
  /**
   * Existing SNS topics for alarm notifications, by region. A CloudWatch alarm notifies only
   * a topic in its own region, so every stack's region needs one: each server region, and
   * us-east-1 when a domain is set (Route 53 health check metrics exist only there).
   *
   * @default - no topics
   */
  readonly topicArns?: Readonly<Record<string, string>>;
}

export interface ProvisionedConcurrencyInput {
  /** Provisioned concurrency that Application Auto Scaling never goes below. */
  readonly min: number;
  /** Provisioned concurrency that Application Auto Scaling never goes above. */
  readonly max: number;
  /**
   * Share of provisioned concurrency in use that auto scaling keeps, from 0.1 to 0.9.
   *
   * @default 0.7
   */
  readonly targetUtilization?: number;
}

export interface TokenFunctionInput {
  /**
   * Concurrency reserved for the token endpoint's function in each region, which is also the
   * most it can use.
   *
   * @default - no reservation: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrency?: number;
  /**
   * Provisioned concurrency of the function's `live` alias, scaled on utilization.
   *
   * @default - none: every new instance starts cold
   */
  readonly provisionedConcurrency?: ProvisionedConcurrencyInput;
}

export interface ThrottlingInput {
  /**
   * Steady-state request rate limit of the API stage, in requests per second.
   *
   * @default - the account's API Gateway quota of the region
   */
  readonly rateLimit?: number;
  /**
   * Burst limit of the API stage, in requests.
   *
   * @default - the account's API Gateway quota of the region
   */
  readonly burstLimit?: number;
}

export interface DeployConfigInput {
  /**
   * Prefix of every stack name, dashboard name and alarm name.
   *
   * @default 'AuthorizationServer'
   */
  readonly stackNamePrefix?: string;
  /**
   * AWS account of every stack: 12 digits.
   *
   * @default - CDK_DEFAULT_ACCOUNT, set by the CDK CLI from the credentials; without any, the
   * account is resolved at deploy time
   */
  readonly account?: string;
  /**
   * Regions that serve the authorization server, each with a replica of the table.
   *
   * @default - one region: CDK_DEFAULT_REGION, else us-east-1
   */
  readonly regions?: readonly string[];
  /**
   * Region whose stack holds the global table resource. It cannot change after the first
   * deployment without replacing the table.
   *
   * @default - the first of `regions`
   */
  readonly primaryRegion?: string;
  /**
   * Consistency of the global table. `strong` requires exactly three regions from one set that
   * DynamoDB supports, and leaves out DynamoDB TTL, which such tables do not offer.
   *
   * @default 'eventual'
   */
  readonly consistency?: ConsistencyMode;
  /** @default - see each property */
  readonly table?: TableInput;
  /**
   * Custom domain. Without one, each region's issuer is its own API endpoint.
   *
   * @default - no custom domain
   */
  readonly domain?: DomainInput;
  /**
   * Token and session lifetimes, in seconds. See README.md's configuration table for the
   * meaning, default and range of each.
   *
   * @default - the functions' defaults
   */
  readonly tokenLifetimes?: Partial<TokenLifetimes>;
  /** @default - see each property */
  readonly signingKeys?: SigningKeysInput;
  /** @default - see each property */
  readonly logging?: LoggingInput;
  /**
   * Where alarms send notifications: set `email` or `topicArns`.
   *
   * @default - alarms without notifications
   */
  readonly alarms?: AlarmsInput;
  /** @default - no reserved or provisioned concurrency */
  readonly tokenFunction?: TokenFunctionInput;
  /** @default - no stage limits */
  readonly throttling?: ThrottlingInput;
  /**
   * Whether the functions send traces to AWS X-Ray (active tracing).
   *
   * @default false
   */
  readonly tracing?: boolean;
}

/** The configuration after validation, with every default applied. */
export interface DeployConfig {
  readonly stackNamePrefix: string;
  readonly account: string | undefined;
  /** Regions that serve the server, the primary region first. */
  readonly regions: readonly string[];
  readonly primaryRegion: string;
  readonly consistency: ConsistencyMode;
  readonly table: Required<TableInput>;
  readonly domain: DomainInput | undefined;
  readonly tokenLifetimes: TokenLifetimes;
  readonly signingKeys: SigningKeySettings;
  readonly logging: Required<LoggingInput>;
  readonly alarms: AlarmsInput;
  readonly tokenFunction: {
    readonly reservedConcurrency: number | undefined;
    readonly provisionedConcurrency: Required<ProvisionedConcurrencyInput> | undefined;
  };
  readonly throttling: ThrottlingInput | undefined;
  readonly tracing: boolean;
}

/**
 * Identity function that gives a config file type checking and editor completion:
 * `export default defineDeployConfig({ ... })`.
 */
export function defineDeployConfig(config: DeployConfigInput): DeployConfigInput {
  return config;
}
