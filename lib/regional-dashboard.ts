/**
 * The CloudWatch dashboard of one region: API traffic, the functions, the token function's
 * concurrency, the table replica and the state of every alarm.
 */
import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { AlarmStatusWidget, Dashboard, GraphWidget, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { Alarm, IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Alias } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { MonitoredFunction } from './regional-alarms.ts';

export interface RegionalDashboardProps {
  readonly dashboardName: string;
  readonly httpApi: IHttpApi;
  readonly functions: readonly MonitoredFunction[];
  /** 5xx responses per function, by route name. */
  readonly serverErrorMetrics: ReadonlyMap<string, IMetric>;
  readonly tokenAlias: Alias;
  readonly table: ITableV2;
  /** Regions that this replica replicates to; may be empty. */
  readonly replicationRegions: readonly string[];
  readonly alarms: readonly Alarm[];
}

const period = Duration.minutes(1);
const wide = 12;

export class RegionalDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: RegionalDashboardProps) {
    super(scope, id);
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(...apiWidgets(props.httpApi));
    this.dashboard.addWidgets(...functionWidgets(props));
    this.dashboard.addWidgets(...concurrencyWidgets(props));
    this.dashboard.addWidgets(...tableWidgets(props));
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24 }),
    );
  }
}

function apiWidgets(httpApi: IHttpApi): GraphWidget[] {
  return [
    new GraphWidget({
      title: 'API requests and errors',
      width: wide,
      left: [httpApi.metricCount({ period, label: 'requests' })],
      right: [
        httpApi.metricClientError({ period, label: '4xx' }),
        httpApi.metricServerError({ period, label: '5xx' }),
      ],
    }),
    new GraphWidget({
      title: 'API latency p99 (ms)',
      width: wide,
      left: [
        httpApi.metricLatency({ period, statistic: 'p99', label: 'latency' }),
        httpApi.metricIntegrationLatency({ period, statistic: 'p99', label: 'integration' }),
      ],
    }),
  ];
}

function functionWidgets(props: RegionalDashboardProps): GraphWidget[] {
  const each = (metric: (monitored: MonitoredFunction) => IMetric) => props.functions.map(metric);
  return [
    new GraphWidget({
      title: 'Invocations',
      width: wide,
      left: each((f) => f.lambdaFunction.metricInvocations({ period, label: f.name })),
    }),
    new GraphWidget({
      title: '5xx responses',
      width: wide,
      left: [...props.serverErrorMetrics.values()],
    }),
    new GraphWidget({
      title: 'Duration p99 (ms)',
      width: wide,
      left: each((f) =>
        f.lambdaFunction.metricDuration({ period, statistic: 'p99', label: f.name }),
      ),
    }),
    new GraphWidget({
      title: 'Errors and throttles',
      width: wide,
      left: each((f) => f.lambdaFunction.metricErrors({ period, label: `${f.name} errors` })),
      right: each((f) =>
        f.lambdaFunction.metricThrottles({ period, label: `${f.name} throttles` }),
      ),
    }),
  ];
}

function concurrencyWidgets(props: RegionalDashboardProps): GraphWidget[] {
  const alias = props.tokenAlias;
  return [
    new GraphWidget({
      title: 'Token function concurrency',
      width: wide,
      left: [
        alias.metric('ConcurrentExecutions', { period, statistic: 'Maximum', label: 'in use' }),
        alias.metric('ProvisionedConcurrencySpilloverInvocations', {
          period,
          statistic: 'Sum',
          label: 'spillover invocations',
        }),
      ],
      right: [
        alias.metric('ProvisionedConcurrencyUtilization', {
          period,
          statistic: 'Maximum',
          label: 'provisioned utilization',
        }),
      ],
    }),
  ];
}

function tableWidgets(props: RegionalDashboardProps): GraphWidget[] {
  const { table } = props;
  return [
    new GraphWidget({
      title: 'Table capacity consumed',
      width: wide,
      left: [
        table.metricConsumedReadCapacityUnits({ period, label: 'read units' }),
        table.metricConsumedWriteCapacityUnits({ period, label: 'write units' }),
      ],
    }),
    new GraphWidget({
      title: 'Table replication latency (ms)',
      width: wide,
      left: props.replicationRegions.map(
        (receivingRegion) =>
          new Metric({
            namespace: 'AWS/DynamoDB',
            metricName: 'ReplicationLatency',
            dimensionsMap: { TableName: table.tableName, ReceivingRegion: receivingRegion },
            statistic: 'Average',
            period,
            label: `to ${receivingRegion}`,
          }),
      ),
    }),
  ];
}
