/**
 * The failures of the administration command and their exit statuses. Each message names what
 * failed, on which value, and what to do next. It is printed without a stack trace.
 */

export const EXIT_SUCCESS = 0;
/** An invalid command line or option value, or a destructive command without confirmation. */
export const EXIT_USAGE = 1;
/** The client, user, key or refresh token named does not exist. */
export const EXIT_NOT_FOUND = 2;
/** The client id or username to create is taken. */
export const EXIT_CONFLICT = 3;
/** The table could not be reached or read, or another unexpected failure. */
export const EXIT_FAILURE = 4;

/** A failure that the operator can fix, reported as `code` in JSON output. */
export class AdminError extends Error {
  override name = 'AdminError';
  readonly code: string;
  readonly exitStatus: number;

  constructor(message: string, code: string, exitStatus: number) {
    super(message);
    this.code = code;
    this.exitStatus = exitStatus;
  }
}

export class UsageError extends AdminError {
  constructor(message: string) {
    super(message, 'invalid_usage', EXIT_USAGE);
  }
}

export class NotFoundError extends AdminError {
  constructor(message: string) {
    super(message, 'not_found', EXIT_NOT_FOUND);
  }
}

export class ConflictError extends AdminError {
  constructor(message: string) {
    super(message, 'conflict', EXIT_CONFLICT);
  }
}

/** The target table or the AWS account could not be used, for a reason the operator can fix. */
export class TargetError extends AdminError {
  constructor(message: string) {
    super(message, 'target_unavailable', EXIT_FAILURE);
  }
}
