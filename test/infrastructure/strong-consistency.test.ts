/**
 * Strong mode: a multi-Region strongly consistent global table in three regions of one set,
 * without TTL but with the expiry index and the sweeper that reads it, with alarms sent to
 * existing SNS topics. Also checks that the region sets of lib/config/strong-consistency.ts
 * agree with the validation of aws-cdk-lib's TableV2.
 */
import { rmSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduledJobs } from '../../functions/jobs.ts';
import { routes } from '../../functions/routes.ts';
import {
  EXPIRY_BUCKET_ATTRIBUTE,
  EXPIRY_INDEX_NAME,
} from '../../functions/storage/expiry-index.ts';
import type { DeployConfig } from '../../lib/config/deploy-config.ts';
import { parseDeployConfig } from '../../lib/config/parse-deploy-config.ts';
import { strongConsistencyRegionSets } from '../../lib/config/strong-consistency.ts';
import { jobsForMode } from '../../lib/scheduled-jobs.ts';
import { TableStack } from '../../lib/table-stack.ts';
import {
  createTestApp,
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
  roleIdOf,
  serverFunctionsOf,
} from './template-resources.ts';

const regions = ['us-east-2', 'us-east-1', 'us-west-2'];
const topicArn = (region: string) => `arn:aws:sns:${region}:${testAccount}:oauth-alarms`;
const replicaArn = (region: string) =>
  `arn:aws:dynamodb:${region}:${testAccount}:table/oauth-server`;
const jobs = jobsForMode('strong');

let synthesized: SynthesizedDeployment;

beforeAll(() => {
  synthesized = synthesizeDeployment({
    regions,
    consistency: 'strong',
    alarms: { topicArns: Object.fromEntries(regions.map((region) => [region, topicArn(region)])) },
  });
}, synthesisTimeoutMilliseconds);

afterAll(() => synthesized?.cleanUp());

describe('strong consistency table', () => {
  it('creates a strongly consistent table with three replicas', () => {
    synthesized.tableTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      MultiRegionConsistency: 'STRONG',
      GlobalTableWitnesses: Match.absent(),
      Replicas: Match.arrayWith([Match.objectLike({ Region: 'us-east-1' })]),
    });

    expect(replicaRegionsOf(synthesized.tableTemplate).toSorted()).toEqual(regions.toSorted());
  });

  it('leaves TTL out', () => {
    synthesized.tableTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TimeToLiveSpecification: Match.absent(),
    });
  });

  it('has the expiry index, keys only, on every replica', () => {
    synthesized.tableTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: EXPIRY_BUCKET_ATTRIBUTE, AttributeType: 'S' },
        { AttributeName: 'expiresAt', AttributeType: 'N' },
      ]),
      GlobalSecondaryIndexes: [
        {
          IndexName: EXPIRY_INDEX_NAME,
          KeySchema: [
            { AttributeName: EXPIRY_BUCKET_ATTRIBUTE, KeyType: 'HASH' },
            { AttributeName: 'expiresAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      LocalSecondaryIndexes: Match.absent(),
    });
    for (const region of regions) {
      synthesized.tableTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        Replicas: Match.arrayWith([
          Match.objectLike({
            Region: region,
            GlobalSecondaryIndexes: [{ IndexName: EXPIRY_INDEX_NAME }],
          }),
        ]),
      });
    }
  });

  it('places the table in the primary region', () => {
    expect(synthesized.deployment.tableStack.region).toBe('us-east-2');
  });
});

describe('strong consistency functions', () => {
  it('passes strong mode to functions', () => {
    for (const region of regions) {
      const template = regionalTemplate(synthesized, region);
      for (const [id, resource] of serverFunctionsOf(template)) {
        expect(resource.Properties.Environment.Variables, `${region} ${id}`).toMatchObject({
          CONSISTENCY_MODE: 'strong',
          TABLE_REGIONS: regions.join(','),
        });
      }
    }
  });

  it('grants no action on another region replica', () => {
    for (const region of regions) {
      const template = regionalTemplate(synthesized, region);
      for (const route of routes) {
        const routeKey = `${route.method} ${route.path}`;
        const roleId = roleIdOf(functionResource(template, functionServing(template, routeKey)));

        expect(grantedPairs(template, roleId, 'dynamodb:'), `${region} ${routeKey}`).toEqual(
          route.tableActions.map((action) => `${action} ${replicaArn(region)}`).toSorted(),
        );
      }
    }
  });

  it('creates no replication latency alarm', () => {
    for (const region of regions) {
      const alarms = regionalTemplate(synthesized, region).findResources(
        'AWS::CloudWatch::Alarm',
        { Properties: { MetricName: 'ReplicationLatency' } },
      );

      expect(Object.keys(alarms), region).toEqual([]);
    }
  });

  it('notifies the configured topic of each region', () => {
    for (const region of regions) {
      const template = regionalTemplate(synthesized, region);

      template.resourceCountIs('AWS::SNS::Topic', 0);
      template.allResourcesProperties('AWS::CloudWatch::Alarm', {
        AlarmActions: [topicArn(region)],
        OKActions: [topicArn(region)],
      });
    }
  });
});

