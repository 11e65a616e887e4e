import { badRequest } from '../../errors.js';
import { newId } from '../../ids.js';
import { CommandTokens } from '../command-tokens.js';
import type { Clock, CommandFields, CommandRecord, CommandStore } from '../store.js';
import type { Db } from './db.js';

const COLUMNS = `Id AS "id", Token AS "token", CreateAt AS "createAt", UpdateAt AS "updateAt", DeleteAt AS "deleteAt",
  CreatorId AS "creatorId", TeamId AS "teamId", "trigger" AS "trigger", Method AS "method", Username AS "username",
  IconURL AS "iconUrl", AutoComplete AS "autoComplete", AutoCompleteDesc AS "autoCompleteDesc",
  AutoCompleteHint AS "autoCompleteHint", DisplayName AS "displayName", Description AS "description", URL AS "url"`;

const LIVE = 'DeleteAt = 0';
const UNIQUE_VIOLATION = '23505';

const duplicateTrigger = () =>
  badRequest('api.command.duplicate_trigger.app_error', 'This trigger word is already in use. Please choose another word.');

/** The partial unique index on (TeamId, trigger) of live commands decides a race between nodes. */
function triggerTaken(err: unknown): never {
  if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw duplicateTrigger();
  throw err;
}

/** The chosen fields as $3…$12, shared by INSERT and UPDATE. */
function fieldParams(f: CommandFields): unknown[] {
  return [f.trigger, f.method, f.username, f.iconUrl, f.autoComplete, f.autoCompleteDesc, f.autoCompleteHint, f.displayName, f.description, f.url];
}

export class PgCommandStore implements CommandStore {
  private readonly tokens: CommandTokens;

  constructor(private readonly db: Db, private readonly clock: Clock, atRestKey: string) {
    this.tokens = new CommandTokens(atRestKey);
  }

  async create(creatorId: string, teamId: string, fields: CommandFields): Promise<CommandRecord> {
    const now = this.clock();
    const id = newId();
    const { rows } = await this.db.query<CommandRecord>(`INSERT INTO Commands (Id, Token, "trigger", Method, Username, IconURL,
        AutoComplete, AutoCompleteDesc, AutoCompleteHint, DisplayName, Description, URL, CreateAt, UpdateAt, DeleteAt, CreatorId, TeamId)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, 0, $14, $15) RETURNING ${COLUMNS}`,
    // The verification token is a Mattermost id, as Mattermost makes it (26 characters).
    [id, this.tokens.seal(newId(), id), ...fieldParams(fields), now, creatorId, teamId]).catch(triggerTaken);
    return this.record(rows[0]);
  }

  async get(id: string): Promise<CommandRecord | null> {
    return this.first(await this.db.query<CommandRecord>(`SELECT ${COLUMNS} FROM Commands WHERE Id = $1 AND ${LIVE}`, [id]));
  }

  async listByTeam(teamId: string): Promise<CommandRecord[]> {
    const { rows } = await this.db.query<CommandRecord>(`SELECT ${COLUMNS} FROM Commands WHERE TeamId = $1 AND ${LIVE} ORDER BY "trigger" COLLATE "C"`, [teamId]);
    return rows.map((row) => this.record(row));
  }

  async byTrigger(teamId: string, trigger: string): Promise<CommandRecord | null> {
    return this.first(await this.db.query<CommandRecord>(`SELECT ${COLUMNS} FROM Commands WHERE TeamId = $1 AND "trigger" = $2 AND ${LIVE}`, [teamId, trigger]));
  }

  async update(id: string, fields: CommandFields): Promise<CommandRecord | null> {
    return this.first(await this.db.query<CommandRecord>(`UPDATE Commands SET "trigger" = $3, Method = $4, Username = $5, IconURL = $6,
        AutoComplete = $7, AutoCompleteDesc = $8, AutoCompleteHint = $9, DisplayName = $10, Description = $11, URL = $12, UpdateAt = $2
        WHERE Id = $1 AND ${LIVE} RETURNING ${COLUMNS}`, [id, this.clock(), ...fieldParams(fields)]).catch(triggerTaken));
  }

  async regenerateToken(id: string): Promise<CommandRecord | null> {
    return this.first(await this.db.query<CommandRecord>(`UPDATE Commands SET Token = $2, UpdateAt = $3 WHERE Id = $1 AND ${LIVE} RETURNING ${COLUMNS}`,
      [id, this.tokens.seal(newId(), id), this.clock()]));
  }

  /** A row as read (its token encrypted) → the record (its token in plain text). */
  private record(row: CommandRecord): CommandRecord {
    return { ...row, token: this.tokens.open(row.token, row.id) };
  }

  private first({ rows }: { rows: CommandRecord[] }): CommandRecord | null {
    return rows[0] ? this.record(rows[0]) : null;
  }

  async delete(id: string): Promise<boolean> {
    const now = this.clock();
    return (await this.db.query(`UPDATE Commands SET DeleteAt = $2, UpdateAt = $2 WHERE Id = $1 AND ${LIVE}`, [id, now])).rowCount === 1;
  }
}
