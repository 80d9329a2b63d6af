/**
 * Typed views of the synthesized template's resources, and the links between them: the route
 * that an integration serves, the function behind it, and the IAM statements of its role.
 */
import type { Template } from 'aws-cdk-lib/assertions';

export interface Ref {
  readonly Ref: string;
}

export interface GetAtt {
  readonly 'Fn::GetAtt': readonly [string, string];
}

export interface FunctionResource {
  readonly Properties: {
    readonly Runtime: string;
    readonly Architectures: readonly string[];
    readonly Handler: string;
    readonly MemorySize: number;
    readonly Timeout: number;
    readonly Role: GetAtt;
    /** Absent only on handlers of custom resources; see serverFunctionsOf. */
    readonly Environment: { readonly Variables: Record<string, unknown> };
    readonly LoggingConfig: { readonly LogGroup: Ref };
    readonly TracingConfig?: { readonly Mode: string };
    readonly ReservedConcurrentExecutions?: number;
  };
  readonly Metadata: Record<string, unknown>;
}

export interface PolicyStatementJson {
  readonly Effect: string;
  readonly Action: string | readonly string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

interface PolicyDocument {
  readonly Statement: readonly PolicyStatementJson[];
}

interface PolicyResource {
  readonly Properties: { readonly PolicyDocument: PolicyDocument; readonly Roles: readonly Ref[] };
}

interface RoleResource {
  readonly Properties: {
    readonly ManagedPolicyArns?: readonly unknown[];
    readonly Policies?: readonly { readonly PolicyDocument: PolicyDocument }[];
  };
}

interface RouteResource {
  readonly Properties: {
    readonly RouteKey: string;
    readonly Target: { readonly 'Fn::Join': readonly [string, readonly [string, Ref]] };
  };
}

export interface IntegrationResource {
  readonly Properties: {
    readonly IntegrationUri: GetAtt | Ref;
    readonly PayloadFormatVersion: string;
  };
}

/** Returns the template's resources of a type, by logical ID, typed as the caller expects. */
export function resourcesOfType<T>(template: Template, type: string): Record<string, T> {
  const resources: Record<string, unknown> = template.findResources(type);
  // Unchecked: a resource of another shape fails the test's assertions instead.
  return resources as Record<string, T>;
}

/** Returns the logical ID of the one resource of a type, or throws if there is not exactly one. */
export function onlyLogicalId(template: Template, type: string): string {
  const logicalIds = Object.keys(template.findResources(type));
  const [logicalId] = logicalIds;
  if (logicalIds.length !== 1 || logicalId === undefined) {
    throw new Error(`Expected one ${type}, found ${logicalIds.length}.`);
  }
  return logicalId;
}

interface GlobalTableResource {
  readonly Properties: { readonly Replicas: readonly { readonly Region: string }[] };
}

/** Returns the regions of every replica of the template's global tables. */
export function replicaRegionsOf(template: Template): string[] {
  const tables = resourcesOfType<GlobalTableResource>(template, 'AWS::DynamoDB::GlobalTable');
  return Object.values(tables).flatMap((table) =>
    table.Properties.Replicas.map((replica) => replica.Region),
  );
}

/** Returns the template's functions as [logical ID, resource] pairs. */
export function functionsOf(template: Template): [string, FunctionResource][] {
  return Object.entries(resourcesOfType<FunctionResource>(template, 'AWS::Lambda::Function'));
}

/**
 * Returns the server's own functions, of the routes and the scheduled jobs, without the
 * handler of a custom resource that aws-cdk-lib adds.
 */
export function serverFunctionsOf(template: Template): [string, FunctionResource][] {
  return functionsOf(template).filter(
    ([, resource]) =>
      resource.Properties.Environment?.Variables.POWERTOOLS_SERVICE_NAME === 'oauth-server',
  );
}

export function routeKeys(template: Template): string[] {
  const routes = resourcesOfType<RouteResource>(template, 'AWS::ApiGatewayV2::Route');
  return Object.values(routes).map((route) => route.Properties.RouteKey);
}

export function integrations(template: Template): IntegrationResource[] {
  return Object.values(
    resourcesOfType<IntegrationResource>(template, 'AWS::ApiGatewayV2::Integration'),
  );
}

/** Follows route key → route → integration → function, and returns the function's ID. */
export function functionServing(template: Template, routeKey: string): string {
  const routes = resourcesOfType<RouteResource>(template, 'AWS::ApiGatewayV2::Route');
  const route = Object.values(routes).find((each) => each.Properties.RouteKey === routeKey);
  if (route === undefined) throw new Error(`No route with key ${routeKey}.`);

  const [, [, integrationRef]] = route.Properties.Target['Fn::Join'];
  const integrationsById = resourcesOfType<IntegrationResource>(
    template,
    'AWS::ApiGatewayV2::Integration',
  );
  const integration = integrationsById[integrationRef.Ref];
  if (integration === undefined) throw new Error(`No integration ${integrationRef.Ref}.`);

  return functionIdOfTarget(template, integration.Properties.IntegrationUri);
}

/** Returns the function that an integration invokes, directly or through an alias. */
function functionIdOfTarget(template: Template, target: GetAtt | Ref): string {
  if ('Fn::GetAtt' in target) return target['Fn::GetAtt'][0];

  const aliases = resourcesOfType<AliasResource>(template, 'AWS::Lambda::Alias');
  const alias = aliases[target.Ref];
  if (alias === undefined) throw new Error(`No Lambda alias ${target.Ref}.`);
  return alias.Properties.FunctionName.Ref;
}

export interface AliasResource {
  readonly Properties: {
    readonly FunctionName: Ref;
    readonly Name: string;
    readonly ProvisionedConcurrencyConfig?: { readonly ProvisionedConcurrentExecutions: number };
  };
}

export function functionResource(template: Template, functionId: string): FunctionResource {
  const functions = resourcesOfType<FunctionResource>(template, 'AWS::Lambda::Function');
  const resource = functions[functionId];
  if (resource === undefined) throw new Error(`No Lambda function ${functionId}.`);
  return resource;
}

export function roleIdOf(resource: FunctionResource): string {
  return resource.Properties.Role['Fn::GetAtt'][0];
}

/** Returns the role's statements: inline policies and the AWS::IAM::Policy resources on it. */
export function roleStatements(template: Template, roleId: string): PolicyStatementJson[] {
  const role = resourcesOfType<RoleResource>(template, 'AWS::IAM::Role')[roleId];
  if (role === undefined) throw new Error(`No IAM role ${roleId}.`);

  const inline = role.Properties.Policies ?? [];
  const policies = Object.values(resourcesOfType<PolicyResource>(template, 'AWS::IAM::Policy'));
  const attached = policies
    .filter((policy) => policy.Properties.Roles.some((each) => each.Ref === roleId))
    .map((policy) => policy.Properties);

  return [...inline, ...attached].flatMap((policy) => policy.PolicyDocument.Statement);
}

export function managedPolicyArns(template: Template, roleId: string): readonly unknown[] {
  const role = resourcesOfType<RoleResource>(template, 'AWS::IAM::Role')[roleId];
  if (role === undefined) throw new Error(`No IAM role ${roleId}.`);
  return role.Properties.ManagedPolicyArns ?? [];
}

export function actionsOf(statement: PolicyStatementJson): string[] {
  return typeof statement.Action === 'string' ? [statement.Action] : [...statement.Action];
}

/** Returns every action that any statement of any IAM policy or role allows. */
export function allAllowedActions(template: Template): string[] {
  const roles = Object.keys(resourcesOfType<RoleResource>(template, 'AWS::IAM::Role'));
  return roles
    .flatMap((roleId) => roleStatements(template, roleId))
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap(actionsOf);
}

/**
 * Returns `<action> <resource>` for every action and resource that the role's statements
 * allow, for actions with the prefix, such as `dynamodb:`. A resource that is not a literal
 * ARN is shown as its JSON. Statements are compared as pairs, because IAM policy minimization
 * may merge or split them.
 */
export function grantedPairs(template: Template, roleId: string, prefix: string): string[] {
  return roleStatements(template, roleId)
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) => {
      const resources = Array.isArray(statement.Resource)
        ? (statement.Resource as unknown[])
        : [statement.Resource];
      return actionsOf(statement)
        .filter((action) => action.startsWith(prefix))
        .flatMap((action) => resources.map((resource) => `${action} ${resourceText(resource)}`));
    })
    .toSorted();
}

function resourceText(resource: unknown): string {
  return typeof resource === 'string' ? resource : JSON.stringify(resource);
}
