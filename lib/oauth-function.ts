/**
 * The house Lambda function: one per route and one per scheduled job, with the runtime,
 * bundling, logging and permissions that every handler of this server shares.
 */
import path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Route } from '../functions/routes.ts';
import type { PowertoolsLogLevel } from './config/deploy-config.ts';
import { acknowledgeNagRule } from './nag.ts';

/** Repository root: route entries, package-lock.json and tsconfig.json are relative to it. */
export const repositoryRoot = path.resolve(import.meta.dirname, '..');

/** Service name in every log entry, the same as functions/http/logger.ts passes to Logger. */
export const serviceName = 'oauth-server';

/**
 * The parts of a route that a function needs: the fallback route has no method or path, and a
 * scheduled job (functions/jobs.ts) has a schedule instead.
 */
export type FunctionRoute = Pick<Route, 'name' | 'entry' | 'tableActions' | 'homeRegionActions'>;

/** A request makes at most a few DynamoDB calls, so a function still running after 5 s is stuck. */
export const routeTimeout = Duration.seconds(5);

export interface OAuthFunctionProps {
  /** Route whose handler module the function runs and whose table actions it is granted. */
  readonly route: FunctionRoute;

  /** The table replica in the function's own region. */
  readonly table: ITableV2;

  /**
   * ARNs of the other regions' replicas, on which the route's `homeRegionActions` are granted.
   *
   * @default - none
   */
  readonly homeRegionTableArns?: readonly string[];

  /**
   * An index of the table that the function's Query reads. Query is then granted on this
   * index instead of the table.
   *
   * @default - Query, when among the route's actions, is granted on the table
   */
  readonly queryIndexName?: string;

  /**
   * How long an invocation may run.
   *
   * @default routeTimeout (5 seconds)
   */
  readonly timeout?: Duration;

  /**
   * Server settings for the handlers, such as ISSUER and the token lifetimes. The function
   * adds TABLE_NAME and its logging variables.
   */
  readonly environment: Readonly<Record<string, string>>;

  /**
   * Minimum level of log entries (POWERTOOLS_LOG_LEVEL).
   *
   * @default 'INFO'
   */
  readonly logLevel?: PowertoolsLogLevel;

  /**
   * Retention of the function's log group.
   *
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;

  /**
   * Whether the function sends traces to AWS X-Ray.
   *
   * @default false
   */
  readonly tracing?: boolean;

  /**
   * Concurrency reserved for the function.
   *
   * @default - none: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * Lambda allocates CPU in proportion to memory, and the handlers' work (JWT signing, cold-start
 * module evaluation) needs CPU more than memory.
 * NOTE: 512 MB is an estimate, not a measurement. Tune it with measured cold and warm latency.
 */
const memorySizeMegabytes = 512;

// ESM output has no `require`, which bundled CommonJS dependencies call for Node built-ins.
const createRequireBanner =
  "import { createRequire as createRequireForBundle } from 'node:module';" +
  'const require = createRequireForBundle(import.meta.url);';

const bundling: BundlingOptions = {
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  banner: createRequireBanner,
  // Prefer packages' ES module builds, which esbuild can tree-shake.
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  // Stack traces need only the mappings, so the sources stay out of the package.
  sourcesContent: false,
  // Bundle the AWS SDK version that package-lock.json pins and the tests run, rather than
  // the version that the Lambda runtime happens to provide.
  bundleAwsSDK: true,
};

/**
 * A Node.js 24 function on arm64, bundled locally by esbuild, with its own log group and a
 * role that allows only writing its logs and the route's table actions.
 */
export class OAuthFunction extends Construct {
  readonly lambdaFunction: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: OAuthFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
    });

    // A role of our own replaces the AWSLambdaBasicExecutionRole managed policy, which allows
    // writing to every log group in the account.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    });
    this.logGroup.grantWrite(this.role);

    this.lambdaFunction = new NodejsFunction(this, 'Function', {
      entry: path.join(repositoryRoot, props.route.entry),
      handler: 'handler',
      projectRoot: repositoryRoot,
      depsLockFilePath: path.join(repositoryRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: memorySizeMegabytes,
      timeout: props.timeout ?? routeTimeout,
      role: this.role,
      logGroup: this.logGroup,
      bundling,
      environment: functionEnvironment(props),
      tracing: props.tracing ? Tracing.ACTIVE : undefined,
      // Only the token function publishes versions, for its alias. A version that the alias
      // no longer uses is deleted rather than kept forever.
      currentVersionOptions: { removalPolicy: RemovalPolicy.DESTROY },
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    });

    grantTableActions(this.role, props);
    acknowledgeNagRule(
      this.lambdaFunction,
      'AwsSolutions-L1',
      'The functions run on nodejs24.x, the Node.js version that .nvmrc names and that the ' +
        'tests and CI run on. Moving to a newer runtime is a change of its own, tested on it.',
    );
  }
}

function functionEnvironment(props: OAuthFunctionProps): Record<string, string> {
  return {
    ...props.environment,
    TABLE_NAME: props.table.tableName,
    POWERTOOLS_SERVICE_NAME: serviceName,
    POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
    NODE_OPTIONS: '--enable-source-maps',
  };
}

/**
 * Allows exactly the route's actions: on the table replica itself, Query on the index when the
 * function reads one, and the home-region actions on the other replicas. Nothing when the
 * route has no actions.
 */
function grantTableActions(role: Role, props: OAuthFunctionProps): void {
  const { route, table, queryIndexName, homeRegionTableArns = [] } = props;
  const onIndex = queryIndexName !== undefined;
  const onTable = route.tableActions.filter(
    (action) => !(onIndex && action === 'dynamodb:Query'),
  );

  if (onTable.length > 0) {
    role.addToPolicy(new PolicyStatement({ actions: onTable, resources: [table.tableArn] }));
  }
  if (onIndex && route.tableActions.includes('dynamodb:Query')) {
    role.addToPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${table.tableArn}/index/${queryIndexName}`],
      }),
    );
  }
  const homeRegionActions = route.homeRegionActions ?? [];
  if (homeRegionActions.length > 0 && homeRegionTableArns.length > 0) {
    role.addToPolicy(
      new PolicyStatement({ actions: [...homeRegionActions], resources: [...homeRegionTableArns] }),
    );
  }
}
