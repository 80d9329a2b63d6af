/**
 * The multi-Region KMS key that encrypts the private signing keys. The primary key is in the
 * table stack, and each other region has a replica made from the ARN that a custom resource
 * reads in the primary region. The tests also check the ARN that each function receives and
 * which functions may decrypt and generate data keys. The deployment has three regions in
 * eventual mode and a table name that exercises the derived alias and parameter names.
 */
import { rmSync } from 'node:fs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduledJobs } from '../../functions/jobs.ts';
import { fallbackRoute, routes } from '../../functions/routes.ts';
import { parseDeployConfig } from '../../lib/config/parse-deploy-config.ts';
import { jobQueryIndexes } from '../../lib/scheduled-jobs.ts';
import {
  fixedEncryptionContext,
  signingKeyAliasName,
  signingKeyUse,
  verifyOnlyRoutes,
} from '../../lib/signing-key-encryption.ts';
import type { SigningKeyUse } from '../../lib/signing-key-encryption.ts';
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
  grantedPairs,
  onlyLogicalId,
  resourcesOfType,
  roleIdOf,
  roleStatements,
  serverFunctionsOf,
} from './template-resources.ts';
import type { PolicyStatementJson } from './template-resources.ts';

const primaryRegion = 'eu-west-1';
const replicaRegions = ['us-east-1', 'ap-southeast-2'];
const regions = [primaryRegion, ...replicaRegions];
const tableName = 'oauth.prod';
const parameterName = '/oauth-server/oauth.prod/signing-key-encryption-key-arn';

/** How each function uses the signing keys, by route or job name. */
const expectedUses: Record<string, SigningKeyUse> = {
  // Sign tokens, so they may create the first key of an algorithm.
  Authorize: 'sign',
  AuthorizePost: 'sign',
  Login: 'sign',
  ConsentPage: 'sign',
  Consent: 'sign',
  Token: 'sign',
  Jwks: 'sign',
  Health: 'sign',
  // Verify the server's own tokens only.
  Revoke: 'verify',
  Introspect: 'verify',
  Userinfo: 'verify',
  UserinfoPost: 'verify',
  Logout: 'verify',
  LogoutPost: 'verify',
  // Never read the signing keys.
  LoginPage: 'none',
  AuthorizationServerMetadata: 'none',
  OpenIdConfiguration: 'none',
  NoRoute: 'none',
  // Jobs.
  RotateSigningKeys: 'sign',
  SweepExpiredItems: 'none',
};

let synthesized: SynthesizedDeployment;

beforeAll(() => {
  synthesized = synthesizeDeployment({
    regions,
    primaryRegion,
    table: { name: tableName },
  });
}, synthesisTimeoutMilliseconds);

afterAll(() => synthesized?.cleanUp());

/** Returns the logical ID of the function of a route or job in a region. */
function functionIdOf(region: string, name: string): string {
  const stack = synthesized.deployment.regionalStacks.get(region);
  const oauthFunction = stack?.functions.get(name) ?? stack?.jobs.get(name);
  if (oauthFunction === undefined) throw new Error(`No function ${name} in ${region}.`);
  return logicalIdOf(oauthFunction.lambdaFunction);
}

function kmsStatements(template: Template, roleId: string): PolicyStatementJson[] {
  return roleStatements(template, roleId).filter((statement) =>
    JSON.stringify(statement.Action).includes('kms:'),
  );
}

describe('signing key use', () => {
  it('classifies every route and job', () => {
    const names = [
      ...routes.map((route) => route.name),
      fallbackRoute.name,
      ...scheduledJobs.map((job) => job.name),
    ];

    expect(names.toSorted()).toEqual(Object.keys(expectedUses).toSorted());
    for (const route of [...routes, fallbackRoute]) {
      expect(signingKeyUse(route), route.name).toBe(expectedUses[route.name]);
    }
    for (const job of scheduledJobs) {
      const queriesIndex = jobQueryIndexes[job.name] !== undefined;
      expect(signingKeyUse(job, queriesIndex), job.name).toBe(expectedUses[job.name]);
    }
  });

  it('names only existing routes as verify-only', () => {
    const names = routes.map((route) => route.name);
    for (const name of verifyOnlyRoutes) expect(names).toContain(name);
  });

  it('conditions on the fixed part of the encryption context', () => {
    const context = fixedEncryptionContext();

    expect(Object.keys(context).length).toBeGreaterThan(0);
    expect(Object.keys(context)).not.toContain('kid');
  });

  it('derives an alias name that KMS accepts', () => {
    expect(signingKeyAliasName('oauth-server')).toBe('alias/oauth-server-signing-keys');
    expect(signingKeyAliasName(tableName)).toMatch(/^alias\/[a-zA-Z0-9/_-]+$/);
  });
});

