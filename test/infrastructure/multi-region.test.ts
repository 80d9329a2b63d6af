/**
 * A three-region deployment in eventual mode with a custom domain and every operational
 * option set, synthesized once without bundling. The tests cover the replicas, the regional
 * stacks, the certificates, records and health checks, the alarms and the scheduled jobs. They
 * also check least privilege on each region's replica and, for consuming writes, on the others.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduledJobs } from '../../functions/jobs.ts';
import { fallbackRoute, routes } from '../../functions/routes.ts';
import { repositoryRoot } from '../../lib/oauth-function.ts';
import { failedRequestLogMessage } from '../../lib/regional-alarms.ts';
import { jobsForMode } from '../../lib/scheduled-jobs.ts';
import {
  logicalIdOf,
  regionalTemplate,
  synthesisTimeoutMilliseconds,
  synthesizeDeployment,
  testAccount,
} from './synthesize.ts';
import type { SynthesizedDeployment } from './synthesize.ts';
import {
  functionResource,
  functionServing,
  grantedPairs,
  replicaRegionsOf,
  resourcesOfType,
  roleIdOf,
  routeKeys,
  serverFunctionsOf,
} from './template-resources.ts';

const primaryRegion = 'eu-west-1';
const regions = ['us-east-1', primaryRegion, 'ap-southeast-2'];
const tableRegions = [primaryRegion, 'us-east-1', 'ap-southeast-2'];
const domain = {
  name: 'auth.example.com',
  hostedZoneId: 'Z0123456789ABC',
  hostedZoneName: 'example.com',
};
const allRouteKeys = [...routes.map((route) => `${route.method} ${route.path}`), '$default'];
const jobs = jobsForMode('eventual');
const replicaArn = (region: string) =>
  `arn:aws:dynamodb:${region}:${testAccount}:table/oauth-server`;

let synthesized: SynthesizedDeployment;

beforeAll(() => {
  synthesized = synthesizeDeployment({
    regions,
    primaryRegion,
    domain,
    alarms: { email: 'ops@example.com' },
    tokenFunction: {
      reservedConcurrency: 100,
      provisionedConcurrency: { min: 2, max: 20, targetUtilization: 0.6 },
    },
    throttling: { rateLimit: 500, burstLimit: 1000 },
    tracing: true,
    tokenLifetimes: { accessTokenSeconds: 900, sessionSeconds: 3600 },
    logging: { level: 'DEBUG', retentionDays: 30 },
  });
}, synthesisTimeoutMilliseconds);

afterAll(() => synthesized?.cleanUp());

function eachRegion(check: (template: Template, region: string) => void): void {
  for (const region of regions) check(regionalTemplate(synthesized, region), region);
}

function dnsTemplate(): Template {
  if (synthesized.dnsTemplate === undefined) throw new Error('No DNS stack.');
  return synthesized.dnsTemplate;
}

describe('multi-region stacks', () => {
  it('creates the table stack in the primary region', () => {
    const { tableStack } = synthesized.deployment;

    expect(tableStack.stackName).toBe('AuthorizationServer-Table');
    expect(tableStack.region).toBe(primaryRegion);
    expect(tableStack.account).toBe(testAccount);
  });

  it('creates one regional stack per region, primary first', () => {
    const stacks = synthesized.deployment.regionalStacks;

    expect([...stacks.keys()]).toEqual(tableRegions);
    for (const [region, stack] of stacks) {
      expect(stack.stackName).toBe(`AuthorizationServer-${region}`);
      expect(stack.region).toBe(region);
      expect(stack.dependencies).toEqual([synthesized.deployment.tableStack]);
    }
  });

  it('places the DNS stack in us-east-1 last', () => {
    const { dnsStack, regionalStacks } = synthesized.deployment;

    expect(dnsStack?.stackName).toBe('AuthorizationServer-Dns');
    expect(dnsStack?.region).toBe('us-east-1');
    expect(dnsStack?.dependencies.toSorted()).toEqual([...regionalStacks.values()].toSorted());
  });

  it('references no other stack', () => {
    const templates = [
      synthesized.tableTemplate,
      ...synthesized.regionalTemplates.values(),
      dnsTemplate(),
    ];
    for (const template of templates) {
      expect(JSON.stringify(template.toJSON())).not.toMatch(/Fn::ImportValue|Export/);
    }
  });
});

describe('multi-region table', () => {
  it('has a replica in every region', () => {
    for (const region of regions) {
      synthesized.tableTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        TableName: 'oauth-server',
        Replicas: Match.arrayWith([
          Match.objectLike({
            Region: region,
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          }),
        ]),
      });
    }
  });

  it('has exactly the configured replicas', () => {
    const replicaRegions = replicaRegionsOf(synthesized.tableTemplate);

    expect(replicaRegions.toSorted()).toEqual(regions.toSorted());
  });

  it('expires items by TTL in eventual mode', () => {
    synthesized.tableTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      MultiRegionConsistency: Match.absent(),
    });
  });
});

describe('multi-region routes and functions', () => {
  it('serves all routes in every region', () => {
    eachRegion((template, region) => {
      expect(routeKeys(template).toSorted(), region).toEqual(allRouteKeys.toSorted());
    });
  });

  it('passes one issuer to every region', () => {
    eachRegion((template, region) => {
      const functions = serverFunctionsOf(template);
      expect(functions, region).toHaveLength(routes.length + 1 + jobs.length);
      for (const [id, resource] of functions) {
        expect(resource.Properties.Environment.Variables, `${region} ${id}`).toMatchObject({
          ISSUER: 'https://auth.example.com',
          TABLE_NAME: 'oauth-server',
          TABLE_REGIONS: tableRegions.join(','),
          CONSISTENCY_MODE: 'eventual',
          ACCESS_TOKEN_LIFETIME_SECONDS: '900',
          SESSION_LIFETIME_SECONDS: '3600',
          AUTHORIZATION_CODE_LIFETIME_SECONDS: '60',
          POWERTOOLS_LOG_LEVEL: 'DEBUG',
        });
      }
    });
  });

  it('grants route actions on own replica, home-region actions on the others', () => {
    eachRegion((template, region) => {
      const others = regions.filter((each) => each !== region);
      for (const route of [...routes, fallbackRoute]) {
        const routeKey = 'method' in route ? `${route.method} ${route.path}` : '$default';
        const roleId = roleIdOf(functionResource(template, functionServing(template, routeKey)));
        const homeRegionActions = 'homeRegionActions' in route ? route.homeRegionActions : [];
        const expected = [
          ...route.tableActions.map((action) => `${action} ${replicaArn(region)}`),
          ...(homeRegionActions ?? []).flatMap((action) =>
            others.map((other) => `${action} ${replicaArn(other)}`),
          ),
        ];

        expect(grantedPairs(template, roleId, 'dynamodb:'), `${region} ${routeKey}`).toEqual(
          expected.toSorted(),
        );
      }
    });
  });

  it('grants the token route GetItem and UpdateItem on every other replica', () => {
    eachRegion((template, region) => {
      const roleId = roleIdOf(functionResource(template, functionServing(template, 'POST /token')));
      const granted = grantedPairs(template, roleId, 'dynamodb:');
      for (const other of regions.filter((each) => each !== region)) {
        const onOther = granted.filter((pair) => pair.endsWith(` ${replicaArn(other)}`));
        expect(onOther, `${region} to ${other}`).toEqual([
          `dynamodb:GetItem ${replicaArn(other)}`,
          `dynamodb:UpdateItem ${replicaArn(other)}`,
        ]);
      }
    });
  });

  it('lists home-region actions only among the route actions', () => {
    for (const route of routes) {
      for (const action of route.homeRegionActions ?? []) {
        expect(route.tableActions, route.name).toContain(action);
      }
    }
  });

  it('traces every function with X-Ray', () => {
    eachRegion((template, region) => {
      for (const [id, resource] of serverFunctionsOf(template)) {
        expect(resource.Properties.TracingConfig, `${region} ${id}`).toEqual({ Mode: 'Active' });
      }
    });
  });

  it('reserves concurrency for the token function only', () => {
    eachRegion((template, region) => {
      const tokenId = functionServing(template, 'POST /token');
      for (const [id, resource] of serverFunctionsOf(template)) {
        const expected = id === tokenId ? 100 : undefined;
        expect(resource.Properties.ReservedConcurrentExecutions, `${region} ${id}`).toBe(
          expected,
        );
      }
    });
  });

  it('scales provisioned concurrency of the token alias', () => {
    eachRegion((template) => {
      template.hasResourceProperties('AWS::Lambda::Alias', {
        Name: 'live',
        ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        MinCapacity: 2,
        MaxCapacity: 20,
        ScalableDimension: 'lambda:function:ProvisionedConcurrency',
        ServiceNamespace: 'lambda',
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          PredefinedMetricSpecification: {
            PredefinedMetricType: 'LambdaProvisionedConcurrencyUtilization',
          },
          TargetValue: 0.6,
        },
      });
    });
  });

  it('throttles the API stage', () => {
    eachRegion((template) => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
      });
    });
  });

  it('keeps logs for the configured days', () => {
    eachRegion((template, region) => {
      const logGroups = resourcesOfType<{ Properties: { RetentionInDays: number } }>(
        template,
        'AWS::Logs::LogGroup',
      );
      for (const [id, logGroup] of Object.entries(logGroups)) {
        expect(logGroup.Properties.RetentionInDays, `${region} ${id}`).toBe(30);
      }
    });
  });
});

describe('multi-region scheduled jobs', () => {
  it('runs the jobs of eventual mode in every region', () => {
    expect(jobs.map((job) => job.name)).toEqual(
      scheduledJobs.filter((job) => job.onlyInMode !== 'strong').map((job) => job.name),
    );
    expect(jobs.map((job) => job.name)).not.toContain('SweepExpiredItems');
    eachRegion((template, region) => {
      const stack = synthesized.deployment.regionalStacks.get(region);

      expect([...(stack?.jobs.keys() ?? [])], region).toEqual(jobs.map((job) => job.name));
      template.resourceCountIs('AWS::Events::Rule', jobs.length);
    });
  });

  it('invokes each job on its schedule, once', () => {
    eachRegion((template, region) => {
      for (const job of jobs) {
        const lambdaFunction = synthesized.deployment.regionalStacks
          .get(region)
          ?.jobs.get(job.name)?.lambdaFunction;
        if (lambdaFunction === undefined) throw new Error(`No job ${job.name} in ${region}.`);
        const functionId = logicalIdOf(lambdaFunction);

        template.hasResourceProperties('AWS::Events::Rule', {
          ScheduleExpression: job.schedule,
          State: 'ENABLED',
          Targets: [
            Match.objectLike({
              Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
              RetryPolicy: { MaximumEventAgeInSeconds: 3600 },
            }),
          ],
        });
        template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
          FunctionName: { Ref: functionId },
          MaximumRetryAttempts: 0,
        });
        template.hasResourceProperties('AWS::Lambda::Permission', {
          FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
          Principal: 'events.amazonaws.com',
        });
        expect(functionResource(template, functionId).Properties.Timeout, job.name).toBe(60);
      }
    });
  });

  it('grants each job its table actions on own replica only', () => {
    eachRegion((template, region) => {
      for (const job of jobs) {
        const lambdaFunction = synthesized.deployment.regionalStacks
          .get(region)
          ?.jobs.get(job.name)?.lambdaFunction;
        if (lambdaFunction === undefined) throw new Error(`No job ${job.name} in ${region}.`);
        const roleId = roleIdOf(functionResource(template, logicalIdOf(lambdaFunction)));

        expect(grantedPairs(template, roleId, 'dynamodb:'), `${region} ${job.name}`).toEqual(
          job.tableActions.map((action) => `${action} ${replicaArn(region)}`).toSorted(),
        );
      }
    });
  });
});

describe('multi-region custom domain', () => {
  it('disables the execute-api endpoint', () => {
    eachRegion((template) => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        DisableExecuteApiEndpoint: true,
      });
    });
  });

  it('requests a DNS-validated certificate in every region', () => {
    eachRegion((template, region) => {
      template.resourceCountIs('AWS::CertificateManager::Certificate', 1);
      template.hasResourceProperties('AWS::CertificateManager::Certificate', {
        DomainName: 'auth.example.com',
        SubjectAlternativeNames: [`${region}.auth.example.com`],
        ValidationMethod: 'DNS',
        DomainValidationOptions: [
          { DomainName: 'auth.example.com', HostedZoneId: domain.hostedZoneId },
          { DomainName: `${region}.auth.example.com`, HostedZoneId: domain.hostedZoneId },
        ],
      });
    });
  });

  it('maps shared and regional names', () => {
    eachRegion((template, region) => {
      for (const name of ['auth.example.com', `${region}.auth.example.com`]) {
        template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
          DomainName: name,
          DomainNameConfigurations: [
            Match.objectLike({
              EndpointType: 'REGIONAL',
              SecurityPolicy: 'TLS_1_2',
              IpAddressType: 'dualstack',
            }),
          ],
        });
      }
      template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 2);
      template.allResourcesProperties('AWS::ApiGatewayV2::ApiMapping', {
        Stage: Match.anyValue(),
        ApiMappingKey: Match.absent(),
      });
    });
  });

  it('points origin and regional names to the region', () => {
    eachRegion((template, region) => {
      for (const name of [`${region}-origin.auth.example.com.`, `${region}.auth.example.com.`]) {
        for (const type of ['A', 'AAAA']) {
          template.hasResourceProperties('AWS::Route53::RecordSet', {
            Name: name,
            Type: type,
            HostedZoneId: domain.hostedZoneId,
            AliasTarget: Match.objectLike({ DNSName: Match.anyValue() }),
          });
        }
      }
      template.resourceCountIs('AWS::Route53::RecordSet', 4);
    });
  });

  it('checks each region every 10 seconds', () => {
    const template = dnsTemplate();

    template.resourceCountIs('AWS::Route53::HealthCheck', regions.length);
    for (const region of regions) {
      template.hasResourceProperties('AWS::Route53::HealthCheck', {
        HealthCheckConfig: {
          Type: 'HTTPS',
          FullyQualifiedDomainName: `${region}.auth.example.com`,
          Port: 443,
          ResourcePath: '/health',
          EnableSNI: true,
          RequestInterval: 10,
          FailureThreshold: 3,
          Regions: Match.arrayWith(['us-east-1']),
          Inverted: false,
          MeasureLatency: false,
        },
      });
    }
  });

  it('routes the domain by latency to healthy regions', () => {
    const template = dnsTemplate();
    const healthChecks = template.findResources('AWS::Route53::HealthCheck', {
      Properties: { HealthCheckConfig: Match.objectLike({ ResourcePath: '/health' }) },
    });

    template.resourceCountIs('AWS::Route53::RecordSet', regions.length * 2);
    for (const region of regions) {
      const [healthCheckId] = Object.entries(healthChecks)
        .filter(([, resource]) =>
          JSON.stringify(resource).includes(`"${region}.auth.example.com"`),
        )
        .map(([id]) => id);
      for (const type of ['A', 'AAAA']) {
        template.hasResourceProperties('AWS::Route53::RecordSet', {
          Name: 'auth.example.com.',
          Type: type,
          Region: region,
          SetIdentifier: region,
          HealthCheckId: { Ref: healthCheckId },
          AliasTarget: {
            DNSName: `${region}-origin.auth.example.com`,
            HostedZoneId: domain.hostedZoneId,
            EvaluateTargetHealth: false,
          },
        });
      }
    }
  });

  it('alarms on each health check in us-east-1', () => {
    const template = dnsTemplate();

    template.resourceCountIs('AWS::CloudWatch::Alarm', regions.length);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Route53',
      MetricName: 'HealthCheckStatus',
      Statistic: 'Minimum',
      Period: 60,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      AlarmActions: [{ Ref: Match.anyValue() }],
      OKActions: [{ Ref: Match.anyValue() }],
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('outputs the domain as issuer', () => {
    dnsTemplate().hasOutput('Issuer', { Value: 'https://auth.example.com' });
    eachRegion((template, region) => {
      template.hasOutput('Issuer', { Value: 'https://auth.example.com' });
      template.hasOutput('HealthUrl', { Value: `https://${region}.auth.example.com/health` });
    });
  });
});

describe('multi-region alarms', () => {
  const functionCount = routes.length + 1;

  it('creates function, table and replication alarms', () => {
    eachRegion((template) => {
      const replicationAlarms = regions.length - 1;
      template.resourceCountIs(
        'AWS::CloudWatch::Alarm',
        functionCount * 4 + jobs.length + 2 + replicationAlarms,
      );
    });
  });

  it('watches replication to each other region', () => {
    eachRegion((template, region) => {
      for (const receiving of regions.filter((each) => each !== region)) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/DynamoDB',
          MetricName: 'ReplicationLatency',
          Dimensions: Match.arrayWith([
            { Name: 'ReceivingRegion', Value: receiving },
            { Name: 'TableName', Value: 'oauth-server' },
          ]),
        });
      }
    });
  });

  it('watches 5xx and p99 per function', () => {
    eachRegion((template, region) => {
      for (const route of [...routes, fallbackRoute]) {
        const prefix = `AuthorizationServer-${region}-${route.name}`;
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `${prefix}ServerErrorRate`,
          Metrics: Match.arrayWith([Match.objectLike({ Id: 'expr_1' })]),
        });
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `${prefix}LatencyP99`,
          ExtendedStatistic: 'p99',
        });
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `${prefix}Errors`,
        });
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `${prefix}Throttles`,
        });
      }
    });
  });

  it('watches throttles and system errors of the replica', () => {
    eachRegion((template, region) => {
      for (const id of ['TableThrottledRequests', 'TableSystemErrors']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `AuthorizationServer-${region}-${id}`,
          Metrics: Match.arrayWith([
            Match.objectLike({
              MetricStat: Match.objectLike({
                Metric: Match.objectLike({
                  Namespace: 'AWS/DynamoDB',
                  Dimensions: Match.arrayWith([{ Name: 'TableName', Value: 'oauth-server' }]),
                }),
              }),
            }),
          ]),
        });
      }
    });
  });

  it('notifies the region topic of every alarm', () => {
    eachRegion((template) => {
      const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
      template.allResourcesProperties('AWS::CloudWatch::Alarm', {
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
      });
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'ops@example.com',
      });
    });
  });

  it('counts 5xx responses from the pipeline log message', () => {
    const pipeline = readFileSync(
      path.join(repositoryRoot, 'functions/http/handler.ts'),
      'utf8',
    );

    expect(pipeline).toContain(`logger.error('${failedRequestLogMessage}'`);
    eachRegion((template) => {
      template.resourceCountIs('AWS::Logs::MetricFilter', functionCount);
      template.allResourcesProperties('AWS::Logs::MetricFilter', {
        FilterPattern: `{ ($.message = "${failedRequestLogMessage}") && ($.status >= 500) }`,
      });
    });
  });

  it('creates a dashboard per region', () => {
    eachRegion((template, region) => {
      template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: `AuthorizationServer-${region}`,
      });
    });
  });
});
