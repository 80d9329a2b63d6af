/**
 * The alarms of one region. Every route's function has alarms on its 5xx rate, p99 duration,
 * errors and throttles, and every scheduled job's function on failed runs. The region's table
 * replica has alarms on throttled requests and system errors, and in eventual mode on the
 * replication latency to each other replica.
 */
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { Operation } from 'aws-cdk-lib/aws-dynamodb';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { TableAction } from '../functions/routes.ts';
import { notifyTopic } from './alarm-topic.ts';

/**
 * The message that functions/http/handler.ts logs, with the response status, for every error
 * response. A test checks that the pipeline still logs it.
 */
export const failedRequestLogMessage = 'request failed';

/**
 * Alarm thresholds.
 * NOTE: these are starting points, not measurements of this server. Tune them with the
 * latency and error rates of real traffic.
 */
export const alarmThresholds = {
  /** Share of a function's responses with a 5xx status, in percent. */
  serverErrorPercent: 5,
  /** Requests in a period below which the 5xx share is not evaluated. */
  serverErrorMinRequests: 10,
  /** 99th percentile of a function's duration, in milliseconds. The timeout is 5000. */
  p99DurationMilliseconds: 2_000,
  /** Invocations that ended in an unhandled error or a timeout. */
  functionErrors: 5,
  functionThrottles: 1,
  /** Runs of a scheduled job that ended in an error or a timeout. */
  jobErrors: 1,
  tableThrottledRequests: 1,
  tableSystemErrors: 1,
  /** Average replication latency to another replica, in milliseconds. */
  replicationLatencyMilliseconds: 10_000,
};

const period = Duration.minutes(5);

export interface MonitoredFunction {
  /** Route name, such as `Token`. */
  readonly name: string;
  readonly lambdaFunction: IFunction;
  readonly logGroup: ILogGroup;
}

export interface RegionalAlarmsProps {
  /** Prefix of the alarm names and namespace of the 5xx metrics. */
  readonly namePrefix: string;
  readonly region: string;
  readonly functions: readonly MonitoredFunction[];
  /**
   * Functions of the scheduled jobs, which serve no requests.
   *
   * @default - none
   */
  readonly jobs?: readonly MonitoredFunction[];
  /** The table replica in this region. */
  readonly table: ITableV2;
  /** Table actions that the functions perform. */
  readonly tableActions: readonly TableAction[];
  /** Regions that this replica replicates to and whose latency is watched; may be empty. */
  readonly replicationRegions: readonly string[];
  /**
   * Topic that every alarm notifies.
   *
   * @default - the alarms have no actions
   */
  readonly topic?: ITopic;
}

const operationsByAction: Record<TableAction, Operation> = {
  'dynamodb:GetItem': Operation.GET_ITEM,
  'dynamodb:Query': Operation.QUERY,
  'dynamodb:PutItem': Operation.PUT_ITEM,
  'dynamodb:UpdateItem': Operation.UPDATE_ITEM,
  'dynamodb:DeleteItem': Operation.DELETE_ITEM,
};

export class RegionalAlarms extends Construct {
  readonly alarms: Alarm[] = [];
  /** 5xx responses per function, counted from its log entries. */
  readonly serverErrorMetrics = new Map<string, Metric>();
  readonly #props: RegionalAlarmsProps;

  constructor(scope: Construct, id: string, props: RegionalAlarmsProps) {
    super(scope, id);
    this.#props = props;

    for (const monitored of props.functions) this.addFunctionAlarms(monitored);
    for (const job of props.jobs ?? []) this.addJobAlarm(job);
    this.addTableAlarms();
    for (const receivingRegion of props.replicationRegions) {
      this.addReplicationAlarm(receivingRegion);
    }
  }

