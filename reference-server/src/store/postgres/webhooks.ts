import { newId } from '../../ids.js';
import { CommandTokens, WEBHOOK_TOKENS } from '../command-tokens.js';
import type { Clock, OutgoingWebhookFields, OutgoingWebhookRecord, OutgoingWebhookStore } from '../store.js';
import type { Db } from './db.js';

const COLUMNS = `Id AS "id", Token AS "token", CreateAt AS "createAt", UpdateAt AS "updateAt", DeleteAt AS "deleteAt",
  CreatorId AS "creatorId", ChannelId AS "channelId", TeamId AS "teamId", TriggerWords AS "triggerWords", TriggerWhen AS "triggerWhen",
  CallbackURLs AS "callbackUrls", DisplayName AS "displayName", Description AS "description", ContentType AS "contentType",
  Username AS "username", IconURL AS "iconUrl"`;

const LIVE = 'DeleteAt = 0';

/** The chosen fields as $3…$11, shared by INSERT and UPDATE. */
function fieldParams(f: OutgoingWebhookFields): unknown[] {
  return [f.channelId, JSON.stringify(f.triggerWords), f.triggerWhen, JSON.stringify(f.callbackUrls), f.displayName, f.description,
    f.contentType, f.username, f.iconUrl];
}

export class PgOutgoingWebhookStore implements OutgoingWebhookStore {
  private readonly tokens: CommandTokens;

  constructor(private readonly db: Db, private readonly clock: Clock, atRestKey: string) {
    this.tokens = new CommandTokens(atRestKey, WEBHOOK_TOKENS);
  }

  async create(creatorId: string, teamId: string, fields: OutgoingWebhookFields): Promise<OutgoingWebhookRecord> {
    const id = newId();
    const { rows } = await this.db.query<OutgoingWebhookRecord>(`INSERT INTO OutgoingWebhooks (Id, Token, ChannelId, TriggerWords,
        TriggerWhen, CallbackURLs, DisplayName, Description, ContentType, Username, IconURL, CreateAt, UpdateAt, CreatorId, TeamId)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14) RETURNING ${COLUMNS}`,
    // The token is a Mattermost id, as Mattermost makes it (26 characters).
    [id, this.tokens.seal(newId(), id), ...fieldParams(fields), this.clock(), creatorId, teamId]);
    return this.record(rows[0]);
  }

  async get(id: string): Promise<OutgoingWebhookRecord | null> {
    return this.first(await this.db.query<OutgoingWebhookRecord>(`SELECT ${COLUMNS} FROM OutgoingWebhooks WHERE Id = $1 AND ${LIVE}`, [id]));
  }

  async listByTeam(teamId: string, channelId?: string): Promise<OutgoingWebhookRecord[]> {
    const { rows } = channelId === undefined
      ? await this.db.query<OutgoingWebhookRecord>(`SELECT ${COLUMNS} FROM OutgoingWebhooks WHERE TeamId = $1 AND ${LIVE} ORDER BY CreateAt, Id COLLATE "C"`, [teamId])
      : await this.db.query<OutgoingWebhookRecord>(`SELECT ${COLUMNS} FROM OutgoingWebhooks WHERE TeamId = $1 AND ChannelId = $2 AND ${LIVE}
          ORDER BY CreateAt, Id COLLATE "C"`, [teamId, channelId]);
    return rows.map((row) => this.record(row));
  }

  async update(id: string, fields: OutgoingWebhookFields): Promise<OutgoingWebhookRecord | null> {
    return this.first(await this.db.query<OutgoingWebhookRecord>(`UPDATE OutgoingWebhooks SET ChannelId = $3, TriggerWords = $4,
        TriggerWhen = $5, CallbackURLs = $6, DisplayName = $7, Description = $8, ContentType = $9, Username = $10, IconURL = $11,
        UpdateAt = $2 WHERE Id = $1 AND ${LIVE} RETURNING ${COLUMNS}`, [id, this.clock(), ...fieldParams(fields)]));
  }

  async regenerateToken(id: string): Promise<OutgoingWebhookRecord | null> {
    return this.first(await this.db.query<OutgoingWebhookRecord>(`UPDATE OutgoingWebhooks SET Token = $2, UpdateAt = $3 WHERE Id = $1 AND ${LIVE}
        RETURNING ${COLUMNS}`, [id, this.tokens.seal(newId(), id), this.clock()]));
  }

  async delete(id: string): Promise<boolean> {
    const now = this.clock();
    return (await this.db.query(`UPDATE OutgoingWebhooks SET DeleteAt = $2, UpdateAt = $2 WHERE Id = $1 AND ${LIVE}`, [id, now])).rowCount === 1;
  }

  /** A row as read (its token encrypted) → the record (its token in plain text). */
  private record(row: OutgoingWebhookRecord): OutgoingWebhookRecord {
    return { ...row, token: this.tokens.open(row.token, row.id) };
  }

  private first({ rows }: { rows: OutgoingWebhookRecord[] }): OutgoingWebhookRecord | null {
    return rows[0] ? this.record(rows[0]) : null;
  }
}
