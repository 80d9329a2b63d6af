/**
 * cdk-nag's AWS Solutions rules, and the acknowledgments of the rules that this deployment
 * breaks on purpose. Each acknowledgment is next to the construct that needs it, with a reason.
 */
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** Runs the AWS Solutions rules over every stack when the app synthesizes. */
export function addNagChecks(app: IConstruct): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}

/** Acknowledges a cdk-nag finding on a construct and everything under it. */
export function acknowledgeNagRule(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}
