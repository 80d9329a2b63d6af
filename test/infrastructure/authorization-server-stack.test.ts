import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fallbackRoute, routes } from '../../functions/routes.ts';
import { synthesisTimeoutMilliseconds, synthesize } from './synthesize.ts';
import type { Synthesized } from './synthesize.ts';
import {
  actionsOf,
  allAllowedActions,
  functionResource,
  functionServing,
  integrations,
  managedPolicyArns,
  onlyLogicalId,
  resourcesOfType,
  roleIdOf,
  roleStatements,
  routeKeys,
} from './template-resources.ts';
import type { FunctionResource } from './template-resources.ts';

const routeTableKeys = routes.map((route) => `${route.method} ${route.path}`);
const allRouteKeys = [...routeTableKeys, '$default'];
const tableActionsByRouteKey = new Map([
  ...routes.map((route) => [`${route.method} ${route.path}`, route.tableActions] as const),
  ['$default', fallbackRoute.tableActions] as const,
]);

let synthesized: Synthesized;

beforeAll(() => {
  synthesized = synthesize();
}, synthesisTimeoutMilliseconds);

afterAll(() => synthesized?.cleanUp());

function allFunctions(): [string, FunctionResource][] {
  const { template } = synthesized;
  return Object.entries(resourcesOfType<FunctionResource>(template, 'AWS::Lambda::Function'));
}

function tableId(): string {
  return onlyLogicalId(synthesized.template, 'AWS::DynamoDB::GlobalTable');
}

function apiId(): string {
  return onlyLogicalId(synthesized.template, 'AWS::ApiGatewayV2::Api');
}

describe('AuthorizationServerStack functions', () => {
  it('creates one function per route plus the fallback', () => {
    expect(allFunctions()).toHaveLength(routes.length + 1);
  });

  it('runs every function on nodejs24.x and arm64', () => {
    for (const [id, resource] of allFunctions()) {
      expect(resource.Properties.Runtime, id).toBe('nodejs24.x');
      expect(resource.Properties.Architectures, id).toEqual(['arm64']);
    }
  });

  it('sets memory and timeout of every function', () => {
    for (const [id, resource] of allFunctions()) {
      expect(resource.Properties.MemorySize, id).toBe(512);
      expect(resource.Properties.Timeout, id).toBe(5);
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
    for (const [id, resource] of allFunctions()) {
      expect(resource.Properties.Environment.Variables, id).toEqual({
        TABLE_NAME: { Ref: tableId() },
        ISSUER: { 'Fn::GetAtt': [apiId(), 'ApiEndpoint'] },
        ACCESS_TOKEN_LIFETIME_SECONDS: '3600',
        POWERTOOLS_SERVICE_NAME: 'oauth-server',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
  });

  it('gives every function its own log group', () => {
    const logGroups = resourcesOfType<{ Properties: { RetentionInDays: number } }>(
      synthesized.template,
      'AWS::Logs::LogGroup',
    );
    const used = allFunctions().map(([, resource]) => resource.Properties.LoggingConfig.LogGroup);

    expect(new Set(used.map((ref) => ref.Ref)).size).toBe(allFunctions().length);
    for (const ref of used) {
      expect(logGroups[ref.Ref]?.Properties.RetentionInDays, ref.Ref).toBe(90);
    }
  });
});

describe('AuthorizationServerStack permissions', () => {
  it('grants each function only its table actions', () => {
    const { template } = synthesized;

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
        expect(statement.Resource, routeKey).toEqual({ 'Fn::GetAtt': [tableId(), 'Arn'] });
      }
    }
  });

  it('allows no wildcard or Scan action', () => {
    const actions = allAllowedActions(synthesized.template);

    expect(actions).not.toContain('*');
    expect(actions).not.toContain('dynamodb:*');
    expect(actions.filter((action) => action.includes('Scan'))).toEqual([]);
  });

  it('allows writing only its own log group', () => {
    const { template } = synthesized;

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

describe('AuthorizationServerStack HTTP API', () => {
  it('maps the route table and $default only', () => {
    expect(routeKeys(synthesized.template).toSorted()).toEqual(allRouteKeys.toSorted());
  });

  it('serves each route key with its own function', () => {
    const { template } = synthesized;
    const functionIds = allRouteKeys.map((routeKey) => functionServing(template, routeKey));

    expect(new Set(functionIds).size).toBe(allRouteKeys.length);
  });

  it('uses payload format 2.0 for every integration', () => {
    const all = integrations(synthesized.template);

    expect(all).toHaveLength(allRouteKeys.length);
    for (const integration of all) {
      expect(integration.Properties.PayloadFormatVersion).toBe('2.0');
    }
  });
});

describe('AuthorizationServerStack table', () => {
  it('keys items by string pk and sk', () => {
    synthesized.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayEquals([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
    });
  });

  it('bills on demand and expires items by expiresAt', () => {
    synthesized.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('enables point-in-time recovery and deletion protection', () => {
    synthesized.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [
        Match.objectLike({
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      ],
    });
  });

  it('retains the table and sets no physical name', () => {
    synthesized.template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ TableName: Match.absent() }),
    });
  });
});

describe('AuthorizationServerStack outputs', () => {
  it('outputs the issuer, API endpoint and table name', () => {
    const { template } = synthesized;
    const endpoint = { 'Fn::GetAtt': [apiId(), 'ApiEndpoint'] };

    template.hasOutput('Issuer', { Value: endpoint });
    template.hasOutput('ApiEndpoint', { Value: endpoint });
    template.hasOutput('TableName', { Value: { Ref: tableId() } });
  });
});
