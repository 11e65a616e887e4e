// /api/v4/users: sign-up, login, logout and user lookups, as Mattermost answers them.
import { CSRF_COOKIE, SESSION_COOKIE, SESSION_LENGTH_MS, USER_COOKIE } from '../auth.js';
import { ApiError, forbidden, invalidParam } from '../errors.js';
import { cookie, sendJson } from '../http.js';
import { hashPassword, verifyAgainstDummy, verifyPassword } from '../password.js';
import { Permission } from '../permissions.js';
import type { Router } from '../router.js';
import type { UserRecord } from '../store/store.js';
import { LOGIN_LOCKOUT_MS, parseNewUser, userJson } from '../users.js';
import { can, requireSession, type ApiRequest, type ApiRoute } from './context.js';
import { teamJson } from './teams.js';

const invalidCredentials = () =>
  new ApiError(401, 'api.user.login.invalid_credentials_email_username', 'Enter a valid email or username and/or password.');

const tooManyAttempts = () => new ApiError(401, 'api.user.check_user_login_attempts.too_many.app_error',
  `Your account is locked because of too many failed password attempts. Try again in ${LOGIN_LOCKOUT_MS / 60_000} minutes.`);

const userNotFound = () => new ApiError(404, 'app.user.missing_account.const', 'Unable to find the user.');

async function createUser(r: ApiRequest): Promise<void> {
  const input = parseNewUser(await r.json());
  const callerMayCreate = can(r, Permission.ManageSystem);
  // Cheap early refusal before the costly hash; the store checks again inside its transaction.
  if (!callerMayCreate && (await r.services.store.users.hasAnyUser())) throw forbidden();
  const passwordHash = await hashPassword(input.password);
  const user = await r.services.store.users.create({ ...input, passwordHash }, callerMayCreate);
  r.services.log.log('info', 'user created', { user: user.id, roles: user.roles });
  sendJson(r.res, 201, userJson(user));
}

function sessionCookies(r: ApiRequest, values: { token: string; userId: string; csrf: string } | null): string[] {
  const secure = r.services.config.service.SiteURL.startsWith('https:');
  const maxAgeSeconds = values ? SESSION_LENGTH_MS / 1000 : 0;
  return [
    cookie(SESSION_COOKIE, values?.token ?? '', { maxAgeSeconds, httpOnly: true, secure }),
    cookie(USER_COOKIE, values?.userId ?? '', { maxAgeSeconds, httpOnly: false, secure }),
    // Readable by the page's script, which echoes it in X-CSRF-Token.
    cookie(CSRF_COOKIE, values?.csrf ?? '', { maxAgeSeconds, httpOnly: false, secure }),
  ];
}

/**
 * The active user with this login and password, else a 401. Each attempt is counted before the
 * (slow) password check, so racing guesses cannot get past MaximumLoginAttempts; a success resets it.
 */
async function checkPassword(r: ApiRequest, loginId: string, password: string): Promise<UserRecord> {
  const { users } = r.services.store;
  const user = await users.findByLogin(loginId);
  if (!user || user.deleteAt !== 0) {
    await verifyAgainstDummy(password);
    throw invalidCredentials();
  }
  const max = r.services.config.service.MaximumLoginAttempts;
  if (!(await users.countLoginAttempt(user.id, max, LOGIN_LOCKOUT_MS, r.services.clock()))) throw tooManyAttempts();
  if (!(await verifyPassword(password, user.passwordHash))) throw invalidCredentials();
  await users.clearLoginAttempts(user.id);
  return user;
}

async function login(r: ApiRequest): Promise<void> {
  const body = (await r.json()) as Record<string, unknown> | null;
  const loginId = body?.login_id;
  const password = body?.password;
  if (typeof loginId !== 'string' || loginId === '') throw invalidParam('login_id');
  if (typeof password !== 'string' || password === '') throw invalidParam('password');
  const user = await checkPassword(r, loginId, password);
  const { token, csrf } = await r.services.auth.login(user);
  r.userId = user.id;
  r.res.setHeader('Token', token);
  r.res.setHeader('Set-Cookie', sessionCookies(r, { token, userId: user.id, csrf }));
  sendJson(r.res, 200, userJson(user));
}

async function logout(r: ApiRequest): Promise<void> {
  if (r.session) await r.services.auth.logout(r.session);
  r.res.setHeader('Set-Cookie', sessionCookies(r, null));
  sendJson(r.res, 200, { status: 'OK' });
}

async function getMe(r: ApiRequest): Promise<void> {
  sendJson(r.res, 200, userJson(requireSession(r).user));
}

async function getUser(r: ApiRequest): Promise<void> {
  const user = await r.services.store.users.get(r.params.user_id);
  if (!user || user.deleteAt !== 0) throw userNotFound();
  sendJson(r.res, 200, userJson(user));
}

async function getMyTeams(r: ApiRequest): Promise<void> {
  const teams = await r.services.store.teams.teamsOfUser(requireSession(r).user.id);
  sendJson(r.res, 200, teams.map(teamJson));
}

export function addUserRoutes(router: Router<ApiRoute>): void {
  router
    .add('POST', '/users', { session: 'optional', handler: createUser })
    .add('POST', '/users/login', { session: 'optional', handler: login })
    .add('POST', '/users/logout', { session: 'optional', handler: logout })
    .add('GET', '/users/me', { session: 'required', handler: getMe })
    .add('GET', '/users/me/teams', { session: 'required', handler: getMyTeams })
    .add('GET', '/users/:user_id', { session: 'required', handler: getUser });
}
