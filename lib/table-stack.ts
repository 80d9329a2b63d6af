/**
 * The stack in the primary region that owns the global table and thereby every replica, and
 * the primary KMS key that encrypts the private signing keys in it. It is apart from the
 * regional stacks so that deleting or replacing a region's API never touches the data.
 */
import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { DeployConfig } from './config/deploy-config.ts';
import { createOAuthTable } from './oauth-table.ts';
import { SigningKeyEncryptionKey } from './signing-key-encryption.ts';

export interface TableStackProps extends StackProps {
  readonly config: DeployConfig;
}

export class TableStack extends Stack {
  readonly table: TableV2;
  readonly signingKeyEncryption: SigningKeyEncryptionKey;

  constructor(scope: Construct, id: string, props: TableStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.table = createOAuthTable(this, 'Table', {
      tableName: config.table.name,
      replicaRegions: config.regions.filter((region) => region !== config.primaryRegion),
      consistency: config.consistency,
      deletionProtection: config.table.deletionProtection,
      removalPolicy: config.table.removalPolicy,
    });

    this.signingKeyEncryption = new SigningKeyEncryptionKey(this, 'SigningKeyEncryption', {
      tableName: config.table.name,
      removalPolicy: config.table.removalPolicy,
    });

    new CfnOutput(this, 'TableName', {
      description: 'Name of the global table, the same in every region',
      value: this.table.tableName,
    });
    new CfnOutput(this, 'TableRegions', {
      description: 'Regions of the replicas, the primary region first',
      value: config.regions.join(','),
    });
    new CfnOutput(this, 'SigningKeyEncryptionKeyArn', {
      description: 'ARN of the primary multi-Region KMS key that encrypts the private signing keys',
      value: this.signingKeyEncryption.key.keyArn,
    });
  }
}
