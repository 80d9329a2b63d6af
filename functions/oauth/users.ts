/**
 * Users, browser sessions, consents and login rate limits: the types and store interfaces that
 * the authorization endpoint and the login and consent pages use. Storage implements them.
 */

/** A password's scrypt hash with the parameters that produced it, so they can be raised. */
export interface PasswordHash {
  algorithm: 'scrypt';
  /** base64url */
  salt: string;
  /** base64url */
  hash: string;
  cost: number;
  blockSize: number;
  parallelization: number;
}

export interface User {
  /** Stable opaque id, the `sub` of the user's tokens. */
  userId: string;
  /** Unique, compared case-insensitively. */
  username: string;
  passwordHash: PasswordHash;
  name?: string;
  email?: string;
  emailVerified?: boolean;
  disabled?: boolean;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
  /**
   * Seconds since the Unix epoch. Sessions and refresh token families whose sign-in
   * (`authTime`) is before it, and access tokens issued (`iat`) before it, are no longer
   * valid: the user was signed out everywhere.
   */
  signedOutAt?: number;
}

export interface UserStore {
  findUserById(userId: string): Promise<User | undefined>;
  findUserByUsername(username: string): Promise<User | undefined>;
  /** Creates a user; returns false when the username is taken. */
  createUser(user: User): Promise<boolean>;
}

/** A signed-in browser. The cookie carries a random value; the store keeps only its hash. */
export interface Session {
  /** SHA-256 of the cookie value, base64url. */
  sessionHash: string;
  userId: string;
  /** Seconds since the Unix epoch when the user last entered a password. */
  authTime: number;
  /** Authentication methods references (RFC 8176), such as ['pwd']. */
  amr: string[];
  /** Seconds since the Unix epoch. */
  expiresAt: number;
}

export interface SessionStore {
  createSession(session: Session): Promise<void>;
  /** Returns the session unless it is missing or expired. */
  findSession(sessionHash: string): Promise<Session | undefined>;
  deleteSession(sessionHash: string): Promise<void>;
}

export interface ConsentStore {
  /** Returns the scopes the user has granted the client, or an empty list. */
  findGrantedScopes(userId: string, clientId: string): Promise<string[]>;
  /** Adds scopes to the user's grant for the client. */
  grantScopes(userId: string, clientId: string, scopes: string[]): Promise<void>;
}

/** Counters of failed logins in fixed time windows, which expire with the window. */
export interface LoginAttemptStore {
  /** Adds one failure to the counter and returns its new value. */
  recordFailure(counter: string, windowStart: number, expiresAt: number): Promise<number>;
  /** Returns the number of failures in the window. */
  countFailures(counter: string, windowStart: number): Promise<number>;
}
