import type BetterSqlite3 from 'better-sqlite3';
import { prepared } from './prepared.js';
import type { SessionRecord, SessionStore } from '../store.js';

interface SessionRow { Id: string; TokenHash: string; CsrfHash: string; UserId: string; CreateAt: number; ExpiresAt: number }

export class SqliteSessionStore implements SessionStore {
  constructor(private readonly db: BetterSqlite3.Database) {}

  async create(s: SessionRecord): Promise<void> {
    prepared(this.db, 'INSERT INTO Sessions (Id, TokenHash, CsrfHash, UserId, CreateAt, ExpiresAt) VALUES (?, ?, ?, ?, ?, ?)')
      .run(s.id, s.tokenHash, s.csrfHash, s.userId, s.createAt, s.expiresAt);
  }

  async findByTokenHash(tokenHash: string, now: number): Promise<SessionRecord | null> {
    const row = prepared(this.db, 'SELECT * FROM Sessions WHERE TokenHash = ? AND ExpiresAt > ?').get(tokenHash, now) as SessionRow | undefined;
    return row
      ? { id: row.Id, tokenHash: row.TokenHash, csrfHash: row.CsrfHash, userId: row.UserId, createAt: row.CreateAt, expiresAt: row.ExpiresAt }
      : null;
  }

  async delete(id: string): Promise<void> {
    prepared(this.db, 'DELETE FROM Sessions WHERE Id = ?').run(id);
  }

  async deleteByUser(userId: string): Promise<number> {
    return prepared(this.db, 'DELETE FROM Sessions WHERE UserId = ?').run(userId).changes;
  }

  async sweepExpired(now: number): Promise<number> {
    return prepared(this.db, 'DELETE FROM Sessions WHERE ExpiresAt <= ?').run(now).changes;
  }
}
