import type { SessionRecord, SessionStore } from '../store.js';
import type { Db } from './db.js';

const COLUMNS = 'Id AS "id", TokenHash AS "tokenHash", CsrfHash AS "csrfHash", UserId AS "userId", CreateAt AS "createAt", ExpiresAt AS "expiresAt"';

export class PgSessionStore implements SessionStore {
  constructor(private readonly db: Db) {}

  async create(s: SessionRecord): Promise<void> {
    await this.db.query('INSERT INTO Sessions (Id, TokenHash, CsrfHash, UserId, CreateAt, ExpiresAt) VALUES ($1, $2, $3, $4, $5, $6)',
      [s.id, s.tokenHash, s.csrfHash, s.userId, s.createAt, s.expiresAt]);
  }

  async findByTokenHash(tokenHash: string, now: number): Promise<SessionRecord | null> {
    return (await this.db.query<SessionRecord>(`SELECT ${COLUMNS} FROM Sessions WHERE TokenHash = $1 AND ExpiresAt > $2`, [tokenHash, now])).rows[0] ?? null;
  }

  async delete(id: string): Promise<void> {
    await this.db.query('DELETE FROM Sessions WHERE Id = $1', [id]);
  }

  async deleteByUser(userId: string): Promise<number> {
    return (await this.db.query('DELETE FROM Sessions WHERE UserId = $1', [userId])).rowCount ?? 0;
  }

  async sweepExpired(now: number): Promise<number> {
    return (await this.db.query('DELETE FROM Sessions WHERE ExpiresAt <= $1', [now])).rowCount ?? 0;
  }
}
