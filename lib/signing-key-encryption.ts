/**
 * The KMS key that encrypts the private signing keys in the table (envelope encryption, see
 * functions/oauth/key-encryption.ts). It is one multi-Region key: the primary key in the table
 * stack, and a replica in every other region's stack. Related multi-Region keys share their
 * key material, so a data key encrypted in one region decrypts in another, as the table
 * replicates the signing keys.
 *
 * Each function receives the ARN of its own region's key in KEY_ENCRYPTION_KMS_KEY_ID. KMS
 * chooses the key id when it creates the primary key, so the ARN is unknown at synthesis. The
 * table stack therefore stores it in an SSM parameter with a fixed name:
 * - The regional stack in the primary region reads the parameter with a CloudFormation
 *   parameter of SSM type, within its own region.
 * - A regional stack in another region reads it from the primary region with a custom
 *   resource (SSM GetParameter), because CloudFormation resolves nothing across regions. It
 *   creates the replica from that ARN, and the replica's ARN is then a reference within the
 *   stack.
 * So no stack references a resource of another stack, as for the table.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccountRootPrincipal,
  PolicyDocument,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { CfnAlias, CfnReplicaKey, Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { AwsCustomResource, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import type { AwsSdkCall } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { signingKeyEncryptionContext } from '../functions/crypto/kms-key-encryption.ts';
import type { TableAction } from '../functions/routes.ts';
import { acknowledgeNagRule } from './nag.ts';

/** Environment variable of functions/config.ts that carries the key's ARN. */
export const keyEncryptionKeyVariable = 'KEY_ENCRYPTION_KMS_KEY_ID';

const keyDescription =
  'Encrypts the data keys of the private signing keys of the OAuth 2.0 authorization server';

/**
 * KMS waits this long before it deletes a key that its stack deletes, and the deletion can be
 * cancelled meanwhile. 30 days is the longest that KMS allows.
 */
const pendingWindowDays = 30;

/**
 * Returns the alias of the key in every region. It is derived from the table name, so that two
 * deployments in one account get different aliases. Alias names allow no `.`, unlike table names.
 */
export function signingKeyAliasName(tableName: string): string {
  return `alias/${tableName.replaceAll('.', '-')}-signing-keys`;
}

/** Returns the name of the SSM parameter, in the primary region, with the primary key's ARN. */
export function signingKeyArnParameterName(tableName: string): string {
  return `/oauth-server/${tableName}/signing-key-encryption-key-arn`;
}

/**
 * Use of the signing keys by a function. `sign` may create a key, whose private key is
 * encrypted with a data key from GenerateDataKey, and decrypts private keys. `verify` loads the
 * key set, and `none` does not read the signing keys.
 */
export type SigningKeyUse = 'none' | 'verify' | 'sign';

/**
 * Routes that load the signing keys only to verify the server's own tokens, which never
 * creates a key (SigningKeys.verificationKey). Their PutItem writes other items: revoked
 * access tokens and the ids of client assertions.
 */
export const verifyOnlyRoutes: readonly string[] = ['Revoke', 'Introspect'];

export interface SigningKeyUser {
  readonly name: string;
  readonly tableActions: readonly TableAction[];
}

/**
 * Derives a function's use of the signing keys from its table actions. The functions read
 * every other item by its key, so their only Query of the table is the signing key
 * repository's Query of the key partition, and its PutItem creates a key. The client and user
 * directories are queried only by the administration command, and a test checks the source.
 * A Query of an index, such as the sweeper's, reads no signing key.
 */
export function signingKeyUse(user: SigningKeyUser, queriesIndex = false): SigningKeyUse {
  if (queriesIndex || !user.tableActions.includes('dynamodb:Query')) return 'none';
  if (!user.tableActions.includes('dynamodb:PutItem')) return 'verify';
  return verifyOnlyRoutes.includes(user.name) ? 'verify' : 'sign';
}

/** KMS actions of each use. */
export const kmsActionsByUse: Record<SigningKeyUse, readonly string[]> = {
  none: [],
  verify: ['kms:Decrypt'],
  sign: ['kms:Decrypt', 'kms:GenerateDataKey'],
};

/**
 * Returns the members of the encryption context that are the same for every signing key, such
 * as `purpose`. The per-key member (the kid) differs between two keys and is left out.
 */
export function fixedEncryptionContext(): Record<string, string> {
  const first = signingKeyEncryptionContext('first-kid');
  const second = signingKeyEncryptionContext('second-kid');
  return Object.fromEntries(
    Object.entries(first).filter(([name, value]) => second[name] === value),
  );
}

export interface SigningKeyEncryptionKeyProps {
  readonly tableName: string;
  /** The table's removal policy, which the key follows. */
  readonly removalPolicy: 'retain' | 'destroy';
}

/**
 * The primary multi-Region key, its alias and the SSM parameter with its ARN, in the table
 * stack. A key is single-Region or multi-Region for good once created, so even a one-region
 * deployment creates a multi-Region key, to which later regions add replicas.
 */
export class SigningKeyEncryptionKey extends Construct {
  readonly key: Key;
  readonly arnParameter: StringParameter;

