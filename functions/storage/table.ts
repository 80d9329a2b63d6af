/**
 * The single-table key design. Every item has a partition key `pk` and a sort key `sk`:
 *
 * | item             | pk                  | sk                          |
 * | ---------------- | ------------------- | --------------------------- |
 * | client           | `CLIENT#<clientId>` | `CLIENT`                    |
 * | signing key      | `SIGNING_KEY`       | `<alg>#<generation, 6 digits>` |
 *
 * All signing keys share one partition, so one Query loads them, and the sort key orders
 * each algorithm's keys by generation. Short-lived items carry `expiresAt`, in seconds since
 * the Unix epoch, which is the table's TTL attribute. DynamoDB deletes expired items late,
 * so every read treats an item past `expiresAt` as absent.
 */

export const EXPIRES_AT_ATTRIBUTE = 'expiresAt';

export interface ItemKey {
  pk: string;
  sk: string;
}

export const clientKey = (clientId: string): ItemKey => ({ pk: `CLIENT#${clientId}`, sk: 'CLIENT' });

export const SIGNING_KEY_PARTITION = 'SIGNING_KEY';

export const signingKeyKey = (algorithm: string, generation: number): ItemKey => ({
  pk: SIGNING_KEY_PARTITION,
  sk: `${algorithm}#${String(generation).padStart(6, '0')}`,
});

/** Whether an item is past its expiry, even if TTL has not deleted it yet. */
export function isExpired(item: Record<string, unknown>, nowSeconds: number): boolean {
  const expiresAt = item[EXPIRES_AT_ATTRIBUTE];
  return typeof expiresAt === 'number' && expiresAt <= nowSeconds;
}
