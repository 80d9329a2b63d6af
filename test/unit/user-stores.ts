/**
 * In-memory stores of interactions, users, sessions and consents for unit tests. They keep the
 * semantics of the DynamoDB repositories: an expired interaction or session is not returned,
 * an interaction is consumed once, a username is unique in its normalized form, and granting
 * consent adds scopes to the ones already granted.
 */
import type { Clock } from '../../functions/oauth/clock.ts';
import { epochSeconds } from '../../functions/oauth/clock.ts';
import type { Interaction, InteractionStore } from '../../functions/oauth/grant-records.ts';
import type {
  ConsentStore,
  PasswordHash,
  Session,
  SessionStore,
  User,
  UserStore,
} from '../../functions/oauth/users.ts';
import { normalizeUsername } from '../../functions/oauth/username.ts';

/** A placeholder password hash. The unit tests never verify passwords. */
export const UNUSED_PASSWORD_HASH: PasswordHash = {
  algorithm: 'scrypt',
  salt: 'c2FsdA',
  hash: 'aGFzaA',
  cost: 16_384,
  blockSize: 8,
  parallelization: 1,
};

export class InMemoryInteractionStore implements InteractionStore {
  readonly interactions = new Map<string, Interaction>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async createInteraction(interaction: Interaction): Promise<void> {
    this.interactions.set(interaction.interactionId, structuredClone(interaction));
  }

  async findInteraction(interactionId: string): Promise<Interaction | undefined> {
    return this.#live(this.interactions.get(interactionId));
  }

  /** Deletes the interaction, as the repository's conditional delete, and returns it if live. */
  async consumeInteraction(interactionId: string): Promise<Interaction | undefined> {
    const interaction = this.interactions.get(interactionId);
    this.interactions.delete(interactionId);
    return this.#live(interaction);
  }

  #live(interaction: Interaction | undefined): Interaction | undefined {
    if (interaction === undefined || interaction.expiresAt <= epochSeconds(this.#clock)) {
      return undefined;
    }
    return structuredClone(interaction);
  }
}

export class InMemorySessionStore implements SessionStore {
  readonly sessions = new Map<string, Session>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async createSession(session: Session): Promise<void> {
    this.sessions.set(session.sessionHash, structuredClone(session));
  }

  async findSession(sessionHash: string): Promise<Session | undefined> {
    const session = this.sessions.get(sessionHash);
    if (session === undefined || session.expiresAt <= epochSeconds(this.#clock)) return undefined;
    return structuredClone(session);
  }

  async deleteSession(sessionHash: string): Promise<void> {
    this.sessions.delete(sessionHash);
  }
}

export class InMemoryUserStore implements UserStore {
  readonly users = new Map<string, User>();

  async findUserById(userId: string): Promise<User | undefined> {
    const user = this.users.get(userId);
    return user === undefined ? undefined : structuredClone(user);
  }

  async findUserByUsername(username: string): Promise<User | undefined> {
    const normalized = normalizeUsername(username);
    for (const user of this.users.values()) {
      if (normalizeUsername(user.username) === normalized) return structuredClone(user);
    }
    return undefined;
  }

  async createUser(user: User): Promise<boolean> {
    const alreadyExists =
      this.users.has(user.userId) || (await this.findUserByUsername(user.username)) !== undefined;
    if (alreadyExists) return false;
    this.users.set(user.userId, structuredClone(user));
    return true;
  }
}

/** A consent store that counts reads, so a test can tell whether consent was looked up. */
export class InMemoryConsentStore implements ConsentStore {
  readonly #grants = new Map<string, Set<string>>();
  reads = 0;

  async findGrantedScopes(userId: string, clientId: string): Promise<string[]> {
    this.reads += 1;
    const scopes = this.#grants.get(consentKey(userId, clientId));
    return scopes === undefined ? [] : [...scopes].sort();
  }

  async grantScopes(userId: string, clientId: string, scopes: string[]): Promise<void> {
    if (scopes.length === 0) return;

    const key = consentKey(userId, clientId);
    const granted = this.#grants.get(key) ?? new Set<string>();
    for (const scope of scopes) granted.add(scope);
    this.#grants.set(key, granted);
  }
}

function consentKey(userId: string, clientId: string): string {
  return `${userId}\0${clientId}`;
}