describe('primary key', () => {
  it('is one multi-Region key with rotation, retained with the table', () => {
    const template = synthesized.tableTemplate;

    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        MultiRegion: true,
        EnableKeyRotation: true,
        PendingWindowInDays: 30,
      }),
    });
  });

  it('has the alias and the parameter with its ARN', () => {
    const template = synthesized.tableTemplate;
    const keyId = onlyLogicalId(template, 'AWS::KMS::Key');

    template.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/oauth-prod-signing-keys',
      TargetKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: parameterName,
      Type: 'String',
      Value: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    template.hasOutput('SigningKeyEncryptionKeyArn', { Value: { 'Fn::GetAtt': [keyId, 'Arn'] } });
  });

  it('follows the destroy removal policy of the table', () => {
    const app = createTestApp();
    try {
      const config = parseDeployConfig({
        account: testAccount,
        regions: [primaryRegion],
        table: { deletionProtection: false, removalPolicy: 'destroy' },
      });
      const stack = new TableStack(app, 'Destroyable', { env: { region: primaryRegion }, config });
      const template = Template.fromStack(stack);

      template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    } finally {
      rmSync(app.outdir, { recursive: true, force: true });
    }
  });
});

describe('key in the primary region', () => {
  it('reads the ARN from the parameter in its own region', () => {
    const template = regionalTemplate(synthesized, primaryRegion);
    const parameters = template.toJSON().Parameters as Record<string, { Default?: string }>;
    const [parameterId] = Object.entries(parameters)
      .filter(([, parameter]) => parameter.Default === parameterName)
      .map(([id]) => id);

    expect(parameterId).toBeDefined();
    template.resourceCountIs('AWS::KMS::ReplicaKey', 0);
    template.resourceCountIs('Custom::PrimarySigningKeyArn', 0);
    for (const [id, resource] of serverFunctionsOf(template)) {
      expect(resource.Properties.Environment.Variables.KEY_ENCRYPTION_KMS_KEY_ID, id).toEqual({
        Ref: parameterId,
      });
    }
  });
});

