// /api/v4/users: sign-up, login, logout and user lookups, as Mattermost answers them.
import { CSRF_COOKIE, SESSION_COOKIE, SESSION_LENGTH_MS, USER_COOKIE } from '../auth.js';
import { ApiError, forbidden, invalidParam, invalidUrlParam } from '../errors.js';
import { cookie, sendJson } from '../http.js';
import { isValidId } from '../ids.js';
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

// Mattermost refuses deactivating oneself unless TeamSettings.EnableUserDeactivation, which this host leaves off.
const selfDeactivationOff = () => new ApiError(401, 'api.user.update_active.not_enable.app_error',
  'You cannot deactivate yourself because this feature is not enabled. Please contact your System Administrator.');

const updateActiveForbidden = () =>
  new ApiError(403, 'api.user.update_active.permissions.app_error', 'You do not have the appropriate permissions.');

async function createUser(r: ApiRequest): Promise<void> {
  const input = parseNewUser(await r.json());
  const callerMayCreate = can(r, Permission.ManageSystem);
  // Cheap early refusal before the costly hash; the store checks again inside its transaction.
  if (!callerMayCreate && (await r.services.store.users.hasAnyUser())) throw forbidden();
  const passwordHash = await hashPassword(input.password);
  const user = await r.services.store.users.create({ ...input, passwordHash }, callerMayCreate);
  r.services.log.log('info', 'user created', { user: user.id, roles: user.roles });
  return sendJson(r, 201, userJson(user));
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
  return sendJson(r, 200, userJson(user));
}

async function logout(r: ApiRequest): Promise<void> {
  if (r.session) await r.services.auth.logout(r.session);
  r.res.setHeader('Set-Cookie', sessionCookies(r, null));
  return sendJson(r, 200, { status: 'OK' });
}

async function getMe(r: ApiRequest): Promise<void> {
  return sendJson(r, 200, userJson(requireSession(r).user));
}

async function getUser(r: ApiRequest): Promise<void> {
  const user = await r.services.store.users.get(r.params.user_id);
  if (!user || user.deleteAt !== 0) throw userNotFound();
  return sendJson(r, 200, userJson(user));
}

async function getMyTeams(r: ApiRequest): Promise<void> {
  const teams = await r.services.store.teams.teamsOfUser(requireSession(r).user.id);
  return sendJson(r, 200, teams.map(teamJson));
}

/** The {user_id} of the path ("me": the caller), checked for shape before anything else, as Mattermost's RequireUserId. */
function pathUserId(r: ApiRequest): string {
  const id = r.params.user_id === 'me' ? requireSession(r).user.id : r.params.user_id;
  if (!isValidId(id)) throw invalidUrlParam('user_id');
  return id;
}

/** Mattermost's UpdateActive: DeleteAt, and on deactivation every host session of the user revoked. */
async function setActive(r: ApiRequest, userId: string, active: boolean): Promise<void> {
  const { users, sessions } = r.services.store;
  if (!(await users.setActive(userId, active, r.services.clock()))) throw userNotFound();
  // DeleteAt alone already shuts the user out (every request checks it); the sessions go too, for good.
  const revoked = active ? 0 : await sessions.deleteByUser(userId);
  r.services.log.log('info', active ? 'user activated' : 'user deactivated', { user: userId, by: requireSession(r).user.id, sessions_revoked: revoked });
  return sendJson(r, 200, { status: 'OK' });
}

/** PUT /users/{user_id}/active {"active": bool}: admins only; deactivating oneself is off, as in Mattermost by default. */
async function updateUserActive(r: ApiRequest): Promise<void> {
  const userId = pathUserId(r);
  const body = await r.json();
  const active = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).active : undefined;
  if (typeof active !== 'boolean') throw invalidParam('active');
  if (!active && userId === requireSession(r).user.id) throw selfDeactivationOff();
  if (!can(r, Permission.ManageSystem)) throw updateActiveForbidden();
  await setActive(r, userId, active);
}

/** DELETE /users/{user_id}: deactivates (never erases). Mattermost lets a system admin do it to their own account. */
async function deactivateUser(r: ApiRequest): Promise<void> {
  // "/users/me" is the caller's own read-only view here (GET only), as it has always answered;
  // deactivating one's own account names the id. (Hence a session checked here, after that.)
  if (r.params.user_id === 'me') throw new ApiError(405, 'api.context.405.app_error', 'Method not allowed.');
  const session = requireSession(r);
  const userId = pathUserId(r);
  const isAdmin = can(r, Permission.ManageSystem);
  const self = userId === session.user.id;
  if (!self && !isAdmin) throw forbidden();
  if (self && !isAdmin) throw selfDeactivationOff();
  await setActive(r, userId, false);
}

export function addUserRoutes(router: Router<ApiRoute>): void {
  router
    .add('POST', '/users', { session: 'optional', handler: createUser })
    .add('POST', '/users/login', { session: 'optional', handler: login })
    .add('POST', '/users/logout', { session: 'optional', handler: logout })
    .add('GET', '/users/me', { session: 'required', handler: getMe })
    .add('GET', '/users/me/teams', { session: 'required', handler: getMyTeams })
    .add('GET', '/users/:user_id', { session: 'required', handler: getUser })
    .add('DELETE', '/users/:user_id', { session: 'optional', handler: deactivateUser })
    .add('PUT', '/users/:user_id/active', { session: 'required', handler: updateUserActive });
}
