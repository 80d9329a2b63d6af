/**
 * The default deployment, one region without a domain, synthesized once with the handlers
 * bundled: the functions of the routes and of the eventual mode's scheduled jobs, their
 * permissions on the region's replica and on the signing key encryption key, the HTTP API,
 * the table and the outputs.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fallbackRoute, routes } from '../../functions/routes.ts';
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
  actionsOf,
  allAllowedActions,
  functionResource,
  functionServing,
  functionsOf,
  grantedPairs,
  integrations,
  managedPolicyArns,
  onlyLogicalId,
  resourcesOfType,
  roleIdOf,
  roleStatements,
  routeKeys,
} from './template-resources.ts';
import type { AliasResource, FunctionResource } from './template-resources.ts';

const region = 'eu-west-1';
const replicaArn = `arn:aws:dynamodb:${region}:${testAccount}:table/oauth-server`;
const routeTableKeys = routes.map((route) => `${route.method} ${route.path}`);
const jobs = jobsForMode('eventual');
const allRouteKeys = [...routeTableKeys, '$default'];
const tableActionsByRouteKey = new Map([
  ...routes.map((route) => [`${route.method} ${route.path}`, route.tableActions] as const),
  ['$default', fallbackRoute.tableActions] as const,
]);

let synthesized: SynthesizedDeployment;
let template: Template;

beforeAll(() => {
  synthesized = synthesizeDeployment({ regions: [region] }, { bundle: true });
  template = regionalTemplate(synthesized, region);
}, synthesisTimeoutMilliseconds);

afterAll(() => synthesized?.cleanUp());

function allFunctions(): [string, FunctionResource][] {
  return functionsOf(template);
}

function apiId(): string {
  return onlyLogicalId(template, 'AWS::ApiGatewayV2::Api');
}

describe('single-region stacks', () => {
  it('creates a table stack and one regional stack', () => {
    const { deployment } = synthesized;

    expect(deployment.tableStack.stackName).toBe('AuthorizationServer-Table');
    expect(deployment.tableStack.region).toBe(region);
    expect([...deployment.regionalStacks.keys()]).toEqual([region]);
    expect(deployment.regionalStacks.get(region)?.stackName).toBe(
      `AuthorizationServer-${region}`,
    );
    expect(deployment.dnsStack).toBeUndefined();
  });

  it('deploys the regional stack after the table stack', () => {
    const { deployment } = synthesized;
    const dependencies = deployment.regionalStacks.get(region)?.dependencies ?? [];

    expect(dependencies).toEqual([deployment.tableStack]);
  });
});

/** Returns the logical ID of a scheduled job's function. */
function jobFunctionId(name: string): string {
  const job = synthesized.deployment.regionalStacks.get(region)?.jobs.get(name);
  if (job === undefined) throw new Error(`No job ${name}.`);
  return logicalIdOf(job.lambdaFunction);
}

/** Parameter through which the primary region's stack reads the signing key ARN. */
function keyArnParameterRef(): { Ref: string } {
  const parameters = Object.keys(template.toJSON().Parameters ?? {});
  const keyParameter = parameters.find((name) => name.includes('signingkeyencryptionkeyarn'));
  if (keyParameter === undefined) throw new Error('No SSM parameter of the key ARN.');
  return { Ref: keyParameter };
}

