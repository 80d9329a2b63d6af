/**
 * The authorization code grant (RFC 6749 section 4.1.3, RFC 7636 section 4.6). One conditional
 * write both checks the code's binding (client, redirect URI, PKCE challenge, expiry) and
 * marks it used, so a code is redeemed once, and a failed check does not burn it. A second
 * redemption revokes the refresh token family that the first one started.
 */
import { epochSeconds } from '../clock.ts';
import { InvalidGrantError, InvalidRequestError } from '../errors.ts';
import { hashSecretValue, homeRegionOf, randomToken } from '../grant-records.ts';
import { isValidVerifier, s256Challenge } from '../pkce.ts';
import { RefreshTokens } from '../refresh-tokens.ts';
import type { Grant } from '../token-endpoint.ts';
import { userTokenResponse } from './issue-tokens.ts';

export const authorizationCodeGrant: Grant = {
  type: 'authorization_code',

  async handle({ parameters, client }, context) {
    const code = required(parameters.get('code'), 'code');
    const redirectUri = required(parameters.get('redirect_uri'), 'redirect_uri');
    const verifier = parameters.get('code_verifier');
    if (verifier !== undefined && !isValidVerifier(verifier)) {
      throw new InvalidRequestError('The code_verifier must be 43 to 128 unreserved characters.');
    }

    const issuesRefresh = client.grantTypes.includes('refresh_token');
    const newFamilyId = issuesRefresh
      ? RefreshTokens.newFamilyId(context.refreshTokens.region)
      : undefined;
    const codeHash = hashSecretValue(code);
    // The same for a retry of this request, by the SDK or by the client after a 503, which
    // may redeem again until the tokens are marked issued. Someone with only the code cannot
    // produce it without the client's credentials and verifier (RFC 6749 section 4.1.2).
    const redemptionId = hashSecretValue(
      JSON.stringify(['redemption', code, client.clientId, redirectUri, verifier ?? null]),
    );
    const outcome = await context.codes.redeemCode({
      codeHash,
      homeRegion: homeRegionOf(code),
      clientId: client.clientId,
      redirectUri,
      codeChallenge: verifier === undefined ? undefined : s256Challenge(verifier),
      now: epochSeconds(context.clock),
      familyId: newFamilyId,
      redemptionId,
    });

    if (outcome.status === 'invalid') {
      throw new InvalidGrantError('The authorization code is invalid or expired.');
    }
    if (outcome.status === 'replayed') {
      if (outcome.record.familyId !== undefined) {
        await context.refreshTokens.revokeFamily(outcome.record.familyId);
      }
      throw new InvalidGrantError(
        'The authorization code was already used. Tokens issued for it are revoked.',
      );
    }
    if (outcome.status === 'mismatch') {
      const reason = mismatchReason(outcome.record, client.clientId, redirectUri, verifier);
      throw new InvalidGrantError(reason);
    }

    // A retry finds the family of the first attempt, whose first token derives from the
    // redemption id, so it gets the same refresh token back.
    const { record } = outcome;
    const familyId = record.familyId;
    const refreshToken =
      familyId === undefined
        ? undefined
        : await context.refreshTokens.issue({
            familyId,
            client,
            userId: record.userId,
            scopes: record.scopes,
            authTime: record.authTime,
            seed: redemptionId,
          });

    const response = await userTokenResponse(
      {
        client,
        userId: record.userId,
        scopes: record.scopes,
        ...optionalRefresh(refreshToken),
        ...(familyId === undefined ? {} : { familyId }),
        authTime: record.authTime,
        amr: record.amr,
        ...(record.nonce === undefined ? {} : { nonce: record.nonce }),
      },
      context,
    );
    // Only one attempt may hand out tokens: a concurrent copy of this request that marked the
    // code first makes this one a replay, which revokes what both issued.
    const issued = await context.codes.markIssued(
      codeHash,
      redemptionId,
      randomToken(),
      epochSeconds(context.clock),
      homeRegionOf(code),
    );
    if (!issued) {
      if (familyId !== undefined) await context.refreshTokens.revokeFamily(familyId);
      throw new InvalidGrantError(
        'The authorization code was already used. Tokens issued for it are revoked.',
      );
    }
    return response;
  },
};

function required(value: string | undefined, name: string): string {
  if (value === undefined) throw new InvalidRequestError(`The ${name} parameter is missing.`);
  return value;
}

function optionalRefresh(refreshToken: string | undefined) {
  return refreshToken === undefined ? {} : { refreshToken };
}

function mismatchReason(
  record: { clientId: string; redirectUri: string; codeChallenge?: string },
  clientId: string,
  redirectUri: string,
  verifier: string | undefined,
): string {
  if (record.clientId !== clientId) return 'The authorization code was issued to another client.';
  if (record.redirectUri !== redirectUri) {
    return 'The redirect_uri differs from the one in the authorization request.';
  }
  if (record.codeChallenge !== undefined && verifier === undefined) {
    return 'The code_verifier is missing: the authorization request used PKCE.';
  }
  if (record.codeChallenge === undefined) {
    return 'A code_verifier was sent, but the authorization request had no code_challenge.';
  }
  return 'The code_verifier does not match the code_challenge.';
}