describe('replica keys', () => {
  it.each(replicaRegions)('creates a replica of the primary key in %s', (region) => {
    const template = regionalTemplate(synthesized, region);
    const lookupId = onlyLogicalId(template, 'Custom::PrimarySigningKeyArn');
    const replicaId = onlyLogicalId(template, 'AWS::KMS::ReplicaKey');

    template.hasResource('AWS::KMS::ReplicaKey', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({
        PrimaryKeyArn: { 'Fn::GetAtt': [lookupId, 'Parameter.Value'] },
        PendingWindowInDays: 30,
        KeyPolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Action: 'kms:*',
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${testAccount}:root` },
              Resource: '*',
            },
          ],
        },
      }),
    });
    template.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/oauth-prod-signing-keys',
      TargetKeyId: { 'Fn::GetAtt': [replicaId, 'KeyId'] },
    });
  });

  it.each(replicaRegions)('reads the primary ARN in the primary region from %s', (region) => {
    const template = regionalTemplate(synthesized, region);
    const lookups = resourcesOfType<{ Properties: { Create: string; Update: string } }>(
      template,
      'Custom::PrimarySigningKeyArn',
    );
    const [lookup] = Object.values(lookups);
    const call = JSON.parse(lookup?.Properties.Create ?? '{}') as Record<string, unknown>;

    expect(call).toMatchObject({
      service: 'SSM',
      action: 'GetParameter',
      parameters: { Name: parameterName },
      region: primaryRegion,
    });
    expect(lookup?.Properties.Update).toBe(lookup?.Properties.Create);
  });

  it.each(replicaRegions)('lets the lookup in %s read that one parameter', (region) => {
    const template = regionalTemplate(synthesized, region);
    const handlers = Object.entries(
      resourcesOfType<{ Properties: { Role: { 'Fn::GetAtt': [string, string] } } }>(
        template,
        'AWS::Lambda::Function',
      ),
    ).filter(([id]) => !serverFunctionsOf(template).some(([serverId]) => serverId === id));

    expect(handlers).toHaveLength(1);
    const roleId = handlers[0]?.[1].Properties.Role['Fn::GetAtt'][0] ?? '';
    expect(grantedPairs(template, roleId, 'ssm:')).toEqual([
      `ssm:GetParameter arn:aws:ssm:${primaryRegion}:${testAccount}:parameter${parameterName}`,
    ]);
    const others = grantedPairs(template, roleId, '').filter((pair) => !pair.startsWith('ssm:'));
    expect(others).toEqual([
      expect.stringMatching(/^logs:CreateLogStream /),
      expect.stringMatching(/^logs:PutLogEvents /),
    ]);
  });

  it.each(replicaRegions)('passes the replica ARN to the functions in %s', (region) => {
    const template = regionalTemplate(synthesized, region);
    const replicaId = onlyLogicalId(template, 'AWS::KMS::ReplicaKey');

    for (const [id, resource] of serverFunctionsOf(template)) {
      expect(resource.Properties.Environment.Variables.KEY_ENCRYPTION_KMS_KEY_ID, id).toEqual({
        'Fn::GetAtt': [replicaId, 'Arn'],
      });
    }
  });
});

describe('KMS permissions', () => {
  const actionsByUse: Record<SigningKeyUse, string[]> = {
    none: [],
    verify: ['kms:Decrypt'],
    sign: ['kms:Decrypt', 'kms:GenerateDataKey'],
  };

  it.each(regions)('grants each function its use on its region key in %s', (region) => {
    const template = regionalTemplate(synthesized, region);
    const replicaId =
      region === primaryRegion ? undefined : onlyLogicalId(template, 'AWS::KMS::ReplicaKey');
    const functionNames = [
      ...(synthesized.deployment.regionalStacks.get(region)?.functions.keys() ?? []),
      ...(synthesized.deployment.regionalStacks.get(region)?.jobs.keys() ?? []),
    ];

    expect(functionNames.length).toBeGreaterThan(routes.length);
    for (const name of functionNames) {
      const resource = functionResource(template, functionIdOf(region, name));
      const roleId = roleIdOf(resource);
      const { KEY_ENCRYPTION_KMS_KEY_ID: keyId } = resource.Properties.Environment.Variables;
      const keyArn = JSON.stringify(keyId);
      const expected = actionsByUse[expectedUses[name] ?? 'none'].map(
        (action) => `${action} ${keyArn}`,
      );

      expect(grantedPairs(template, roleId, 'kms:'), `${region} ${name}`).toEqual(expected);
      if (replicaId !== undefined) {
        expect(keyArn).toBe(JSON.stringify({ 'Fn::GetAtt': [replicaId, 'Arn'] }));
      }
    }
  });

  it('requires the signing key encryption context', () => {
    const region = replicaRegions[0] ?? '';
    const template = regionalTemplate(synthesized, region);
    const roleId = roleIdOf(functionResource(template, functionIdOf(region, 'Token')));
    const conditions = Object.fromEntries(
      Object.entries(fixedEncryptionContext()).map(([name, value]) => [
        `kms:EncryptionContext:${name}`,
        value,
      ]),
    );

    for (const statement of kmsStatements(template, roleId)) {
      expect(statement.Condition).toEqual({ StringEquals: conditions });
    }
  });

  it('allows KMS actions on no other key', () => {
    for (const region of regions) {
      const template = regionalTemplate(synthesized, region);
      const roles = Object.keys(resourcesOfType(template, 'AWS::IAM::Role'));
      for (const roleId of roles) {
        for (const statement of kmsStatements(template, roleId)) {
          expect(JSON.stringify(statement.Resource), `${region} ${roleId}`).not.toContain('*');
        }
      }
    }
  });

  it('references no other stack', () => {
    const templates = [synthesized.tableTemplate, ...synthesized.regionalTemplates.values()];
    for (const template of templates) {
      expect(JSON.stringify(template.toJSON())).not.toMatch(/Fn::ImportValue|Export/);
    }
  });
});
