import { describe, expect, it } from 'vitest';
import { startInteraction } from '../../functions/oauth/authorization.ts';
import { epochSeconds } from '../../functions/oauth/clock.ts';
import {
  checkCsrfToken,
  denyInteraction,
  finishInteraction,
  loadInteraction,
  satisfiesLoginRequirement,
} from '../../functions/oauth/interaction.ts';
import {
  authorizationContext,
  authorizationRequest,
  ISSUER,
  REDIRECT_URI,
  signIn,
  type TestAuthorizationContext,
} from './authorization-context.ts';
import { rejectedOAuthError, thrownOAuthError } from './support.ts';

const EXPIRED = /^This sign-in request has expired or was started in another browser\./;

async function started(context: TestAuthorizationContext, requireLoginAfter?: number) {
  return startInteraction(authorizationRequest(), context, requireLoginAfter);
}

describe('loadInteraction', () => {
  it('returns interaction for its cookie', async () => {
    const context = authorizationContext();
    const { interaction, bindingCookie } = await started(context);

    const loaded = await loadInteraction(interaction.interactionId, bindingCookie, context);

    expect(loaded).toEqual(interaction);
  });

  it('rejects another browser cookie', async () => {
    const context = authorizationContext();
    const { interaction } = await started(context);
    const other = await started(context);

    const error = await rejectedOAuthError(
      loadInteraction(interaction.interactionId, other.bindingCookie, context),
    );

    expect(error.error).toBe('invalid_request');
    expect(error.description).toMatch(EXPIRED);
  });

  it('rejects binding hash as cookie', async () => {
    const context = authorizationContext();
    const { interaction } = await started(context);

    const error = await rejectedOAuthError(
      loadInteraction(interaction.interactionId, interaction.bindingHash, context),
    );

    expect(error.error).toBe('invalid_request');
  });

  it('rejects missing cookie', async () => {
    const context = authorizationContext();
    const { interaction } = await started(context);

    const error = await rejectedOAuthError(
      loadInteraction(interaction.interactionId, undefined, context),
    );

    expect(error.error).toBe('invalid_request');
    expect(error.description).toMatch(EXPIRED);
  });

  it('rejects missing interaction id', async () => {
    const context = authorizationContext();
    const { bindingCookie } = await started(context);

    const error = await rejectedOAuthError(loadInteraction(undefined, bindingCookie, context));

    expect(error.error).toBe('invalid_request');
  });

  it('rejects unknown interaction id', async () => {
    const context = authorizationContext();
    const { bindingCookie } = await started(context);

    const error = await rejectedOAuthError(loadInteraction('unknown', bindingCookie, context));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toMatch(EXPIRED);
  });

  it('rejects expired interaction', async () => {
    const context = authorizationContext();
    const { interaction, bindingCookie } = await started(context);
    context.clock.advance(context.settings.interactionLifetimeSeconds * 1000);

    const error = await rejectedOAuthError(
      loadInteraction(interaction.interactionId, bindingCookie, context),
    );

    expect(error.error).toBe('invalid_request');
  });
});

describe('checkCsrfToken', () => {
  it('accepts token of interaction', async () => {
    const { interaction } = await started(authorizationContext());

    expect(() => checkCsrfToken(interaction, interaction.csrfToken)).not.toThrow();
  });

  it('rejects missing token', async () => {
    const { interaction } = await started(authorizationContext());

    const error = thrownOAuthError(() => checkCsrfToken(interaction, undefined));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toBe('The form has expired. Go back, reload the page and try again.');
  });

  it('rejects token of another interaction', async () => {
    const context = authorizationContext();
    const { interaction } = await started(context);
    const other = await started(context);

    const error = thrownOAuthError(() => checkCsrfToken(interaction, other.interaction.csrfToken));

    expect(error.error).toBe('invalid_request');
  });

  it('rejects prefix of token', async () => {
    const { interaction } = await started(authorizationContext());

    const error = thrownOAuthError(() =>
      checkCsrfToken(interaction, interaction.csrfToken.slice(0, -1)),
    );

    expect(error.error).toBe('invalid_request');
  });
});

