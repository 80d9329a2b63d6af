/**
 * Storage faults, translated from AWS SDK errors at the storage boundary so that callers see
 * one error type whatever the cause: throttling, a 5xx from DynamoDB, a timeout or a dropped
 * connection. The HTTP layer responds to it with 503 and `Retry-After`.
 */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
  readonly operation: string;

  /** `service` names the dependency: DynamoDB, or KMS for the keys that protect signing keys. */
  constructor(operation: string, cause: unknown, service: 'DynamoDB' | 'KMS' = 'DynamoDB') {
    super(`${service} ${operation} failed`, { cause });
    this.operation = operation;
  }
}

/** Returns whether an SDK error reports a failed condition expression. */
export function isConditionalCheckFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Runs a storage call, translating any failure into a StorageUnavailableError. */
export async function storageCall<Result>(
  operation: string,
  call: () => Promise<Result>,
): Promise<Result> {
  try {
    return await call();
  } catch (error) {
    throw new StorageUnavailableError(operation, error);
  }
}
