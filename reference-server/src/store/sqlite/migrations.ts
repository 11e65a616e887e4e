// Schema migrations, numbered by PRAGMA user_version. Append only: never edit a shipped step.
import type BetterSqlite3 from 'better-sqlite3';
import { keyCheckRow } from '../../at-rest-key.js';
import { newId } from '../../ids.js';
import { CommandTokens } from '../command-tokens.js';

type Migration = (db: BetterSqlite3.Database, now: number, atRestKey: string) => void;

const createTables: Migration = (db) => {
  db.exec(`
    CREATE TABLE Users (
      Id TEXT PRIMARY KEY, CreateAt INTEGER NOT NULL, UpdateAt INTEGER NOT NULL, DeleteAt INTEGER NOT NULL DEFAULT 0,
      Username TEXT NOT NULL UNIQUE, Email TEXT NOT NULL UNIQUE, EmailVerified INTEGER NOT NULL DEFAULT 0,
      Password TEXT NOT NULL, Nickname TEXT NOT NULL DEFAULT '', FirstName TEXT NOT NULL DEFAULT '',
      LastName TEXT NOT NULL DEFAULT '', Position TEXT NOT NULL DEFAULT '', Roles TEXT NOT NULL,
      Locale TEXT NOT NULL DEFAULT 'en', AuthService TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE Sessions (
      Id TEXT PRIMARY KEY, TokenHash TEXT NOT NULL UNIQUE, CsrfHash TEXT NOT NULL,
      UserId TEXT NOT NULL REFERENCES Users(Id), CreateAt INTEGER NOT NULL, ExpiresAt INTEGER NOT NULL
    );
    CREATE INDEX idx_sessions_expires ON Sessions(ExpiresAt);
    CREATE TABLE Teams (
      Id TEXT PRIMARY KEY, CreateAt INTEGER NOT NULL, UpdateAt INTEGER NOT NULL, DeleteAt INTEGER NOT NULL DEFAULT 0,
      Name TEXT NOT NULL UNIQUE, DisplayName TEXT NOT NULL, Type TEXT NOT NULL DEFAULT 'O'
    );
    CREATE TABLE Channels (
      Id TEXT PRIMARY KEY, CreateAt INTEGER NOT NULL, UpdateAt INTEGER NOT NULL, DeleteAt INTEGER NOT NULL DEFAULT 0,
      TeamId TEXT NOT NULL REFERENCES Teams(Id), Name TEXT NOT NULL, DisplayName TEXT NOT NULL,
      Type TEXT NOT NULL DEFAULT 'O', UNIQUE (TeamId, Name)
    );
    CREATE TABLE TeamMembers (
      TeamId TEXT NOT NULL REFERENCES Teams(Id), UserId TEXT NOT NULL REFERENCES Users(Id),
      Roles TEXT NOT NULL DEFAULT 'team_user', DeleteAt INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (TeamId, UserId)
    );
    CREATE TABLE ChannelMembers (
      ChannelId TEXT NOT NULL REFERENCES Channels(Id), UserId TEXT NOT NULL REFERENCES Users(Id),
      Roles TEXT NOT NULL DEFAULT 'channel_user', PRIMARY KEY (ChannelId, UserId)
    );
    CREATE TABLE Commands (
      Id TEXT PRIMARY KEY, Token TEXT NOT NULL, CreateAt INTEGER NOT NULL, UpdateAt INTEGER NOT NULL,
      DeleteAt INTEGER NOT NULL DEFAULT 0, CreatorId TEXT NOT NULL, TeamId TEXT NOT NULL, "Trigger" TEXT NOT NULL,
      Method TEXT NOT NULL, Username TEXT NOT NULL DEFAULT '', IconURL TEXT NOT NULL DEFAULT '',
      AutoComplete INTEGER NOT NULL DEFAULT 0, AutoCompleteDesc TEXT NOT NULL DEFAULT '',
      AutoCompleteHint TEXT NOT NULL DEFAULT '', DisplayName TEXT NOT NULL DEFAULT '',
      Description TEXT NOT NULL DEFAULT '', URL TEXT NOT NULL
    );
    CREATE INDEX idx_commands_team ON Commands(TeamId);
    CREATE TABLE Configurations (
      Id TEXT PRIMARY KEY, Value TEXT NOT NULL, CreateAt INTEGER NOT NULL, Active INTEGER
    );
    CREATE TABLE PluginKeyValueStore (
      PluginId TEXT NOT NULL, PKey TEXT NOT NULL, PValue BLOB, ExpireAt INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (PluginId, PKey)
    );
    CREATE INDEX idx_kv_expire ON PluginKeyValueStore(ExpireAt);
  `);
};

