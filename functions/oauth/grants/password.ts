/**
 * The resource owner password credentials grant (RFC 6749 section 4.3), a legacy option that a
 * client has only when its registration lists `password`. RFC 9700 section 2.4 forbids it
 * ("MUST NOT be used"), because the client sees the user's password, users learn to type their
 * password outside the authorization server, and the grant does not fit multi-factor sign-in.
 *
 * Failed attempts count against the same limits as the login page, and every failure has the
 * same message, so the response does not reveal whether a username exists.
 */
import { epochSeconds } from '../clock.ts';
import { InvalidGrantError, InvalidRequestError } from '../errors.ts';
import type { LoginRateLimiter } from '../login-rate-limit.ts';
import { verifyPassword, verifyPasswordOfMissingUser } from '../password.ts';
import { RefreshTokens } from '../refresh-tokens.ts';
import { grantScopes } from '../scope.ts';
import type {
  Grant,
  TokenEndpointContext,
  TokenRequest,
  TokenResponse,
} from '../token-endpoint.ts';
import type { User, UserStore } from '../users.ts';
import { userTokenResponse } from './issue-tokens.ts';

export const WRONG_CREDENTIALS = 'The username or password is incorrect.';
export const TOO_MANY_ATTEMPTS =
  'Too many failed sign-in attempts. Wait 15 minutes, then try again.';

export const passwordGrant: Grant = {
  type: 'password',

  async handle(request, context) {
    const { parameters, client } = request;
    const username = required(parameters.get('username'), 'username');
    const password = required(parameters.get('password'), 'password');
    const scopes = grantScopes(parameters.get('scope'), client.scopes);
    const { users, loginRateLimiter } = passwordServices(context);
    const sourceIp = requiredSourceIp(request);

    if (!(await loginRateLimiter.checkAllowed(username, sourceIp))) {
      throw new InvalidGrantError(TOO_MANY_ATTEMPTS, {
        cause: new Error(`login rate limit reached for client ${client.clientId}`),
      });
    }
    const user = await checkPassword(users, username, password);
    if (user === undefined) {
      await loginRateLimiter.recordFailure(username, sourceIp);
      throw new InvalidGrantError(WRONG_CREDENTIALS);
    }

    return issueTokens(request, user, scopes, context);
  },
};

function required(value: string | undefined, name: string): string {
  if (value === undefined) throw new InvalidRequestError(`The ${name} parameter is missing.`);
  return value;
}

function passwordServices(context: TokenEndpointContext): {
  users: UserStore;
  loginRateLimiter: LoginRateLimiter;
} {
  const { users, loginRateLimiter } = context;
  if (users === undefined || loginRateLimiter === undefined) {
    throw new Error('The password grant needs users and loginRateLimiter in its context.');
  }
  return { users, loginRateLimiter };
}

function requiredSourceIp(request: TokenRequest): string {
  if (request.sourceIp === undefined) {
    throw new Error('The password grant needs the source IP address of the request.');
  }
  return request.sourceIp;
}

/**
 * Returns the user when the password matches. An unknown or disabled user costs the same
 * scrypt work as a wrong password, and fails the same way.
 */
async function checkPassword(
  users: UserStore,
  username: string,
  password: string,
): Promise<User | undefined> {
  const user = await users.findUserByUsername(username);
  if (user === undefined || user.disabled) {
    await verifyPasswordOfMissingUser(password);
    return undefined;
  }
  return (await verifyPassword(password, user.passwordHash)) ? user : undefined;
}

/** Issues an access token for the user and, when the client may refresh, a refresh token. */
async function issueTokens(
  { client }: TokenRequest,
  user: User,
  scopes: string[],
  context: TokenEndpointContext,
): Promise<TokenResponse> {
  const authTime = epochSeconds(context.clock);
  const amr = ['pwd'];
  if (!client.grantTypes.includes('refresh_token')) {
    return userTokenResponse({ client, userId: user.userId, scopes, authTime, amr }, context);
  }

  const familyId = RefreshTokens.newFamilyId(context.refreshTokens.region);
  const refreshToken = await context.refreshTokens.issue({
    familyId,
    client,
    userId: user.userId,
    scopes,
    authTime,
  });
  return userTokenResponse(
    { client, userId: user.userId, scopes, refreshToken, familyId, authTime, amr },
    context,
  );
}
