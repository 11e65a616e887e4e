// The client's address behind a proxy (ServiceSettings.TrustedProxyIPHeader): what the plugin gets
// as remoteAddr (seen through its per-address registration rate limit) and what the host logs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serviceSettingsFromEnv, applyPatch, defaultStoredConfig } from '../src/config.js';
import { CALLBACK, FAKE_PLUGIN_DIR, startProvider, startServer, type ProviderServer, type TestServer } from './helpers.js';

/** A registration (RFC 7591) sent with the given headers; the answer's status. */
async function register(p: ProviderServer, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${p.server.url}/api/v4/oauth/apps/register`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ redirect_uris: [CALLBACK] }),
  });
  await res.body?.cancel();
  return res.status;
}

const forwarded = (value: string) => ({ 'x-forwarded-for': value });

describe('client address with TrustedProxyIPHeader set (registration rate limit of 1 a minute)', () => {
  let p: ProviderServer;

  before(async () => {
    p = await startProvider({ EnableDynamicClientRegistration: true, TrustedProxyIPHeader: ['X-Real-IP', 'X-Forwarded-For'] },
      { DcrRateLimitPerMinute: 1 });
  });
  after(async () => {
    await p.server.close();
  });

  it('gives two forwarded addresses two buckets', async () => {
    assert.equal(await register(p, forwarded('203.0.113.5')), 201);
    assert.equal(await register(p, forwarded('203.0.113.5')), 429);
    assert.equal(await register(p, forwarded('198.51.100.7')), 201);
  });

  it('takes the right-most entry of a list: the one the trusted proxy added, not what the client forged', async () => {
    assert.equal(await register(p, forwarded('192.0.2.99, 203.0.113.5')), 429, 'the bucket of 203.0.113.5');
    assert.equal(await register(p, forwarded('203.0.113.5,192.0.2.77')), 201, 'a bucket of its own');
  });

  it('uses the first listed header that is present', async () => {
    assert.equal(await register(p, { 'x-real-ip': '2001:db8::7', ...forwarded('203.0.113.5') }), 201);
    assert.equal(await register(p, { 'x-real-ip': '2001:db8::7' }), 429);
  });

  it('falls back to the socket address when the header is not an IP address', async () => {
    assert.equal(await register(p, forwarded('not-an-address')), 201, "the socket's bucket, unused so far");
    assert.equal(await register(p, forwarded('203.0.113.9:443')), 429, "the socket's bucket again");
    assert.equal(await register(p), 429, 'no header: the socket address');
  });
});

describe('client address with TrustedProxyIPHeader empty (the default)', () => {
  let p: ProviderServer;

  before(async () => {
    p = await startProvider({ EnableDynamicClientRegistration: true }, { DcrRateLimitPerMinute: 1 });
  });
  after(async () => {
    await p.server.close();
  });

  it('ignores X-Forwarded-For and friends: a forged header does not escape the shared bucket', async () => {
    assert.equal(await register(p, forwarded('203.0.113.5')), 201);
    assert.equal(await register(p, forwarded('198.51.100.7')), 429);
    assert.equal(await register(p, { 'x-real-ip': '198.51.100.8' }), 429);
    assert.equal(await register(p), 429);
  });
});

describe('client address in the plugin request and the log line', () => {
  let server: TestServer;

  before(async () => {
    server = await startServer({ pluginDir: FAKE_PLUGIN_DIR, env: { MM_SERVICESETTINGS_TRUSTEDPROXYIPHEADER: 'X-Forwarded-For' } });
  });
  after(async () => {
    await server.close();
  });

  async function echoedAddress(headers: Record<string, string>): Promise<string> {
    const res = await fetch(`${server.url}/plugins/oauth-plugin/echo`, { headers });
    return ((await res.json()) as { remoteAddr: string }).remoteAddr;
  }

  it('hands the plugin the forwarded address, and logs it', async () => {
    assert.equal(await echoedAddress(forwarded('203.0.113.5')), '203.0.113.5');
    assert.equal(await echoedAddress(forwarded('10.0.0.1, 2001:db8::1')), '2001:db8::1');
    assert.equal(await echoedAddress(forwarded('bogus')), '127.0.0.1');
    assert.equal(await echoedAddress({}), '127.0.0.1');
    assert.ok(server.logs.some((l) => / request method=GET path=\/plugins\/oauth-plugin\/echo .*ip=203\.0\.113\.5/.test(l)), 'the request line shows it');
  });
});

describe('TrustedProxyIPHeader setting', () => {
  it('defaults to no header, takes a space-separated list from the environment, and refuses what is no header name', () => {
    assert.deepEqual(defaultStoredConfig('p').ServiceSettings.TrustedProxyIPHeader, []);
    assert.deepEqual(serviceSettingsFromEnv({ MM_SERVICESETTINGS_TRUSTEDPROXYIPHEADER: ' X-Forwarded-For  X-Real-IP ' }).TrustedProxyIPHeader,
      ['X-Forwarded-For', 'X-Real-IP']);
    for (const bad of [['X Forwarded'], ['X-Forwarded-For:'], [''], 'X-Forwarded-For', [1]]) {
      assert.throws(() => applyPatch(defaultStoredConfig('p'), { ServiceSettings: { TrustedProxyIPHeader: bad } }),
        (err: { status: number; message: string }) => err.status === 400 && /TrustedProxyIPHeader/.test(err.message), JSON.stringify(bad));
    }
  });
});
