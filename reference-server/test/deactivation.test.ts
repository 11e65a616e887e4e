// User deactivation as Mattermost's REST API: PUT /users/{id}/active and DELETE /users/{id},
// through Client4 (updateUserActive; deleteUser as Client4 has always sent it).
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import {
  ADMIN, FAKE_PLUGIN_DIR, USER, client, createAdmin, createUser, expectClientError, loginForCookies, startServer, type Client, type TestServer,
} from './helpers.js';

const BOB = { username: 'bob', email: 'bob@example.com', password: 'bob-password-1' };
const INVALID_CREDENTIALS = 'api.user.login.invalid_credentials_email_username';
const NOT_ENABLED = 'api.user.update_active.not_enable.app_error';

/** Client4's deleteUser (Mattermost's client up to v9; v11 dropped the method, the route stayed). */
function deleteUser(c: Client, userId: string): Promise<unknown> {
  const raw = c as unknown as { doFetch(url: string, options: { method: string }): Promise<unknown> };
  return raw.doFetch(c.getUserRoute(userId), { method: 'delete' });
}

function userRow(dbFile: string, id: string): { DeleteAt: number; sessions: number } {
  const db = new Database(dbFile, { readonly: true });
  try {
    const { DeleteAt } = db.prepare('SELECT DeleteAt FROM Users WHERE Id = ?').get(id) as { DeleteAt: number };
    const { n } = db.prepare('SELECT COUNT(*) AS n FROM Sessions WHERE UserId = ?').get(id) as { n: number };
    return { DeleteAt, sessions: n };
  } finally {
    db.close();
  }
}