  private addFunctionAlarms({ name, lambdaFunction, logGroup }: MonitoredFunction): void {
    const serverErrors = this.serverErrorMetric(name, logGroup);
    const invocations = lambdaFunction.metricInvocations({ period, statistic: 'Sum' });
    const { serverErrorMinRequests: minRequests } = alarmThresholds;

    this.addAlarm(`${name}ServerErrorRate`, {
      metric: new MathExpression({
        expression: `IF(invocations >= ${minRequests}, 100 * FILL(errors, 0) / invocations, 0)`,
        usingMetrics: { errors: serverErrors, invocations },
        period,
        label: `${name} 5xx responses (%)`,
      }),
      threshold: alarmThresholds.serverErrorPercent,
      description: `More than ${alarmThresholds.serverErrorPercent}% of ${name} responses had ` +
        `a 5xx status in 5 minutes (evaluated from ${minRequests} requests).`,
    });
    this.addAlarm(`${name}LatencyP99`, {
      metric: lambdaFunction.metricDuration({ period, statistic: 'p99' }),
      threshold: alarmThresholds.p99DurationMilliseconds,
      evaluationPeriods: 2,
      description: `The 99th percentile duration of ${name} exceeded ` +
        `${alarmThresholds.p99DurationMilliseconds} ms for 10 minutes.`,
    });
    this.addAlarm(`${name}Errors`, {
      metric: lambdaFunction.metricErrors({ period, statistic: 'Sum' }),
      threshold: alarmThresholds.functionErrors,
      greaterOrEqual: true,
      description: `${name} invocations ended in an unhandled error or a timeout.`,
    });
    this.addAlarm(`${name}Throttles`, {
      metric: lambdaFunction.metricThrottles({ period, statistic: 'Sum' }),
      threshold: alarmThresholds.functionThrottles,
      greaterOrEqual: true,
      description: `Lambda throttled ${name} invocations: concurrency is exhausted.`,
    });
  }

  /**
   * Alarms on a single failed run, because a job runs only every few minutes or hours. A sweeper
   * that keeps failing lets expired items pile up, and a failing rotation keeps old keys.
   */
  private addJobAlarm({ name, lambdaFunction }: MonitoredFunction): void {
    this.addAlarm(`${name}Errors`, {
      metric: lambdaFunction.metricErrors({ period, statistic: 'Sum' }),
      threshold: alarmThresholds.jobErrors,
      greaterOrEqual: true,
      description: `A run of the scheduled job ${name} ended in an error or a timeout.`,
    });
  }

  /** Counts the function's log entries of error responses with a 5xx status. */
  private serverErrorMetric(name: string, logGroup: ILogGroup): Metric {
    const filter = new MetricFilter(this, `${name}ServerErrorFilter`, {
      logGroup,
      filterPattern: FilterPattern.all(
        FilterPattern.stringValue('$.message', '=', failedRequestLogMessage),
        FilterPattern.numberValue('$.status', '>=', 500),
      ),
      metricNamespace: this.#props.namePrefix,
      metricName: `${name}ServerErrors`,
      metricValue: '1',
      defaultValue: 0,
    });
    const metric = filter.metric({ period, statistic: 'Sum' });
    this.serverErrorMetrics.set(name, metric);
    return metric;
  }

  private addTableAlarms(): void {
    const { table, tableActions } = this.#props;
    const operations = [...new Set(tableActions.map((action) => operationsByAction[action]))];

    this.addAlarm('TableThrottledRequests', {
      metric: table.metricThrottledRequestsForOperations({ operations, period }),
      threshold: alarmThresholds.tableThrottledRequests,
      greaterOrEqual: true,
      description: 'DynamoDB throttled requests to the table replica in this region.',
    });
    this.addAlarm('TableSystemErrors', {
      metric: table.metricSystemErrorsForOperations({ operations, period }),
      threshold: alarmThresholds.tableSystemErrors,
      greaterOrEqual: true,
      description: 'DynamoDB returned system errors (HTTP 500) for requests to the table replica.',
    });
  }

  private addReplicationAlarm(receivingRegion: string): void {
    const { region, table } = this.#props;
    this.addAlarm(`ReplicationLatencyTo${pascalCase(receivingRegion)}`, {
      metric: new Metric({
        namespace: 'AWS/DynamoDB',
        metricName: 'ReplicationLatency',
        dimensionsMap: { TableName: table.tableName, ReceivingRegion: receivingRegion },
        statistic: 'Average',
        period,
      }),
      threshold: alarmThresholds.replicationLatencyMilliseconds,
      evaluationPeriods: 2,
      description: `Writes in ${region} took more than ` +
        `${alarmThresholds.replicationLatencyMilliseconds} ms on average to reach ` +
        `${receivingRegion} for 10 minutes.`,
    });
  }

  private addAlarm(
    id: string,
    options: {
      metric: IMetric;
      threshold: number;
      description: string;
      evaluationPeriods?: number;
      greaterOrEqual?: boolean;
    },
  ): void {
    const { namePrefix, region, topic } = this.#props;
    const alarm = new Alarm(this, id, {
      alarmName: `${namePrefix}-${region}-${id}`,
      alarmDescription: options.description,
      metric: options.metric,
      threshold: options.threshold,
      comparisonOperator: options.greaterOrEqual
        ? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        : ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      // No data means no traffic, or no replication, in the period: nothing is failing.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    notifyTopic(alarm, topic);
    this.alarms.push(alarm);
  }
}

/** Turns `eu-west-1` into `EuWest1`, for construct IDs and alarm names. */
export function pascalCase(value: string): string {
  return value
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
