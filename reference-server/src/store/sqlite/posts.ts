import type { SqliteDb } from './db.js';
import { newId } from '../../ids.js';
import type { Clock, NewPost, PostRecord, PostStore } from '../store.js';

interface PostRow {
  Id: string; CreateAt: number; UpdateAt: number; EditAt: number; DeleteAt: number; UserId: string; ChannelId: string;
  RootId: string; Message: string; Type: string; Props: string;
}

function fromRow(row: PostRow): PostRecord {
  return {
    id: row.Id, createAt: row.CreateAt, updateAt: row.UpdateAt, editAt: row.EditAt, deleteAt: row.DeleteAt, userId: row.UserId,
    channelId: row.ChannelId, rootId: row.RootId, message: row.Message, type: row.Type, props: JSON.parse(row.Props) as Record<string, unknown>,
  };
}

export class SqlitePostStore implements PostStore {
  constructor(private readonly db: SqliteDb, private readonly clock: Clock) {}

  async create(post: NewPost): Promise<PostRecord> {
    const now = this.clock();
    const record: PostRecord = { ...post, id: newId(), createAt: now, updateAt: now, editAt: 0, deleteAt: 0 };
    this.db.run(`INSERT INTO Posts (Id, CreateAt, UpdateAt, UserId, ChannelId, RootId, Message, Type, Props)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, record.id, now, now, post.userId, post.channelId, post.rootId, post.message, post.type,
    JSON.stringify(post.props));
    return record;
  }

  async get(id: string): Promise<PostRecord | null> {
    const row = this.db.get('SELECT * FROM Posts WHERE Id = ? AND DeleteAt = 0', id) as PostRow | undefined;
    return row ? fromRow(row) : null;
  }

  async listByChannel(channelId: string, page: number, perPage: number): Promise<PostRecord[]> {
    const rows = this.db.all('SELECT * FROM Posts WHERE ChannelId = ? AND DeleteAt = 0 ORDER BY CreateAt DESC, Id DESC LIMIT ? OFFSET ?',
      channelId, perPage, page * perPage) as PostRow[];
    return rows.map(fromRow);
  }

  async update(id: string, message: string, props: Record<string, unknown>): Promise<PostRecord | null> {
    const now = this.clock();
    const changed = this.db.run('UPDATE Posts SET Message = ?, Props = ?, EditAt = ?, UpdateAt = ? WHERE Id = ? AND DeleteAt = 0',
      message, JSON.stringify(props), now, now, id).changes;
    return changed === 1 ? this.get(id) : null;
  }
}
