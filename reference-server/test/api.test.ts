// The host's REST API v4 driven by the official Mattermost client (Client4) and, where Client4
// hides the detail (cookies, raw errors), by plain fetch.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ADMIN, FAKE_PLUGIN_DIR, USER, client, createAdmin, createUser, expectClientError, loginForCookies, startServer,
  type Client, type TestServer,
} from './helpers.js';

const PERMISSION_ERROR = 'api.context.permissions.app_error';
const SESSION_ERROR = 'api.context.session_expired.app_error';

async function rawJson(res: Response): Promise<Record<string, unknown>> {
  assert.equal(res.headers.get('content-type'), 'application/json');
  return (await res.json()) as Record<string, unknown>;
}

describe('REST API v4 with Client4', () => {
  let server: TestServer;
  let admin: Client;
  let adminId: string;
  let alice: Client;
  let aliceId: string;

  before(async () => {
    server = await startServer({ pluginDir: FAKE_PLUGIN_DIR });
  });
  after(async () => {
    await server.close();
  });

  it('answers ping, with or without query parameters', async () => {
    assert.deepEqual(await client(server.url).ping(true, 'device'), { status: 'OK' });
    const res = await fetch(`${server.url}/api/v4/system/ping`);
    assert.deepEqual(await rawJson(res), { status: 'OK' });
  });

  it('makes the first user a system admin, without authentication', async () => {
    const c = client(server.url);
    const user = await c.createUser(ADMIN as never, '', '');
    assert.equal(user.username, ADMIN.username);
    assert.equal(user.email, ADMIN.email);
    assert.equal(user.roles, 'system_admin system_user');
    assert.equal(user.id.length, 26);
    assert.match(user.id, /^[ybndrfg8ejkmcpqxot1uwisza345h769]{26}$/);
    for (const field of ['password', 'mfa_secret', 'mfa_active']) assert.ok(!(field in user), `${field} must not be sent`);
    adminId = user.id;
  });

  it('refuses a second sign-up without an admin session', async () => {
    await expectClientError(client(server.url).createUser(USER as never, '', ''), 403, PERMISSION_ERROR);
  });

  it('logs in (token from the Token header) and returns the user from getMe', async () => {
    admin = client(server.url);
    const user = await admin.login(ADMIN.username, ADMIN.password);
    assert.equal(user.id, adminId);
    assert.ok(admin.getToken().length >= 26);
    const me = await admin.getMe();
    assert.equal(me.id, adminId);
    assert.ok(!('password' in me));
  });

  it('logs in with the email address too, and refuses a wrong password with 401', async () => {
    await client(server.url).login(ADMIN.email.toUpperCase(), ADMIN.password);
    await expectClientError(client(server.url).login(ADMIN.username, 'wrong-password'), 401, 'api.user.login.invalid_credentials_email_username');
    await expectClientError(client(server.url).login('nobody', 'whatever-password'), 401, 'api.user.login.invalid_credentials_email_username');
  });

  it('lets the admin create an ordinary user, who is not an admin', async () => {
    ({ client: alice, id: aliceId } = await createUser(server.url, admin));
    const me = await alice.getMe();
    assert.equal(me.id, aliceId);
    assert.equal(me.roles, 'system_user');
  });

  it('refuses invalid users with a 400 naming the field, and duplicates', async () => {
    const bad = [
      [{ ...USER, username: 'Al' }, 'model.user.is_valid.username.app_error', /username/],
      [{ ...USER, username: '1alice' }, 'model.user.is_valid.username.app_error', /username/],
      [{ ...USER, username: 'bob', email: 'not-an-email' }, 'model.user.is_valid.email.app_error', /email/],
      [{ ...USER, username: 'bob', email: 'bob@example.com', password: 'short' }, 'model.user.is_valid.pwd_length.app_error', /password/],
      [{ ...USER, email: 'other@example.com' }, 'app.user.save.username_exists.app_error', /username/],
      [{ ...USER, username: 'bob', email: USER.email.toUpperCase() }, 'app.user.save.email_exists.app_error', /email/],
    ] as const;
    for (const [user, id, message] of bad) {
      const err = await admin.createUser(user as never, '', '').then(() => null, (e: { status_code: number; server_error_id: string; message: string }) => e);
      assert.ok(err, `${JSON.stringify(user)} was accepted`);
      assert.equal(err.status_code, 400);
      assert.equal(err.server_error_id, id);
      assert.match(err.message, message);
    }
  });

  it('gets a user by id (404 for an unknown one)', async () => {
    assert.equal((await alice.getUser(adminId)).username, ADMIN.username);
    await expectClientError(alice.getUser('x'.repeat(26)), 404);
  });

  it('puts every user in the default team and its town-square channel', async () => {
    for (const c of [admin, alice]) {
      const teams = await c.getMyTeams();
      assert.deepEqual(teams.map((t) => [t.name, t.display_name, t.type]), [['main', 'Main', 'O']]);
      const team = await c.getTeamByName('main');
      assert.equal(team.id, teams[0].id);
      const channel = await c.getChannelByName(team.id, 'town-square');
      assert.equal(channel.display_name, 'Town Square');
      assert.equal(channel.team_id, team.id);
      assert.equal(channel.type, 'O');
    }
    await expectClientError(alice.getTeamByName('nope'), 404);
    await expectClientError(alice.getChannelByName((await alice.getTeamByName('main')).id, 'nope'), 404);
  });

  it('lets an admin read and patch the config; DataSource is never shown', async () => {
    const config = (await admin.getConfig()) as unknown as { ServiceSettings: Record<string, unknown>; SqlSettings: Record<string, unknown> };
    assert.equal(config.ServiceSettings.SiteURL, server.url);
    assert.equal(config.ServiceSettings.EnableOAuthServiceProvider, false);
    assert.equal(config.ServiceSettings.EnableOnlyAdminIntegrations, true);
    assert.equal(config.ServiceSettings.OutgoingIntegrationRequestsTimeout, 30);
    assert.equal(config.SqlSettings.DataSource, '********************');
    assert.ok(!JSON.stringify(config).includes(server.dbFile));

    const patched = (await admin.patchConfig({ ServiceSettings: { EnableOAuthServiceProvider: true, SiteURL: 'https://chat.example.com/' } } as never)) as unknown as typeof config;
    assert.equal(patched.ServiceSettings.EnableOAuthServiceProvider, true);
    assert.equal(patched.ServiceSettings.SiteURL, 'https://chat.example.com', 'trailing slash stripped');
    assert.equal(patched.SqlSettings.DataSource, '********************');
    const again = (await admin.getConfig()) as unknown as typeof config;
    assert.equal(again.ServiceSettings.SiteURL, 'https://chat.example.com');
  });

  it('refuses invalid config patches with 400 and saves nothing', async () => {
    const before = JSON.stringify(await admin.getConfig());
    const bad = [
      { ServiceSettings: { SiteURL: 'ftp://example.com' } },
      { ServiceSettings: { SiteURL: 'not a url' } },
      { ServiceSettings: { OutgoingIntegrationRequestsTimeout: -1 } },
      { ServiceSettings: { OutgoingIntegrationRequestsTimeout: 1.5 } },
      { ServiceSettings: { EnableOAuthServiceProvider: 'yes' } },
      { ServiceSettings: { DCRRedirectURIAllowlist: 'https://x' } },
      { ServiceSettings: { NoSuchSetting: true } },
      // A valid key next to an invalid one: nothing of the patch is saved.
      { ServiceSettings: { EnableDynamicClientRegistration: true, SessionLengthSSOInHours: 0 } },
      { TeamSettings: {} },
      [],
    ];
    for (const patch of bad) await expectClientError(admin.patchConfig(patch as never), 400);
    assert.equal(JSON.stringify(await admin.getConfig()), before);
  });

  it('refuses config access to a non-admin with 403', async () => {
    await expectClientError(alice.patchConfig({ ServiceSettings: { EnableOAuthServiceProvider: false } } as never), 403, PERMISSION_ERROR);
    await expectClientError(alice.getConfig(), 403, PERMISSION_ERROR);
    assert.equal(((await admin.getConfig()) as unknown as { ServiceSettings: { EnableOAuthServiceProvider: boolean } }).ServiceSettings.EnableOAuthServiceProvider, true);
  });

  it('answers 401 for a bad token', async () => {
    const c = client(server.url);
    c.setToken('bad');
    await expectClientError(c.getMe(), 401, SESSION_ERROR);
    await expectClientError(client(server.url).getMe(), 401, SESSION_ERROR);
  });

  it('accepts "Token" and lower-case "bearer" schemes, but never a session token in the query', async () => {
    const token = admin.getToken();
    for (const authorization of [`Token ${token}`, `bearer ${token}`]) {
      const res = await fetch(`${server.url}/api/v4/users/me`, { headers: { Authorization: authorization } });
      assert.equal(res.status, 200, authorization.split(' ')[0]);
    }
    const res = await fetch(`${server.url}/api/v4/users/me?access_token=${token}`);
    assert.equal(res.status, 401);
  });

  it('accepts an OAuth access token that the plugin vouches for (header or ?access_token)', async () => {
    const issued = await fetch(`${server.url}/plugins/oauth-plugin/issue-token?user=${aliceId}`);
    const { token } = (await issued.json()) as { token: string };
    assert.equal((await client(server.url, token).getMe()).id, aliceId);
    const res = await fetch(`${server.url}/api/v4/users/me?access_token=${token}`);
    assert.equal(((await rawJson(res)) as { id: string }).id, aliceId);
  });

  it('sets session cookies: MMAUTHTOKEN HttpOnly, MMCSRF readable, all SameSite=Lax on /', async () => {
    const { setCookie, cookies } = await loginForCookies(server.url, ADMIN.username, ADMIN.password);
    const line = (name: string) => setCookie.find((l) => l.startsWith(`${name}=`)) ?? '';
    assert.match(line('MMAUTHTOKEN'), /; Path=\/;.*SameSite=Lax.*HttpOnly/);
    assert.match(line('MMCSRF'), /SameSite=Lax/);
    assert.doesNotMatch(line('MMCSRF'), /HttpOnly/);
    assert.equal(cookies.get('MMUSERID'), adminId);
  });

  it('needs the CSRF header for a cookie-authenticated change', async () => {
    const { cookies, cookieHeader } = await loginForCookies(server.url, ADMIN.username, ADMIN.password);
    const patch = (headers: Record<string, string>, value: boolean) => fetch(`${server.url}/api/v4/config/patch`, {
      method: 'PUT', headers: { Cookie: cookieHeader, ...headers }, body: JSON.stringify({ ServiceSettings: { EnableOutgoingOAuthConnections: value } }),
    });
    assert.equal((await fetch(`${server.url}/api/v4/users/me`, { headers: { Cookie: cookieHeader } })).status, 200, 'GET needs no CSRF');
    const refused = await patch({}, true);
    assert.equal(refused.status, 401);
    assert.equal((await rawJson(refused)).id, SESSION_ERROR);
    assert.equal((await patch({ 'X-CSRF-Token': 'wrong' }, true)).status, 401);
    const settings = async () => ((await admin.getConfig()) as unknown as { ServiceSettings: { EnableOutgoingOAuthConnections: boolean } }).ServiceSettings;
    assert.equal((await settings()).EnableOutgoingOAuthConnections, false, 'refused requests changed nothing');
    assert.equal((await patch({ 'X-CSRF-Token': cookies.get('MMCSRF')! }, true)).status, 200);
    assert.equal((await settings()).EnableOutgoingOAuthConnections, true);
    assert.equal((await patch({ 'X-Requested-With': 'XMLHttpRequest' }, false)).status, 200);
  });

  it('logout revokes the session and clears the cookies', async () => {
    const c = client(server.url);
    await c.login(USER.username, USER.password);
    const token = c.getToken();
    const res = await fetch(`${server.url}/api/v4/users/logout`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    assert.deepEqual(await rawJson(res), { status: 'OK' });
    assert.ok(res.headers.getSetCookie().some((l) => /^MMAUTHTOKEN=;.*Max-Age=0/.test(l)));
    await expectClientError(client(server.url, token).getMe(), 401, SESSION_ERROR);
    assert.equal((await alice.getMe()).id, aliceId, 'other sessions stay valid');
  });

  it('answers errors in Mattermost JSON with the request id', async () => {
    const cases: [string, RequestInit, number, string][] = [
      ['/api/v4/nope', {}, 404, 'api.context.404.app_error'],
      ['/api/v4/users/me', { method: 'DELETE' }, 405, 'api.context.405.app_error'],
      ['/api/v4/users', { method: 'POST', body: '{"username":' }, 400, 'api.context.invalid_json.app_error'],
      ['/api/v4/users/login', { method: 'POST', body: '{}' }, 400, 'api.context.invalid_body_param.app_error'],
      ['/api/v4/users/login', { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) }, 413, 'api.context.request_body_too_large.app_error'],
      ['/nothing-here', {}, 404, 'api.context.404.app_error'],
    ];
    for (const [path, init, status, id] of cases) {
      const res = await fetch(server.url + path, init);
      const body = await rawJson(res);
      assert.equal(res.status, status, path);
      assert.equal(body.id, id, path);
      assert.equal(body.status_code, status);
      assert.equal(typeof body.message, 'string');
      assert.equal(body.request_id, res.headers.get('x-request-id'));
      assert.equal(String(body.request_id).length, 26);
    }
  });

  it('never logs tokens, passwords, cookies or query strings', async () => {
    const c = client(server.url);
    await c.login(ADMIN.username, ADMIN.password);
    const { cookies } = await loginForCookies(server.url, ADMIN.username, ADMIN.password);
    await fetch(`${server.url}/api/v4/users/me?access_token=secret-in-query`);
    const logs = server.logs.join('\n');
    for (const secret of [c.getToken(), cookies.get('MMAUTHTOKEN')!, cookies.get('MMCSRF')!, ADMIN.password, USER.password, 'secret-in-query']) {
      assert.ok(!logs.includes(secret), 'a secret reached the log');
    }
    assert.match(logs, /request method=GET path=\/api\/v4\/users\/me status=401 ms=\d+/);
    assert.match(logs, new RegExp(`request method=GET path=/api/v4/users/me status=200 ms=\\d+ user=${adminId}`));
  });
});

