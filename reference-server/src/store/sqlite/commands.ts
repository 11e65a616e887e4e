import type { SqliteDb } from './db.js';
import { badRequest } from '../../errors.js';
import { newId } from '../../ids.js';
import { CommandTokens } from '../command-tokens.js';
import type { Clock, CommandFields, CommandRecord, CommandStore } from '../store.js';

interface CommandRow {
  Id: string; Token: string; CreateAt: number; UpdateAt: number; DeleteAt: number; CreatorId: string; TeamId: string;
  Trigger: string; Method: string; Username: string; IconURL: string; AutoComplete: number; AutoCompleteDesc: string;
  AutoCompleteHint: string; DisplayName: string; Description: string; URL: string;
}

function fromRow(row: CommandRow, tokens: CommandTokens): CommandRecord {
  return {
    id: row.Id, token: tokens.open(row.Token, row.Id), createAt: row.CreateAt, updateAt: row.UpdateAt, deleteAt: row.DeleteAt,
    creatorId: row.CreatorId, teamId: row.TeamId, trigger: row.Trigger, method: row.Method as CommandRecord['method'],
    username: row.Username, iconUrl: row.IconURL, autoComplete: row.AutoComplete === 1,
    autoCompleteDesc: row.AutoCompleteDesc, autoCompleteHint: row.AutoCompleteHint, displayName: row.DisplayName,
    description: row.Description, url: row.URL,
  };
}

/** Named parameters for the chosen fields, shared by INSERT and UPDATE. */
function fieldParams(f: CommandFields): Record<string, unknown> {
  return {
    trigger: f.trigger, method: f.method, username: f.username, iconUrl: f.iconUrl, autoComplete: f.autoComplete ? 1 : 0,
    autoCompleteDesc: f.autoCompleteDesc, autoCompleteHint: f.autoCompleteHint, displayName: f.displayName,
    description: f.description, url: f.url,
  };
}

const LIVE = 'DeleteAt = 0';

const duplicateTrigger = () =>
  badRequest('api.command.duplicate_trigger.app_error', 'This trigger word is already in use. Please choose another word.');

export class SqliteCommandStore implements CommandStore {
  private readonly createTx: (creatorId: string, teamId: string, fields: CommandFields) => CommandRecord;
  private readonly updateTx: (id: string, fields: CommandFields) => CommandRecord | null;

  private readonly tokens: CommandTokens;

  constructor(private readonly db: SqliteDb, private readonly clock: Clock, atRestKey: string) {
    this.tokens = new CommandTokens(atRestKey);
    // The uniqueness check and the write are one step under the write lock, so two racing writers cannot both pass it.
    this.createTx = db.transaction((creatorId: string, teamId: string, fields: CommandFields) => this.insert(creatorId, teamId, fields));
    this.updateTx = db.transaction((id: string, fields: CommandFields) => this.replace(id, fields));
  }

  async create(creatorId: string, teamId: string, fields: CommandFields): Promise<CommandRecord> {
    return this.createTx(creatorId, teamId, fields);
  }

  async get(id: string): Promise<CommandRecord | null> {
    const row = this.db.get(`SELECT * FROM Commands WHERE Id = ? AND ${LIVE}`, id) as CommandRow | undefined;
    return row ? fromRow(row, this.tokens) : null;
  }

  async listByTeam(teamId: string): Promise<CommandRecord[]> {
    const rows = this.db.all(`SELECT * FROM Commands WHERE TeamId = ? AND ${LIVE} ORDER BY "Trigger"`, teamId) as CommandRow[];
    return rows.map((row) => fromRow(row, this.tokens));
  }

  async byTrigger(teamId: string, trigger: string): Promise<CommandRecord | null> {
    const row = this.db.get(`SELECT * FROM Commands WHERE TeamId = ? AND "Trigger" = ? AND ${LIVE}`, teamId, trigger) as CommandRow | undefined;
    return row ? fromRow(row, this.tokens) : null;
  }

  async update(id: string, fields: CommandFields): Promise<CommandRecord | null> {
    return this.updateTx(id, fields);
  }

  async regenerateToken(id: string): Promise<CommandRecord | null> {
    const sealed = this.tokens.seal(newId(), id);
    const changed = this.db.run(`UPDATE Commands SET Token = ?, UpdateAt = ? WHERE Id = ? AND ${LIVE}`, sealed, this.clock(), id).changes;
    return changed === 1 ? this.get(id) : null;
  }

  async delete(id: string): Promise<boolean> {
    const now = this.clock();
    return this.db.run(`UPDATE Commands SET DeleteAt = ?, UpdateAt = ? WHERE Id = ? AND ${LIVE}`, now, now, id).changes === 1;
  }

  private triggerTaken(teamId: string, trigger: string, exceptId: string): boolean {
    return !!this.db.get(`SELECT 1 FROM Commands WHERE TeamId = ? AND "Trigger" = ? AND Id != ? AND ${LIVE}`, teamId, trigger, exceptId);
  }

  private insert(creatorId: string, teamId: string, fields: CommandFields): CommandRecord {
    if (this.triggerTaken(teamId, fields.trigger, '')) throw duplicateTrigger();
    const now = this.clock();
    // The verification token is a Mattermost id, as Mattermost makes it (26 characters).
    const record: CommandRecord = { ...fields, id: newId(), token: newId(), createAt: now, updateAt: now, deleteAt: 0, creatorId, teamId };
    this.db.run(`INSERT INTO Commands (Id, Token, CreateAt, UpdateAt, DeleteAt, CreatorId, TeamId, "Trigger", Method, Username,
        IconURL, AutoComplete, AutoCompleteDesc, AutoCompleteHint, DisplayName, Description, URL)
        VALUES (@id, @token, @now, @now, 0, @creatorId, @teamId, @trigger, @method, @username, @iconUrl, @autoComplete,
        @autoCompleteDesc, @autoCompleteHint, @displayName, @description, @url)`, { ...fieldParams(fields), id: record.id, token: this.tokens.seal(record.token, record.id), now, creatorId, teamId });
    return record;
  }

  private replace(id: string, fields: CommandFields): CommandRecord | null {
    const current = this.db.get(`SELECT TeamId FROM Commands WHERE Id = ? AND ${LIVE}`, id) as { TeamId: string } | undefined;
    if (!current) return null;
    if (this.triggerTaken(current.TeamId, fields.trigger, id)) throw duplicateTrigger();
    this.db.run(`UPDATE Commands SET UpdateAt = @now, "Trigger" = @trigger, Method = @method, Username = @username,
        IconURL = @iconUrl, AutoComplete = @autoComplete, AutoCompleteDesc = @autoCompleteDesc,
        AutoCompleteHint = @autoCompleteHint, DisplayName = @displayName, Description = @description, URL = @url
        WHERE Id = @id`, { ...fieldParams(fields), id, now: this.clock() });
    const row = this.db.get('SELECT * FROM Commands WHERE Id = ?', id) as CommandRow;
    return fromRow(row, this.tokens);
  }
}
