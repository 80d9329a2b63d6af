/**
 * The whole deployment: the table stack in the primary region, a regional stack in every
 * region, and with a custom domain the DNS stack in us-east-1. Stack names depend only on the
 * configuration, so every region agrees on them.
 */
import type { Environment } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeployConfig } from './config/deploy-config.ts';
import { route53MetricsRegion } from './config/parse-deploy-config.ts';
import { DnsStack } from './dns-stack.ts';
import { RegionalStack } from './regional-stack.ts';
import { TableStack } from './table-stack.ts';

export interface Deployment {
  readonly tableStack: TableStack;
  /** Regional stacks by region, the primary region first. */
  readonly regionalStacks: ReadonlyMap<string, RegionalStack>;
  readonly dnsStack: DnsStack | undefined;
}

/** Returns the stack names of a configuration. */
export function stackNames(config: DeployConfig) {
  const prefix = config.stackNamePrefix;
  return {
    table: `${prefix}-Table`,
    regional: (region: string) => `${prefix}-${region}`,
    dns: `${prefix}-Dns`,
  };
}

/** Creates every stack of the configuration in the app. */
export function createDeployment(app: Construct, config: DeployConfig): Deployment {
  const names = stackNames(config);
  const environment = (region: string): Environment => ({ account: config.account, region });

  const tableStack = new TableStack(app, names.table, {
    env: environment(config.primaryRegion),
    description: 'OAuth 2.0 authorization server: global table',
    config,
  });

  const regionalStacks = new Map<string, RegionalStack>();
  for (const region of config.regions) {
    const stack = new RegionalStack(app, names.regional(region), {
      env: environment(region),
      description: `OAuth 2.0 authorization server: API and functions in ${region}`,
      config,
    });
    // The replica must exist before the functions use it.
    stack.addStackDependency(tableStack, 'the functions use the table replica');
    regionalStacks.set(region, stack);
  }

  let dnsStack: DnsStack | undefined;
  if (config.domain !== undefined) {
    dnsStack = new DnsStack(app, names.dns, {
      env: environment(route53MetricsRegion),
      description: 'OAuth 2.0 authorization server: latency routing and health checks',
      config,
    });
    for (const stack of regionalStacks.values()) {
      // Route 53 accepts an alias only to a record that exists.
      dnsStack.addStackDependency(stack, 'the latency records point to its origin records');
    }
  }

  return { tableStack, regionalStacks, dnsStack };
}
