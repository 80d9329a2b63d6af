/**
 * Strong mode: a multi-Region strongly consistent global table in three regions of one set,
 * without TTL, with alarms sent to existing SNS topics. Also checks that the region sets of
 * lib/config/strong-consistency.ts agree with the validation of aws-cdk-lib's TableV2.
 */
import { rmSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployConfig } from '../../lib/config/deploy-config.ts';
import { parseDeployConfig } from '../../lib/config/parse-deploy-config.ts';
import { strongConsistencyRegionSets } from '../../lib/config/strong-consistency.ts';
import { TableStack } from '../../lib/table-stack.ts';
import {
  createTestApp,
  regionalTemplate,
  synthesisTimeoutMilliseconds,
  synthesizeDeployment,
  testAccount,
} from './synthesize.ts';
import type { SynthesizedDeployment } from './synthesize.ts';
import { functionsOf, replicaRegionsOf } from './template-resources.ts';

const regions = ['us-east-2', 'us-east-1', 'us-west-2'];
const topicArn = (region: string) => `arn:aws:sns:${region}:${testAccount}:oauth-alarms`;

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

  it('places the table in the primary region', () => {
    expect(synthesized.deployment.tableStack.region).toBe('us-east-2');
  });
});

describe('strong consistency functions', () => {
  it('passes strong mode to functions', () => {
    for (const region of regions) {
      const template = regionalTemplate(synthesized, region);
      for (const [id, resource] of functionsOf(template)) {
        expect(resource.Properties.Environment.Variables, `${region} ${id}`).toMatchObject({
          CONSISTENCY_MODE: 'strong',
          TABLE_REGIONS: regions.join(','),
        });
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