  constructor(scope: Construct, id: string, props: SigningKeyEncryptionKeyProps) {
    super(scope, id);

    this.key = new Key(this, 'Key', {
      description: keyDescription,
      multiRegion: true,
      // The replicas share the rotation of the primary key.
      enableKeyRotation: true,
      alias: signingKeyAliasName(props.tableName),
      pendingWindow: Duration.days(pendingWindowDays),
      // Without the key, the signing keys in a retained table could never be decrypted again.
      removalPolicy:
        props.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    this.arnParameter = new StringParameter(this, 'ArnParameter', {
      parameterName: signingKeyArnParameterName(props.tableName),
      description: 'ARN of the primary signing key encryption key, which regional stacks read',
      stringValue: this.key.keyArn,
    });
  }
}

export interface RegionalSigningKeyProps {
  readonly tableName: string;
  /** Region of the table stack, which contains the primary key and the SSM parameter. */
  readonly primaryRegion: string;
  /** Retention of the log group of the custom resource that reads the primary key's ARN. */
  readonly logRetention: RetentionDays;
}

/**
 * The key as one regional stack uses it: the primary key in the primary region, a replica
 * elsewhere. `keyArn` is the ARN of the key in this stack's region.
 */
export class RegionalSigningKey extends Construct {
  readonly keyArn: string;
  /** The replica, in every region but the primary one. */
  readonly replicaKey: CfnReplicaKey | undefined;

  constructor(scope: Construct, id: string, props: RegionalSigningKeyProps) {
    super(scope, id);
    const parameterName = signingKeyArnParameterName(props.tableName);

    if (Stack.of(this).region === props.primaryRegion) {
      this.keyArn = StringParameter.valueForStringParameter(this, parameterName);
      this.replicaKey = undefined;
      return;
    }

    const primaryKeyArn = this.readPrimaryKeyArn(parameterName, props);
    this.replicaKey = new CfnReplicaKey(this, 'ReplicaKey', {
      primaryKeyArn,
      description: keyDescription,
      keyPolicy: accountKeyPolicy(),
      pendingWindowInDays: pendingWindowDays,
    });
    // Deleting the region's stack schedules the replica's deletion, within the pending window.
    this.replicaKey.applyRemovalPolicy(RemovalPolicy.DESTROY);
    new CfnAlias(this, 'Alias', {
      aliasName: signingKeyAliasName(props.tableName),
      targetKeyId: this.replicaKey.attrKeyId,
    });
    this.keyArn = this.replicaKey.attrArn;
  }

  /** Allows a function the KMS actions of its use, on this region's key only. */
  grant(grantee: IGrantable, use: SigningKeyUse): void {
    const actions = kmsActionsByUse[use];
    if (actions.length === 0) return;
    const conditions = Object.fromEntries(
      Object.entries(fixedEncryptionContext()).map(([name, value]) => [
        `kms:EncryptionContext:${name}`,
        value,
      ]),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [...actions],
        resources: [this.keyArn],
        ...(Object.keys(conditions).length > 0 ? { conditions: { StringEquals: conditions } } : {}),
      }),
    );
  }

  /**
   * Reads the SSM parameter in the primary region with a custom resource. Its role may read
   * that one parameter and write its own log group, nothing else.
   */
  private readPrimaryKeyArn(parameterName: string, props: RegionalSigningKeyProps): string {
    const stack = Stack.of(this);
    const logGroup = new LogGroup(this, 'PrimaryKeyArnLogs', { retention: props.logRetention });
    const role = new Role(this, 'PrimaryKeyArnRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    });
    logGroup.grantWrite(role);
    role.addToPolicy(
      new PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [
          stack.formatArn({
            service: 'ssm',
            region: props.primaryRegion,
            resource: 'parameter',
            // The name starts with a slash, which the ARN already has after `parameter`.
            resourceName: parameterName.slice(1),
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );

    const call: AwsSdkCall = {
      service: 'SSM',
      action: 'GetParameter',
      parameters: { Name: parameterName },
      region: props.primaryRegion,
      physicalResourceId: PhysicalResourceId.of(parameterName),
      outputPaths: ['Parameter.Value'],
    };
    const lookup = new AwsCustomResource(this, 'PrimaryKeyArn', {
      resourceType: 'Custom::PrimarySigningKeyArn',
      onCreate: call,
      onUpdate: call,
      role,
      logGroup,
      installLatestAwsSdk: false,
      timeout: Duration.minutes(1),
    });
    // The handler is one function per stack, which the library creates at the stack's root.
    const handler = stack.node.tryFindChild(
      `AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replaceAll('-', '')}`,
    );
    if (handler === undefined) throw new Error('The AwsCustomResource handler was not found.');
    acknowledgeNagRule(
      handler,
      'AwsSolutions-L1',
      'The handler of the custom resource that reads the primary key ARN runs on the Node.js ' +
        'runtime that aws-cdk-lib chooses for AwsCustomResource (nodejs24.x in 2.278), the same ' +
        'version as the server functions; this code does not set it.',
    );
    return lookup.getResponseField('Parameter.Value');
  }
}

/**
 * The key policy of a replica, which CloudFormation requires: the account administers and
 * uses the key through IAM policies, as the default key policy of aws-cdk-lib's Key allows
 * for the primary key.
 */
function accountKeyPolicy(): PolicyDocument {
  return new PolicyDocument({
    statements: [
      new PolicyStatement({
        actions: ['kms:*'],
        principals: [new AccountRootPrincipal()],
        resources: ['*'],
      }),
    ],
  });
}
