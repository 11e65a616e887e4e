// ServiceSettings.MaximumLoginAttempts: after that many failed password attempts in a row the
// account is locked for a cool-down (every login refused, even with the right password), through
// Client4 with a clock the test moves; the count decided by the database in one statement.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyPatch, defaultStoredConfig, serviceSettingsFromEnv } from '../src/config.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { LOGIN_LOCKOUT_MS } from '../src/users.js';
import { ADMIN, FAKE_PLUGIN_DIR, USER, client, createAdmin, createUser, expectClientError, startServer, tempDbFile, type Client, type TestServer } from './helpers.js';

const TOO_MANY = 'api.user.check_user_login_attempts.too_many.app_error';
const INVALID = 'api.user.login.invalid_credentials_email_username';
const MINUTE = 60_000;

describe('login attempts (MaximumLoginAttempts, default 10)', () => {
  let server: TestServer;
  let now = 1_700_000_000_000;
  let admin: Client;

  const login = (password: string, who = USER.username) => client(server.url).login(who, password);
  const wrong = async (times: number, who = USER.username) => {
    for (let i = 0; i < times; i++) await expectClientError(login('wrong-password', who), 401, INVALID);
  };

  before(async () => {
    server = await startServer({ pluginDir: FAKE_PLUGIN_DIR, clock: () => now });
    ({ client: admin } = await createAdmin(server.url));
    await createUser(server.url, admin);
  });
  after(async () => {
    await server.close();
  });

  it('states the cool-down as 15 minutes', () => {
    assert.equal(LOGIN_LOCKOUT_MS, 15 * MINUTE);
  });

  it('lets a user in after fewer failures than the limit, and a success resets the count', async () => {
    await wrong(9);
    await login(USER.password);
    await wrong(9);
    await login(USER.password);
  });

  it('locks the account after 10 failures in a row: the right password is refused for 15 minutes, then works', async () => {
    await wrong(10);
    const err = await login(USER.password).then(() => null, (e: { status_code: number; server_error_id: string; message: string }) => e);
    assert.equal(err?.status_code, 401);
    assert.equal(err?.server_error_id, TOO_MANY);
    assert.match(err?.message ?? '', /locked/);
    await expectClientError(login('wrong-password'), 401, TOO_MANY);
    await expectClientError(login(USER.password, USER.email), 401, TOO_MANY); // by email too
    await login(ADMIN.password, ADMIN.username); // another account is not affected
    now += LOGIN_LOCKOUT_MS - 1;
    await expectClientError(login(USER.password), 401, TOO_MANY);
    now += 1;
    await login(USER.password);
  });

  it('counts afresh once the cool-down is over', async () => {
    await wrong(10);
    now += LOGIN_LOCKOUT_MS;
    await wrong(9); // a fresh count: 9, not 19
    await login(USER.password);
    await wrong(10);
    await expectClientError(login(USER.password), 401, TOO_MANY);
    now += LOGIN_LOCKOUT_MS;
    await login(USER.password);
  });

  it('keeps a locked user\'s existing sessions working (the lock is about logging in)', async () => {
    const session = client(server.url);
    await session.login(USER.username, USER.password);
    await wrong(10);
    assert.equal((await session.getMe()).username, USER.username);
    now += LOGIN_LOCKOUT_MS;
    await login(USER.password);
  });

  it('follows a changed MaximumLoginAttempts', async () => {
    await admin.patchConfig({ ServiceSettings: { MaximumLoginAttempts: 3 } } as never);
    try {
      await wrong(3);
      await expectClientError(login(USER.password), 401, TOO_MANY);
      now += LOGIN_LOCKOUT_MS;
      await login(USER.password);
    } finally {
      await admin.patchConfig({ ServiceSettings: { MaximumLoginAttempts: 10 } } as never);
    }
  });

  it('never lets more than the limit of racing wrong passwords be checked', async () => {
    const answers = await Promise.allSettled(Array.from({ length: 25 }, () => login('wrong-password')));
    const ids = answers.map((a) => (a.status === 'rejected' ? (a.reason as { server_error_id: string }).server_error_id : 'ok'));
    assert.equal(ids.filter((id) => id === INVALID).length, 10, ids.join(' '));
    assert.equal(ids.filter((id) => id === TOO_MANY).length, 15);
    now += LOGIN_LOCKOUT_MS;
    await login(USER.password);
  });
});

describe('login attempts in the SQLite store', () => {
  it('counts in one statement: of attempts through two connections, exactly the limit go ahead', async () => {
    const file = tempDbFile();
    let now = 1_700_000_000_000;
    const [a, b] = [openSqliteStore(file, () => now), openSqliteStore(file, () => now)];
    try {
      const user = await a.users.create({ username: 'bob', email: 'bob@example.com', nickname: '', firstName: '', lastName: '', passwordHash: 'x' }, false);
      const counted = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).users.countLoginAttempt(user.id, 10, LOGIN_LOCKOUT_MS, now)));
      assert.equal(counted.filter(Boolean).length, 10);
      now += LOGIN_LOCKOUT_MS;
      assert.equal(await b.users.countLoginAttempt(user.id, 10, LOGIN_LOCKOUT_MS, now), true, 'after the cool-down');
      await a.users.clearLoginAttempts(user.id);
      for (let i = 0; i < 10; i++) assert.equal(await a.users.countLoginAttempt(user.id, 10, LOGIN_LOCKOUT_MS, now), true);
      assert.equal(await a.users.countLoginAttempt(user.id, 10, LOGIN_LOCKOUT_MS, now), false);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('MaximumLoginAttempts setting', () => {
  it('defaults to 10, reads MM_SERVICESETTINGS_MAXIMUMLOGINATTEMPTS, and takes only a positive integer', () => {
    assert.equal(defaultStoredConfig('p').ServiceSettings.MaximumLoginAttempts, 10);
    assert.equal(serviceSettingsFromEnv({ MM_SERVICESETTINGS_MAXIMUMLOGINATTEMPTS: '5' }).MaximumLoginAttempts, 5);
    assert.throws(() => serviceSettingsFromEnv({ MM_SERVICESETTINGS_MAXIMUMLOGINATTEMPTS: '0' }), /MAXIMUMLOGINATTEMPTS/);
    for (const bad of [0, -1, 2.5, '10', null]) {
      assert.throws(() => applyPatch(defaultStoredConfig('p'), { ServiceSettings: { MaximumLoginAttempts: bad } }), /MaximumLoginAttempts/);
    }
  });
});