describe('strong consistency scheduled jobs', () => {
  function jobRole(region: string, name: string): string[] {
    const template = regionalTemplate(synthesized, region);
    const lambdaFunction = synthesized.deployment.regionalStacks
      .get(region)
      ?.jobs.get(name)?.lambdaFunction;
    if (lambdaFunction === undefined) throw new Error(`No job ${name} in ${region}.`);
    const roleId = roleIdOf(functionResource(template, logicalIdOf(lambdaFunction)));
    return grantedPairs(template, roleId, 'dynamodb:');
  }

  it('runs every job, the sweeper among them, in every region', () => {
    expect(jobs.map((job) => job.name)).toEqual(
      scheduledJobs.filter((job) => job.onlyInMode !== 'eventual').map((job) => job.name),
    );
    expect(jobs.map((job) => job.name)).toContain('SweepExpiredItems');
    for (const region of regions) {
      const template = regionalTemplate(synthesized, region);
      const stack = synthesized.deployment.regionalStacks.get(region);

      expect([...(stack?.jobs.keys() ?? [])], region).toEqual(jobs.map((job) => job.name));
      template.resourceCountIs('AWS::Events::Rule', jobs.length);
      for (const job of jobs) {
        template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: job.schedule });
      }
    }
  });

  it('sweeps every 5 minutes', () => {
    for (const region of regions) {
      regionalTemplate(synthesized, region).hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        Description: 'Runs the scheduled job SweepExpiredItems',
      });
    }
  });

  it('lets the sweeper query only the expiry index', () => {
    for (const region of regions) {
      const indexArn = `${replicaArn(region)}/index/${EXPIRY_INDEX_NAME}`;

      expect(jobRole(region, 'SweepExpiredItems'), region).toEqual([
        `dynamodb:DeleteItem ${replicaArn(region)}`,
        `dynamodb:GetItem ${replicaArn(region)}`,
        `dynamodb:PutItem ${replicaArn(region)}`,
        `dynamodb:Query ${indexArn}`,
      ]);
    }
  });

  it('grants the sweeper no KMS action', () => {
    for (const region of regions) {
      const template = regionalTemplate(synthesized, region);
      const lambdaFunction = synthesized.deployment.regionalStacks
        .get(region)
        ?.jobs.get('SweepExpiredItems')?.lambdaFunction;
      if (lambdaFunction === undefined) throw new Error(`No sweeper in ${region}.`);
      const roleId = roleIdOf(functionResource(template, logicalIdOf(lambdaFunction)));

      expect(grantedPairs(template, roleId, 'kms:'), region).toEqual([]);
    }
  });

  it('alarms on failed runs of each job', () => {
    for (const region of regions) {
      for (const job of jobs) {
        regionalTemplate(synthesized, region).hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `AuthorizationServer-${region}-${job.name}Errors`,
          MetricName: 'Errors',
          Threshold: 1,
        });
      }
    }
  });
});

describe('strong consistency region sets', () => {
  // One app for every case: each App creates a temporary output directory.
  const app = createTestApp();

  afterAll(() => rmSync(app.outdir, { recursive: true, force: true }));

  const sets = Object.entries(strongConsistencyRegionSets);

  it.each(sets)('accepts three regions of %s', (name, set) => {
    const config = parseDeployConfig({ regions: set.slice(0, 3), consistency: 'strong' });

    expect(() => tableStack(`Accepted${name}`, config)).not.toThrow();
  });

  it('matches the library on regions of two sets', () => {
    const mixed = ['us-east-1', 'us-east-2', 'eu-west-1'];
    const config = parseDeployConfig({ regions: mixed, consistency: 'eventual' });

    expect(() => parseDeployConfig({ regions: mixed, consistency: 'strong' })).toThrow(
      /requires all three regions from one of the sets/,
    );
    expect(() => tableStack('Mixed', { ...config, consistency: 'strong' })).toThrow(
      /not in the same region set/,
    );
  });

  function tableStack(id: string, config: DeployConfig): TableStack {
    return new TableStack(app, id, { env: { region: config.primaryRegion }, config });
  }
});
