/**
 * cdk-nag's AWS Solutions rules over every stack of three deployments: the default one, three
 * regions with a domain and every option, and strong mode with existing topics. Every finding
 * must be fixed or acknowledged, and each acknowledgment must give a reason.
 */
import { Validations } from 'aws-cdk-lib';
import type { Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployConfigInput } from '../../lib/config/deploy-config.ts';
import { synthesisTimeoutMilliseconds, synthesizeDeployment, testAccount } from './synthesize.ts';
import type { SynthesizedDeployment } from './synthesize.ts';

const deployments: Record<string, DeployConfigInput> = {
  'one region': {},
  'three regions with a domain': {
    regions: ['eu-west-1', 'us-east-1', 'ap-southeast-2'],
    domain: { name: 'auth.example.com', hostedZoneId: 'Z0123', hostedZoneName: 'example.com' },
    alarms: { email: 'ops@example.com' },
    tokenFunction: { reservedConcurrency: 50, provisionedConcurrency: { min: 1, max: 10 } },
    throttling: { rateLimit: 100, burstLimit: 200 },
    tracing: true,
  },
  'strong mode': {
    regions: ['eu-west-1', 'eu-west-2', 'eu-central-1'],
    consistency: 'strong',
    alarms: {
      topicArns: Object.fromEntries(
        ['eu-west-1', 'eu-west-2', 'eu-central-1'].map((region) => [
          region,
          `arn:aws:sns:${region}:${testAccount}:alarms`,
        ]),
      ),
    },
  },
};

/** Every rule that the code acknowledges, in some deployment. */
const expectedAcknowledgments = [
  'AwsSolutions-APIG4',
  'AwsSolutions-COG4',
  'AwsSolutions-IAM5[Resource::*]',
  'AwsSolutions-L1',
  'AwsSolutions-SNS2',
];

const synthesized = new Map<string, SynthesizedDeployment>();

beforeAll(() => {
  for (const [name, input] of Object.entries(deployments)) {
    synthesized.set(name, synthesizeDeployment(input));
  }
}, synthesisTimeoutMilliseconds);

afterAll(() => {
  for (const each of synthesized.values()) each.cleanUp();
});

function stacksOf(name: string): Stack[] {
  const { deployment } = synthesized.get(name) ?? {};
  if (deployment === undefined) throw new Error(`No deployment ${name}.`);
  const { tableStack, regionalStacks, dnsStack } = deployment;
  return [tableStack, ...regionalStacks.values(), ...(dnsStack ? [dnsStack] : [])];
}

/** Returns the rule IDs and reasons acknowledged on the construct itself. */
function ownAcknowledgments(construct: IConstruct): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of construct.node.metadata) {
    if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
    for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
      found.set(id.replace(/^annotation::/i, ''), String(reason));
    }
  }
  return found;
}

/** Returns the rule IDs and reasons acknowledged anywhere under a construct. */
function acknowledgments(scope: IConstruct): Map<string, string> {
  const found = new Map<string, string>();
  for (const construct of scope.node.findAll()) {
    for (const [id, reason] of ownAcknowledgments(construct)) found.set(id, reason);
  }
  return found;
}

describe('cdk-nag AwsSolutions', () => {
  it.each(Object.keys(deployments))('finds no violation in %s', (name) => {
    for (const stack of stacksOf(name)) {
      const report = new AwsSolutionsChecks().validateScope(stack);
      const findings = report.violations.map(
        (violation) =>
          `${violation.ruleName} at ${violation.violatingResources
            .map((resource) => resource.constructPath)
            .join(', ')}`,
      );

      expect(findings, stack.stackName).toEqual([]);
    }
  });

  it('acknowledges only the expected rules', () => {
    const ids = new Set<string>();
    for (const name of Object.keys(deployments)) {
      for (const stack of stacksOf(name)) {
        for (const id of acknowledgments(stack).keys()) ids.add(id);
      }
    }

    expect([...ids].toSorted()).toEqual(expectedAcknowledgments);
  });

  it('gives every acknowledgment a reason', () => {
    for (const name of Object.keys(deployments)) {
      for (const stack of stacksOf(name)) {
        for (const [id, reason] of acknowledgments(stack)) {
          expect(reason.length, `${stack.stackName} ${id}`).toBeGreaterThanOrEqual(60);
        }
      }
    }
  });

  it('acknowledges public routes only on the HTTP API', () => {
    for (const stack of stacksOf('one region')) {
      const paths = stack.node
        .findAll()
        .filter((construct) => ownAcknowledgments(construct).has('AwsSolutions-APIG4'))
        .map((construct) => construct.node.path);

      if (stack.stackName.endsWith('-Table')) expect(paths).toEqual([]);
      else expect(paths).toEqual([`${stack.stackName}/HttpApi`]);
    }
  });
});
