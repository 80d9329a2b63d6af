/**
 * Synthesizes a whole deployment the way `cdk synth` does, with the feature flags of cdk.json,
 * into a temporary cloud assembly directory. Bundling the handlers with esbuild takes seconds,
 * so only the tests that inspect the bundles ask for it; the others skip it.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { DeployConfig, DeployConfigInput } from '../../lib/config/deploy-config.ts';
import { parseDeployConfig } from '../../lib/config/parse-deploy-config.ts';
import { createDeployment } from '../../lib/deployment.ts';
import type { Deployment } from '../../lib/deployment.ts';
import { repositoryRoot } from '../../lib/oauth-function.ts';

/** Esbuild bundles every handler during synthesis, which takes seconds, not milliseconds. */
export const synthesisTimeoutMilliseconds = 120_000;

/** The account of every test deployment, so that ARNs in the templates are literal. */
export const testAccount = '123456789012';

export interface SynthesizedDeployment {
  readonly config: DeployConfig;
  readonly deployment: Deployment;
  readonly tableTemplate: Template;
  /** Templates of the regional stacks, by region. */
  readonly regionalTemplates: ReadonlyMap<string, Template>;
  readonly dnsTemplate: Template | undefined;
  /** Cloud assembly directory: each bundled handler is in its `asset.*` subdirectory. */
  readonly assemblyDirectory: string;
  /** Deletes the cloud assembly directory. */
  readonly cleanUp: () => void;
}

export interface SynthesizeOptions {
  /**
   * Whether esbuild bundles the handlers.
   *
   * @default false
   */
  readonly bundle?: boolean;
}

/** Synthesizes every stack of a configuration, with the test account unless it names one. */
export function synthesizeDeployment(
  input: DeployConfigInput,
  options: SynthesizeOptions = {},
): SynthesizedDeployment {
  const app = createTestApp(options);
  const config = parseDeployConfig({ account: testAccount, ...input });
  const deployment = createDeployment(app, config);

  const regionalTemplates = new Map<string, Template>();
  for (const [region, stack] of deployment.regionalStacks) {
    regionalTemplates.set(region, Template.fromStack(stack));
  }
  const assemblyDirectory = app.outdir;

  return {
    config,
    deployment,
    tableTemplate: Template.fromStack(deployment.tableStack),
    regionalTemplates,
    dnsTemplate: deployment.dnsStack && Template.fromStack(deployment.dnsStack),
    assemblyDirectory,
    cleanUp: () => rmSync(assemblyDirectory, { recursive: true, force: true }),
  };
}

/** Creates an app with the context of cdk.json, as the CDK CLI does. */
export function createTestApp(options: SynthesizeOptions = {}): App {
  return new App({
    context: {
      ...readCdkJsonContext(),
      // Adds `aws:asset:path` to each function's metadata, as the CDK CLI does.
      'aws:cdk:enable-asset-metadata': true,
      // An empty list bundles no stack's assets.
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
}

/** Returns the template of a region, or throws when the deployment has no stack there. */
export function regionalTemplate(synthesized: SynthesizedDeployment, region: string): Template {
  const template = synthesized.regionalTemplates.get(region);
  if (template === undefined) throw new Error(`No regional stack in ${region}.`);
  return template;
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

/** Returns the logical ID of a construct's CloudFormation resource, as its template has it. */
export function logicalIdOf(construct: IConstruct): string {
  const resource = construct.node.defaultChild ?? construct;
  if (!(resource instanceof CfnElement)) {
    throw new Error(`${construct.node.path} has no CloudFormation resource.`);
  }
  return Stack.of(resource).getLogicalId(resource);
}
