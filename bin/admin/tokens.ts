/**
 * The `tokens` commands: revoke one refresh token family, named by its id or by one of its
 * refresh tokens, or every token that a client has received.
 */
import { systemClock } from '../../functions/oauth/clock.ts';
import { hashSecretValue } from '../../functions/oauth/grant-records.ts';
import type { RefreshFamily } from '../../functions/oauth/grant-records.ts';
import { ClientRepository } from '../../functions/storage/client-repository.ts';
import { RefreshTokenRepository } from '../../functions/storage/refresh-token-repository.ts';
import {
  booleanOption,
  stringOption,
  type CommandSpec,
  type GroupSpec,
  type Invocation,
} from './command.ts';
import { OFFLINE_TOKENS_NOTE, revokeNow } from './cutoff.ts';
import { NotFoundError, UsageError } from './errors.ts';
import { isoTime, readAllInput } from './io.ts';

/** `<family id>.<secret>`, the form of the server's refresh tokens. */
const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_~-]{1,128}\.[A-Za-z0-9_-]{1,128}$/;

const FAMILY_ID_SHAPE = /^[A-Za-z0-9_~-]{1,128}$/;

const CACHE_NOTE =
  'Warm functions read the client again within MEMORY_CACHE_SECONDS (60 by default).';

const revoke: CommandSpec = {
  name: 'revoke',
  summary: 'Revoke a refresh token family, or every token of a client',
  arguments: [],
  options: {
    family: {
      type: 'string',
      value: 'ID',
      description: 'Revoke the refresh token family with this id: the part of its refresh ' +
        "tokens before the '.', and the refresh_family claim of its access tokens.",
    },
    'refresh-token-stdin': {
      type: 'boolean',
      description: 'Revoke the family of the refresh token read from standard input.',
    },
    client: {
      type: 'string',
      value: 'CLIENT_ID',
      description: 'Revoke every refresh and access token that this client has received so far.',
    },
  },
  notes: [
    'Give exactly one of --family, --refresh-token-stdin and --client. A revoked family fails ' +
      'at the token endpoint, and introspection reports its refresh and access tokens ' +
      'inactive. After --client, the same holds for every family and access token that the ' +
      'client received before the command; the client itself keeps working.',
    OFFLINE_TOKENS_NOTE,
  ],
  async run(invocation) {
    const familyId = stringOption(invocation.options, 'family');
    const fromStdin = booleanOption(invocation.options, 'refresh-token-stdin') === true;
    const clientId = stringOption(invocation.options, 'client');
    const given = [familyId !== undefined, fromStdin, clientId !== undefined].filter(Boolean);
    if (given.length !== 1) {
      throw new UsageError('Give exactly one of --family, --refresh-token-stdin and --client.');
    }

    if (clientId !== undefined) return revokeClientTokens(invocation, clientId);
    if (familyId !== undefined && !FAMILY_ID_SHAPE.test(familyId)) {
      throw new UsageError(`--family ${familyId} is not a refresh token family id.`);
    }
    const presented = fromStdin ? await readRefreshToken(invocation) : undefined;
    const families = await openFamilies(invocation);
    const family =
      presented === undefined
        ? await findFamily(families, familyId ?? '')
        : await findFamilyOfToken(families, presented);
    return revokeFamily(invocation, families, family);
  },
};

async function readRefreshToken(invocation: Invocation): Promise<string> {
  const token = (await readAllInput(invocation.io.stdin)).trim();
  if (!REFRESH_TOKEN_SHAPE.test(token)) {
    throw new UsageError('Standard input does not contain a refresh token of this server.');
  }
  return token;
}

async function openFamilies(invocation: Invocation): Promise<RefreshTokenRepository> {
  const table = await invocation.openTable();
  return new RefreshTokenRepository(table.documents, table.tableName, systemClock);
}

async function findFamily(
  families: RefreshTokenRepository,
  familyId: string,
): Promise<RefreshFamily> {
  const family = await families.findFamily(familyId);
  if (family === undefined) {
    throw new NotFoundError(`The refresh token family ${familyId} does not exist or expired.`);
  }
  return family;
}

async function findFamilyOfToken(
  families: RefreshTokenRepository,
  presented: string,
): Promise<RefreshFamily> {
  const familyId = presented.slice(0, presented.indexOf('.'));
  const [token, family] = await Promise.all([
    families.findToken(hashSecretValue(presented)),
    families.findFamily(familyId),
  ]);
  if (token === undefined || family === undefined || token.familyId !== family.familyId) {
    throw new NotFoundError('The refresh token was not issued by this server, or it expired.');
  }
  return family;
}

async function revokeFamily(
  invocation: Invocation,
  families: RefreshTokenRepository,
  family: RefreshFamily,
) {
  const { familyId, clientId, userId } = family;
  const summary = { familyId, clientId, userId };
  if (family.revokedAt !== undefined) {
    const revokedAt = isoTime(family.revokedAt, 'seconds');
    return {
      text: `The refresh token family ${familyId} was already revoked at ${revokedAt}.`,
      json: { ...summary, revokedAt, alreadyRevoked: true },
    };
  }
  await invocation.confirm(
    `Revoke refresh token family ${familyId} of client ${clientId} and user ${userId}?`,
  );
  const now = Math.floor(Date.now() / 1000);
  await families.revokeFamily(familyId, now);
  return {
    text:
      `Revoked refresh token family ${familyId} of client ${clientId} and user ${userId}. ` +
      'Introspection and UserInfo reject its access tokens. ' +
      OFFLINE_TOKENS_NOTE,
    json: { ...summary, revokedAt: isoTime(now, 'seconds'), alreadyRevoked: false },
  };
}

async function revokeClientTokens(invocation: Invocation, clientId: string) {
  const table = await invocation.openTable();
  const clients = new ClientRepository(table.documents, table.tableName, systemClock);
  if ((await clients.findClient(clientId)) === undefined) {
    throw new NotFoundError(`The client ${clientId} does not exist.`);
  }
  await invocation.confirm(
    `Revoke every token of client ${clientId}? Its users must sign in again.`,
  );
  const cutoff = await revokeNow(async (time) => {
    if (!(await clients.revokeTokensBefore(clientId, time))) {
      throw new NotFoundError(`The client ${clientId} was deleted meanwhile.`);
    }
  });
  const before = isoTime(cutoff, 'seconds');
  return {
    text:
      `Revoked every token that client ${clientId} received before ${before}: its refresh ` +
      'tokens fail at the token endpoint, and introspection reports them and its access ' +
      `tokens inactive. ${CACHE_NOTE} ${OFFLINE_TOKENS_NOTE}`,
    json: { clientId, tokensRevokedBefore: before },
  };
}

export const tokenCommands: GroupSpec = {
  name: 'tokens',
  summary: 'Revoke refresh token families, or every token of a client',
  commands: [revoke],
};
