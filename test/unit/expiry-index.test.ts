import { describe, expect, it } from 'vitest';
import {
  addExpiryBucket,
  bucketHour,
  bucketsOfHour,
  expiryBucket,
  EXPIRY_SHARDS,
} from '../../functions/storage/expiry-index.ts';

describe('expiryBucket', () => {
  it('names the hour and a shard', () => {
    const bucket = expiryBucket(1_800_001_799, 'SESSION#abc');

    expect(bucket).toMatch(/^1800000000#[0-7]$/);
  });

  it('keeps one item in one shard', () => {
    expect(expiryBucket(1_800_000_000, 'CODE#x')).toBe(expiryBucket(1_800_003_599, 'CODE#x'));
  });

  it('lists every shard of an hour', () => {
    expect(bucketsOfHour(bucketHour(1_800_000_123))).toHaveLength(EXPIRY_SHARDS);
  });
});

describe('addExpiryBucket', () => {
  it('tags a plain put item', () => {
    const input = { Item: { pk: 'SESSION#a', sk: 'SESSION', expiresAt: 1_800_000_100 } };

    addExpiryBucket('PutItemCommand', input);

    expect(input.Item).toHaveProperty('expiryBucket', expiryBucket(1_800_000_100, 'SESSION#a'));
  });

  it('tags a marshalled put item', () => {
    const input = { Item: { pk: { S: 'SESSION#a' }, expiresAt: { N: '1800000100' } } };

    addExpiryBucket('PutItemCommand', input);

    expect(input.Item).toHaveProperty('expiryBucket', {
      S: expiryBucket(1_800_000_100, 'SESSION#a'),
    });
  });

  it('leaves items without expiry alone', () => {
    const input = { Item: { pk: 'CLIENT#a', sk: 'CLIENT' } };

    addExpiryBucket('PutItemCommand', input);

    expect(input.Item).not.toHaveProperty('expiryBucket');
  });

  it('extends a SET clause that assigns expiresAt', () => {
    const input = {
      Key: { pk: 'LOGIN_FAILURES#ip#1', sk: '1' },
      UpdateExpression: 'ADD #count :one SET expiresAt = :expiresAt',
      ExpressionAttributeValues: { ':one': 1, ':expiresAt': 1_800_000_100 } as Record<
        string,
        unknown
      >,
    };

    addExpiryBucket('UpdateItemCommand', input);

    expect(input.UpdateExpression).toBe(
      'ADD #count :one SET expiryBucket = :expiryBucketValue, expiresAt = :expiresAt',
    );
    expect(input.ExpressionAttributeValues[':expiryBucketValue']).toBe(
      expiryBucket(1_800_000_100, 'LOGIN_FAILURES#ip#1'),
    );
  });

  it('keeps an existing bucket with if_not_exists', () => {
    const input = {
      Key: { pk: 'REFRESH_FAMILY#f', sk: 'FAMILY' },
      UpdateExpression: 'SET revokedAt = :now, expiresAt = if_not_exists(expiresAt, :expiry)',
      ExpressionAttributeValues: { ':now': 1, ':expiry': 1_800_000_100 } as Record<string, unknown>,
    };

    addExpiryBucket('UpdateItemCommand', input);

    expect(input.UpdateExpression).toMatch(
      /^SET expiryBucket = if_not_exists\(expiryBucket, :expiryBucketValue\), revokedAt/,
    );
  });

  it('ignores updates that leave expiresAt alone', () => {
    const input = {
      Key: { pk: 'REFRESH_TOKEN#t', sk: 'TOKEN' },
      UpdateExpression: 'SET rotatedAt = :now',
      ExpressionAttributeValues: { ':now': 1 } as Record<string, unknown>,
    };

    addExpiryBucket('UpdateItemCommand', input);

    expect(input.UpdateExpression).toBe('SET rotatedAt = :now');
  });
});
