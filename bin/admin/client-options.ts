/**
 * The options of `clients create` and `clients update`, and the client registrations or
 * changes that they describe.
 */
import { generateClientSecret, hashClientSecret } from '../../functions/oauth/client-secret.ts';
import type { RegisteredClient } from '../../functions/oauth/client.ts';
import { SIGNING_ALGORITHMS } from '../../functions/oauth/signing-keys.ts';
import type { ClientChanges } from '../../functions/storage/client-repository.ts';
import {
  booleanOption,
  listOption,
  stringOption,
  type OptionSpec,
  type OptionValues,
} from './command.ts';
import {
  parseAuthMethod,
  parseGrantTypes,
  parseLifetime,
  parseRedirectUri,
  parseResponseTypes,
  parseScopes,
  parseSigningAlgorithm,
  readJwksFile,
  type LifetimeField,
} from './client-settings.ts';
import { UsageError } from './errors.ts';

const SKIP_CONSENT: OptionSpec = {
  type: 'boolean',
  description: 'Never ask users for consent, as for a first-party app.',
};

const INTROSPECTION: OptionSpec = {
  type: 'boolean',
  description: 'Allow the client to call the introspection endpoint, as a resource server.',
};

const SETTING_OPTIONS: Record<string, OptionSpec> = {
  name: { type: 'string', value: 'TEXT', description: 'Display name of the client.' },
  'jwks-file': {
    type: 'string',
    value: 'PATH',
    description: 'JSON file with the public JWK Set (or one JWK) of a private_key_jwt client.',
  },
  'grant-type': {
    type: 'string',
    multiple: true,
    value: 'TYPE',
    description:
      'authorization_code, refresh_token, client_credentials, password or implicit; ' +
      'several may be separated by commas.',
  },
  'response-type': {
    type: 'string',
    multiple: true,
    value: 'TYPE',
    description:
      "code (the default with authorization_code), token or 'id_token token' (implicit).",
  },
  'redirect-uri': {
    type: 'string',
    multiple: true,
    value: 'URI',
    description: 'Redirect URI: https, http on loopback, or a private-use scheme.',
  },
  scope: {
    type: 'string',
    multiple: true,
    value: 'SCOPES',
    description: 'Scopes that the client may request, separated by spaces.',
  },
  audience: {
    type: 'string',
    value: 'URI',
    description: "The aud of the client's access tokens (default: the server's).",
  },
  'access-token-lifetime': {
    type: 'string',
    value: 'SECONDS',
    description: "Access token lifetime, 60 to 86400 (default: the server's).",
  },
  'refresh-token-idle': {
    type: 'string',
    value: 'SECONDS',
    description: "A refresh token unused this long expires (default: the server's).",
  },
  'refresh-token-absolute': {
    type: 'string',
    value: 'SECONDS',
    description: "No refresh token of a sign-in outlives this (default: the server's).",
  },
  'skip-consent': SKIP_CONSENT,
  introspection: INTROSPECTION,
  'post-logout-redirect-uri': {
    type: 'string',
    multiple: true,
    value: 'URI',
    description: 'Where the client may send the browser after logout.',
  },
  'id-token-alg': {
    type: 'string',
    value: 'ALG',
    description:
      `Signing algorithm of the ID tokens: ${SIGNING_ALGORITHMS.join(', ')}; ` +
      'ES256 by default.',
  },
};

export const CREATE_OPTIONS: Record<string, OptionSpec> = {
  'auth-method': {
    type: 'string',
    value: 'METHOD',
    description:
      'client_secret_basic (default), client_secret_post, private_key_jwt, or none for a ' +
      'public client such as a single-page or native app.',
  },
  ...SETTING_OPTIONS,
};

const LIFETIME_OPTIONS: Record<string, LifetimeField> = {
  'access-token-lifetime': 'accessTokenLifetimeSeconds',
  'refresh-token-idle': 'refreshTokenIdleSeconds',
  'refresh-token-absolute': 'refreshTokenAbsoluteSeconds',
};

export const UPDATE_OPTIONS: Record<string, OptionSpec> = {
  'auth-method': {
    type: 'string',
    value: 'METHOD',
    description: 'Switch between client_secret_basic and client_secret_post.',
  },
  ...SETTING_OPTIONS,
  'add-redirect-uri': {
    type: 'string',
    multiple: true,
    value: 'URI',
    description: 'Add a redirect URI to the registered ones.',
  },
  'remove-redirect-uri': {
    type: 'string',
    multiple: true,
    value: 'URI',
    description: 'Remove a registered redirect URI.',
  },
  'add-scope': {
    type: 'string',
    multiple: true,
    value: 'SCOPES',
    description: 'Add scopes, separated by spaces.',
  },
  'remove-scope': {
    type: 'string',
    multiple: true,
    value: 'SCOPES',
    description: 'Remove scopes, separated by spaces.',
  },
  'skip-consent': { ...SKIP_CONSENT, negatable: true },
  introspection: { ...INTROSPECTION, negatable: true },
};

