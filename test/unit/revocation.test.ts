import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SecretHash } from '../../functions/oauth/client.ts';
import { handleRevocationRequest } from '../../functions/oauth/revocation.ts';
import { handleTokenRequest } from '../../functions/oauth/token-endpoint.ts';
import { rejectedOAuthError } from './support.ts';
import { basicFor, form, hashSecret } from './token-context.ts';
import {
  issueUserTokens,
  lookupContext,
  signServiceToken,
  tokenForm,
  type TestLookupContext,
} from './token-lookup-context.ts';

describe('revocation', () => {
  let secretHash: SecretHash;

  beforeAll(async () => {
    secretHash = await hashSecret();
  });

  function revoke(
    context: TestLookupContext,
    token: string,
    { clientId = 'web-app', hint }: { clientId?: string; hint?: string } = {},
  ) {
    const parameters = tokenForm(token, hint === undefined ? {} : { token_type_hint: hint });
    return handleRevocationRequest(parameters, basicFor(clientId), context);
  }

  function refreshAt(context: TestLookupContext, refreshToken: string) {
    const parameters = form({ grant_type: 'refresh_token', refresh_token: refreshToken });
    return handleTokenRequest(parameters, basicFor('web-app'), context.tokens);
  }

  describe('access token', () => {
    it('records jti until expiry when revoked', async () => {
      const context = lookupContext(secretHash);
      const { accessToken } = await issueUserTokens(context);
      const { jti, exp } = decodeJwt(accessToken);

      const { client, outcome } = await revoke(context, accessToken);

      expect(client.clientId).toBe('web-app');
      expect(outcome).toEqual({ status: 'revoked', tokenType: 'access_token' });
      expect(context.revokedAccessTokens.records.get(String(jti))).toEqual({
        jti,
        clientId: 'web-app',
        revokedAt: Math.floor(context.clock.now() / 1000),
        expiresAt: exp,
      });
    });

    it('leaves family alone when revoked', async () => {
      const context = lookupContext(secretHash);
      const { accessToken, familyId } = await issueUserTokens(context);

      await revoke(context, accessToken);

      expect(context.tokens.refreshStore.families.get(familyId)?.revokedAt).toBeUndefined();
    });

    it('reports already revoked on repeat', async () => {
      const context = lookupContext(secretHash);
      const accessToken = await signServiceToken(context);
      await revoke(context, accessToken);

      const { outcome } = await revoke(context, accessToken);

      expect(outcome).toEqual({ status: 'already_revoked', tokenType: 'access_token' });
      expect(context.revokedAccessTokens.records.size).toBe(1);
    });

    it("ignores another client's token", async () => {
      const context = lookupContext(secretHash);
      const accessToken = await signServiceToken(context, 'other-app');

      const { outcome } = await revoke(context, accessToken);

      expect(outcome).toEqual({
        status: 'other_client',
        tokenType: 'access_token',
        tokenClientId: 'other-app',
      });
      expect(context.revokedAccessTokens.records.size).toBe(0);
    });

    it('ignores expired token', async () => {
      const context = lookupContext(secretHash);
      const accessToken = await signServiceToken(context, 'web-app', 60);
      context.advance(60);

      const { outcome } = await revoke(context, accessToken);

      expect(outcome).toEqual({ status: 'not_found' });
      expect(context.revokedAccessTokens.records.size).toBe(0);
    });

    it('ignores token signed by unpublished key', async () => {
      const context = lookupContext(secretHash);
      const current = await context.signingKeys.current();
      const { privateKey } = await generateKeyPair('ES256');
      const forged = await new SignJWT({ client_id: 'web-app' })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: current.kid })
        .setIssuer(context.issuer)
        .setSubject('web-app')
        .setAudience('https://api.example.com')
        .setJti('forged-jti')
        .setIssuedAt(Math.floor(context.clock.now() / 1000))
        .setExpirationTime(Math.floor(context.clock.now() / 1000) + 600)
        .sign(privateKey);

      const { outcome } = await revoke(context, forged);

      expect(outcome).toEqual({ status: 'not_found' });
      expect(context.revokedAccessTokens.records.size).toBe(0);
    });

    it('revokes despite refresh_token hint', async () => {
      const context = lookupContext(secretHash);
      const accessToken = await signServiceToken(context);

      const { outcome } = await revoke(context, accessToken, { hint: 'refresh_token' });

      expect(outcome).toEqual({ status: 'revoked', tokenType: 'access_token' });
    });
  });

  describe('refresh token', () => {
    it('revokes family when revoked', async () => {
      const context = lookupContext(secretHash);
      const { refreshToken, familyId } = await issueUserTokens(context);

      const { outcome } = await revoke(context, refreshToken, { hint: 'refresh_token' });

      expect(outcome).toEqual({ status: 'revoked', tokenType: 'refresh_token' });
      const family = context.tokens.refreshStore.families.get(familyId);
      expect(family?.revokedAt).toBe(Math.floor(context.clock.now() / 1000));
    });

    it('makes token unusable at token endpoint', async () => {
      const context = lookupContext(secretHash);
      const { refreshToken } = await issueUserTokens(context);
      await revoke(context, refreshToken);

      const error = await rejectedOAuthError(refreshAt(context, refreshToken));

      expect(error.error).toBe('invalid_grant');
      expect(error.description).toBe('The refresh token is invalid, expired or revoked.');
    });

    it('revokes despite access_token hint', async () => {
      const context = lookupContext(secretHash);
      const { refreshToken, familyId } = await issueUserTokens(context);

      const { outcome } = await revoke(context, refreshToken, { hint: 'access_token' });

      expect(outcome).toEqual({ status: 'revoked', tokenType: 'refresh_token' });
      expect(context.tokens.refreshStore.families.get(familyId)?.revokedAt).toBeDefined();
    });

    it('revokes family of rotated token', async () => {
      const context = lookupContext(secretHash);
      const { refreshToken, familyId } = await issueUserTokens(context);
      await refreshAt(context, refreshToken);
      context.advance(60);

      const { outcome } = await revoke(context, refreshToken);

      expect(outcome).toEqual({ status: 'revoked', tokenType: 'refresh_token' });
      expect(context.tokens.refreshStore.families.get(familyId)?.revokedAt).toBeDefined();
    });

    it('reports already revoked family', async () => {
      const context = lookupContext(secretHash);
      const { refreshToken } = await issueUserTokens(context);
      await revoke(context, refreshToken);

      const { outcome } = await revoke(context, refreshToken);

      expect(outcome).toEqual({ status: 'already_revoked', tokenType: 'refresh_token' });
    });

    it("ignores another client's token", async () => {
      const context = lookupContext(secretHash);
      const { refreshToken, familyId } = await issueUserTokens(context);

      const { outcome } = await revoke(context, refreshToken, { clientId: 'other-app' });

      expect(outcome).toEqual({
        status: 'other_client',
        tokenType: 'refresh_token',
        tokenClientId: 'web-app',
      });
      expect(context.tokens.refreshStore.families.get(familyId)?.revokedAt).toBeUndefined();
    });

    it('ignores token with unknown secret', async () => {
      const context = lookupContext(secretHash);
      const { familyId } = await issueUserTokens(context);

      const { outcome } = await revoke(context, `${familyId}.not-the-secret`);

      expect(outcome).toEqual({ status: 'not_found' });
      expect(context.tokens.refreshStore.families.get(familyId)?.revokedAt).toBeUndefined();
    });

    it('ignores expired token', async () => {
      const context = lookupContext(secretHash);
      const { refreshToken, familyId } = await issueUserTokens(context);
      context.advance(3600);

      const { outcome } = await revoke(context, refreshToken);

      expect(outcome).toEqual({ status: 'not_found' });
      expect(context.tokens.refreshStore.families.get(familyId)?.revokedAt).toBeUndefined();
    });

    it('lets public client revoke with client_id', async () => {
      const context = lookupContext(secretHash);
      const { refreshToken, familyId } = await issueUserTokens(context, 'native-app');
      const parameters = tokenForm(refreshToken, { client_id: 'native-app' });

      const { outcome } = await handleRevocationRequest(parameters, undefined, context);

      expect(outcome).toEqual({ status: 'revoked', tokenType: 'refresh_token' });
      expect(context.tokens.refreshStore.families.get(familyId)?.revokedAt).toBeDefined();
    });
  });

  describe('request', () => {
    for (const token of ['garbage', 'a.b.c', 'family.secret', 'x'.repeat(5000)]) {
      it(`ignores unknown token ${token.slice(0, 12)}`, async () => {
        const context = lookupContext(secretHash);

        const { outcome } = await revoke(context, token);

        expect(outcome).toEqual({ status: 'not_found' });
      });
    }

    it('reads no storage for malformed token', async () => {
      const context = lookupContext(secretHash);
      const reads = { tokens: 0 };
      const findToken = context.tokens.refreshStore.findToken.bind(context.tokens.refreshStore);
      context.tokens.refreshStore.findToken = async (hash) => {
        reads.tokens += 1;
        return findToken(hash);
      };

      await revoke(context, 'not a token at all');

      expect(reads.tokens).toBe(0);
    });

    it('ignores unknown hint value', async () => {
      const context = lookupContext(secretHash);
      const { refreshToken } = await issueUserTokens(context);

      const { outcome } = await revoke(context, refreshToken, { hint: 'id_token' });

      expect(outcome).toEqual({ status: 'revoked', tokenType: 'refresh_token' });
    });

    it('rejects missing token', async () => {
      const context = lookupContext(secretHash);

      const error = await rejectedOAuthError(
        handleRevocationRequest(form({}), basicFor('web-app'), context),
      );

      expect(error.error).toBe('invalid_request');
      expect(error.status).toBe(400);
      expect(error.description).toBe('The token parameter is missing.');
    });

    it('rejects wrong client secret', async () => {
      const context = lookupContext(secretHash);
      const { refreshToken, familyId } = await issueUserTokens(context);
      const wrong = `Basic ${Buffer.from('web-app:wrong-secret').toString('base64')}`;

      const error = await rejectedOAuthError(
        handleRevocationRequest(tokenForm(refreshToken), wrong, context),
      );

      expect(error.error).toBe('invalid_client');
      expect(error.status).toBe(401);
      expect(context.tokens.refreshStore.families.get(familyId)?.revokedAt).toBeUndefined();
    });

    it('rejects request without client authentication', async () => {
      const context = lookupContext(secretHash);

      const error = await rejectedOAuthError(
        handleRevocationRequest(tokenForm('anything'), undefined, context),
      );

      expect(error.error).toBe('invalid_client');
    });
  });
});
