// Storage interfaces. The server and the plugin bridge use only these, so that a second
// database driver (Postgres is planned) is one new folder beside ./sqlite.
export type Clock = () => number;

export interface KvSetOptions {
  atomic?: boolean;
  oldValue?: Uint8Array | null;
  expireInSeconds?: number;
}

/** Mattermost's plugin key-value store, per plugin id (see kv rules in ./kv-rules.ts). */
export interface KvStore {
  get(pluginId: string, key: string): Promise<Uint8Array | null>;
  set(pluginId: string, key: string, value: Uint8Array | null, options?: KvSetOptions): Promise<boolean>;
  delete(pluginId: string, key: string): Promise<void>;
  list(pluginId: string, page: number, perPage: number): Promise<string[]>;
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
  get(id: string): Promise<UserRecord | null>;
  /** By username or email (case-insensitive). */
  findByLogin(loginId: string): Promise<UserRecord | null>;
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
  teamByName(name: string): Promise<TeamRecord | null>;
  isTeamMember(teamId: string, userId: string): Promise<boolean>;
  channelByName(teamId: string, name: string): Promise<ChannelRecord | null>;
}

/** Mattermost-like Configurations table: each save adds a new active row (the settings that differ from the defaults). */
export interface ConfigStore {
  loadActive(): Promise<unknown | null>;
  save(value: unknown): Promise<void>;
}

export interface Store {
  kv: KvStore;
  users: UserStore;
  sessions: SessionStore;
  teams: TeamStore;
  configs: ConfigStore;
  close(): Promise<void>;
}
