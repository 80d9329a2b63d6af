/**
 * The CDK app. It makes no AWS calls or context lookups, so synthesis needs no credentials.
 * The CDK CLI sets CDK_DEFAULT_REGION from AWS_REGION or the profile (us-east-1 when neither
 * names one) and CDK_DEFAULT_ACCOUNT from the credentials, when there are any. An unset account
 * or region is left to CloudFormation at deploy time.
 */
import { App } from 'aws-cdk-lib';
import { AuthorizationServerStack } from '../lib/authorization-server-stack.ts';

const app = new App();

new AuthorizationServerStack(app, 'AuthorizationServer', {
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  },
  description: 'Serverless OAuth 2.0 authorization server',
});
