/**
 * The authorization server in one region. An HTTP API has one Lambda function per route of the
 * route table and a fallback function on `$default`, and an EventBridge rule invokes one
 * function per scheduled job of functions/jobs.ts. Every function uses the table replica in
 * this region, and this region's key of the multi-Region KMS key that encrypts the private
 * signing keys. The stack also has the custom domain when one is configured, alarms and a
 * dashboard.
 */
import { ArnFormat, CfnOutput, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Alias } from 'aws-cdk-lib/aws-lambda';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ScheduledJob } from '../functions/jobs.ts';
import { fallbackRoute, routes } from '../functions/routes.ts';
import { createAlarmTopic } from './alarm-topic.ts';
import type { DeployConfig } from './config/deploy-config.ts';
import { signingKeyEnvironment } from './config/signing-keys.ts';
import { tokenLifetimeEnvironment } from './config/token-lifetimes.ts';
import { healthPath, issuerOf } from './domain-names.ts';
import { acknowledgeNagRule } from './nag.ts';
import { OAuthFunction } from './oauth-function.ts';
import type { FunctionRoute } from './oauth-function.ts';
import { RegionalAlarms } from './regional-alarms.ts';
import type { MonitoredFunction } from './regional-alarms.ts';
import { RegionalDashboard } from './regional-dashboard.ts';
import { RegionalDomain } from './regional-domain.ts';
import { jobQueryIndexes, jobsForMode, jobTimeout, scheduleJob } from './scheduled-jobs.ts';
import {
  keyEncryptionKeyVariable,
  RegionalSigningKey,
  signingKeyUse,
} from './signing-key-encryption.ts';

/** Route whose function gets the alias with provisioned concurrency. */
export const tokenRouteName = 'Token';

/** Route that Route 53 health checks call. */
export const healthRouteName = 'Health';

/** Name of the token function's alias that the API invokes. */
export const tokenAliasName = 'live';

export interface RegionalStackProps extends StackProps {
  readonly config: DeployConfig;
}

export class RegionalStack extends Stack {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  /** The replica of the global table in this stack's region. */
  readonly table: ITableV2;
  /** Issuer identifier that the functions receive as ISSUER. */
  readonly issuer: string;
  /** Functions of the routes and the fallback, by route name. */
  readonly functions = new Map<string, OAuthFunction>();
  /** Functions of the scheduled jobs that the consistency mode runs, by job name. */
  readonly jobs = new Map<string, OAuthFunction>();
  /** This region's key of the multi-Region key that encrypts the private signing keys. */
  readonly signingKey: RegionalSigningKey;
  readonly tokenAlias: Alias;
  readonly domain: RegionalDomain | undefined;
  readonly #config: DeployConfig;

