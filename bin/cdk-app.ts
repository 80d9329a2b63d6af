/**
 * The CDK app. It makes no AWS calls or context lookups, so synthesis needs no credentials.
 * The CDK CLI sets CDK_DEFAULT_REGION from AWS_REGION or the profile (us-east-1 when neither
 * names one) and CDK_DEFAULT_ACCOUNT from the credentials, when there are any. An unset account
 * or region is left to CloudFormation at deploy time.
 *
 * Settings come from context values, as in `cdk deploy -c accessTokenLifetimeSeconds=900`:
 * `issuer`, `accessTokenLifetimeSeconds`, `logLevel` and `tableDeletionProtection`. The stack
 * validates each one.
 */
import { App } from 'aws-cdk-lib';
import {
  AuthorizationServerStack,
  type AuthorizationServerStackProps,
} from '../lib/authorization-server-stack.ts';
import type { PowertoolsLogLevel } from '../lib/settings.ts';

const app = new App();

new AuthorizationServerStack(app, 'AuthorizationServer', {
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  },
  description: 'Serverless OAuth 2.0 authorization server',
  ...settingsFromContext(app),
});

function settingsFromContext(app: App): AuthorizationServerStackProps {
  const read = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    return value === undefined || value === null ? undefined : String(value);
  };
  const issuer = read('issuer');
  const lifetime = read('accessTokenLifetimeSeconds');
  const logLevel = read('logLevel');
  const deletionProtection = read('tableDeletionProtection');

  return {
    ...(issuer === undefined ? {} : { issuer }),
    ...(lifetime === undefined ? {} : { accessTokenLifetimeSeconds: Number(lifetime) }),
    ...(logLevel === undefined ? {} : { logLevel: logLevel as PowertoolsLogLevel }),
    ...(deletionProtection === undefined
      ? {}
      : { tableDeletionProtection: deletionProtection !== 'false' }),
  };
}
