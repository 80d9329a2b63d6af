/**
 * The authorization server: an HTTP API with one Lambda function per route of the route
 * table, a fallback function on `$default`, and the DynamoDB table that they share.
 */
import { CfnOutput, Stack } from 'aws-cdk-lib';
import {
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { fallbackRoute, routes } from '../functions/routes.ts';
import { OAuthFunction } from './oauth-function.ts';
import type { FunctionRoute } from './oauth-function.ts';
import { createOAuthTable } from './oauth-table.ts';
import { resolveSettings } from './settings.ts';
import type { AuthorizationServerSettings, AuthorizationServerStackProps } from './settings.ts';

export type { AuthorizationServerStackProps } from './settings.ts';

export class AuthorizationServerStack extends Stack {
  readonly httpApi: HttpApi;
  readonly table: TableV2;
  /** Issuer identifier that the functions receive as ISSUER. */
  readonly issuer: string;

  constructor(scope: Construct, id: string, props: AuthorizationServerStackProps = {}) {
    // Validate first, so that a bad prop fails before any construct exists.
    const settings = resolveSettings(props);
    super(scope, id, props);

    this.table = createOAuthTable(this, 'Table', {
      deletionProtection: settings.tableDeletionProtection,
      removalPolicy: settings.tableRemovalPolicy,
    });
    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: this.stackName,
      description: 'OAuth 2.0 authorization server',
    });
    this.issuer = settings.issuer ?? this.httpApi.apiEndpoint;

    for (const route of routes) {
      const routeKey = HttpRouteKey.with(route.path, HttpMethod[route.method]);
      this.addFunctionRoute(route, routeKey, settings);
    }
    this.addFunctionRoute(fallbackRoute, HttpRouteKey.DEFAULT, settings);

    this.addOutputs();
  }

  /** Creates the route's function and serves the route key with it. */
  private addFunctionRoute(
    route: FunctionRoute,
    routeKey: HttpRouteKey,
    settings: AuthorizationServerSettings,
  ): void {
    const { lambdaFunction } = new OAuthFunction(this, route.name, {
      route,
      table: this.table,
      issuer: this.issuer,
      accessTokenLifetimeSeconds: settings.accessTokenLifetimeSeconds,
      logLevel: settings.logLevel,
      logRetention: settings.logRetention,
    });

    const integration = new HttpLambdaIntegration(`${route.name}Integration`, lambdaFunction, {
      payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
    });
    new HttpRoute(this.httpApi, `${route.name}Route`, {
      httpApi: this.httpApi,
      routeKey,
      integration,
    });
  }

  private addOutputs(): void {
    new CfnOutput(this, 'Issuer', {
      description: 'Issuer identifier of the authorization server',
      value: this.issuer,
    });
    new CfnOutput(this, 'ApiEndpoint', {
      description: 'Endpoint URL of the HTTP API',
      value: this.httpApi.apiEndpoint,
    });
    new CfnOutput(this, 'TableName', {
      description: 'Name of the DynamoDB table',
      value: this.table.tableName,
    });
  }
}
