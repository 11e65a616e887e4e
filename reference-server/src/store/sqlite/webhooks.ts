import type { SqliteDb } from './db.js';
import { newId } from '../../ids.js';
import { CommandTokens, WEBHOOK_TOKENS } from '../command-tokens.js';
import type { Clock, OutgoingWebhookFields, OutgoingWebhookRecord, OutgoingWebhookStore } from '../store.js';

interface HookRow {
  Id: string; Token: string; CreateAt: number; UpdateAt: number; DeleteAt: number; CreatorId: string; ChannelId: string; TeamId: string;
  TriggerWords: string; TriggerWhen: number; CallbackURLs: string; DisplayName: string; Description: string; ContentType: string;
  Username: string; IconURL: string;
}

/** Named parameters for the chosen fields, shared by INSERT and UPDATE. */
function fieldParams(f: OutgoingWebhookFields): Record<string, unknown> {
  return {
    channelId: f.channelId, triggerWords: JSON.stringify(f.triggerWords), triggerWhen: f.triggerWhen, callbackUrls: JSON.stringify(f.callbackUrls),
    displayName: f.displayName, description: f.description, contentType: f.contentType, username: f.username, iconUrl: f.iconUrl,
  };
}

const LIVE = 'DeleteAt = 0';

export class SqliteOutgoingWebhookStore implements OutgoingWebhookStore {
  private readonly tokens: CommandTokens;

  constructor(private readonly db: SqliteDb, private readonly clock: Clock, atRestKey: string) {
    this.tokens = new CommandTokens(atRestKey, WEBHOOK_TOKENS);
  }

  private fromRow(row: HookRow): OutgoingWebhookRecord {
    return {
      id: row.Id, token: this.tokens.open(row.Token, row.Id), createAt: row.CreateAt, updateAt: row.UpdateAt, deleteAt: row.DeleteAt,
      creatorId: row.CreatorId, channelId: row.ChannelId, teamId: row.TeamId, triggerWords: JSON.parse(row.TriggerWords) as string[],
      triggerWhen: row.TriggerWhen === 1 ? 1 : 0, callbackUrls: JSON.parse(row.CallbackURLs) as string[], displayName: row.DisplayName,
      description: row.Description, contentType: row.ContentType as OutgoingWebhookRecord['contentType'], username: row.Username, iconUrl: row.IconURL,
    };
  }

  async create(creatorId: string, teamId: string, fields: OutgoingWebhookFields): Promise<OutgoingWebhookRecord> {
    const now = this.clock();
    // The token is a Mattermost id, as Mattermost makes it (26 characters).
    const record: OutgoingWebhookRecord = { ...fields, id: newId(), token: newId(), createAt: now, updateAt: now, deleteAt: 0, creatorId, teamId };
    this.db.run(`INSERT INTO OutgoingWebhooks (Id, Token, CreateAt, UpdateAt, CreatorId, TeamId, ChannelId, TriggerWords, TriggerWhen,
        CallbackURLs, DisplayName, Description, ContentType, Username, IconURL)
        VALUES (@id, @token, @now, @now, @creatorId, @teamId, @channelId, @triggerWords, @triggerWhen, @callbackUrls, @displayName,
        @description, @contentType, @username, @iconUrl)`,
    { ...fieldParams(fields), id: record.id, token: this.tokens.seal(record.token, record.id), now, creatorId, teamId });
    return record;
  }

  async get(id: string): Promise<OutgoingWebhookRecord | null> {
    const row = this.db.get(`SELECT * FROM OutgoingWebhooks WHERE Id = ? AND ${LIVE}`, id) as HookRow | undefined;
    return row ? this.fromRow(row) : null;
  }

  async listByTeam(teamId: string, channelId?: string): Promise<OutgoingWebhookRecord[]> {
    const rows = channelId === undefined
      ? this.db.all(`SELECT * FROM OutgoingWebhooks WHERE TeamId = ? AND ${LIVE} ORDER BY CreateAt, Id`, teamId)
      : this.db.all(`SELECT * FROM OutgoingWebhooks WHERE TeamId = ? AND ChannelId = ? AND ${LIVE} ORDER BY CreateAt, Id`, teamId, channelId);
    return (rows as HookRow[]).map((row) => this.fromRow(row));
  }

  async update(id: string, fields: OutgoingWebhookFields): Promise<OutgoingWebhookRecord | null> {
    const changed = this.db.run(`UPDATE OutgoingWebhooks SET UpdateAt = @now, ChannelId = @channelId, TriggerWords = @triggerWords,
        TriggerWhen = @triggerWhen, CallbackURLs = @callbackUrls, DisplayName = @displayName, Description = @description,
        ContentType = @contentType, Username = @username, IconURL = @iconUrl WHERE Id = @id AND ${LIVE}`,
    { ...fieldParams(fields), id, now: this.clock() }).changes;
    return changed === 1 ? this.get(id) : null;
  }

  async regenerateToken(id: string): Promise<OutgoingWebhookRecord | null> {
    const sealed = this.tokens.seal(newId(), id);
    const changed = this.db.run(`UPDATE OutgoingWebhooks SET Token = ?, UpdateAt = ? WHERE Id = ? AND ${LIVE}`, sealed, this.clock(), id).changes;
    return changed === 1 ? this.get(id) : null;
  }

  async delete(id: string): Promise<boolean> {
    const now = this.clock();
    return this.db.run(`UPDATE OutgoingWebhooks SET DeleteAt = ?, UpdateAt = ? WHERE Id = ? AND ${LIVE}`, now, now, id).changes === 1;
  }
}
