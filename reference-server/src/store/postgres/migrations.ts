// Schema migrations for PostgreSQL, numbered in HostSchemaVersion. Append only: never edit a
// shipped step. The tables are those of the SQLite driver; unquoted names fold to lower case, as in
// Mattermost's own PostgreSQL schema (e.g. pluginkeyvaluestore).
import { keyCheckRow } from '../../at-rest-key.js';
import { newId } from '../../ids.js';
import { CommandTokens } from '../command-tokens.js';
import type { Querier } from './db.js';

type Migration = (q: Querier, now: number, atRestKey: string) => Promise<void>;

const createTables: Migration = async (q) => {
  await q.query(`
    CREATE TABLE Users (
      Id varchar(26) PRIMARY KEY, CreateAt bigint NOT NULL, UpdateAt bigint NOT NULL, DeleteAt bigint NOT NULL DEFAULT 0,
      Username text NOT NULL UNIQUE, Email text NOT NULL UNIQUE, EmailVerified boolean NOT NULL DEFAULT false,
      Password text NOT NULL, Nickname text NOT NULL DEFAULT '', FirstName text NOT NULL DEFAULT '',
      LastName text NOT NULL DEFAULT '', Position text NOT NULL DEFAULT '', Roles text NOT NULL,
      Locale text NOT NULL DEFAULT 'en', AuthService text NOT NULL DEFAULT ''
    );
    CREATE TABLE Sessions (
      Id varchar(26) PRIMARY KEY, TokenHash text NOT NULL UNIQUE, CsrfHash text NOT NULL,
      UserId varchar(26) NOT NULL REFERENCES Users(Id), CreateAt bigint NOT NULL, ExpiresAt bigint NOT NULL
    );
    CREATE INDEX idx_sessions_expires ON Sessions(ExpiresAt);
    CREATE TABLE Teams (
      Id varchar(26) PRIMARY KEY, CreateAt bigint NOT NULL, UpdateAt bigint NOT NULL, DeleteAt bigint NOT NULL DEFAULT 0,
      Name text NOT NULL UNIQUE, DisplayName text NOT NULL, Type text NOT NULL DEFAULT 'O'
    );
    CREATE TABLE Channels (
      Id varchar(26) PRIMARY KEY, CreateAt bigint NOT NULL, UpdateAt bigint NOT NULL, DeleteAt bigint NOT NULL DEFAULT 0,
      TeamId varchar(26) NOT NULL REFERENCES Teams(Id), Name text NOT NULL, DisplayName text NOT NULL,
      Type text NOT NULL DEFAULT 'O', UNIQUE (TeamId, Name)
    );
    CREATE TABLE TeamMembers (
      TeamId varchar(26) NOT NULL REFERENCES Teams(Id), UserId varchar(26) NOT NULL REFERENCES Users(Id),
      Roles text NOT NULL DEFAULT 'team_user', DeleteAt bigint NOT NULL DEFAULT 0, PRIMARY KEY (TeamId, UserId)
    );
    CREATE TABLE ChannelMembers (
      ChannelId varchar(26) NOT NULL REFERENCES Channels(Id), UserId varchar(26) NOT NULL REFERENCES Users(Id),
      Roles text NOT NULL DEFAULT 'channel_user', PRIMARY KEY (ChannelId, UserId)
    );
    CREATE TABLE Commands (
      Id varchar(26) PRIMARY KEY, Token text NOT NULL, CreateAt bigint NOT NULL, UpdateAt bigint NOT NULL,
      DeleteAt bigint NOT NULL DEFAULT 0, CreatorId varchar(26) NOT NULL, TeamId varchar(26) NOT NULL, "trigger" text NOT NULL,
      Method text NOT NULL, Username text NOT NULL DEFAULT '', IconURL text NOT NULL DEFAULT '',
      AutoComplete boolean NOT NULL DEFAULT false, AutoCompleteDesc text NOT NULL DEFAULT '',
      AutoCompleteHint text NOT NULL DEFAULT '', DisplayName text NOT NULL DEFAULT '',
      Description text NOT NULL DEFAULT '', URL text NOT NULL
    );
    CREATE INDEX idx_commands_team ON Commands(TeamId);
    -- A trigger is unique per team among live commands: the database itself refuses a racing duplicate,
    -- whichever node it comes from.
    CREATE UNIQUE INDEX idx_commands_live_trigger ON Commands(TeamId, "trigger") WHERE DeleteAt = 0;
    CREATE TABLE Configurations (
      Id varchar(26) PRIMARY KEY, Value text NOT NULL, CreateAt bigint NOT NULL, Active boolean
    );
    -- At most one active row, whatever two nodes do at once.
    CREATE UNIQUE INDEX idx_configurations_active ON Configurations(Active) WHERE Active;
    CREATE TABLE PluginKeyValueStore (
      PluginId varchar(190) NOT NULL, PKey varchar(150) NOT NULL, PValue bytea, ExpireAt bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (PluginId, PKey)
    );
    CREATE INDEX idx_kv_expire ON PluginKeyValueStore(ExpireAt) WHERE ExpireAt != 0;
  `);
};

/** Mattermost starts with a team and its town-square channel; every user joins both. */
const createDefaultTeam: Migration = async (q, now) => {
  const teamId = newId();
  await q.query('INSERT INTO Teams (Id, CreateAt, UpdateAt, Name, DisplayName) VALUES ($1, $2, $2, $3, $4)', [teamId, now, 'main', 'Main']);
  await q.query('INSERT INTO Channels (Id, CreateAt, UpdateAt, TeamId, Name, DisplayName) VALUES ($1, $2, $2, $3, $4, $5)',
    [newId(), now, teamId, 'town-square', 'Town Square']);
};