describe('user deactivation', () => {
  let server: TestServer;
  let admin: Client;
  let adminId: string;
  let alice: Client;
  let aliceId: string;
  let bob: Client;
  let bobId: string;

  const raw = (method: string, path: string, token: string, body?: string) =>
    fetch(`${server.url}/api/v4${path}`, { method, headers: { authorization: `Bearer ${token}` }, body })
      .then(async (res) => ({ status: res.status, body: (await res.json()) as { id: string } }));

  before(async () => {
    server = await startServer({ pluginDir: FAKE_PLUGIN_DIR });
    ({ client: admin, id: adminId } = await createAdmin(server.url));
    ({ client: alice, id: aliceId } = await createUser(server.url, admin));
    ({ client: bob, id: bobId } = await createUser(server.url, admin, BOB));
  });
  after(async () => {
    await server.close();
  });

  it('checks the id for shape first (400), then that the user exists (404), and the body (400); nothing changes', async () => {
    for (const [method, path, body] of [['PUT', '/users/not-an-id/active', '{"active":false}'], ['DELETE', '/users/not-an-id', undefined],
      ['PUT', `/users/${'a'.repeat(25)}/active`, '{"active":false}']] as const) {
      const res = await raw(method, path, admin.getToken(), body);
      assert.equal(res.status, 400, path);
      assert.equal(res.body.id, 'api.context.invalid_url_param.app_error', path);
    }
    await expectClientError(admin.updateUserActive('u'.repeat(26), false), 404, 'app.user.missing_account.const');
    await expectClientError(deleteUser(admin, 'u'.repeat(26)), 404, 'app.user.missing_account.const');
    for (const body of ['{"active":"no"}', '{}', '[]', 'null', '{']) {
      const res = await raw('PUT', `/users/${bobId}/active`, admin.getToken(), body);
      assert.equal(res.status, 400, body);
      assert.match(res.body.id, /^api\.context\.invalid_(body_param|json)\.app_error$/, body);
    }
    assert.equal(userRow(server.dbFile, bobId).DeleteAt, 0);
    assert.equal((await bob.getMe()).id, bobId);
  });

  it('refuses callers without manage_system (403), and self-deactivation as Mattermost does while EnableUserDeactivation is off (401)', async () => {
    await expectClientError(alice.updateUserActive(bobId, false), 403, 'api.user.update_active.permissions.app_error');
    await expectClientError(alice.updateUserActive(aliceId, true), 403, 'api.user.update_active.permissions.app_error');
    await expectClientError(deleteUser(alice, bobId), 403, 'api.context.permissions.app_error');
    await expectClientError(deleteUser(alice, adminId), 403, 'api.context.permissions.app_error');
    await expectClientError(alice.updateUserActive(aliceId, false), 401, NOT_ENABLED);
    await expectClientError(alice.updateUserActive('me', false), 401, NOT_ENABLED);
    await expectClientError(deleteUser(alice, aliceId), 401, NOT_ENABLED);
    // Mattermost's PUT /active knows no exception for admins: they too are refused deactivating themselves there.
    await expectClientError(admin.updateUserActive(adminId, false), 401, NOT_ENABLED);
    await expectClientError(client(server.url).updateUserActive(bobId, false), 401, 'api.context.session_expired.app_error');
    assert.equal(userRow(server.dbFile, bobId).DeleteAt, 0);
    assert.equal(userRow(server.dbFile, aliceId).DeleteAt, 0);
    assert.equal((await alice.getMe()).id, aliceId);
  });

  it('deactivates with PUT /active: DeleteAt set, every host session revoked, logging in refused', async () => {
    const browser = await loginForCookies(server.url, USER.username, USER.password);
    assert.deepEqual(await admin.updateUserActive(aliceId, false), { status: 'OK' });
    const row = userRow(server.dbFile, aliceId);
    assert.ok(row.DeleteAt > 0);
    assert.equal(row.sessions, 0, 'the sessions are gone from the database');
    await expectClientError(alice.getMe(), 401, 'api.context.session_expired.app_error');
    const cookieMe = await fetch(`${server.url}/api/v4/users/me`, { headers: { cookie: browser.cookieHeader } });
    assert.equal(cookieMe.status, 401);
    await expectClientError(client(server.url).login(USER.username, USER.password), 401, INVALID_CREDENTIALS);
    await expectClientError(admin.getUser(aliceId), 404, 'app.user.missing_account.const');
    // Deactivating again keeps the first DeleteAt.
    assert.deepEqual(await admin.updateUserActive(aliceId, false), { status: 'OK' });
    assert.equal(userRow(server.dbFile, aliceId).DeleteAt, row.DeleteAt);
  });

  it('reactivates with PUT /active true: the user logs in again; the old sessions stay revoked', async () => {
    assert.deepEqual(await admin.updateUserActive(aliceId, true), { status: 'OK' });
    assert.equal(userRow(server.dbFile, aliceId).DeleteAt, 0);
    await expectClientError(alice.getMe(), 401, 'api.context.session_expired.app_error');
    await alice.login(USER.username, USER.password);
    assert.equal((await alice.getMe()).id, aliceId);
    assert.equal((await admin.getUser(aliceId)).delete_at, 0);
  });

  it('deactivates with DELETE /users/{id} (deleteUser), keeping the row', async () => {
    assert.deepEqual(await deleteUser(admin, bobId), { status: 'OK' });
    const row = userRow(server.dbFile, bobId);
    assert.ok(row.DeleteAt > 0);
    assert.equal(row.sessions, 0);
    await expectClientError(bob.getMe(), 401, 'api.context.session_expired.app_error');
    await expectClientError(client(server.url).login(BOB.username, BOB.password), 401, INVALID_CREDENTIALS);
    assert.equal((await alice.getMe()).id, aliceId, 'other users keep their sessions');
    assert.equal((await admin.getMe()).id, adminId);
  });

  it('lets a system admin deactivate their own account with DELETE, as Mattermost does', async () => {
    const me = await raw('DELETE', '/users/me', admin.getToken());
    assert.equal(me.status, 405, '/users/me stays read-only: the account is named by its id');
    assert.equal(userRow(server.dbFile, adminId).DeleteAt, 0);
    assert.deepEqual(await deleteUser(admin, adminId), { status: 'OK' });
    await expectClientError(admin.getMe(), 401, 'api.context.session_expired.app_error');
    await expectClientError(client(server.url).login(ADMIN.username, ADMIN.password), 401, INVALID_CREDENTIALS);
    assert.ok(userRow(server.dbFile, adminId).DeleteAt > 0);
  });
});
