// Headers the host puts on every response it sends, whoever made it: API JSON, errors, web pages,
// redirects, the webapp bundle, the page shell's React and plugin responses.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, FAKE_PLUGIN_DIR, createAdmin, loginForCookies, startServer, type TestServer } from './helpers.js';

interface Sample {
  what: string;
  path: string;
  init?: RequestInit;
  status: number;
}

/** One request of each kind of response; `cookie` is a logged-in admin's. */
function samples(cookie: string, token: string): Sample[] {
  const bearer = { authorization: `Bearer ${token}` };
  return [
    { what: 'API JSON', path: '/api/v4/system/ping', status: 200 },
    { what: 'API JSON, logged in', path: '/api/v4/users/me', init: { headers: bearer }, status: 200 },
    { what: 'API 404', path: '/api/v4/no/such/route', status: 404 },
    { what: 'API 405', path: '/api/v4/system/ping', init: { method: 'DELETE' }, status: 405 },
    { what: 'API 401', path: '/api/v4/users/me', status: 401 },
    { what: 'API 400 (bad JSON)', path: '/api/v4/users/login', init: { method: 'POST', body: '{' }, status: 400 },
    { what: 'API 413', path: '/api/v4/users/login', init: { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) }, status: 413 },
    { what: 'unknown page', path: '/no-such-page', status: 404 },
    { what: 'login page', path: '/login', status: 200 },
    { what: 'login page, HEAD', path: '/login', init: { method: 'HEAD' }, status: 200 },
    { what: 'redirect to login', path: '/main/integrations', status: 302 },
    { what: 'redirect after login', path: '/login?redirect_to=%2Fsettings%2Fsecurity', init: { headers: { cookie } }, status: 302 },
    { what: 'page shell', path: '/main/integrations', init: { headers: { cookie } }, status: 200 },
    { what: 'webapp bundle', path: '/static/plugins/oauth-plugin/main.js', status: 200 },
    { what: "page shell's React", path: '/static/react.js', status: 200 },
    { what: 'plugin response', path: '/plugins/oauth-plugin/echo', status: 200 },
    { what: 'plugin 404', path: '/plugins/oauth-plugin/no-such-route', status: 404 },
    { what: 'plugin failure (host error)', path: '/plugins/oauth-plugin/fail', status: 500 },
  ];
}

async function headersOf(url: string, sample: Sample): Promise<Headers> {
  const res = await fetch(url + sample.path, { redirect: 'manual', ...sample.init });
  await res.body?.cancel();
  assert.equal(res.status, sample.status, sample.what);
  return res.headers;
}

async function login(server: TestServer): Promise<{ cookie: string; token: string }> {
  const { client } = await createAdmin(server.url);
  const { cookieHeader } = await loginForCookies(server.url, ADMIN.username, ADMIN.password);
  return { cookie: cookieHeader, token: client.getToken() };
}

describe('security headers, SiteURL http', () => {
  let server: TestServer;
  let admin: { cookie: string; token: string };

  before(async () => {
    server = await startServer({ pluginDir: FAKE_PLUGIN_DIR });
    admin = await login(server);
  });
  after(async () => {
    await server.close();
  });

  it('sends X-Content-Type-Options: nosniff once on every kind of response, and no Strict-Transport-Security', async () => {
    for (const sample of samples(admin.cookie, admin.token)) {
      const headers = await headersOf(server.url, sample);
      assert.equal(headers.get('x-content-type-options'), 'nosniff', sample.what);
      assert.equal(headers.get('strict-transport-security'), null, sample.what);
      assert.ok(headers.get('x-request-id'), sample.what);
    }
  });
});

describe('security headers, SiteURL https', () => {
  let server: TestServer;
  let admin: { cookie: string; token: string };

  before(async () => {
    // Reached over plain HTTP here, as behind a proxy that ends TLS: the SiteURL is what counts.
    server = await startServer({ pluginDir: FAKE_PLUGIN_DIR, env: { MM_SERVICESETTINGS_SITEURL: 'https://chat.example.com' } });
    admin = await login(server);
  });
  after(async () => {
    await server.close();
  });

  it('adds Strict-Transport-Security: max-age=31536000 to every kind of response', async () => {
    for (const sample of samples(admin.cookie, admin.token)) {
      const headers = await headersOf(server.url, sample);
      assert.equal(headers.get('strict-transport-security'), 'max-age=31536000', sample.what);
      assert.equal(headers.get('x-content-type-options'), 'nosniff', sample.what);
    }
  });
});
