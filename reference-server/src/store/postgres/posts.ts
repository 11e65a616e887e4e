import { newId } from '../../ids.js';
import type { Clock, NewPost, PostRecord, PostStore } from '../store.js';
import type { Db } from './db.js';

const COLUMNS = `Id AS "id", CreateAt AS "createAt", UpdateAt AS "updateAt", EditAt AS "editAt", DeleteAt AS "deleteAt",
  UserId AS "userId", ChannelId AS "channelId", RootId AS "rootId", Message AS "message", Type AS "type", Props AS "props"`;

export class PgPostStore implements PostStore {
  constructor(private readonly db: Db, private readonly clock: Clock) {}

  async create(post: NewPost): Promise<PostRecord> {
    const now = this.clock();
    const record: PostRecord = { ...post, id: newId(), createAt: now, updateAt: now, editAt: 0, deleteAt: 0 };
    await this.db.query(`INSERT INTO Posts (Id, CreateAt, UpdateAt, UserId, ChannelId, RootId, Message, Type, Props)
        VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8)`, [record.id, now, post.userId, post.channelId, post.rootId, post.message, post.type,
      JSON.stringify(post.props)]);
    return record;
  }

  async get(id: string): Promise<PostRecord | null> {
    return (await this.db.query<PostRecord>(`SELECT ${COLUMNS} FROM Posts WHERE Id = $1 AND DeleteAt = 0`, [id])).rows[0] ?? null;
  }

  async listByChannel(channelId: string, page: number, perPage: number): Promise<PostRecord[]> {
    const { rows } = await this.db.query<PostRecord>(`SELECT ${COLUMNS} FROM Posts WHERE ChannelId = $1 AND DeleteAt = 0
        ORDER BY CreateAt DESC, Id COLLATE "C" DESC LIMIT $2 OFFSET $3`, [channelId, perPage, page * perPage]);
    return rows;
  }

  async update(id: string, message: string, props: Record<string, unknown>): Promise<PostRecord | null> {
    const now = this.clock();
    const { rows } = await this.db.query<PostRecord>(`UPDATE Posts SET Message = $2, Props = $3, EditAt = $4, UpdateAt = $4
        WHERE Id = $1 AND DeleteAt = 0 RETURNING ${COLUMNS}`, [id, message, JSON.stringify(props), now]);
    return rows[0] ?? null;
  }
}