export const UPDATE_NOTES = [
  'A repeated list option (--grant-type, --response-type, --redirect-uri, --scope, ' +
    '--post-logout-redirect-uri) replaces the whole list. To remove a setting and fall back ' +
    "to the server's default, pass an empty --name or --audience, or the value 'default' " +
    'to a lifetime or to --id-token-alg.',
];

/**
 * Builds a new client from the options of `clients create`. Returns the generated secret of a
 * client that authenticates with one; only its hash goes into the client.
 */
export async function clientFromOptions(
  clientId: string,
  options: OptionValues,
): Promise<{ client: RegisteredClient; secret?: string }> {
  const method = parseAuthMethod(stringOption(options, 'auth-method') ?? 'client_secret_basic');
  const grantTypes = parseGrantTypes(listOption(options, 'grant-type') ?? []);
  const responseTypes =
    listOption(options, 'response-type') === undefined
      ? grantTypes.includes('authorization_code')
        ? (['code'] as const)
        : []
      : parseResponseTypes(listOption(options, 'response-type') ?? []);

  const jwksFile = stringOption(options, 'jwks-file');
  const client: RegisteredClient = {
    clientId,
    tokenEndpointAuthMethod: method,
    grantTypes,
    scopes: parseScopes(listOption(options, 'scope') ?? []),
    ...(responseTypes.length > 0 ? { responseTypes: [...responseTypes] } : {}),
    ...(jwksFile === undefined ? {} : { jwks: await readJwksFile(jwksFile) }),
    ...optionalSettings(options),
  };

  const usesSecret = method === 'client_secret_basic' || method === 'client_secret_post';
  if (!usesSecret) return { client };
  const secret = generateClientSecret();
  return { client: { ...client, secretHash: await hashClientSecret(secret) }, secret };
}

/** The settings that both create and update set, when their options are given. */
function optionalSettings(options: OptionValues): Partial<RegisteredClient> {
  const settings: Partial<RegisteredClient> = {};
  const name = stringOption(options, 'name');
  if (name !== undefined && name !== '') settings.clientName = name;
  const audience = stringOption(options, 'audience');
  if (audience !== undefined && audience !== '') settings.audience = audience;

  const redirectUris = listOption(options, 'redirect-uri');
  if (redirectUris !== undefined) {
    settings.redirectUris = redirectUris.map((uri) => parseRedirectUri(uri, 'redirect-uri'));
  }
  const logoutUris = listOption(options, 'post-logout-redirect-uri');
  if (logoutUris !== undefined) {
    settings.postLogoutRedirectUris = logoutUris.map((uri) =>
      parseRedirectUri(uri, 'post-logout-redirect-uri'),
    );
  }
  for (const [option, field] of Object.entries(LIFETIME_OPTIONS)) {
    const value = stringOption(options, option);
    if (value !== undefined && value !== 'default') settings[field] = parseLifetime(value, field);
  }
  const algorithm = stringOption(options, 'id-token-alg');
  if (algorithm !== undefined && algorithm !== 'default') {
    settings.idTokenSignedResponseAlg = parseSigningAlgorithm(algorithm);
  }
  if (booleanOption(options, 'skip-consent') === true) settings.skipConsent = true;
  if (booleanOption(options, 'introspection') === true) settings.introspection = true;
  return settings;
}

/**
 * Returns the changes that the options of `clients update` make to a client, as attributes
 * to set and, set to undefined, attributes to remove.
 */
export async function changesFromOptions(
  client: RegisteredClient,
  options: OptionValues,
): Promise<ClientChanges> {
  const changes: ClientChanges = { ...optionalSettings(options) };
  changeAuthMethod(client, options, changes);

  const grantTypes = listOption(options, 'grant-type');
  if (grantTypes !== undefined) changes.grantTypes = parseGrantTypes(grantTypes);
  const responseTypes = listOption(options, 'response-type');
  if (responseTypes !== undefined) changes.responseTypes = parseResponseTypes(responseTypes);
  else if (changes.grantTypes !== undefined) followCodeGrant(client, changes.grantTypes, changes);
  const jwksFile = stringOption(options, 'jwks-file');
  if (jwksFile !== undefined) changes.jwks = await readJwksFile(jwksFile);

  changeScopes(client, options, changes);
  changeRedirectUris(client, options, changes);
  removeDefaults(options, changes);
  return changes;
}

