/**
 * Synthesizes the stack the way `cdk synth` does: with the feature flags of cdk.json, and with
 * the handlers bundled by esbuild into a temporary cloud assembly directory.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AuthorizationServerStack } from '../../lib/authorization-server-stack.ts';
import { repositoryRoot } from '../../lib/oauth-function.ts';
import type { AuthorizationServerStackProps } from '../../lib/settings.ts';

/** Esbuild bundles every handler during synthesis, which takes seconds, not milliseconds. */
export const synthesisTimeoutMilliseconds = 120_000;

export interface Synthesized {
  readonly stack: AuthorizationServerStack;
  readonly template: Template;
  /** Cloud assembly directory: each bundled handler is in its `asset.*` subdirectory. */
  readonly assemblyDirectory: string;
  /** Deletes the cloud assembly directory. */
  readonly cleanUp: () => void;
}

/** Synthesizes a stack with the given props. */
export function synthesize(props: AuthorizationServerStackProps = {}): Synthesized {
  const app = new App({
    context: {
      ...readCdkJsonContext(),
      // Adds `aws:asset:path` to each function's metadata, as the CDK CLI does.
      'aws:cdk:enable-asset-metadata': true,
    },
  });
  const stack = new AuthorizationServerStack(app, 'Test', props);
  const template = Template.fromStack(stack);
  const assemblyDirectory = app.outdir;

  return {
    stack,
    template,
    assemblyDirectory,
    cleanUp: () => rmSync(assemblyDirectory, { recursive: true, force: true }),
  };
}

function readCdkJsonContext(): Record<string, unknown> {
  const cdkJsonPath = path.join(repositoryRoot, 'cdk.json');
  const config: unknown = JSON.parse(readFileSync(cdkJsonPath, 'utf8'));

  if (typeof config !== 'object' || config === null || !('context' in config)) {
    throw new Error(`Missing "context" object in ${cdkJsonPath}.`);
  }
  const { context } = config;
  if (typeof context !== 'object' || context === null) {
    throw new Error(`Invalid "context" in ${cdkJsonPath}: it must be an object.`);
  }
  return { ...context };
}
