import type { SqliteDb } from './db.js';
import { ApiError, badRequest, forbidden } from '../../errors.js';
import { newId } from '../../ids.js';
import type { Clock, NewUser, UserRecord, UserStore } from '../store.js';

interface UserRow {
  Id: string; CreateAt: number; UpdateAt: number; DeleteAt: number; Username: string; Email: string;
  EmailVerified: number; Password: string; Nickname: string; FirstName: string; LastName: string;
  Position: string; Roles: string; Locale: string; AuthService: string;
}

function fromRow(row: UserRow): UserRecord {
  return {
    id: row.Id, createAt: row.CreateAt, updateAt: row.UpdateAt, deleteAt: row.DeleteAt, username: row.Username,
    email: row.Email, emailVerified: row.EmailVerified === 1, nickname: row.Nickname, firstName: row.FirstName,
    lastName: row.LastName, position: row.Position, roles: row.Roles, locale: row.Locale,
    authService: row.AuthService, passwordHash: row.Password,
  };
}

export class SqliteUserStore implements UserStore {
  private readonly createTx: (user: NewUser, callerMayCreate: boolean) => UserRecord;

  constructor(private readonly db: SqliteDb, private readonly clock: Clock) {
    // One step under the write lock, so "first user" is decided once.
    this.createTx = db.transaction((user: NewUser, callerMayCreate: boolean) => this.insert(user, callerMayCreate));
  }

  async create(user: NewUser, callerMayCreate: boolean): Promise<UserRecord> {
    return this.createTx(user, callerMayCreate);
  }

  async hasAnyUser(): Promise<boolean> {
    return !!this.db.get('SELECT 1 FROM Users LIMIT 1');
  }

  get(id: string): UserRecord | null {
    const row = this.db.get('SELECT * FROM Users WHERE Id = ?', id) as UserRow | undefined;
    return row ? fromRow(row) : null;
  }

  async findByLogin(loginId: string): Promise<UserRecord | null> {
    const login = loginId.toLowerCase();
    const row = this.db.get('SELECT * FROM Users WHERE Username = ? OR Email = ?', login, login) as UserRow | undefined;
    return row ? fromRow(row) : null;
  }

  async countLoginAttempt(id: string, max: number, lockoutMs: number, now: number): Promise<boolean> {
    return this.db.run(`UPDATE Users SET LastLoginAttemptAt = @now,
        FailedAttempts = CASE WHEN FailedAttempts >= @max THEN 1 ELSE FailedAttempts + 1 END
        WHERE Id = @id AND (FailedAttempts < @max OR LastLoginAttemptAt <= @now - @lockoutMs)`, { id, max, lockoutMs, now }).changes === 1;
  }

  async clearLoginAttempts(id: string): Promise<void> {
    this.db.run('UPDATE Users SET FailedAttempts = 0 WHERE Id = ?', id);
  }

  async setActive(id: string, active: boolean, now: number): Promise<boolean> {
    return this.db.run(`UPDATE Users SET UpdateAt = @now,
        DeleteAt = CASE WHEN @active = 1 THEN 0 WHEN DeleteAt = 0 THEN @now ELSE DeleteAt END WHERE Id = @id`, { id, active: active ? 1 : 0, now }).changes === 1;
  }

  private insert(user: NewUser, callerMayCreate: boolean): UserRecord {
    const isFirst = (this.db.get('SELECT COUNT(*) AS n FROM Users') as { n: number }).n === 0;
    if (!isFirst && !callerMayCreate) throw forbidden();
    this.checkUnique(user);
    const now = this.clock();
    const record: UserRecord = {
      ...user, id: newId(), createAt: now, updateAt: now, deleteAt: 0, emailVerified: false, position: '',
      roles: isFirst ? 'system_admin system_user' : 'system_user', locale: 'en', authService: '',
    };
    this.db.run(`INSERT INTO Users (Id, CreateAt, UpdateAt, DeleteAt, Username, Email, EmailVerified, Password,
        Nickname, FirstName, LastName, Position, Roles, Locale, AuthService)
        VALUES (?, ?, ?, 0, ?, ?, 0, ?, ?, ?, ?, '', ?, 'en', '')`, record.id, now, now, record.username, record.email, record.passwordHash, record.nickname,
        record.firstName, record.lastName, record.roles);
    this.joinDefaultTeam(record.id);
    return record;
  }

  private checkUnique(user: NewUser): void {
    if (this.db.get('SELECT 1 FROM Users WHERE Username = ?', user.username)) {
      throw badRequest('app.user.save.username_exists.app_error', 'An account with that username already exists.');
    }
    if (this.db.get('SELECT 1 FROM Users WHERE Email = ?', user.email)) {
      throw badRequest('app.user.save.email_exists.app_error', 'An account with that email already exists.');
    }
  }

  private joinDefaultTeam(userId: string): void {
    const team = this.db.get<{ Id: string }>("SELECT Id FROM Teams WHERE Name = 'main'");
    if (!team) throw new ApiError(500, 'app.team.get_by_name.missing.app_error', 'The default team is missing.');
    this.db.run('INSERT INTO TeamMembers (TeamId, UserId) VALUES (?, ?)', team.Id, userId);
    this.db.run("INSERT INTO ChannelMembers (ChannelId, UserId) SELECT Id, ? FROM Channels WHERE TeamId = ? AND Name IN ('town-square', 'off-topic')", userId, team.Id);
  }
}