function changeAuthMethod(
  client: RegisteredClient,
  options: OptionValues,
  changes: ClientChanges,
): void {
  const value = stringOption(options, 'auth-method');
  if (value === undefined) return;
  const method = parseAuthMethod(value);
  const secretMethods = ['client_secret_basic', 'client_secret_post'];
  const switchable = secretMethods.includes(method) && client.secretHash !== undefined;
  if (method !== client.tokenEndpointAuthMethod && !switchable) {
    throw new UsageError(
      `The client ${client.clientId} cannot change from ${client.tokenEndpointAuthMethod} to ` +
        `${method}: only client_secret_basic and client_secret_post, which share the secret, ` +
        'switch in place. Delete the client and create it again with the new method.',
    );
  }
  changes.tokenEndpointAuthMethod = method;
}

/**
 * Adds the response type `code` when the grant types gain authorization_code, and removes it
 * when they lose it, as create does by default.
 */
function followCodeGrant(
  client: RegisteredClient,
  grantTypes: RegisteredClient['grantTypes'],
  changes: ClientChanges,
): void {
  const current = client.responseTypes ?? [];
  const withoutCode = current.filter((type) => type !== 'code');
  const usesCode = grantTypes.includes('authorization_code');
  const wanted = usesCode ? ['code' as const, ...withoutCode] : withoutCode;
  if (wanted.length === current.length && wanted.every((type) => current.includes(type))) return;
  changes.responseTypes = wanted.length > 0 ? wanted : undefined;
}

function changeScopes(client: RegisteredClient, options: OptionValues, changes: ClientChanges) {
  const added = parseScopes(listOption(options, 'add-scope') ?? []);
  const removed = parseScopes(listOption(options, 'remove-scope') ?? []);
  if (added.length === 0 && removed.length === 0) {
    const replaced = listOption(options, 'scope');
    if (replaced !== undefined) changes.scopes = parseScopes(replaced);
    return;
  }
  if (listOption(options, 'scope') !== undefined) {
    throw new UsageError(
      '--scope replaces the scopes; it cannot be combined with --add-scope or --remove-scope.',
    );
  }
  const scopes = [...new Set([...client.scopes, ...added])];
  changes.scopes = scopes.filter((scope) => !removed.includes(scope));
}

function changeRedirectUris(
  client: RegisteredClient,
  options: OptionValues,
  changes: ClientChanges,
): void {
  const added = (listOption(options, 'add-redirect-uri') ?? []).map((uri) =>
    parseRedirectUri(uri, 'add-redirect-uri'),
  );
  const removed = listOption(options, 'remove-redirect-uri') ?? [];
  if (added.length === 0 && removed.length === 0) return;
  if (listOption(options, 'redirect-uri') !== undefined) {
    throw new UsageError(
      '--redirect-uri replaces the redirect URIs; it cannot be combined with ' +
        '--add-redirect-uri or --remove-redirect-uri.',
    );
  }
  const registered = client.redirectUris ?? [];
  const unknown = removed.filter((uri) => !registered.includes(uri));
  if (unknown.length > 0) {
    throw new UsageError(`The client ${client.clientId} has no redirect URI ${unknown[0]}.`);
  }
  const uris = [...new Set([...registered, ...added])];
  changes.redirectUris = uris.filter((uri) => !removed.includes(uri));
}

/** Marks for removal the settings that the options reset to the server's default. */
function removeDefaults(options: OptionValues, changes: ClientChanges): void {
  if (stringOption(options, 'name') === '') changes.clientName = undefined;
  if (stringOption(options, 'audience') === '') changes.audience = undefined;
  if (stringOption(options, 'id-token-alg') === 'default') {
    changes.idTokenSignedResponseAlg = undefined;
  }
  for (const [option, field] of Object.entries(LIFETIME_OPTIONS)) {
    if (stringOption(options, option) === 'default') changes[field] = undefined;
  }
  if (booleanOption(options, 'skip-consent') === false) changes.skipConsent = undefined;
  if (booleanOption(options, 'introspection') === false) changes.introspection = undefined;
}

/** Applies changes to a client, as the table will hold it after the update. */
export function applyChanges(client: RegisteredClient, changes: ClientChanges): RegisteredClient {
  const updated: Record<string, unknown> = { ...client };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete updated[name];
    else updated[name] = value;
  }
  return updated as unknown as RegisteredClient;
}
