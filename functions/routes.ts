/**
 * The route table: every HTTP endpoint of the server, with the handler module that serves it.
 * The CDK stack creates one Lambda function and one HTTP API route per entry, and the local
 * server dispatches to the same handler modules, so the two cannot drift apart.
 */

/** DynamoDB actions that a handler may perform on the server's table. */
export type TableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem';

export type HttpMethod = 'GET' | 'POST';

export interface Route {
  /** PascalCase name of the route's Lambda function, used as its CDK construct id. */
  readonly name: string;
  readonly method: HttpMethod;
  readonly path: string;
  /** Handler module, relative to the repository root. It exports `handler`. */
  readonly entry: string;
  /** Table actions the handler performs: its function is granted these and nothing more. */
  readonly tableActions: readonly TableAction[];
  /**
   * Table actions of the consuming writes that go to an item's home region (see
   * storage/regional-tables.ts). In a multi-region eventual deployment the function is also
   * granted these on every other region's replica.
   */
  readonly homeRegionActions?: readonly TableAction[];
}

const signingKeyActions: readonly TableAction[] = ['dynamodb:Query', 'dynamodb:PutItem'];

/**
 * Reads sessions, users, clients and consents; stores interactions and codes. The implicit
 * flow loads the signing keys (Query) and may create the first one (PutItem).
 */
const authorizeActions: readonly TableAction[] = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
];

/** Also consumes interactions (DeleteItem) and updates counters and consents (UpdateItem). */
const interactionActions: readonly TableAction[] = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
];

/** Reads users, revoked access tokens and refresh token families, and the signing keys. */
const userinfoActions: readonly TableAction[] = ['dynamodb:GetItem', 'dynamodb:Query'];

/** Reads clients, sessions and users, loads the signing keys, and deletes the session. */
const logoutActions: readonly TableAction[] = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:DeleteItem',
];

export const routes: readonly Route[] = [
  {
    name: 'Authorize',
    method: 'GET',
    path: '/authorize',
    entry: 'functions/handlers/authorize.ts',
    tableActions: authorizeActions,
  },
  {
    name: 'AuthorizePost',
    method: 'POST',
    path: '/authorize',
    entry: 'functions/handlers/authorize.ts',
    tableActions: authorizeActions,
  },
  {
    name: 'LoginPage',
    method: 'GET',
    path: '/login',
    entry: 'functions/handlers/login-page.ts',
    tableActions: ['dynamodb:GetItem'],
  },
  {
    name: 'Login',
    method: 'POST',
    path: '/login',
    entry: 'functions/handlers/login.ts',
    tableActions: interactionActions,
  },
  {
    name: 'ConsentPage',
    method: 'GET',
    path: '/consent',
    entry: 'functions/handlers/consent-page.ts',
    tableActions: [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
    ],
  },
  {
    name: 'Consent',
    method: 'POST',
    path: '/consent',
    entry: 'functions/handlers/consent.ts',
    tableActions: interactionActions,
  },
  {
    name: 'Token',
    method: 'POST',
    path: '/token',
    entry: 'functions/handlers/token.ts',
    tableActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', ...signingKeyActions],
    // Redeeming a code and rotating a refresh token: an UpdateItem, and after a failed
    // condition a consistent GetItem, on the home region's replica.
    homeRegionActions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  },
  {
    // Reads clients, refresh tokens and families, and loads the signing keys to verify access
    // tokens. Records revoked access tokens and the ids of private_key_jwt assertions
    // (PutItem), and revokes families (UpdateItem).
    name: 'Revoke',
    method: 'POST',
    path: '/revoke',
    entry: 'functions/handlers/revoke.ts',
    tableActions: [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ],
  },
  {
    // Reads clients, users, revoked access tokens, refresh tokens, families and signing keys.
    // Its one write (PutItem) records the id of a private_key_jwt assertion, so each is used
    // once.
    name: 'Introspect',
    method: 'POST',
    path: '/introspect',
    entry: 'functions/handlers/introspect.ts',
    tableActions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem'],
  },
  {
    name: 'Userinfo',
    method: 'GET',
    path: '/userinfo',
    entry: 'functions/handlers/userinfo.ts',
    tableActions: userinfoActions,
  },
  {
    name: 'UserinfoPost',
    method: 'POST',
    path: '/userinfo',
    entry: 'functions/handlers/userinfo.ts',
    tableActions: userinfoActions,
  },
  {
    name: 'Logout',
    method: 'GET',
    path: '/logout',
    entry: 'functions/handlers/logout.ts',
    tableActions: logoutActions,
  },
  {
    name: 'LogoutPost',
    method: 'POST',
    path: '/logout',
    entry: 'functions/handlers/logout.ts',
    tableActions: logoutActions,
  },
  {
    name: 'AuthorizationServerMetadata',
    method: 'GET',
    path: '/.well-known/oauth-authorization-server',
    entry: 'functions/handlers/authorization-server-metadata.ts',
    tableActions: [],
  },
  {
    name: 'OpenIdConfiguration',
    method: 'GET',
    path: '/.well-known/openid-configuration',
    entry: 'functions/handlers/openid-configuration.ts',
    tableActions: [],
  },
  {
    name: 'Jwks',
    method: 'GET',
    path: '/jwks.json',
    entry: 'functions/handlers/jwks.ts',
    tableActions: signingKeyActions,
  },
  {
    name: 'Health',
    method: 'GET',
    path: '/health',
    entry: 'functions/handlers/health.ts',
    tableActions: signingKeyActions,
  },
];

/**
 * The handler for every request that matches no route: 405 with `Allow` for a known path,
 * 404 otherwise. On API Gateway it serves the `$default` route.
 */
export const fallbackRoute = {
  name: 'NoRoute',
  path: '$default',
  entry: 'functions/handlers/no-route.ts',
  tableActions: [] as readonly TableAction[],
} as const;

/** Returns the methods that the route table serves at a path, for a 405 `Allow` header. */
export function methodsAt(path: string): HttpMethod[] {
  return routes.filter((route) => route.path === path).map((route) => route.method);
}

/** Finds the route for a method and path, or returns undefined. */
export function findRoute(method: string, path: string): Route | undefined {
  return routes.find((route) => route.method === method && route.path === path);
}