  constructor(scope: Construct, id: string, props: RegionalStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.#config = config;

    this.table = this.replicaInThisRegion();
    this.signingKey = new RegionalSigningKey(this, 'SigningKeyEncryption', {
      tableName: config.table.name,
      primaryRegion: config.primaryRegion,
      logRetention: config.logging.retentionDays,
    });
    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: this.stackName,
      description: 'OAuth 2.0 authorization server',
      createDefaultStage: false,
      // With a domain, clients and health checks use the domain's names, so the execute-api
      // URL would only be a second, unmonitored way in.
      disableExecuteApiEndpoint: config.domain !== undefined,
    });
    this.stage = this.createStage();
    acknowledgePublicRoutes(this.httpApi);

    this.domain =
      config.domain === undefined
        ? undefined
        : new RegionalDomain(this, 'Domain', {
            domain: config.domain,
            region: this.region,
            httpApi: this.httpApi,
            stage: this.stage,
          });
    this.issuer =
      config.domain === undefined ? this.httpApi.apiEndpoint : issuerOf(config.domain.name);

    this.tokenAlias = this.addRoutes();
    this.addJobs();
    this.addMonitoring();
    this.addOutputs();
  }

  /**
   * Refers to the replica by its name, from which the library builds the ARN in this stack's
   * region and account. A reference to the TableV2 in the primary region's stack would be a
   * cross-region reference, which CloudFormation cannot resolve.
   */
  private replicaInThisRegion(): ITableV2 {
    return TableV2.fromTableAttributes(this, 'TableReplica', {
      tableName: this.#config.table.name,
    });
  }

  private createStage(): HttpStage {
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: this.#config.logging.retentionDays,
    });
    return new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: this.#config.throttling,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: accessLogFormat(),
      },
    });
  }

  /** Creates every route's function and HTTP API route, and returns the token alias. */
  private addRoutes(): Alias {
    let tokenAlias: Alias | undefined;
    for (const route of routes) {
      const routeKey = HttpRouteKey.with(route.path, HttpMethod[route.method]);
      const oauthFunction = this.addFunction(route);
      let target: IFunction = oauthFunction.lambdaFunction;
      if (route.name === tokenRouteName) {
        tokenAlias = this.createTokenAlias(oauthFunction);
        target = tokenAlias;
      }
      this.addRoute(route.name, routeKey, target);
    }
    const fallback = this.addFunction(fallbackRoute);
    this.addRoute(fallbackRoute.name, HttpRouteKey.DEFAULT, fallback.lambdaFunction);

    if (tokenAlias === undefined) {
      throw new Error(`The route table has no route named ${tokenRouteName}.`);
    }
    return tokenAlias;
  }

  /** Creates each job's function and the rule that invokes it on the job's schedule. */
  private addJobs(): void {
    for (const job of jobsForMode(this.#config.consistency)) {
      const oauthFunction = this.addFunction(job, job);
      scheduleJob(this, job, oauthFunction.lambdaFunction);
    }
  }

  /**
   * Creates the function of a route, or of a scheduled job when `job` is given, with its table
   * and KMS permissions.
   */
  private addFunction(route: FunctionRoute, job?: ScheduledJob): OAuthFunction {
    const config = this.#config;
    const isToken = route.name === tokenRouteName;
    const queryIndexName = job === undefined ? undefined : jobQueryIndexes[job.name];
    const oauthFunction = new OAuthFunction(this, route.name, {
      route,
      table: this.table,
      homeRegionTableArns: this.homeRegionTableArns(),
      queryIndexName,
      timeout: job === undefined ? undefined : jobTimeout,
      environment: this.functionEnvironment(route),
      logLevel: config.logging.level,
      logRetention: config.logging.retentionDays,
      tracing: config.tracing,
      reservedConcurrentExecutions: isToken ? config.tokenFunction.reservedConcurrency : undefined,
    });
    this.signingKey.grant(oauthFunction.role, signingKeyUse(route, queryIndexName !== undefined));
    if (config.tracing) {
      acknowledgeNagRule(
        oauthFunction.role,
        'AwsSolutions-IAM5[Resource::*]',
        'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions, ' +
          'so active tracing needs Resource "*"; the role allows no other action on "*".',
      );
    }
    if (job === undefined) this.functions.set(route.name, oauthFunction);
    else this.jobs.set(route.name, oauthFunction);
    return oauthFunction;
  }

  /**
   * Returns the ARNs of the other regions' replicas, where consuming writes go in eventual mode
   * (the home-region rule of functions/storage/regional-tables.ts). Strong mode checks
   * conditions across regions and writes locally, and one region has no other replica.
   */
  private homeRegionTableArns(): string[] {
    const config = this.#config;
    if (config.consistency !== 'eventual') return [];
    return config.regions
      .filter((region) => region !== this.region)
      .map((region) =>
        this.formatArn({
          service: 'dynamodb',
          region,
          resource: 'table',
          resourceName: config.table.name,
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        }),
      );
  }

  /** Settings of the handlers: those of functions/config.ts plus the multi-region ones. */
  private functionEnvironment(route: FunctionRoute): Record<string, string> {
    const config = this.#config;
    return {
      ISSUER: this.issuer,
      ...tokenLifetimeEnvironment(config.tokenLifetimes),
      ...signingKeyEnvironment(config.signingKeys),
      [keyEncryptionKeyVariable]: this.signingKey.keyArn,
      CONSISTENCY_MODE: config.consistency,
      TABLE_REGIONS: config.regions.join(','),
      // A health check must see the table as it is now, not a signing key cached for a minute.
      ...(route.name === healthRouteName ? { MEMORY_CACHE_SECONDS: '0' } : {}),
    };
  }

  /**
   * Creates the alias that the API invokes, with provisioned concurrency that Application Auto
   * Scaling keeps at the configured utilization.
   */
  private createTokenAlias(oauthFunction: OAuthFunction): Alias {
    const provisioned = this.#config.tokenFunction.provisionedConcurrency;
    const alias = new Alias(this, `${tokenRouteName}Alias`, {
      aliasName: tokenAliasName,
      version: oauthFunction.lambdaFunction.currentVersion,
      provisionedConcurrentExecutions: provisioned?.min,
    });
    if (provisioned !== undefined) {
      alias
        .addAutoScaling({ minCapacity: provisioned.min, maxCapacity: provisioned.max })
        .scaleOnUtilization({ utilizationTarget: provisioned.targetUtilization });
    }
    return alias;
  }

  private addRoute(name: string, routeKey: HttpRouteKey, target: IFunction): void {
    const integration = new HttpLambdaIntegration(`${name}Integration`, target, {
      payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
    });
    new HttpRoute(this.httpApi, `${name}Route`, { httpApi: this.httpApi, routeKey, integration });
  }

  private addMonitoring(): void {
    const config = this.#config;
    const monitored: MonitoredFunction[] = [...this.functions].map(([name, oauthFunction]) => ({
      name,
      lambdaFunction: oauthFunction.lambdaFunction,
      logGroup: oauthFunction.logGroup,
    }));
    // Strongly consistent writes complete only once replicated, so lag shows as write latency.
    const replicationRegions =
      config.consistency === 'eventual'
        ? config.regions.filter((region) => region !== this.region)
        : [];

    const jobs: MonitoredFunction[] = [...this.jobs].map(([name, oauthFunction]) => ({
      name,
      lambdaFunction: oauthFunction.lambdaFunction,
      logGroup: oauthFunction.logGroup,
    }));

    const alarms = new RegionalAlarms(this, 'Alarms', {
      namePrefix: config.stackNamePrefix,
      region: this.region,
      functions: monitored,
      jobs,
      table: this.table,
      tableActions: [...routes, fallbackRoute, ...jobsForMode(config.consistency)].flatMap(
        (route) => route.tableActions,
      ),
      replicationRegions,
      topic: createAlarmTopic(this, config.alarms, this.region),
    });
    new RegionalDashboard(this, 'Dashboard', {
      dashboardName: `${config.stackNamePrefix}-${this.region}`,
      httpApi: this.httpApi,
      functions: monitored,
      serverErrorMetrics: alarms.serverErrorMetrics,
      tokenAlias: this.tokenAlias,
      table: this.table,
      replicationRegions,
      alarms: alarms.alarms,
    });
  }

  private addOutputs(): void {
    const hostUrl =
      this.domain === undefined
        ? this.httpApi.apiEndpoint
        : `https://${this.domain.regionalHostname}`;
    new CfnOutput(this, 'Issuer', {
      description: 'Issuer identifier of the authorization server in this region',
      value: this.issuer,
    });
    new CfnOutput(this, 'RegionalUrl', {
      description: 'URL that reaches this region only',
      value: hostUrl,
    });
    new CfnOutput(this, 'HealthUrl', {
      description: 'Health endpoint of this region',
      value: `${hostUrl}${healthPath}`,
    });
    new CfnOutput(this, 'TableName', {
      description: 'Name of the table replica that this region uses',
      value: this.table.tableName,
    });
  }
}

/** Fields of each access log entry. No query string or header, which could carry a secret. */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      requestTime: '$context.requestTimeEpoch',
      sourceIp: '$context.identity.sourceIp',
      method: '$context.httpMethod',
      path: '$context.path',
      routeKey: '$context.routeKey',
      status: '$context.status',
      protocol: '$context.protocol',
      responseLength: '$context.responseLength',
      responseLatency: '$context.responseLatency',
      integrationLatency: '$context.integrationLatency',
      integrationError: '$context.integrationErrorMessage',
      domainName: '$context.domainName',
    }),
  );
}

function acknowledgePublicRoutes(httpApi: HttpApi): void {
  const reason =
    'OAuth 2.0 endpoints are public by design and check callers themselves: clients ' +
    'authenticate with a secret or an assertion (RFC 6749 section 2.3), public clients prove ' +
    'the code with PKCE, and the browser pages come before sign-in. Metadata, JWKS and ' +
    'health are public documents. An API Gateway authorizer cannot express these checks.';
  acknowledgeNagRule(httpApi, 'AwsSolutions-APIG4', reason);
  acknowledgeNagRule(httpApi, 'AwsSolutions-COG4', reason);
}
