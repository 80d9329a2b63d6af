/**
 * The server's single DynamoDB table. Items of every kind share it, distinguished by their
 * `pk` and `sk` key values, and DynamoDB's TTL deletes expired items.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

export const partitionKeyName = 'pk';
export const sortKeyName = 'sk';

/** Attribute with an item's expiry time, in epoch seconds, for DynamoDB TTL. */
export const timeToLiveAttributeName = 'expiresAt';

export interface OAuthTableProps {
  readonly deletionProtection: boolean;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Creates the table. It is a TableV2 (a global table with one replica, in the stack's region),
 * so replicas in other regions can be added later without replacing it.
 */
export function createOAuthTable(scope: Construct, id: string, props: OAuthTableProps): TableV2 {
  return new TableV2(scope, id, {
    partitionKey: { name: partitionKeyName, type: AttributeType.STRING },
    sortKey: { name: sortKeyName, type: AttributeType.STRING },
    billing: Billing.onDemand(),
    timeToLiveAttribute: timeToLiveAttributeName,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: props.deletionProtection,
    removalPolicy: props.removalPolicy,
  });
}
