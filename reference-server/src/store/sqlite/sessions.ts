import type { SqliteDb } from './db.js';
import type { SessionRecord, SessionStore } from '../store.js';

interface SessionRow { Id: string; TokenHash: string; CsrfHash: string; UserId: string; CreateAt: number; ExpiresAt: number }

export class SqliteSessionStore implements SessionStore {
  constructor(private readonly db: SqliteDb) {}

  async create(s: SessionRecord): Promise<void> {
    this.db.run('INSERT INTO Sessions (Id, TokenHash, CsrfHash, UserId, CreateAt, ExpiresAt) VALUES (?, ?, ?, ?, ?, ?)', s.id, s.tokenHash, s.csrfHash, s.userId, s.createAt, s.expiresAt);
  }

  async findByTokenHash(tokenHash: string, now: number): Promise<SessionRecord | null> {
    const row = this.db.get('SELECT * FROM Sessions WHERE TokenHash = ? AND ExpiresAt > ?', tokenHash, now) as SessionRow | undefined;
    return row
      ? { id: row.Id, tokenHash: row.TokenHash, csrfHash: row.CsrfHash, userId: row.UserId, createAt: row.CreateAt, expiresAt: row.ExpiresAt }
      : null;
  }

  async delete(id: string): Promise<void> {
    this.db.run('DELETE FROM Sessions WHERE Id = ?', id);
  }

  async deleteByUser(userId: string): Promise<number> {
    return this.db.run('DELETE FROM Sessions WHERE UserId = ?', userId).changes;
  }

  async sweepExpired(now: number): Promise<number> {
    return this.db.run('DELETE FROM Sessions WHERE ExpiresAt <= ?', now).changes;
  }
}
