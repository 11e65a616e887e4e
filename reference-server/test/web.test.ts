// The pages a browser opens on the host: where /login sends a user afterwards (never off the site),
// and the React the page shell loads for the plugin's bundle.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SHELL_REACT_ROUTE } from '../src/web.js';
import { ADMIN, FAKE_PLUGIN_DIR, createAdmin, loginForCookies, startServer, type TestServer } from './helpers.js';

describe('login redirect (redirect_to)', () => {
  let server: TestServer;
  let cookieHeader: string;
  let siteHost: string;

  before(async () => {
    server = await startServer({ pluginDir: FAKE_PLUGIN_DIR });
    await createAdmin(server.url);
    ({ cookieHeader } = await loginForCookies(server.url, ADMIN.username, ADMIN.password));
    siteHost = new URL(server.url).host;
  });
  after(async () => {
    await server.close();
  });

  /** Where a logged-in user is sent by /login?redirect_to=<target> (the raw query is used as given). */
  async function landing(rawTarget: string): Promise<string> {
    const res = await fetch(`${server.url}/login?redirect_to=${rawTarget}`, { headers: { cookie: cookieHeader }, redirect: 'manual' });
    await res.body?.cancel();
    assert.equal(res.status, 302, rawTarget);
    return res.headers.get('location') ?? '';
  }

  /** The target the login page's script goes to after a login (no session yet). */
  async function pageTarget(rawTarget: string): Promise<unknown> {
    const res = await fetch(`${server.url}/login?redirect_to=${rawTarget}`, { redirect: 'manual' });
    assert.equal(res.status, 200, rawTarget);
    const match = /<script type="application\/json" id="redirect-to">(.*?)<\/script>/.exec(await res.text());
    assert.ok(match, 'the page carries its target');
    return JSON.parse(match[1].replace(/\\u003c/g, '<'));
  }

  it('sends the user to the default page for any target that could leave the site', async () => {
    // The values the server reads (the query decoded); each is sent percent-encoded.
    const tricks = [
      '/\t/evil.example', // browsers drop tabs and newlines: "//evil.example"
      '/\n/evil.example',
      '/\r\n/evil.example',
      '//evil.example',
      '/\\evil.example', // a backslash is a slash to browsers
      '\\\\evil',
      'https://evil.example/',
      '/.//evil.example', // resolves to the path "//evil.example"
      '/%2e//evil.example', // the same, with the dot percent-encoded
      `http://${siteHost}@evil.example/`,
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      '/ok\r\nSet-Cookie:x',
      '/ok space',
      ' /evil.example',
      '/\u0000/evil.example',
      '/\u2028/evil.example', // a Unicode line separator
      '/\u00a0/evil.example', // a no-break space
      `http://${siteHost}\t.evil.example/`,
      `https://${siteHost}/`, // another scheme is another origin
      `http://${siteHost.replace(/:\d+$/, '')}:1/`, // another port too
    ];
    for (const trick of tricks) {
      assert.equal(await landing(encodeURIComponent(trick)), '/', JSON.stringify(trick));
      assert.equal(await pageTarget(encodeURIComponent(trick)), '/', JSON.stringify(trick));
    }
  });

  it('keeps a path on the site, with its query and fragment, and a same-origin absolute URL as a path', async () => {
    assert.equal(await landing(encodeURIComponent('/settings/security?x=1#y')), '/settings/security?x=1#y');
    assert.equal(await landing(encodeURIComponent(`${server.url}/main/integrations?tab=apps`)), '/main/integrations?tab=apps');
    assert.equal(await landing(encodeURIComponent('/oauth/authorize?client_id=a&state=b')), '/oauth/authorize?client_id=a&state=b');
    assert.equal(await pageTarget(encodeURIComponent('/settings/security?x=1#y')), '/settings/security?x=1#y');
    assert.equal(await landing(''), '/');
  });
});

describe("the page shell's React (window.React, window.ReactDOM)", () => {
  let server: TestServer;
  let cookieHeader: string;

  before(async () => {
    server = await startServer({ pluginDir: FAKE_PLUGIN_DIR });
    await createAdmin(server.url);
    ({ cookieHeader } = await loginForCookies(server.url, ADMIN.username, ADMIN.password));
  });
  after(async () => {
    await server.close();
  });

  it('is served as a script on its own route, for GET and HEAD only', async () => {
    const res = await fetch(server.url + SHELL_REACT_ROUTE);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', 'never run as anything but a script');
    const script = await res.text();
    assert.match(script, /window\.React=/);
    assert.match(script, /window\.ReactDOM=/);
    assert.equal(Number(res.headers.get('content-length')), Buffer.byteLength(script));

    const head = await fetch(server.url + SHELL_REACT_ROUTE, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    const post = await fetch(server.url + SHELL_REACT_ROUTE, { method: 'POST' });
    assert.equal(post.status, 405);
    await post.body?.cancel();
  });

  it('is loaded by the shell from this origin, before the script that loads the bundle, as its CSP allows', async () => {
    const res = await fetch(`${server.url}/main/integrations`, { headers: { cookie: cookieHeader } });
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    const scriptSrc = / script-src ([^;]*)/.exec(csp)?.[1].split(' ') ?? [];
    assert.ok(scriptSrc.includes("'self'"), `script-src allows this origin: ${csp}`);
    assert.ok(!scriptSrc.includes("'unsafe-inline'") && !scriptSrc.includes('*'), `and no more: ${csp}`);
    const html = await res.text();
    const react = html.indexOf(`<script src="${SHELL_REACT_ROUTE}"></script>`);
    assert.ok(react >= 0, 'the shell loads React');
    assert.ok(react < html.indexOf('<script nonce='), 'before the script that loads the bundle');
  });
});
