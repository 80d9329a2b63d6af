/**
 * The CDK app. It makes no AWS calls or context lookups, so synthesis needs no credentials.
 *
 * The deployment is configured in deploy.config.ts at the repository root, or in the file named
 * by `-c deployConfig=FILE`. Without either, it is one region with no custom domain. The CDK
 * CLI sets CDK_DEFAULT_REGION from AWS_REGION or the profile (us-east-1 when neither names one)
 * and CDK_DEFAULT_ACCOUNT from the credentials, when there are any; the file overrides both.
 * docs/deploy.md describes the file.
 */
import { App } from 'aws-cdk-lib';
import { loadDeployConfig } from '../lib/config/load-deploy-config.ts';
import { DeployConfigError } from '../lib/config/parse-deploy-config.ts';
import { createDeployment } from '../lib/deployment.ts';
import { addNagChecks } from '../lib/nag.ts';
import { repositoryRoot } from '../lib/oauth-function.ts';

const app = new App();

try {
  const config = await loadDeployConfig({
    directory: repositoryRoot,
    file: contextString(app, 'deployConfig'),
    environment: {
      region: process.env.CDK_DEFAULT_REGION,
      account: process.env.CDK_DEFAULT_ACCOUNT,
    },
  });
  createDeployment(app, config);
} catch (error) {
  if (!(error instanceof DeployConfigError)) throw error;
  // The message lists every problem; a stack trace would only hide it.
  console.error(error.message);
  process.exit(1);
}
addNagChecks(app);

function contextString(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined || value === null ? undefined : String(value);
}
