/**
 * In-memory stores of authorization codes and refresh tokens for unit tests. They keep the
 * conditional semantics of the DynamoDB repositories: a code is redeemed once, a token is
 * marked rotated once, and saving an existing token changes nothing.
 */
import type {
  AuthorizationCodeRecord,
  AuthorizationCodeStore,
  CodeRedemption,
  RedemptionOutcome,
  RefreshFamily,
  RefreshTokenRecord,
  RefreshTokenStore,
} from '../../functions/oauth/grant-records.ts';

export class InMemoryCodeStore implements AuthorizationCodeStore {
  readonly codes = new Map<string, AuthorizationCodeRecord>();

  async saveCode(record: AuthorizationCodeRecord): Promise<void> {
    this.codes.set(record.codeHash, { ...record });
  }

  /** Checks replay before expiry, as the repository does, so a late replay still revokes. */
  async redeemCode(redemption: CodeRedemption): Promise<RedemptionOutcome> {
    const record = this.codes.get(redemption.codeHash);
    if (record === undefined) return { status: 'invalid' };
    const retry =
      record.consumedAt !== undefined &&
      record.redemptionId === redemption.redemptionId &&
      record.issuedAt === undefined &&
      redemption.now - record.consumedAt <= 30;
    if (record.consumedAt !== undefined && !retry) return { status: 'replayed', record };
    if (record.expiresAt <= redemption.now) return { status: 'invalid' };

    const matches =
      record.clientId === redemption.clientId &&
      record.redirectUri === redemption.redirectUri &&
      record.codeChallenge === redemption.codeChallenge;
    if (!matches) return { status: 'mismatch', record };

    record.consumedAt ??= redemption.now;
    record.redemptionId = redemption.redemptionId;
    if (redemption.familyId !== undefined) record.familyId ??= redemption.familyId;
    return { status: 'redeemed', record: { ...record } };
  }

  async markIssued(
    codeHash: string,
    redemptionId: string,
    attemptId: string,
    now: number,
  ): Promise<boolean> {
    const record = this.codes.get(codeHash);
    if (record === undefined || record.redemptionId !== redemptionId) return false;
    if (record.issuedAt !== undefined) return record.issuedBy === attemptId;
    record.issuedAt = now;
    record.issuedBy = attemptId;
    return true;
  }
}

export class InMemoryRefreshTokenStore implements RefreshTokenStore {
  readonly families = new Map<string, RefreshFamily>();
  readonly tokens = new Map<string, RefreshTokenRecord>();
  now = 0;

  async createFamily(family: RefreshFamily): Promise<boolean> {
    if (this.families.has(family.familyId)) return false;
    this.families.set(family.familyId, { ...family });
    return true;
  }

  async findFamily(familyId: string): Promise<RefreshFamily | undefined> {
    const family = this.families.get(familyId);
    return family === undefined ? undefined : { ...family };
  }

  async saveToken(record: RefreshTokenRecord): Promise<void> {
    if (!this.tokens.has(record.tokenHash)) this.tokens.set(record.tokenHash, { ...record });
  }

  async findToken(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    const token = this.tokens.get(tokenHash);
    if (token === undefined || token.expiresAt <= this.now) return undefined;
    return { ...token };
  }

  async markRotated(
    tokenHash: string,
    now: number,
  ): Promise<{ rotated: true } | { rotated: false; rotatedAt: number | undefined }> {
    const token = this.tokens.get(tokenHash);
    if (token === undefined || token.rotatedAt !== undefined) {
      return { rotated: false, rotatedAt: token?.rotatedAt };
    }
    token.rotatedAt = now;
    return { rotated: true };
  }

  async revokeFamily(familyId: string, now: number): Promise<void> {
    const family = this.families.get(familyId);
    if (family !== undefined) family.revokedAt ??= now;
    // A family revoked before it exists leaves a tombstone, as the DynamoDB repository does.
    else this.families.set(familyId, { familyId, revokedAt: now } as RefreshFamily);
  }
}
