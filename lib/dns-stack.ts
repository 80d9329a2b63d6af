/**
 * The stack in us-east-1 that routes clients to the nearest healthy region: per region a Route
 * 53 health check of `https://<region>.<domain>/health`, latency records of the domain that
 * point to the region's origin records, and an alarm on the health check.
 *
 * It is in us-east-1 because Route 53 publishes health check metrics only there, and a
 * CloudWatch alarm can watch only metrics of its own region. Every name that it needs from the
 * regional stacks is derived from the domain and the region (see domain-names.ts), so it
 * depends on those stacks for deployment order but references none of their resources.
 */
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import {
  AaaaRecord,
  ARecord,
  HealthCheck,
  HealthCheckType,
  HostedZone,
  RecordTarget,
} from 'aws-cdk-lib/aws-route53';
import type {
  AliasRecordTargetConfig,
  IAliasRecordTarget,
  IHostedZone,
} from 'aws-cdk-lib/aws-route53';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { createAlarmTopic, notifyTopic } from './alarm-topic.ts';
import type { DeployConfig, DomainInput } from './config/deploy-config.ts';
import { healthPath, originRecordName, regionalHostname } from './domain-names.ts';
import { pascalCase } from './regional-alarms.ts';

/**
 * How a failed region leaves DNS responses. Each health checker requests /health every 10
 * seconds (the fast interval) and marks the region unhealthy after 3 failures in a row, which
 * is about 30 seconds after the failure starts. Route 53 then stops returning the region, and
 * resolvers drop cached responses within the record's TTL.
 */
export const healthCheckSettings = {
  requestInterval: Duration.seconds(10),
  failureThreshold: 3,
  /**
   * Regions of the Route 53 health checkers, on three continents. Route 53 requires at least
   * three; fewer checkers than the default set send fewer requests to /health.
   */
  checkerRegions: ['us-east-1', 'eu-west-1', 'ap-southeast-1'],
};

export interface DnsStackProps extends StackProps {
  readonly config: DeployConfig;
}

export class DnsStack extends Stack {
  readonly healthChecks = new Map<string, HealthCheck>();

  constructor(scope: Construct, id: string, props: DnsStackProps) {
    super(scope, id, props);
    const { config } = props;
    const domain = config.domain;
    if (domain === undefined) throw new Error('A DnsStack requires a domain in the config.');

    const zone = HostedZone.fromHostedZoneAttributes(this, 'HostedZone', {
      hostedZoneId: domain.hostedZoneId,
      zoneName: domain.hostedZoneName,
    });
    const topic = createAlarmTopic(this, config.alarms, this.region);

    for (const region of config.regions) {
      const healthCheck = this.addHealthCheck(domain, region);
      this.addLatencyRecords(zone, domain, region, healthCheck);
      this.addHealthAlarm(config.stackNamePrefix, region, healthCheck, topic);
    }

    new CfnOutput(this, 'Issuer', {
      description: 'Issuer identifier of the authorization server in every region',
      value: `https://${domain.name}`,
    });
  }

  private addHealthCheck(domain: DomainInput, region: string): HealthCheck {
    const healthCheck = new HealthCheck(this, `${pascalCase(region)}HealthCheck`, {
      type: HealthCheckType.HTTPS,
      fqdn: regionalHostname(domain.name, region),
      port: 443,
      resourcePath: healthPath,
      enableSNI: true,
      requestInterval: healthCheckSettings.requestInterval,
      failureThreshold: healthCheckSettings.failureThreshold,
      regions: healthCheckSettings.checkerRegions,
    });
    this.healthChecks.set(region, healthCheck);
    return healthCheck;
  }

  /** Creates the region's A and AAAA latency records of the domain. */
  private addLatencyRecords(
    zone: IHostedZone,
    domain: DomainInput,
    region: string,
    healthCheck: HealthCheck,
  ): void {
    const target = RecordTarget.fromAlias(
      new SameZoneRecordTarget(zone, originRecordName(domain.name, region)),
    );
    const options = {
      zone,
      recordName: domain.name,
      target,
      region,
      setIdentifier: region,
      healthCheck,
    };
    new ARecord(this, `${pascalCase(region)}LatencyA`, options);
    new AaaaRecord(this, `${pascalCase(region)}LatencyAaaa`, options);
  }

  private addHealthAlarm(
    prefix: string,
    region: string,
    healthCheck: HealthCheck,
    topic: ITopic | undefined,
  ): void {
    const alarm = new Alarm(this, `${pascalCase(region)}HealthAlarm`, {
      alarmName: `${prefix}-${region}-HealthCheck`,
      alarmDescription:
        `Route 53 considers ${region} unhealthy and no longer routes clients to it.`,
      metric: new Metric({
        namespace: 'AWS/Route53',
        metricName: 'HealthCheckStatus',
        dimensionsMap: { HealthCheckId: healthCheck.healthCheckId },
        statistic: 'Minimum',
        period: Duration.minutes(1),
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // Route 53 publishes the metric every minute; a gap is only the first minute after creation.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    notifyTopic(alarm, topic);
  }
}

/** An alias target that is another record of the same hosted zone. */
class SameZoneRecordTarget implements IAliasRecordTarget {
  readonly #zone: IHostedZone;
  readonly #recordName: string;

  constructor(zone: IHostedZone, recordName: string) {
    this.#zone = zone;
    this.#recordName = recordName;
  }

  bind(): AliasRecordTargetConfig {
    return {
      hostedZoneId: this.#zone.hostedZoneId,
      dnsName: this.#recordName,
      // The record's own health check decides; the origin record has none.
      evaluateTargetHealth: false,
    };
  }
}
