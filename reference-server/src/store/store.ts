// Storage interfaces. The server and the plugin bridge use only these; each database driver
// (./sqlite, ./postgres) implements them.
export type Clock = () => number;

/** A value, or a promise of it: SQLite answers at once, PostgreSQL later. Callers await either. */
export type Answer<T> = T | Promise<T>;

export interface KvSetOptions {
  atomic?: boolean;
  oldValue?: Uint8Array | null;
  expireInSeconds?: number;
}

/** Mattermost's plugin key-value store, per plugin id (see kv rules in ./kv-rules.ts). */
export interface KvStore {
  get(pluginId: string, key: string): Answer<Uint8Array | null>;
  /**
   * Each key's value as get() gives it, in the order given, read in one statement; at most
   * MAX_KEYS_PER_GET keys, and a bad key anywhere refuses the whole call.
   */
  getMany(pluginId: string, keys: string[]): Answer<(Uint8Array | null)[]>;
  set(pluginId: string, key: string, value: Uint8Array | null, options?: KvSetOptions): Answer<boolean>;
  delete(pluginId: string, key: string): Answer<void>;
  list(pluginId: string, page: number, perPage: number): Answer<string[]>;
  /** Removes expired rows; returns how many. */
  sweepExpired(): Promise<number>;
}

export interface UserRecord {
  id: string;
  createAt: number;
  updateAt: number;
  deleteAt: number;
  username: string;
  email: string;
  emailVerified: boolean;
  nickname: string;
  firstName: string;
  lastName: string;
  position: string;
  roles: string;
  locale: string;
  authService: string;
  passwordHash: string;
}

export type NewUser = Pick<UserRecord, 'username' | 'email' | 'nickname' | 'firstName' | 'lastName' | 'passwordHash'>;

export interface UserStore {
  /**
   * Creates a user. The first user ever becomes system_admin; any later one is created only when
   * `callerMayCreate` is true (else a 403). Deciding "first" and inserting happen in one transaction,
   * so two concurrent first sign-ups cannot both become admin.
   */
  create(user: NewUser, callerMayCreate: boolean): Promise<UserRecord>;
  hasAnyUser(): Promise<boolean>;
  get(id: string): Answer<UserRecord | null>;
  /** By username or email (case-insensitive). */
  findByLogin(loginId: string): Promise<UserRecord | null>;
  /**
   * Counts a login attempt before its password is checked, in one statement (so racing attempts on
   * any node are all counted): false, and nothing counted, while the account is locked — `max`
   * attempts counted since the last success, the last of them less than `lockoutMs` ago. An attempt
   * after the lockout starts the count over.
   */
  countLoginAttempt(id: string, max: number, lockoutMs: number, now: number): Promise<boolean>;
  /** The password was right: the count starts over. */
  clearLoginAttempts(id: string): Promise<void>;
  /**
   * Deactivates (DeleteAt set, kept if already set) or reactivates (DeleteAt 0) a user, as
   * Mattermost's UpdateActive; false when there is no such user.
   */
  setActive(id: string, active: boolean, now: number): Promise<boolean>;
}

export interface SessionRecord {
  id: string;
  tokenHash: string;
  csrfHash: string;
  userId: string;
  createAt: number;
  expiresAt: number;
}

export interface SessionStore {
  create(session: SessionRecord): Promise<void>;
  findByTokenHash(tokenHash: string, now: number): Promise<SessionRecord | null>;
  delete(id: string): Promise<void>;
  /** Every session of a user (deactivation revokes them); returns how many. */
  deleteByUser(userId: string): Promise<number>;
  sweepExpired(now: number): Promise<number>;
}

export interface TeamRecord {
  id: string;
  createAt: number;
  updateAt: number;
  deleteAt: number;
  name: string;
  displayName: string;
}

export interface ChannelRecord {
  id: string;
  createAt: number;
  updateAt: number;
  deleteAt: number;
  teamId: string;
  name: string;
  displayName: string;
  type: string;
}

export interface TeamStore {
  teamsOfUser(userId: string): Promise<TeamRecord[]>;
  team(id: string): Promise<TeamRecord | null>;
  teamByName(name: string): Promise<TeamRecord | null>;
  isTeamMember(teamId: string, userId: string): Promise<boolean>;
  /** By id, deleted or not (the caller tells "deleted" apart from "missing"). */
  channel(id: string): Promise<ChannelRecord | null>;
  channelByName(teamId: string, name: string): Promise<ChannelRecord | null>;
  isChannelMember(channelId: string, userId: string): Promise<boolean>;
  /** The team's channels the user is a member of, not deleted, by name. */
  channelsOfUser(teamId: string, userId: string): Promise<ChannelRecord[]>;
}

/** A custom slash command (Mattermost's Commands table). */
export interface CommandRecord {
  id: string;
  /**
   * Sent to the integration as "Token <token>", so it cannot be hashed: drivers store it encrypted
   * (./command-tokens.ts) and hand it out in plain text.
   */
  token: string;
  createAt: number;
  updateAt: number;
  deleteAt: number;
  creatorId: string;
  teamId: string;
  trigger: string;
  method: 'P' | 'G';
  username: string;
  iconUrl: string;
  autoComplete: boolean;
  autoCompleteDesc: string;
  autoCompleteHint: string;
  displayName: string;
  description: string;
  url: string;
}

