import { ApiError, badRequest, forbidden } from '../../errors.js';
import { newId } from '../../ids.js';
import type { Clock, NewUser, UserRecord, UserStore } from '../store.js';
import type { Db, Querier } from './db.js';

const COLUMNS = `Id AS "id", CreateAt AS "createAt", UpdateAt AS "updateAt", DeleteAt AS "deleteAt", Username AS "username",
  Email AS "email", EmailVerified AS "emailVerified", Nickname AS "nickname", FirstName AS "firstName", LastName AS "lastName",
  Position AS "position", Roles AS "roles", Locale AS "locale", AuthService AS "authService", Password AS "passwordHash"`;

/** Any fixed number: held while a user is created, so "first user" is decided once across all nodes. */
const CREATE_USER_LOCK = 7_240_002;

const UNIQUE_VIOLATION = '23505';

export class PgUserStore implements UserStore {
  constructor(private readonly db: Db, private readonly clock: Clock) {}

  async create(user: NewUser, callerMayCreate: boolean): Promise<UserRecord> {
    return this.db.transaction(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock($1)', [CREATE_USER_LOCK]);
      return this.insert(q, user, callerMayCreate);
    });
  }

  async hasAnyUser(): Promise<boolean> {
    return (await this.db.query('SELECT 1 FROM Users LIMIT 1')).rowCount === 1;
  }

  async get(id: string): Promise<UserRecord | null> {
    return (await this.db.query<UserRecord>(`SELECT ${COLUMNS} FROM Users WHERE Id = $1`, [id])).rows[0] ?? null;
  }

  async findByLogin(loginId: string): Promise<UserRecord | null> {
    const login = loginId.toLowerCase();
    return (await this.db.query<UserRecord>(`SELECT ${COLUMNS} FROM Users WHERE Username = $1 OR Email = $1`, [login])).rows[0] ?? null;
  }

  async countLoginAttempt(id: string, max: number, lockoutMs: number, now: number): Promise<boolean> {
    // One statement: PostgreSQL re-checks the WHERE against a row another node just updated.
    const { rowCount } = await this.db.query(`UPDATE Users SET LastLoginAttemptAt = $4::bigint,
        FailedAttempts = CASE WHEN FailedAttempts >= $2::integer THEN 1 ELSE FailedAttempts + 1 END
        WHERE Id = $1 AND (FailedAttempts < $2::integer OR LastLoginAttemptAt <= $4::bigint - $3::bigint)`, [id, max, lockoutMs, now]);
    return rowCount === 1;
  }

  async clearLoginAttempts(id: string): Promise<void> {
    await this.db.query('UPDATE Users SET FailedAttempts = 0 WHERE Id = $1', [id]);
  }

  async setActive(id: string, active: boolean, now: number): Promise<boolean> {
    const { rowCount } = await this.db.query(`UPDATE Users SET UpdateAt = $3::bigint,
        DeleteAt = CASE WHEN $2::boolean THEN 0 WHEN DeleteAt = 0 THEN $3::bigint ELSE DeleteAt END WHERE Id = $1`, [id, active, now]);
    return rowCount === 1;
  }

  private async insert(q: Querier, user: NewUser, callerMayCreate: boolean): Promise<UserRecord> {
    const isFirst = (await q.query('SELECT 1 FROM Users LIMIT 1')).rowCount === 0;
    if (!isFirst && !callerMayCreate) throw forbidden();
    await this.checkUnique(q, user);
    const now = this.clock();
    const record: UserRecord = {
      ...user, id: newId(), createAt: now, updateAt: now, deleteAt: 0, emailVerified: false, position: '',
      roles: isFirst ? 'system_admin system_user' : 'system_user', locale: 'en', authService: '',
    };
    await q.query(`INSERT INTO Users (Id, CreateAt, UpdateAt, DeleteAt, Username, Email, EmailVerified, Password,
        Nickname, FirstName, LastName, Position, Roles, Locale, AuthService)
        VALUES ($1, $2, $2, 0, $3, $4, false, $5, $6, $7, $8, '', $9, 'en', '')`,
    [record.id, now, record.username, record.email, record.passwordHash, record.nickname, record.firstName, record.lastName, record.roles])
      .catch((err: { code?: string }) => {
        // The lock above serializes creations, so this is only a safety net: the same 400 as the check.
        if (err.code === UNIQUE_VIOLATION) throw badRequest('app.user.save.existing.app_error', 'An account with that username or email already exists.');
        throw err;
      });
    await this.joinDefaultTeam(q, record.id);
    return record;
  }

  private async checkUnique(q: Querier, user: NewUser): Promise<void> {
    if ((await q.query('SELECT 1 FROM Users WHERE Username = $1', [user.username])).rowCount) {
      throw badRequest('app.user.save.username_exists.app_error', 'An account with that username already exists.');
    }
    if ((await q.query('SELECT 1 FROM Users WHERE Email = $1', [user.email])).rowCount) {
      throw badRequest('app.user.save.email_exists.app_error', 'An account with that email already exists.');
    }
  }

  private async joinDefaultTeam(q: Querier, userId: string): Promise<void> {
    const team = (await q.query<{ id: string }>("SELECT Id FROM Teams WHERE Name = 'main'")).rows[0];
    if (!team) throw new ApiError(500, 'app.team.get_by_name.missing.app_error', 'The default team is missing.');
    await q.query('INSERT INTO TeamMembers (TeamId, UserId) VALUES ($1, $2)', [team.id, userId]);
    await q.query("INSERT INTO ChannelMembers (ChannelId, UserId) SELECT Id, $1 FROM Channels WHERE TeamId = $2 AND Name IN ('town-square', 'off-topic')",
      [userId, team.id]);
  }
}