/** Mattermost starts with a team and its town-square channel; every user joins both. */
const createDefaultTeam: Migration = (db, now) => {
  const teamId = newId();
  db.prepare('INSERT INTO Teams (Id, CreateAt, UpdateAt, Name, DisplayName) VALUES (?, ?, ?, ?, ?)').run(teamId, now, now, 'main', 'Main');
  db.prepare('INSERT INTO Channels (Id, CreateAt, UpdateAt, TeamId, Name, DisplayName) VALUES (?, ?, ?, ?, ?, ?)')
    .run(newId(), now, now, teamId, 'town-square', 'Town Square');
};

/** Mattermost's Users.FailedAttempts, and when the last attempt was counted (the lockout runs from it). */
const addLoginAttempts: Migration = (db) => {
  db.exec(`
    ALTER TABLE Users ADD COLUMN FailedAttempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE Users ADD COLUMN LastLoginAttemptAt INTEGER NOT NULL DEFAULT 0;
  `);
};

/**
 * Command tokens encrypted under the at-rest key (they were plain text), and Mattermost's Systems
 * table holding the value that tells, on each start, whether the key is still the same.
 */
const encryptCommandTokens: Migration = (db, _now, atRestKey) => {
  db.exec('CREATE TABLE Systems (Name TEXT PRIMARY KEY, Value TEXT NOT NULL)');
  const check = keyCheckRow(atRestKey);
  db.prepare('INSERT INTO Systems (Name, Value) VALUES (?, ?)').run(check.name, check.value);
  const tokens = new CommandTokens(atRestKey);
  const update = db.prepare('UPDATE Commands SET Token = ? WHERE Id = ?');
  for (const row of db.prepare('SELECT Id, Token FROM Commands').all() as { Id: string; Token: string }[]) {
    if (CommandTokens.isPlain(row.Token)) update.run(tokens.seal(row.Token, row.Id), row.Id);
  }
};

/**
 * Posts and outgoing webhooks (Mattermost's Posts and OutgoingWebhooks tables, the columns
 * integrations use), and Mattermost's second default channel, off-topic, which every member joins.
 */
const addPostsAndWebhooks: Migration = (db, now) => {
  db.exec(`
    CREATE TABLE Posts (
      Id TEXT PRIMARY KEY, CreateAt INTEGER NOT NULL, UpdateAt INTEGER NOT NULL, EditAt INTEGER NOT NULL DEFAULT 0,
      DeleteAt INTEGER NOT NULL DEFAULT 0, UserId TEXT NOT NULL, ChannelId TEXT NOT NULL REFERENCES Channels(Id),
      RootId TEXT NOT NULL DEFAULT '', Message TEXT NOT NULL, Type TEXT NOT NULL DEFAULT '', Props TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX idx_posts_channel ON Posts(ChannelId, CreateAt);
    CREATE TABLE OutgoingWebhooks (
      Id TEXT PRIMARY KEY, Token TEXT NOT NULL, CreateAt INTEGER NOT NULL, UpdateAt INTEGER NOT NULL,
      DeleteAt INTEGER NOT NULL DEFAULT 0, CreatorId TEXT NOT NULL, ChannelId TEXT NOT NULL DEFAULT '', TeamId TEXT NOT NULL,
      TriggerWords TEXT NOT NULL, TriggerWhen INTEGER NOT NULL DEFAULT 0, CallbackURLs TEXT NOT NULL,
      DisplayName TEXT NOT NULL DEFAULT '', Description TEXT NOT NULL DEFAULT '', ContentType TEXT NOT NULL,
      Username TEXT NOT NULL DEFAULT '', IconURL TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX idx_outgoing_webhooks_team ON OutgoingWebhooks(TeamId);
  `);
  const main = db.prepare("SELECT Id FROM Teams WHERE Name = 'main'").get() as { Id: string } | undefined;
  if (!main) return;
  const channelId = newId();
  db.prepare('INSERT INTO Channels (Id, CreateAt, UpdateAt, TeamId, Name, DisplayName) VALUES (?, ?, ?, ?, ?, ?)')
    .run(channelId, now, now, main.Id, 'off-topic', 'Off-Topic');
  db.prepare('INSERT INTO ChannelMembers (ChannelId, UserId) SELECT ?, UserId FROM TeamMembers WHERE TeamId = ?').run(channelId, main.Id);
};

const MIGRATIONS: Migration[] = [createTables, createDefaultTeam, addLoginAttempts, encryptCommandTokens, addPostsAndWebhooks];

export function migrate(db: BetterSqlite3.Database, now: number, atRestKey: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`database schema version ${current} is newer than this host knows (${MIGRATIONS.length})`);
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    // Each step and its version bump commit together, so a crash never leaves a half-applied step.
    db.transaction(() => {
      MIGRATIONS[version](db, now, atRestKey);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
  // Until a checkpoint, the main file still holds the pages as they were before (plaintext tokens).
  if (current < MIGRATIONS.length && current > 0) db.pragma('wal_checkpoint(TRUNCATE)');
}
