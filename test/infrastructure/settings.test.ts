import { rmSync } from 'node:fs';
import { App, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizationServerStack } from '../../lib/authorization-server-stack.ts';
import type { AuthorizationServerStackProps, PowertoolsLogLevel } from '../../lib/settings.ts';
import { synthesisTimeoutMilliseconds, synthesize } from './synthesize.ts';
import type { Synthesized } from './synthesize.ts';
import { resourcesOfType } from './template-resources.ts';
import type { FunctionResource } from './template-resources.ts';

const invalidProps: [string, AuthorizationServerStackProps, string][] = [
  [
    'lifetime below 60',
    { accessTokenLifetimeSeconds: 59 },
    'Invalid accessTokenLifetimeSeconds 59: it must be an integer number of seconds ' +
      'from 60 to 86400.',
  ],
  [
    'lifetime above 86400',
    { accessTokenLifetimeSeconds: 86_401 },
    'Invalid accessTokenLifetimeSeconds 86401',
  ],
  ['fractional lifetime', { accessTokenLifetimeSeconds: 90.5 }, 'must be an integer'],
  ['NaN lifetime', { accessTokenLifetimeSeconds: Number.NaN }, 'must be an integer'],
  ['issuer not a URL', { issuer: 'auth.example.com' }, 'it must be an absolute URL'],
  ['http issuer', { issuer: 'http://auth.example.com' }, 'it must use the https scheme'],
  ['issuer with query', { issuer: 'https://auth.example.com?tenant=1' }, 'no query or fragment'],
  ['issuer with empty query', { issuer: 'https://auth.example.com/a?' }, 'no query or fragment'],
  ['issuer with fragment', { issuer: 'https://auth.example.com#top' }, 'no query or fragment'],
  ['issuer with trailing slash', { issuer: 'https://auth.example.com/' }, 'trailing slash'],
  ['issuer with whitespace', { issuer: ' https://auth.example.com' }, 'absolute URL'],
  [
    'unknown log level',
    // A JavaScript caller can pass any string, which the type cannot prevent.
    { logLevel: 'VERBOSE' as PowertoolsLogLevel },
    'Invalid logLevel "VERBOSE": it must be one of TRACE, DEBUG, INFO, WARN, ERROR',
  ],
  [
    'DESTROY on a protected table',
    { tableRemovalPolicy: RemovalPolicy.DESTROY },
    'Invalid tableRemovalPolicy DESTROY: it requires tableDeletionProtection: false.',
  ],
];

describe('AuthorizationServerStack props', () => {
  // One app for all cases: each App creates a temporary output directory.
  const app = new App();

  afterAll(() => rmSync(app.outdir, { recursive: true, force: true }));

  it.each(invalidProps)('rejects %s', (_case, props, message) => {
    expect(() => new AuthorizationServerStack(app, 'Test', props)).toThrow(message);
  });
});

describe('AuthorizationServerStack with overrides', () => {
  const overrides = {
    issuer: 'https://auth.example.com/tenant',
    accessTokenLifetimeSeconds: 900,
    logLevel: 'DEBUG',
    logRetention: RetentionDays.ONE_WEEK,
    tableDeletionProtection: false,
    tableRemovalPolicy: RemovalPolicy.DESTROY,
  } satisfies AuthorizationServerStackProps;

  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesize(overrides);
  }, synthesisTimeoutMilliseconds);

  afterAll(() => synthesized?.cleanUp());

  function allFunctions(): FunctionResource[] {
    const { template } = synthesized;
    return Object.values(resourcesOfType<FunctionResource>(template, 'AWS::Lambda::Function'));
  }

  it('passes the issuer, lifetime and log level', () => {
    for (const resource of allFunctions()) {
      expect(resource.Properties.Environment.Variables).toMatchObject({
        ISSUER: overrides.issuer,
        ACCESS_TOKEN_LIFETIME_SECONDS: '900',
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
      });
    }
  });

  it('outputs the issuer override', () => {
    synthesized.template.hasOutput('Issuer', { Value: overrides.issuer });
  });

  it('sets the log retention', () => {
    const logGroups = synthesized.template.findResources('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 7 },
    });

    expect(Object.keys(logGroups)).toHaveLength(allFunctions().length);
  });

  it('deletes an unprotected table with the stack', () => {
    synthesized.template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: {
        Replicas: [{ DeletionProtectionEnabled: false, Region: { Ref: 'AWS::Region' } }],
      },
    });
  });
});
