import { decodeJwt, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_FAMILY_CLAIM } from '../../functions/oauth/access-token.ts';
import type { SecretHash } from '../../functions/oauth/client.ts';
import { epochSeconds } from '../../functions/oauth/clock.ts';
import { handleIntrospectionRequest } from '../../functions/oauth/introspection.ts';
import { handleRevocationRequest } from '../../functions/oauth/revocation.ts';
import { handleTokenRequest } from '../../functions/oauth/token-endpoint.ts';
import { ISSUER, USER_ID } from './authorization-context.ts';
import { rejectedOAuthError } from './support.ts';
import { basicFor, form, hashSecret } from './token-context.ts';
import {
  issueUserTokens,
  lookupContext,
  signServiceToken,
  tokenForm,
  type TestLookupContext,
} from './token-lookup-context.ts';

describe('introspection', () => {
  let secretHash: SecretHash;

  beforeAll(async () => {
    secretHash = await hashSecret();
  });

  async function introspect(context: TestLookupContext, token: string, hint?: string) {
    const parameters = tokenForm(token, hint === undefined ? {} : { token_type_hint: hint });
    const { response } = await handleIntrospectionRequest(
      parameters,
      basicFor('resource-server'),
      context,
    );
    return response;
  }

  function revokeAs(context: TestLookupContext, clientId: string, token: string) {
    return handleRevocationRequest(tokenForm(token), basicFor(clientId), context);
  }

  /** Signs a token with the current key but with other claims or header than the server's. */
  async function signCustom(
    context: TestLookupContext,
    header: { typ?: string; kid?: string },
    claims: Record<string, unknown> = {},
  ): Promise<string> {
    const key = await context.signingKeys.current();
    const now = epochSeconds(context.clock);
    const payload = {
      iss: ISSUER,
      sub: 'web-app',
      aud: 'https://api.example.com',
      client_id: 'web-app',
      jti: 'custom-jti',
      iat: now,
      exp: now + 600,
      ...claims,
    };
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid, ...header })
      .sign(key.privateKey);
  }

  describe('access token', () => {
    it('describes active user token', async () => {
      const context = lookupContext(secretHash);
      const { accessToken } = await issueUserTokens(context);
      const { jti, iat, exp } = decodeJwt(accessToken);

      const response = await introspect(context, accessToken);

      expect(response).toEqual({
        active: true,
        token_type: 'Bearer',
        client_id: 'web-app',
        sub: USER_ID,
        iss: ISSUER,
        aud: 'https://api.example.com',
        scope: 'read write',
        jti,
        iat,
        exp,
      });
    });

    it('carries refresh family claim', async () => {
      const context = lookupContext(secretHash);
      const { accessToken, familyId } = await issueUserTokens(context);

      expect(decodeJwt(accessToken)[REFRESH_FAMILY_CLAIM]).toBe(familyId);
    });

    it('describes active service token', async () => {
      const context = lookupContext(secretHash);
      const accessToken = await signServiceToken(context, 'web-app');

      const response = await introspect(context, accessToken);

      expect(response).toMatchObject({ active: true, sub: 'web-app', scope: 'read' });
    });

    it('passes nbf through', async () => {
      const context = lookupContext(secretHash);
      const now = epochSeconds(context.clock);
      const token = await signCustom(context, {}, { nbf: now - 5 });

      const response = await introspect(context, token);

      expect(response).toMatchObject({ active: true, nbf: now - 5, jti: 'custom-jti' });
    });

    it('reports revoked jti inactive', async () => {
      const context = lookupContext(secretHash);
      const { accessToken } = await issueUserTokens(context);
      await revokeAs(context, 'web-app', accessToken);

      const response = await introspect(context, accessToken);

      expect(response).toEqual({ active: false });
    });

    it('reports token of revoked family inactive', async () => {
      const context = lookupContext(secretHash);
      const { accessToken, refreshToken } = await issueUserTokens(context);
      await revokeAs(context, 'web-app', refreshToken);

      const response = await introspect(context, accessToken);

      expect(response).toEqual({ active: false });
    });

    it('reports token of reused family inactive', async () => {
      const context = lookupContext(secretHash);
      const { accessToken, refreshToken } = await issueUserTokens(context);
      const refresh = () =>
        handleTokenRequest(
          form({ grant_type: 'refresh_token', refresh_token: refreshToken }),
          basicFor('web-app'),
          context.tokens,
        );
      await refresh();
      context.advance(60);
      await rejectedOAuthError(refresh());

      const response = await introspect(context, accessToken);

      expect(response).toEqual({ active: false });
    });

    it('keeps token active after foreign revocation', async () => {
      const context = lookupContext(secretHash);
      const { accessToken, refreshToken } = await issueUserTokens(context);
      await revokeAs(context, 'other-app', accessToken);
      await revokeAs(context, 'other-app', refreshToken);

      const response = await introspect(context, accessToken);

      expect(response.active).toBe(true);
    });

    it('reports expired token inactive', async () => {
      const context = lookupContext(secretHash);
      const { accessToken } = await issueUserTokens(context);
      context.advance(600);

      const response = await introspect(context, accessToken);

      expect(response).toEqual({ active: false });
    });

    it('reports unpublished kid inactive', async () => {
      const context = lookupContext(secretHash);
      const token = await signCustom(context, { kid: 'retired-key' });

      const response = await introspect(context, token);

      expect(response).toEqual({ active: false });
    });

    it('reports token without at+jwt inactive', async () => {
      const context = lookupContext(secretHash);
      const token = await signCustom(context, { typ: 'JWT' });

      const response = await introspect(context, token);

      expect(response).toEqual({ active: false });
    });

    it('reports token without client_id inactive', async () => {
      const context = lookupContext(secretHash);
      const token = await signCustom(context, {}, { client_id: undefined });

      const response = await introspect(context, token);

      expect(response).toEqual({ active: false });
    });

    it('reports foreign issuer inactive', async () => {
      const context = lookupContext(secretHash);
      const token = await signCustom(context, {}, { iss: 'https://other.example.com' });

      const response = await introspect(context, token);

      expect(response).toEqual({ active: false });
    });

    it('describes token despite refresh_token hint', async () => {
      const context = lookupContext(secretHash);
      const { accessToken } = await issueUserTokens(context);

      const response = await introspect(context, accessToken, 'refresh_token');

      expect(response).toMatchObject({ active: true, token_type: 'Bearer' });
    });
  });

  describe('refresh token', () => {
    it('describes active token', async () => {
      const context = lookupContext(secretHash);
      const { refreshToken } = await issueUserTokens(context);

      const response = await introspect(context, refreshToken, 'refresh_token');

      expect(response).toEqual({
        active: true,
        token_type: 'refresh_token',
        client_id: 'web-app',
        sub: USER_ID,
        iss: ISSUER,
        exp: epochSeconds(context.clock) + 3600,
        scope: 'read write',
      });
    });

    it('describes token despite access_token hint', async () => {
      const context = lookupContext(secretHash);
      const { refreshToken } = await issueUserTokens(context);

      const response = await introspect(context, refreshToken, 'access_token');

      expect(response).toMatchObject({ active: true, token_type: 'refresh_token' });
    });

    it('keeps rotated token active within grace', async () => {
      const context = lookupContext(secretHash);
      const { refreshToken } = await issueUserTokens(context);
      await handleTokenRequest(
        form({ grant_type: 'refresh_token', refresh_token: refreshToken }),
        basicFor('web-app'),
        context.tokens,
      );
      context.advance(5);

      const response = await introspect(context, refreshToken);

      expect(response.active).toBe(true);
    });

    it('reports rotated token inactive after grace', async () => {
      const context = lookupContext(secretHash);
      const { refreshToken } = await issueUserTokens(context);
      await handleTokenRequest(
        form({ grant_type: 'refresh_token', refresh_token: refreshToken }),
        basicFor('web-app'),
        context.tokens,
      );
      context.advance(6);

      const response = await introspect(context, refreshToken);

      expect(response).toEqual({ active: false });
    });

    it('reports revoked family inactive', async () => {
      const context = lookupContext(secretHash);
      const { refreshToken } = await issueUserTokens(context);
      await revokeAs(context, 'web-app', refreshToken);

      const response = await introspect(context, refreshToken);

      expect(response).toEqual({ active: false });
    });

    it('reports idle-expired token inactive', async () => {
      const context = lookupContext(secretHash);
      const { refreshToken } = await issueUserTokens(context);
      context.advance(3600);

      const response = await introspect(context, refreshToken);

      expect(response).toEqual({ active: false });
    });

    it('reports family past absolute limit inactive', async () => {
      const context = lookupContext(secretHash);
      const { refreshToken, familyId } = await issueUserTokens(context);
      const family = context.tokens.refreshStore.families.get(familyId);
      if (family === undefined) throw new Error('the family was not stored');
      family.absoluteExpiresAt = epochSeconds(context.clock) + 10;
      context.advance(10);

      const response = await introspect(context, refreshToken);

      expect(response).toEqual({ active: false });
    });
  });

  describe('request', () => {
    for (const token of ['garbage', 'a.b.c', 'family.secret', 'x'.repeat(5000)]) {
      it(`reports unknown token ${token.slice(0, 12)} inactive`, async () => {
        const context = lookupContext(secretHash);

        const response = await introspect(context, token);

        expect(response).toEqual({ active: false });
      });
    }

    it('rejects client without permission', async () => {
      const context = lookupContext(secretHash);
      const { accessToken } = await issueUserTokens(context);

      const error = await rejectedOAuthError(
        handleIntrospectionRequest(tokenForm(accessToken), basicFor('web-app'), context),
      );

      expect(error.error).toBe('unauthorized_client');
      expect(error.status).toBe(403);
      expect(error.description).toMatch(/may not use the introspection endpoint/);
    });

    it('rejects public client with permission', async () => {
      const context = lookupContext(secretHash);
      const parameters = tokenForm('anything', { client_id: 'public-resource' });

      const error = await rejectedOAuthError(
        handleIntrospectionRequest(parameters, undefined, context),
      );

      expect(error.error).toBe('unauthorized_client');
      expect(error.status).toBe(403);
    });

    it('rejects wrong client secret', async () => {
      const context = lookupContext(secretHash);
      const wrong = `Basic ${Buffer.from('resource-server:wrong').toString('base64')}`;

      const error = await rejectedOAuthError(
        handleIntrospectionRequest(tokenForm('anything'), wrong, context),
      );

      expect(error.error).toBe('invalid_client');
      expect(error.status).toBe(401);
    });

    it('rejects missing token', async () => {
      const context = lookupContext(secretHash);

      const error = await rejectedOAuthError(
        handleIntrospectionRequest(form({}), basicFor('resource-server'), context),
      );

      expect(error.error).toBe('invalid_request');
      expect(error.description).toBe('The token parameter is missing.');
    });
  });
});