describe('single-region functions', () => {
  it('creates one function per route, the fallback and the jobs', () => {
    expect(allFunctions()).toHaveLength(routes.length + 1 + jobs.length);
    expect(jobs.map((job) => job.onlyInMode)).not.toContain('strong');
  });

  it('runs every function on nodejs24.x and arm64', () => {
    for (const [id, resource] of allFunctions()) {
      expect(resource.Properties.Runtime, id).toBe('nodejs24.x');
      expect(resource.Properties.Architectures, id).toEqual(['arm64']);
    }
  });

  it('sets memory and timeout of every function', () => {
    const jobIds = jobs.map((job) => jobFunctionId(job.name));
    for (const [id, resource] of allFunctions()) {
      expect(resource.Properties.MemorySize, id).toBe(512);
      expect(resource.Properties.Timeout, id).toBe(jobIds.includes(id) ? 60 : 5);
    }
  });

  it('bundles every handler as ESM with source map', () => {
    for (const [id, resource] of allFunctions()) {
      const assetPath = resource.Metadata['aws:asset:path'];
      expect(typeof assetPath, id).toBe('string');
      const bundleDirectory = path.join(synthesized.assemblyDirectory, String(assetPath));
      const bundle = readFileSync(path.join(bundleDirectory, 'index.mjs'), 'utf8');

      expect(resource.Properties.Handler, id).toBe('index.handler');
      expect(bundle.startsWith('import { createRequire'), id).toBe(true);
      expect(existsSync(path.join(bundleDirectory, 'index.mjs.map')), id).toBe(true);
    }
  });

  it('passes the server settings as environment variables', () => {
    const expected = {
      TABLE_NAME: 'oauth-server',
      ISSUER: { 'Fn::GetAtt': [apiId(), 'ApiEndpoint'] },
      ACCESS_TOKEN_LIFETIME_SECONDS: '3600',
      ID_TOKEN_LIFETIME_SECONDS: '300',
      AUTHORIZATION_CODE_LIFETIME_SECONDS: '60',
      REFRESH_TOKEN_IDLE_SECONDS: '1209600',
      REFRESH_TOKEN_ABSOLUTE_SECONDS: '7776000',
      REFRESH_TOKEN_REUSE_GRACE_SECONDS: '10',
      SESSION_LIFETIME_SECONDS: '43200',
      KEY_ROTATION_DAYS: '30',
      KEY_ENCRYPTION_KMS_KEY_ID: keyArnParameterRef(),
      CONSISTENCY_MODE: 'eventual',
      TABLE_REGIONS: region,
      POWERTOOLS_SERVICE_NAME: 'oauth-server',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    };
    for (const route of [...routes, fallbackRoute]) {
      const resource = functionResource(template, functionIdOf(route.name));
      const extra = route.name === 'Health' ? { MEMORY_CACHE_SECONDS: '0' } : {};

      expect(resource.Properties.Environment.Variables, route.name).toEqual({
        ...expected,
        ...extra,
      });
    }
    for (const job of jobs) {
      const resource = functionResource(template, jobFunctionId(job.name));
      expect(resource.Properties.Environment.Variables, job.name).toEqual(expected);
    }
  });

  it('gives every function its own log group', () => {
    const logGroups = resourcesOfType<{ Properties: { RetentionInDays: number } }>(
      template,
      'AWS::Logs::LogGroup',
    );
    const used = allFunctions().map(([, resource]) => resource.Properties.LoggingConfig.LogGroup);

    expect(new Set(used.map((ref) => ref.Ref)).size).toBe(allFunctions().length);
    for (const ref of used) {
      expect(logGroups[ref.Ref]?.Properties.RetentionInDays, ref.Ref).toBe(90);
    }
  });

  it('reserves no concurrency and traces nothing by default', () => {
    for (const [id, resource] of allFunctions()) {
      expect(resource.Properties.ReservedConcurrentExecutions, id).toBeUndefined();
      expect(resource.Properties.TracingConfig, id).toBeUndefined();
    }
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });

  it('serves the token route through the live alias', () => {
    const aliases = resourcesOfType<AliasResource>(template, 'AWS::Lambda::Alias');
    const [aliasId, alias] = Object.entries(aliases)[0] ?? [];
    const tokenIntegration = integrations(template).find(
      (integration) => 'Ref' in integration.Properties.IntegrationUri,
    );

    expect(Object.keys(aliases)).toHaveLength(1);
    expect(alias?.Properties.Name).toBe('live');
    expect(alias?.Properties.ProvisionedConcurrencyConfig).toBeUndefined();
    expect(alias?.Properties.FunctionName.Ref).toBe(functionIdOf('Token'));
    expect(tokenIntegration?.Properties.IntegrationUri).toEqual({ Ref: aliasId });
  });
});

/** Returns the logical ID of the function that a route's name identifies. */
function functionIdOf(name: string): string {
  if (name === fallbackRoute.name) return functionServing(template, '$default');
  const route = routes.find((each) => each.name === name);
  if (route === undefined) throw new Error(`No route ${name}.`);
  return functionServing(template, `${route.method} ${route.path}`);
}

describe('single-region permissions', () => {
  it('grants only route actions on replica', () => {
    for (const [routeKey, expected] of tableActionsByRouteKey) {
      const functionId = functionServing(template, routeKey);
      const roleId = roleIdOf(functionResource(template, functionId));
      const dynamodbStatements = roleStatements(template, roleId).filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('dynamodb:')),
      );
      const granted = dynamodbStatements.flatMap(actionsOf);

      expect(granted.toSorted(), routeKey).toEqual([...expected].toSorted());
      for (const statement of dynamodbStatements) {
        expect(statement.Effect, routeKey).toBe('Allow');
        expect(statement.Resource, routeKey).toBe(replicaArn);
      }
    }
  });

  it('grants the jobs their table actions on the replica', () => {
    for (const job of jobs) {
      const roleId = roleIdOf(functionResource(template, jobFunctionId(job.name)));

      expect(grantedPairs(template, roleId, 'dynamodb:'), job.name).toEqual(
        job.tableActions.map((action) => `${action} ${replicaArn}`).toSorted(),
      );
    }
  });

  it('grants KMS actions on the key whose ARN the parameter holds', () => {
    const keyArn = JSON.stringify(keyArnParameterRef());
    const tokenRole = roleIdOf(functionResource(template, functionIdOf('Token')));

    expect(grantedPairs(template, tokenRole, 'kms:')).toEqual([
      `kms:Decrypt ${keyArn}`,
      `kms:GenerateDataKey ${keyArn}`,
    ]);
  });

  it('allows no wildcard or Scan action', () => {
    const actions = allAllowedActions(template);

    expect(actions).not.toContain('*');
    expect(actions).not.toContain('dynamodb:*');
    expect(actions.filter((action) => action.includes('Scan'))).toEqual([]);
  });

  it('allows writing only its own log group', () => {
    for (const [id, resource] of allFunctions()) {
      const roleId = roleIdOf(resource);
      const logGroupId = resource.Properties.LoggingConfig.LogGroup.Ref;
      const logStatements = roleStatements(template, roleId).filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith('logs:')),
      );

      expect(managedPolicyArns(template, roleId), id).toEqual([]);
      expect(logStatements, id).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
      ]);
    }
  });
});

