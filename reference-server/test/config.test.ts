// Configuration rules: validation, environment parsing, and how saves land in the Configurations table.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { describe, it } from 'node:test';
import { applyPatch, defaultStoredConfig, parseListenAddress, serviceSettingsFromEnv, sqlSettingsFromEnv } from '../src/config.js';
import { ConfigService } from '../src/config-service.js';
import { hasPermission, Permission } from '../src/permissions.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { tempDbFile } from './helpers.js';

const defaults = defaultStoredConfig('oauth-plugin');

describe('config patches', () => {
  it('has Mattermost defaults', () => {
    const s = defaults.ServiceSettings;
    assert.equal(s.SiteURL, 'http://localhost:8065');
    assert.equal(s.ListenAddress, ':8065');
    assert.equal(s.EnableOAuthServiceProvider, false);
    assert.equal(s.EnableDynamicClientRegistration, false);
    assert.deepEqual(s.DCRRedirectURIAllowlist, []);
    assert.equal(s.EnableOutgoingOAuthConnections, false);
    assert.equal(s.EnableOnlyAdminIntegrations, true);
    assert.equal(s.AllowedUntrustedInternalConnections, '');
    assert.equal(s.OutgoingIntegrationRequestsTimeout, 30);
    assert.equal(s.SessionLengthSSOInHours, 720);
    assert.deepEqual(defaults.PluginSettings.Plugins, { 'oauth-plugin': {} });
  });

  it('applies valid settings without touching the original', () => {
    const next = applyPatch(defaults, {
      ServiceSettings: { SiteURL: 'https://x.example.com/sub/', DCRRedirectURIAllowlist: ['https://a/*'] },
      PluginSettings: { Plugins: { 'oauth-plugin': { Flag: true } } },
      SqlSettings: { DataSource: '********************' },
    });
    assert.equal(next.ServiceSettings.SiteURL, 'https://x.example.com/sub');
    assert.deepEqual(next.PluginSettings.Plugins['oauth-plugin'], { Flag: true });
    assert.equal(defaults.ServiceSettings.SiteURL, 'http://localhost:8065');
  });

  it('refuses wrong types, unknown keys and bad URLs with a 400 naming the setting', () => {
    const cases: [unknown, RegExp][] = [
      [{ ServiceSettings: { SiteURL: 'https://user:pw@x.example.com' } }, /SiteURL/],
      [{ ServiceSettings: { SiteURL: 'https://x.example.com/?q=1' } }, /SiteURL/],
      [{ ServiceSettings: { ListenAddress: '8065' } }, /ListenAddress/],
      [{ ServiceSettings: { SessionLengthSSOInHours: '720' } }, /SessionLengthSSOInHours/],
      [{ ServiceSettings: { DCRRedirectURIAllowlist: [1] } }, /DCRRedirectURIAllowlist/],
      [{ PluginSettings: { Plugins: { 'oauth-plugin': 'x' } } }, /PluginSettings\.Plugins\.oauth-plugin/],
      [{ PluginSettings: { Enable: true } }, /PluginSettings\.Enable/],
      ['config', /JSON object/],
    ];
    for (const [patch, message] of cases) {
      assert.throws(() => applyPatch(defaults, patch), (err: { status: number; message: string }) => err.status === 400 && message.test(err.message), JSON.stringify(patch));
    }
  });

  it('parses MM_SERVICESETTINGS_* by type and refuses bad values', () => {
    assert.deepEqual(serviceSettingsFromEnv({
      MM_SERVICESETTINGS_ENABLEOAUTHSERVICEPROVIDER: 'true', MM_SERVICESETTINGS_OUTGOINGINTEGRATIONREQUESTSTIMEOUT: '5',
      MM_SERVICESETTINGS_DCRREDIRECTURIALLOWLIST: ' https://a/*  https://b ', MM_SERVICESETTINGS_SITEURL: 'http://h:1/',
    }), { EnableOAuthServiceProvider: true, OutgoingIntegrationRequestsTimeout: 5, DCRRedirectURIAllowlist: ['https://a/*', 'https://b'], SiteURL: 'http://h:1' });
    assert.throws(() => serviceSettingsFromEnv({ MM_SERVICESETTINGS_OUTGOINGINTEGRATIONREQUESTSTIMEOUT: '0' }), /OUTGOINGINTEGRATIONREQUESTSTIMEOUT/);
    assert.deepEqual(sqlSettingsFromEnv({}), { DriverName: 'sqlite3', DataSource: './data/oauth-plugin.db', MaxOpenConns: 10 });
    assert.deepEqual(sqlSettingsFromEnv({ MM_SQLSETTINGS_DRIVERNAME: 'postgres', MM_SQLSETTINGS_DATASOURCE: 'postgres://u:p@127.0.0.1/db', MM_SQLSETTINGS_MAXOPENCONNS: '4' }),
      { DriverName: 'postgres', DataSource: 'postgres://u:p@127.0.0.1/db', MaxOpenConns: 4 });
    assert.throws(() => sqlSettingsFromEnv({ MM_SQLSETTINGS_DRIVERNAME: 'postgres' }), /postgres:\/\//);
    assert.throws(() => sqlSettingsFromEnv({ MM_SQLSETTINGS_DRIVERNAME: 'mysql' }), /DRIVERNAME/);
    assert.throws(() => sqlSettingsFromEnv({ MM_SQLSETTINGS_MAXOPENCONNS: '0' }), /MAXOPENCONNS/);
  });

  it('parses listen addresses', () => {
    assert.deepEqual(parseListenAddress(':8065'), { host: undefined, port: 8065 });
    assert.deepEqual(parseListenAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseListenAddress('[::1]:80'), { host: '::1', port: 80 });
    assert.throws(() => parseListenAddress('localhost:99999'));
  });
});

describe('config storage', () => {
  it('adds one active Configurations row per save, holding only what differs from the defaults', async () => {
    const file = tempDbFile();
    const store = openSqliteStore(file);
    const sql = sqlSettingsFromEnv({});
    const service = await ConfigService.load(store.configs, 'oauth-plugin', {}, sql, { SiteURL: 'http://127.0.0.1:1234' });
    const told: boolean[] = [];
    service.onChange(async (c) => void told.push(c.ServiceSettings.EnableOAuthServiceProvider));
    await service.patch({ ServiceSettings: { EnableOAuthServiceProvider: true } });
    await service.patch({ ServiceSettings: { OutgoingIntegrationRequestsTimeout: 10 } });
    await assert.rejects(service.patch({ ServiceSettings: { OutgoingIntegrationRequestsTimeout: 0 } }));
    assert.deepEqual(told, [true, true], 'listeners hear each save, not the refused patch');
    await store.close();

    const db = new Database(file, { readonly: true });
    const rows = db.prepare('SELECT Value, Active FROM Configurations ORDER BY CreateAt, rowid').all() as { Value: string; Active: number | null }[];
    db.close();
    assert.equal(rows.length, 2);
    assert.deepEqual(rows.map((r) => r.Active), [null, 1]);
    assert.deepEqual(JSON.parse(rows[1].Value).ServiceSettings, { EnableOAuthServiceProvider: true, OutgoingIntegrationRequestsTimeout: 10 });
  });
});

describe('permissions', () => {
  const settings = (onlyAdmins: boolean) => ({ ...defaults.ServiceSettings, EnableOnlyAdminIntegrations: onlyAdmins });

  it('gives system_admin every permission the plugin asks about', () => {
    for (const permission of Object.values(Permission)) assert.ok(hasPermission('system_admin system_user', permission, settings(true)), permission);
  });

  it('gives system_user integration permissions only when EnableOnlyAdminIntegrations is false', () => {
    const integration = [Permission.ManageOAuth, Permission.ManageSlashCommands, Permission.ManageOutgoingWebhooks];
    for (const permission of Object.values(Permission)) {
      assert.equal(hasPermission('system_user', permission, settings(true)), false, permission);
      assert.equal(hasPermission('system_user', permission, settings(false)), integration.includes(permission as never), permission);
    }
  });
});