/** What a creator chooses; the store sets ids, token and times. */
export type CommandFields = Omit<CommandRecord, 'id' | 'token' | 'createAt' | 'updateAt' | 'deleteAt' | 'creatorId' | 'teamId'>;

/**
 * Commands; reads see only commands that are not deleted. A trigger is unique per team among those:
 * create and update check it in the same transaction as the write (400 duplicate_trigger).
 */
export interface CommandStore {
  create(creatorId: string, teamId: string, fields: CommandFields): Promise<CommandRecord>;
  get(id: string): Promise<CommandRecord | null>;
  listByTeam(teamId: string): Promise<CommandRecord[]>;
  byTrigger(teamId: string, trigger: string): Promise<CommandRecord | null>;
  /** Replaces the chosen fields; null when there is no such command. */
  update(id: string, fields: CommandFields): Promise<CommandRecord | null>;
  /** A new random token; null when there is no such command. */
  regenerateToken(id: string): Promise<CommandRecord | null>;
  /** Soft delete (sets DeleteAt), as Mattermost; false when there is no such command. */
  delete(id: string): Promise<boolean>;
}

/** A post (Mattermost's Posts table, the columns integrations use). */
export interface PostRecord {
  id: string;
  createAt: number;
  updateAt: number;
  editAt: number;
  deleteAt: number;
  userId: string;
  channelId: string;
  rootId: string;
  message: string;
  type: string;
  /** Post.Props: attachments (with their actions' integration URLs), from_webhook, … */
  props: Record<string, unknown>;
}

/** What a writer chooses; the store sets the id and the times. */
export type NewPost = Pick<PostRecord, 'userId' | 'channelId' | 'rootId' | 'message' | 'type' | 'props'>;

export interface PostStore {
  create(post: NewPost): Promise<PostRecord>;
  /** Not deleted. */
  get(id: string): Promise<PostRecord | null>;
  /** A channel's posts, newest first, `perPage` from `page * perPage` on. */
  listByChannel(channelId: string, page: number, perPage: number): Promise<PostRecord[]>;
  /** Replaces message and props (EditAt, UpdateAt now); null when there is no such post. */
  update(id: string, message: string, props: Record<string, unknown>): Promise<PostRecord | null>;
}

/** An outgoing webhook (Mattermost's OutgoingWebhooks table). */
export interface OutgoingWebhookRecord {
  id: string;
  /** Sent to the integration in every payload, so it cannot be hashed: encrypted at rest as command tokens are. */
  token: string;
  createAt: number;
  updateAt: number;
  deleteAt: number;
  creatorId: string;
  teamId: string;
  /** Empty: every public channel of the team. */
  channelId: string;
  triggerWords: string[];
  /** 0: the first word is a trigger word; 1: the first word starts with one. */
  triggerWhen: 0 | 1;
  callbackUrls: string[];
  displayName: string;
  description: string;
  contentType: 'application/x-www-form-urlencoded' | 'application/json';
  username: string;
  iconUrl: string;
}

/** What a creator chooses; the store sets ids, token, creator, team and times. */
export type OutgoingWebhookFields = Omit<OutgoingWebhookRecord, 'id' | 'token' | 'createAt' | 'updateAt' | 'deleteAt' | 'creatorId' | 'teamId'>;

/** Outgoing webhooks; reads see only those not deleted. */
export interface OutgoingWebhookStore {
  create(creatorId: string, teamId: string, fields: OutgoingWebhookFields): Promise<OutgoingWebhookRecord>;
  get(id: string): Promise<OutgoingWebhookRecord | null>;
  /** A team's hooks by creation, optionally only one channel's. */
  listByTeam(teamId: string, channelId?: string): Promise<OutgoingWebhookRecord[]>;
  /** Replaces the chosen fields; null when there is no such hook. */
  update(id: string, fields: OutgoingWebhookFields): Promise<OutgoingWebhookRecord | null>;
  /** A new random token; null when there is no such hook. */
  regenerateToken(id: string): Promise<OutgoingWebhookRecord | null>;
  /** Soft delete (sets DeleteAt), as Mattermost; false when there is no such hook. */
  delete(id: string): Promise<boolean>;
}

/** Mattermost-like Configurations table: each save adds a new active row (the settings that differ from the defaults). */
export interface ConfigStore {
  loadActive(): Promise<unknown | null>;
  save(value: unknown): Promise<void>;
  /**
   * Calls `changed` soon after any node saves (and after a lost watch reconnects, since a save may
   * have been missed meanwhile), again later while it fails; returns how to stop. Absent where one
   * process owns the database.
   */
  watch?(changed: () => Promise<void>): () => void;
}

/** Whether the database answers. While it does not, the host answers every request with a 503. */
export interface StoreHealth {
  readonly down: boolean;
}

/**
 * For drivers that commit writes in groups (SQLite): a request notes the generation when it begins,
 * and its answer waits for durable(generation), which settles once every write made so far is
 * durable (undefined when they already are) and rejects with a 503 when a commit failed since.
 */
export interface Durability {
  readonly generation: number;
  durable(since: number): Promise<void> | undefined;
}

export interface Store {
  kv: KvStore;
  users: UserStore;
  sessions: SessionStore;
  teams: TeamStore;
  commands: CommandStore;
  posts: PostStore;
  outgoingWebhooks: OutgoingWebhookStore;
  configs: ConfigStore;
  health?: StoreHealth;
  /** Absent for drivers whose every write is durable when it returns (PostgreSQL: each statement commits). */
  durability?: Durability;
  close(): Promise<void>;
}