describe('single-region HTTP API', () => {
  it('maps the route table and $default only', () => {
    expect(routeKeys(template).toSorted()).toEqual(allRouteKeys.toSorted());
  });

  it('serves each route key with its own function', () => {
    const functionIds = allRouteKeys.map((routeKey) => functionServing(template, routeKey));

    expect(new Set(functionIds).size).toBe(allRouteKeys.length);
  });

  it('uses payload format 2.0 for every integration', () => {
    const all = integrations(template);

    expect(all).toHaveLength(allRouteKeys.length);
    for (const integration of all) {
      expect(integration.Properties.PayloadFormatVersion).toBe('2.0');
    }
  });

  it('keeps the execute-api endpoint, which is the issuer', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      DisableExecuteApiEndpoint: false,
    });
  });

  it('logs access without stage throttling', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
      DefaultRouteSettings: Match.absent(),
    });
  });

  it('keeps secrets out of access logs', () => {
    const stages = resourcesOfType<{ Properties: { AccessLogSettings: { Format: string } } }>(
      template,
      'AWS::ApiGatewayV2::Stage',
    );
    const format = Object.values(stages)[0]?.Properties.AccessLogSettings.Format ?? '';

    expect(JSON.parse(format)).toHaveProperty('requestId', '$context.requestId');
    expect(format).not.toMatch(/querystring|header|authorizer/i);
  });

  it('creates no custom domain', () => {
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
  });
});

describe('single-region table', () => {
  it('keys items by string pk and sk', () => {
    synthesized.tableTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayEquals([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
      LocalSecondaryIndexes: Match.absent(),
    });
  });

  it('has no expiry index in eventual mode', () => {
    synthesized.tableTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: Match.absent(),
    });
  });

  it('bills on demand and expires items by expiresAt', () => {
    synthesized.tableTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      MultiRegionConsistency: Match.absent(),
    });
  });

  it('has one replica with recovery and deletion protection', () => {
    synthesized.tableTemplate.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [
        Match.objectLike({
          Region: region,
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      ],
    });
  });

  it('retains the table under its fixed name', () => {
    synthesized.tableTemplate.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ TableName: 'oauth-server' }),
    });
  });

  it('keeps the table out of the regional stack', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
  });
});

describe('single-region signing key encryption', () => {
  it('creates a multi-Region key with rotation in the table stack', () => {
    synthesized.tableTemplate.resourceCountIs('AWS::KMS::Key', 1);
    synthesized.tableTemplate.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ MultiRegion: true, EnableKeyRotation: true }),
    });
    synthesized.tableTemplate.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/oauth-server-signing-keys',
    });
  });

  it('reads the key ARN from the parameter, without a replica', () => {
    synthesized.tableTemplate.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/oauth-server/oauth-server/signing-key-encryption-key-arn',
    });
    expect(template.toJSON().Parameters?.[keyArnParameterRef().Ref]).toEqual({
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: '/oauth-server/oauth-server/signing-key-encryption-key-arn',
    });
    template.resourceCountIs('AWS::KMS::ReplicaKey', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
  });
});

describe('single-region monitoring', () => {
  it('alarms on functions, jobs and table', () => {
    const functionAlarms = (routes.length + 1) * 4;

    template.resourceCountIs('AWS::CloudWatch::Alarm', functionAlarms + jobs.length + 2);
  });

  it('sends alarms nowhere without an alarms setting', () => {
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: Match.absent() });
  });

  it('creates the region dashboard', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: `AuthorizationServer-${region}`,
    });
  });
});

describe('single-region outputs', () => {
  it('outputs the issuer, URLs and table name', () => {
    const endpoint = { 'Fn::GetAtt': [apiId(), 'ApiEndpoint'] };

    template.hasOutput('Issuer', { Value: endpoint });
    template.hasOutput('RegionalUrl', { Value: endpoint });
    template.hasOutput('HealthUrl', { Value: { 'Fn::Join': ['', [endpoint, '/health']] } });
    template.hasOutput('TableName', { Value: 'oauth-server' });
  });
});