describe('satisfiesLoginRequirement', () => {
  it('rejects missing user', async () => {
    const { interaction } = await started(authorizationContext());

    expect(satisfiesLoginRequirement(interaction, undefined)).toBe(false);
  });

  it('accepts any session without requirement', async () => {
    const context = authorizationContext();
    const { interaction } = await started(context);
    const { signedIn } = await signIn(context, 86_000);

    expect(satisfiesLoginRequirement(interaction, signedIn)).toBe(true);
  });

  it('accepts login at required time', async () => {
    const context = authorizationContext();
    const { interaction } = await started(context, epochSeconds(context.clock));
    const { signedIn } = await signIn(context);

    expect(satisfiesLoginRequirement(interaction, signedIn)).toBe(true);
  });

  it('rejects login before required time', async () => {
    const context = authorizationContext();
    const { interaction } = await started(context, epochSeconds(context.clock));
    const { signedIn } = await signIn(context, 1);

    expect(satisfiesLoginRequirement(interaction, signedIn)).toBe(false);
  });
});

describe('finishInteraction', () => {
  it('redirects with code and state', async () => {
    const context = authorizationContext();
    const { interaction } = await started(context);
    const { signedIn } = await signIn(context);

    const location = new URL(await finishInteraction(interaction, signedIn, context));

    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.get('state')).toBe('state-123');
    expect(location.searchParams.get('iss')).toBe(ISSUER);
  });

  it('deletes interaction', async () => {
    const context = authorizationContext();
    const { interaction } = await started(context);
    const { signedIn } = await signIn(context);

    await finishInteraction(interaction, signedIn, context);

    expect(context.interactions.interactions.size).toBe(0);
  });

  it('rejects second finish', async () => {
    const context = authorizationContext();
    const { interaction } = await started(context);
    const { signedIn } = await signIn(context);
    await finishInteraction(interaction, signedIn, context);

    const error = await rejectedOAuthError(finishInteraction(interaction, signedIn, context));

    expect(error.error).toBe('invalid_request');
    expect(error.description).toMatch(EXPIRED);
    expect(context.codes.codes.size).toBe(1);
  });

  it('issues one code for concurrent finishes', async () => {
    const context = authorizationContext();
    const { interaction } = await started(context);
    const { signedIn } = await signIn(context);

    const results = await Promise.allSettled([
      finishInteraction(interaction, signedIn, context),
      finishInteraction(interaction, signedIn, context),
    ]);

    const fulfilled = results.filter((result) => result.status === 'fulfilled');
    expect(fulfilled).toHaveLength(1);
    expect(context.codes.codes.size).toBe(1);
  });

  it('rejects expired interaction', async () => {
    const context = authorizationContext();
    const { interaction } = await started(context);
    const { signedIn } = await signIn(context);
    context.clock.advance(context.settings.interactionLifetimeSeconds * 1000);

    const error = await rejectedOAuthError(finishInteraction(interaction, signedIn, context));

    expect(error.error).toBe('invalid_request');
    expect(context.codes.codes.size).toBe(0);
  });
});

describe('denyInteraction', () => {
  it('redirects with access_denied', async () => {
    const context = authorizationContext();
    const { interaction } = await started(context);

    const location = new URL(await denyInteraction(interaction, context));

    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('error_description')).toBe('The user denied the request.');
    expect(location.searchParams.get('state')).toBe('state-123');
    expect(location.searchParams.get('iss')).toBe(ISSUER);
    expect(location.searchParams.has('code')).toBe(false);
  });

  it('deletes interaction without code', async () => {
    const context = authorizationContext();
    const { interaction } = await started(context);

    await denyInteraction(interaction, context);

    expect(context.interactions.interactions.size).toBe(0);
    expect(context.codes.codes.size).toBe(0);
  });

  it('rejects deny after finish', async () => {
    const context = authorizationContext();
    const { interaction } = await started(context);
    const { signedIn } = await signIn(context);
    await finishInteraction(interaction, signedIn, context);

    const error = await rejectedOAuthError(denyInteraction(interaction, context));

    expect(error.error).toBe('invalid_request');
  });

  it('rejects finish after deny', async () => {
    const context = authorizationContext();
    const { interaction } = await started(context);
    const { signedIn } = await signIn(context);
    await denyInteraction(interaction, context);

    const error = await rejectedOAuthError(finishInteraction(interaction, signedIn, context));

    expect(error.error).toBe('invalid_request');
    expect(context.codes.codes.size).toBe(0);
  });
});