describe('first user', () => {
  it('only one of two concurrent first sign-ups becomes admin', async () => {
    const server = await startServer({ pluginDir: FAKE_PLUGIN_DIR });
    try {
      const results = await Promise.allSettled([
        client(server.url).createUser(ADMIN as never, '', ''),
        client(server.url).createUser(USER as never, '', ''),
      ]);
      const created = results.filter((r) => r.status === 'fulfilled');
      assert.equal(created.length, 1);
      assert.equal((created[0] as PromiseFulfilledResult<{ roles: string }>).value.roles, 'system_admin system_user');
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.equal(refused.reason.status_code, 403);
    } finally {
      await server.close();
    }
  });
});

describe('configuration from the environment', () => {
  it('lets MM_* variables win over stored settings', async () => {
    const server = await startServer({
      pluginDir: FAKE_PLUGIN_DIR,
      env: { MM_SERVICESETTINGS_SITEURL: 'https://env.example.com/', MM_SERVICESETTINGS_DCRREDIRECTURIALLOWLIST: 'https://a/* https://b/**' },
    });
    try {
      const { client: admin } = await createAdmin(server.url);
      await admin.patchConfig({ ServiceSettings: { SiteURL: 'https://db.example.com' } } as never);
      const config = (await admin.getConfig()) as unknown as { ServiceSettings: { SiteURL: string; DCRRedirectURIAllowlist: string[] } };
      assert.equal(config.ServiceSettings.SiteURL, 'https://env.example.com');
      assert.deepEqual(config.ServiceSettings.DCRRedirectURIAllowlist, ['https://a/*', 'https://b/**']);
    } finally {
      await server.close();
    }
  });

  it('refuses to start with an invalid value, naming the variable', async () => {
    await assert.rejects(startServer({ pluginDir: FAKE_PLUGIN_DIR, env: { MM_SERVICESETTINGS_ENABLEOAUTHSERVICEPROVIDER: 'maybe' } }),
      /MM_SERVICESETTINGS_ENABLEOAUTHSERVICEPROVIDER/);
    await assert.rejects(startServer({ pluginDir: FAKE_PLUGIN_DIR, env: { MM_SQLSETTINGS_DRIVERNAME: 'mysql' } }), /sqlite3/);
  });
});
