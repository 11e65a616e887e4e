// User rules: what a new user must look like, and the JSON Mattermost clients expect.
import { invalidParam, badRequest } from './errors.js';
import type { UserRecord } from './store/store.js';

export interface NewUserInput {
  username: string;
  email: string;
  password: string;
  firstName: string;
  lastName: string;
  nickname: string;
}

/**
 * How long an account stays locked after MaximumLoginAttempts failed passwords in a row. Mattermost
 * locks until an admin or a password reset unlocks it; this host has neither, so the lock ends by itself.
 */
export const LOGIN_LOCKOUT_MS = 15 * 60 * 1000;

const USERNAME = /^[a-z][a-z0-9.\-_]{2,21}$/;
// Deliberately simple (as Mattermost's): one "@", something before it, a dot-free-ending domain.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function optionalString(body: Record<string, unknown>, key: string, max: number): string {
  const value = body[key] ?? '';
  if (typeof value !== 'string' || value.length > max) throw invalidParam(key);
  return value;
}

export function parseNewUser(body: unknown): NewUserInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidParam('user');
  const b = body as Record<string, unknown>;
  const { username, email, password } = b;
  if (typeof username !== 'string' || !USERNAME.test(username)) {
    throw badRequest('model.user.is_valid.username.app_error',
      'Invalid username: it must begin with a letter and contain 3 to 22 lowercase letters, numbers or the symbols ".", "-" and "_".');
  }
  if (typeof email !== 'string' || email.length > 128 || !EMAIL.test(email)) {
    throw badRequest('model.user.is_valid.email.app_error', 'Invalid email: please enter a valid email address.');
  }
  if (typeof password !== 'string' || password.length < 8 || password.length > 72) {
    throw badRequest('model.user.is_valid.pwd_length.app_error', 'Invalid password: it must have 8 to 72 characters.');
  }
  return {
    username, email: email.toLowerCase(), password,
    firstName: optionalString(b, 'first_name', 64), lastName: optionalString(b, 'last_name', 64),
    nickname: optionalString(b, 'nickname', 64),
  };
}

/** Mattermost's user JSON, without password or MFA fields. */
export function userJson(user: UserRecord): Record<string, unknown> {
  return {
    id: user.id, create_at: user.createAt, update_at: user.updateAt, delete_at: user.deleteAt,
    username: user.username, auth_data: '', auth_service: user.authService, email: user.email,
    email_verified: user.emailVerified, nickname: user.nickname, first_name: user.firstName,
    last_name: user.lastName, position: user.position, roles: user.roles, locale: user.locale,
    notify_props: {}, props: {}, last_password_update: user.createAt, timezone: {},
    disable_welcome_email: false,
  };
}
