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

/** How long after a redemption the same request may be sent again, as after a 503. */
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

  /**
   * Marks the tokens of a redemption issued by one attempt. When the SDK retries this write
   * after a lost response, the stored attempt id shows that this attempt won.
   */
  markIssued(
    codeHash: string,
    redemptionId: string,
    attemptId: string,
    now: number,
    homeRegion: string | undefined,
  ): Promise<boolean> {
    return this.#consuming.consume(homeRegion, async (documents) => {
      try {
        await documents.send(
          new UpdateCommand({
            TableName: this.#tableName,
            Key: authorizationCodeKey(codeHash),
            UpdateExpression: 'SET issuedAt = :now, issuedBy = :attempt',
            ConditionExpression: 'redemptionId = :redemption AND attribute_not_exists(issuedAt)',
            ExpressionAttributeValues: {
              ':now': now,
              ':attempt': attemptId,
              ':redemption': redemptionId,
            },
          }),
        );
        return true;
      } catch (error) {
        if (!isConditionalCheckFailure(error)) throw new StorageUnavailableError('UpdateItem', error);
      }
      const { Item: item } = await storageCall('GetItem', () =>
        documents.send(
          new GetCommand({
            TableName: this.#tableName,
            Key: authorizationCodeKey(codeHash),
            ConsistentRead: true,
          }),
        ),
      );
      return item?.issuedBy === attemptId;
    });
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
    if (record.consumedAt !== undefined) return { status: 'replayed', record };
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
    ':retryStart': redemption.now - REDEMPTION_RETRY_SECONDS,
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
        ? 'SET consumedAt = if_not_exists(consumedAt, :now), redemptionId = :redemption'
        : 'SET consumedAt = if_not_exists(consumedAt, :now), redemptionId = :redemption, ' +
          'familyId = if_not_exists(familyId, :family)',
    ConditionExpression: [
      'attribute_exists(pk)',
      // A retry of the same request passes until its tokens are marked issued.
      '(attribute_not_exists(consumedAt) OR (redemptionId = :redemption AND ' +
        'attribute_not_exists(issuedAt) AND consumedAt >= :retryStart))',
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
