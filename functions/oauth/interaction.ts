/**
 * The steps of an interaction, the part of an authorization request on the server's own pages.
 * They check that a form belongs to the browser that started the request, and finish the
 * request once the user has signed in and consented.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  completeAuthorization,
  errorRedirect,
  type AuthorizationContext,
  type SignedInUser,
} from './authorization.ts';
import { responseModeOf } from './authorization-request.ts';
import { AccessDeniedError, InvalidRequestError } from './errors.ts';
import { hashSecretValue, type Interaction } from './grant-records.ts';

const EXPIRED =
  'This sign-in request has expired or was started in another browser. ' +
  'Return to the application and start again.';

/**
 * Loads an interaction and checks that the browser has the cookie it was bound to, so a
 * link to someone else's interaction is useless.
 */
export async function loadInteraction(
  interactionId: string | undefined,
  bindingCookie: string | undefined,
  context: Pick<AuthorizationContext, 'interactions'>,
): Promise<Interaction> {
  if (interactionId === undefined || bindingCookie === undefined) {
    throw new InvalidRequestError(EXPIRED);
  }
  const interaction = await context.interactions.findInteraction(interactionId);
  if (interaction === undefined || !sameValue(hashSecretValue(bindingCookie), interaction.bindingHash)) {
    throw new InvalidRequestError(EXPIRED);
  }
  return interaction;
}

/** Checks the CSRF token of a login or consent form. */
export function checkCsrfToken(interaction: Interaction, token: string | undefined): void {
  if (token === undefined || !sameValue(token, interaction.csrfToken)) {
    throw new InvalidRequestError('The form has expired. Go back, reload the page and try again.');
  }
}

/** Returns whether the signed-in user entered a password recently enough for the interaction. */
export function satisfiesLoginRequirement(
  interaction: Interaction,
  signedIn: SignedInUser | undefined,
): signedIn is SignedInUser {
  if (signedIn === undefined) return false;
  const after = interaction.requireLoginAfter;
  return after === undefined || signedIn.session.authTime >= after;
}

/**
 * Ends the interaction and issues the code. Deleting the interaction first makes it single
 * use: a form submitted twice yields one code.
 */
export async function finishInteraction(
  interaction: Interaction,
  signedIn: SignedInUser,
  context: AuthorizationContext,
): Promise<string> {
  await consume(interaction, context);
  return completeAuthorization(interaction.request, signedIn, context);
}

/** Ends the interaction with `access_denied` for the client, after the user declined. */
export async function denyInteraction(
  interaction: Interaction,
  context: AuthorizationContext,
): Promise<string> {
  await consume(interaction, context);
  const { redirectUri, state } = interaction.request;
  const error = new AccessDeniedError('The user denied the request.');
  const responseMode = responseModeOf(interaction.request);
  return errorRedirect(redirectUri, context.settings.issuer, error, state, responseMode);
}

async function consume(interaction: Interaction, context: AuthorizationContext): Promise<void> {
  const consumed = await context.interactions.consumeInteraction(interaction.interactionId);
  if (consumed === undefined) throw new InvalidRequestError(EXPIRED);
}

function sameValue(left: string, right: string): boolean {
  const a = Buffer.from(left);
  const b = Buffer.from(right);
  return a.length === b.length && timingSafeEqual(a, b);
}