/** Mattermost's Users.FailedAttempts, and when the last attempt was counted (the lockout runs from it). */
const addLoginAttempts: Migration = async (q) => {
  await q.query(`ALTER TABLE Users ADD COLUMN FailedAttempts integer NOT NULL DEFAULT 0,
    ADD COLUMN LastLoginAttemptAt bigint NOT NULL DEFAULT 0`);
};

/**
 * Command tokens encrypted under the at-rest key (they were plain text), and Mattermost's Systems
 * table holding the value that tells, on each start of each node, whether the key is still the same.
 */
const encryptCommandTokens: Migration = async (q, _now, atRestKey) => {
  await q.query('CREATE TABLE Systems (Name varchar(64) PRIMARY KEY, Value text NOT NULL)');
  const check = keyCheckRow(atRestKey);
  await q.query('INSERT INTO Systems (Name, Value) VALUES ($1, $2)', [check.name, check.value]);
  const tokens = new CommandTokens(atRestKey);
  const { rows } = await q.query<{ id: string; token: string }>('SELECT Id AS "id", Token AS "token" FROM Commands');
  for (const row of rows.filter((r) => CommandTokens.isPlain(r.token))) {
    await q.query('UPDATE Commands SET Token = $2 WHERE Id = $1', [row.id, tokens.seal(row.token, row.id)]);
  }
};

/**
 * Posts and outgoing webhooks (Mattermost's Posts and OutgoingWebhooks tables, the columns
 * integrations use), and Mattermost's second default channel, off-topic, which every member joins.
 */
const addPostsAndWebhooks: Migration = async (q, now) => {
  await q.query(`
    CREATE TABLE Posts (
      Id varchar(26) PRIMARY KEY, CreateAt bigint NOT NULL, UpdateAt bigint NOT NULL, EditAt bigint NOT NULL DEFAULT 0,
      DeleteAt bigint NOT NULL DEFAULT 0, UserId varchar(26) NOT NULL, ChannelId varchar(26) NOT NULL REFERENCES Channels(Id),
      RootId varchar(26) NOT NULL DEFAULT '', Message text NOT NULL, Type text NOT NULL DEFAULT '', Props jsonb NOT NULL DEFAULT '{}'
    );
    CREATE INDEX idx_posts_channel ON Posts(ChannelId, CreateAt);
    CREATE TABLE OutgoingWebhooks (
      Id varchar(26) PRIMARY KEY, Token text NOT NULL, CreateAt bigint NOT NULL, UpdateAt bigint NOT NULL,
      DeleteAt bigint NOT NULL DEFAULT 0, CreatorId varchar(26) NOT NULL, ChannelId varchar(26) NOT NULL DEFAULT '',
      TeamId varchar(26) NOT NULL, TriggerWords jsonb NOT NULL, TriggerWhen integer NOT NULL DEFAULT 0, CallbackURLs jsonb NOT NULL,
      DisplayName text NOT NULL DEFAULT '', Description text NOT NULL DEFAULT '', ContentType text NOT NULL,
      Username text NOT NULL DEFAULT '', IconURL text NOT NULL DEFAULT ''
    );
    CREATE INDEX idx_outgoing_webhooks_team ON OutgoingWebhooks(TeamId);
  `);
  const main = (await q.query<{ id: string }>("SELECT Id AS \"id\" FROM Teams WHERE Name = 'main'")).rows[0];
  if (!main) return;
  const channelId = newId();
  await q.query('INSERT INTO Channels (Id, CreateAt, UpdateAt, TeamId, Name, DisplayName) VALUES ($1, $2, $2, $3, $4, $5)',
    [channelId, now, main.id, 'off-topic', 'Off-Topic']);
  await q.query('INSERT INTO ChannelMembers (ChannelId, UserId) SELECT $1, UserId FROM TeamMembers WHERE TeamId = $2', [channelId, main.id]);
};

const MIGRATIONS: Migration[] = [createTables, createDefaultTeam, addLoginAttempts, encryptCommandTokens, addPostsAndWebhooks];

/** Any fixed number: nodes starting together take this lock, so exactly one of them migrates. */
const MIGRATION_LOCK = 7_240_001;

export async function migrate(transaction: <T>(work: (q: Querier) => Promise<T>) => Promise<T>, now: number, atRestKey: string): Promise<void> {
  // One transaction for the lot (PostgreSQL's DDL is transactional): a crash leaves the old schema.
  await transaction(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await q.query('CREATE TABLE IF NOT EXISTS HostSchemaVersion (Version integer NOT NULL)');
    const row = (await q.query<{ version: number }>('SELECT Version FROM HostSchemaVersion')).rows[0];
    const current = row?.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new Error(`database schema version ${current} is newer than this host knows (${MIGRATIONS.length})`);
    }
    for (let version = current; version < MIGRATIONS.length; version++) await MIGRATIONS[version](q, now, atRestKey);
    if (!row) await q.query('INSERT INTO HostSchemaVersion (Version) VALUES ($1)', [MIGRATIONS.length]);
    else await q.query('UPDATE HostSchemaVersion SET Version = $1', [MIGRATIONS.length]);
  });
}
