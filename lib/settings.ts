/**
 * The stack's props, their defaults, and the checks that reject a bad value before any
 * resource is created.
 */
import { RemovalPolicy, Token } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

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

export const minAccessTokenLifetimeSeconds = 60;
export const maxAccessTokenLifetimeSeconds = 86_400;

export interface AuthorizationServerStackProps extends StackProps {
  /**
   * Issuer identifier (RFC 8414): an https URL with no query, fragment or trailing slash.
   * Set it when a custom domain serves the API.
   *
   * @default - the HTTP API's endpoint URL (`https://{api-id}.execute-api.{region}.amazonaws.com`)
   */
  readonly issuer?: string;

  /**
   * Lifetime of issued access tokens, in seconds: an integer from 60 to 86400.
   *
   * @default 3600
   */
  readonly accessTokenLifetimeSeconds?: number;

  /**
   * Minimum level of the functions' log entries (POWERTOOLS_LOG_LEVEL).
   *
   * @default 'INFO'
   */
  readonly logLevel?: PowertoolsLogLevel;

  /**
   * Retention of each function's log group.
   *
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;

  /**
   * Whether DynamoDB rejects deletion of the table. Turn it off only for stacks whose data
   * may be lost, such as a developer's stack.
   *
   * @default true
   */
  readonly tableDeletionProtection?: boolean;

  /**
   * Removal policy of the table: the action CloudFormation takes when the stack deletes or
   * replaces it.
   * `RemovalPolicy.DESTROY` requires `tableDeletionProtection: false`.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
}

/** The stack's props with defaults applied, after validation. */
export interface AuthorizationServerSettings {
  /** Issuer override, or undefined to use the HTTP API's endpoint URL. */
  readonly issuer: string | undefined;
  readonly accessTokenLifetimeSeconds: number;
  readonly logLevel: PowertoolsLogLevel;
  readonly logRetention: RetentionDays;
  readonly tableDeletionProtection: boolean;
  readonly tableRemovalPolicy: RemovalPolicy;
}

/** Validates the stack's props and applies their defaults, or throws an Error naming the prop. */
export function resolveSettings(props: AuthorizationServerStackProps): AuthorizationServerSettings {
  const settings: AuthorizationServerSettings = {
    issuer: props.issuer,
    accessTokenLifetimeSeconds: props.accessTokenLifetimeSeconds ?? 3_600,
    logLevel: props.logLevel ?? 'INFO',
    logRetention: props.logRetention ?? RetentionDays.THREE_MONTHS,
    tableDeletionProtection: props.tableDeletionProtection ?? true,
    tableRemovalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
  };

  if (settings.issuer !== undefined) validateIssuer(settings.issuer);
  validateAccessTokenLifetime(settings.accessTokenLifetimeSeconds);
  validateLogLevel(settings.logLevel);
  validateTableRemoval(settings);
  return settings;
}

function validateIssuer(issuer: string): void {
  // A token, such as a custom domain's name, resolves only at deploy time.
  if (Token.isUnresolved(issuer)) return;

  const invalid = (rule: string) => new Error(`Invalid issuer ${JSON.stringify(issuer)}: ${rule}.`);
  if (!URL.canParse(issuer) || issuer.trim() !== issuer) {
    throw invalid('it must be an absolute URL such as https://auth.example.com');
  }
  if (new URL(issuer).protocol !== 'https:') {
    throw invalid('it must use the https scheme (RFC 8414)');
  }
  // The raw string is checked because URL drops an empty query ("?") or fragment ("#").
  if (issuer.includes('?') || issuer.includes('#')) {
    throw invalid('it must have no query or fragment (RFC 8414)');
  }
  if (issuer.endsWith('/')) {
    throw invalid('remove the trailing slash');
  }
}

function validateAccessTokenLifetime(seconds: number): void {
  const min = minAccessTokenLifetimeSeconds;
  const max = maxAccessTokenLifetimeSeconds;
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    throw new Error(
      `Invalid accessTokenLifetimeSeconds ${seconds}: ` +
        `it must be an integer number of seconds from ${min} to ${max}.`,
    );
  }
}

function validateLogLevel(level: string): void {
  if (!powertoolsLogLevels.some((known) => known === level)) {
    throw new Error(
      `Invalid logLevel ${JSON.stringify(level)}: ` +
        `it must be one of ${powertoolsLogLevels.join(', ')}.`,
    );
  }
}

function validateTableRemoval(settings: AuthorizationServerSettings): void {
  // CloudFormation cannot delete a protected table, so stack deletion would fail.
  if (settings.tableRemovalPolicy === RemovalPolicy.DESTROY && settings.tableDeletionProtection) {
    throw new Error(
      'Invalid tableRemovalPolicy DESTROY: it requires tableDeletionProtection: false.',
    );
  }
}
