/** Authorization codes, stored by the hash of the code. */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  AuthorizationCodeRecord,
  AuthorizationCodeStore,
  CodeRedemption,
  RedemptionOutcome,
} from '../oauth/grant-records.ts';
import { isConditionalCheckFailure, storageCall, StorageUnavailableError } from './errors.ts';
import { localWrites, type ConsumingWrites } from './regional-tables.ts';
import { authorizationCodeKey } from './table.ts';

/** How long after its own write a redeeming request may still find it: beyond the SDK's retries. */
export const REDEMPTION_RETRY_SECONDS = 30;

export class AuthorizationCodeRepository implements AuthorizationCodeStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #consuming: ConsumingWrites;

  /** `consuming` routes redemptions to the code's home region; the local replica by default. */
  constructor(
    documents: DynamoDBDocumentClient,
    tableName: string,
    consuming: ConsumingWrites = localWrites(documents),
  ) {
    this.#documents = documents;
    this.#tableName = tableName;
    this.#consuming = consuming;
  }

  async saveCode(record: AuthorizationCodeRecord): Promise<void> {
    const item = { ...authorizationCodeKey(record.codeHash), ...record };
    await storageCall('PutItem', () =>
      this.#documents.send(new PutCommand({ TableName: this.#tableName, Item: item })),
    );
  }

  redeemCode(redemption: CodeRedemption): Promise<RedemptionOutcome> {
    return this.#consuming.consume(redemption.homeRegion, (documents) =>
      this.#redeemAt(documents, redemption),
    );
  }

  async #redeemAt(
    documents: DynamoDBDocumentClient,
    redemption: CodeRedemption,
  ): Promise<RedemptionOutcome> {
    try {
      const { Attributes: item } = await documents.send(redeemCommand(this.#tableName, redemption));
      return { status: 'redeemed', record: toRecord(item) };
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw new StorageUnavailableError('UpdateItem', error);
    }
    return this.#explainFailure(documents, redemption);
  }

  /** Reads the code after a failed redemption, to tell a replay from a mismatch. */
  async #explainFailure(
    documents: DynamoDBDocumentClient,
    redemption: CodeRedemption,
  ): Promise<RedemptionOutcome> {
    const { Item: item } = await storageCall('GetItem', () =>
      documents.send(
        new GetCommand({
          TableName: this.#tableName,
          Key: authorizationCodeKey(redemption.codeHash),
          ConsistentRead: true,
        }),
      ),
    );
    if (item === undefined) return { status: 'invalid' };

    const record = toRecord(item);
    if (record.consumedAt !== undefined) {
      const sameRequest = record.redemptionId === redemption.redemptionId;
      const soon = redemption.now - record.consumedAt <= REDEMPTION_RETRY_SECONDS;
      return { status: sameRequest && soon ? 'retried' : 'replayed', record };
    }
    if (record.expiresAt <= redemption.now) return { status: 'invalid' };
    return { status: 'mismatch', record };
  }
}

/**
 * Builds the single write that redeems a code. It succeeds only for an unused, unexpired code bound
 * to this client, redirect URI and PKCE challenge (or to no challenge when none is sent).
 */
function redeemCommand(tableName: string, redemption: CodeRedemption): UpdateCommand {
  const challengeCondition =
    redemption.codeChallenge === undefined
      ? 'attribute_not_exists(codeChallenge)'
      : 'codeChallenge = :challenge';
  const values: Record<string, unknown> = {
    ':now': redemption.now,
    ':redemption': redemption.redemptionId,
    ':client': redemption.clientId,
    ':redirect': redemption.redirectUri,
    ...(redemption.codeChallenge === undefined ? {} : { ':challenge': redemption.codeChallenge }),
    ...(redemption.familyId === undefined ? {} : { ':family': redemption.familyId }),
  };

  return new UpdateCommand({
    TableName: tableName,
    Key: authorizationCodeKey(redemption.codeHash),
    UpdateExpression:
      redemption.familyId === undefined
        ? 'SET consumedAt = :now, redemptionId = :redemption'
        : 'SET consumedAt = :now, redemptionId = :redemption, familyId = :family',
    ConditionExpression: [
      'attribute_exists(pk)',
      'attribute_not_exists(consumedAt)',
      'expiresAt > :now',
      'clientId = :client',
      'redirectUri = :redirect',
      challengeCondition,
    ].join(' AND '),
    ExpressionAttributeValues: values,
    ReturnValues: 'ALL_NEW',
  });
}

function toRecord(item: Record<string, unknown> | undefined): AuthorizationCodeRecord {
  if (item === undefined) throw new Error('DynamoDB returned no attributes for a redeemed code');
  const { pk: _pk, sk: _sk, ...record } = item;
  return record as unknown as AuthorizationCodeRecord;
}
