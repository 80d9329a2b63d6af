/**
 * The server's single DynamoDB table, a global table with a replica in every region. Items of
 * every kind share it, distinguished by their `pk` and `sk` key values.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  MultiRegionConsistency,
  ProjectionType,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import type { GlobalSecondaryIndexPropsV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { EXPIRY_BUCKET_ATTRIBUTE, EXPIRY_INDEX_NAME } from '../functions/storage/expiry-index.ts';
import type { ConsistencyMode } from './config/deploy-config.ts';

export const partitionKeyName = 'pk';
export const sortKeyName = 'sk';

/** Attribute with an item's expiry time, in epoch seconds, for DynamoDB TTL. */
export const timeToLiveAttributeName = 'expiresAt';

export interface OAuthTableProps {
  /** Physical name, the same in every region, so that each region finds its replica by name. */
  readonly tableName: string;
  /** Regions of the other replicas. The first replica is in the stack's own region. */
  readonly replicaRegions: readonly string[];
  readonly consistency: ConsistencyMode;
  readonly deletionProtection: boolean;
  readonly removalPolicy: 'retain' | 'destroy';
}

/**
 * The index of the strong mode's sweeper (functions/storage/expiry-index.ts): items by the hour
 * and shard in which they expire, then by `expiresAt`. Only keys are projected, because the
 * sweeper deletes by key and checks the expiry again in its conditional delete.
 */
export const expiryIndex: GlobalSecondaryIndexPropsV2 = {
  indexName: EXPIRY_INDEX_NAME,
  partitionKey: { name: EXPIRY_BUCKET_ATTRIBUTE, type: AttributeType.STRING },
  sortKey: { name: timeToLiveAttributeName, type: AttributeType.NUMBER },
  projectionType: ProjectionType.KEYS_ONLY,
};

/**
 * Creates the table. In eventual mode DynamoDB's TTL deletes expired items. Strongly
 * consistent global tables do not support TTL, so in strong mode the table has the expiry
 * index instead, from which a scheduled sweeper deletes expired items. Eventual mode leaves
 * the index out, because every write of an expiring item would also write to it. Every read
 * already treats an item past `expiresAt` as absent.
 */
export function createOAuthTable(scope: Construct, id: string, props: OAuthTableProps): TableV2 {
  const strong = props.consistency === 'strong';
  return new TableV2(scope, id, {
    tableName: props.tableName,
    partitionKey: { name: partitionKeyName, type: AttributeType.STRING },
    sortKey: { name: sortKeyName, type: AttributeType.STRING },
    billing: Billing.onDemand(),
    ...(strong ? {} : { timeToLiveAttribute: timeToLiveAttributeName }),
    ...(strong ? { globalSecondaryIndexes: [expiryIndex] } : {}),
    // Left out in eventual mode, the default, so that existing tables see no change.
    ...(strong ? { multiRegionConsistency: MultiRegionConsistency.STRONG } : {}),
    replicas: props.replicaRegions.map((region) => ({ region })),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: props.deletionProtection,
    removalPolicy: props.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  });
}
