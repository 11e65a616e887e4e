// Client ID Metadata Documents end to end: a client's metadata document served over https by a
// test server on loopback (a self-signed certificate made at test time, trusted by the reference
// server's outbound fetch in this test only), oauth4webapi running the code flow with PKCE as that
// client, consent in headless Chromium naming the document's host, tokens issued and usable.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { ADMIN, CALLBACK, meStatus, tempDir } from './helpers.js';
import { snapshot } from './hostile-helpers.js';
import { screenshot, scriptErrors, startBrowserSession, submitLogin, type BrowserSession } from './webapp-helpers.js';

/** A self-signed certificate for 127.0.0.1, valid for a day. */
function selfSignedCertificate(): { key: string; cert: string } {
  const dir = tempDir();
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}

describe('Client ID Metadata Documents: a document over https, oauth4webapi and Chromium', () => {
  const tls = selfSignedCertificate();
  let documents: https.Server;
  let clientId = '';
  let fetches = 0;
  let session: BrowserSession | undefined;

  before(async () => {
    const document = () => ({
      client_id: clientId, client_name: 'Weather Bot', redirect_uris: [CALLBACK],
      grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none',
    });
    // One good document, and the bad ones of the second test, each at its own path.
    const served: Record<string, (res: import('node:http').ServerResponse) => void> = {
      '/oauth/client.json': (res) => res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' }).end(JSON.stringify(document())),
      '/big.json': (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...document(), padding: 'x'.repeat(6000) })),
      '/page.html': (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>hello</body></html>'),
      '/other.json': (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document())),
      '/slow.json': (res) => void setTimeout(() => res.writeHead(200).end(JSON.stringify(document())), 5000).unref(),
    };
    documents = https.createServer(tls, (req, res) => {
      fetches += 1;
      const serve = served[req.url ?? ''];
      if (!serve) return void res.writeHead(404).end();
      serve(res);
    });
    await new Promise<void>((done) => documents.listen(0, '127.0.0.1', done));
    clientId = `https://127.0.0.1:${(documents.address() as AddressInfo).port}/oauth/client.json`;
    session = await startBrowserSession({
      EnableOAuthServiceProvider: true, EnableClientIdMetadataDocuments: true, AllowedUntrustedInternalConnections: '127.0.0.1',
    }, { outboundCa: [tls.cert] });
  });
  after(async () => {
    await session?.close();
    documents.closeAllConnections();
    await new Promise((done) => documents.close(done));
  });

  it('runs the code flow with PKCE as the document client; the consent screen names its host', { timeout: 60_000 }, async () => {
    const { server, page } = session!;
    const issuer = new URL(server.url);
    const insecure = { [oauth.allowInsecureRequests]: true };
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    assert.equal(as.client_id_metadata_document_supported, true);

    const client: oauth.Client = { client_id: clientId };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      response_type: 'code', client_id: clientId, redirect_uri: CALLBACK, state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }).toString();

    let callback: URL | undefined;
    await page.route(`${CALLBACK}**`, (route) => {
      callback = new URL(route.request().url());
      return route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the client' });
    });
    await page.goto(url.pathname + url.search);
    await page.waitForURL(/\/login\?redirect_to=/);
    await submitLogin(page, ADMIN.username, ADMIN.password);
    await page.getByRole('heading', { name: 'Authorize 127.0.0.1?' }).waitFor({ timeout: 5000 }).catch(async (e: Error) => { throw new Error(`${e.message}: ${await page.locator('body').innerText()}`); });
    const origin = await page.locator('#origin').innerText();
    assert.match(origin, /^127\.0\.0\.1 is asking for access\. It calls itself “Weather Bot”/);
    await screenshot(page, 'consent-client-metadata-document');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((u) => u.href.startsWith(CALLBACK), { waitUntil: 'commit' });
    assert.ok(callback, 'the browser came back to the client');

    const params = oauth.validateAuthResponse(as, client, callback, state);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, CALLBACK, verifier, insecure));
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.refresh_token, undefined, 'a public client gets no refresh token');
    assert.equal(await meStatus(server.url, tokens.access_token), 200);
    assert.equal(fetches, 1, 'fetched once, then cached for its max-age');
    assert.deepEqual(scriptErrors(page), []);
  });

  it('a document that is too large, slow, not JSON, not its own URL\'s, or on a refused address: a clear error page, nothing stored', { timeout: 60_000 }, async () => {
    const { server, admin } = session!;
    await admin.patchConfig({ ServiceSettings: { OutgoingIntegrationRequestsTimeout: 1 } } as never);
    const origin = new URL(clientId).origin;
    const refusedOrigin = origin.replace('127.0.0.1', '127.0.0.2');
    const cases: [string, RegExp][] = [
      [`${origin}/big.json`, /larger than 5120 bytes/],
      [`${origin}/slow.json`, /could not be fetched: timed out/],
      [`${origin}/page.html`, /is not a JSON object/],
      [`${origin}/other.json`, /client_id is not the URL/],
      [`${refusedOrigin}/oauth/client.json`, /could not be fetched: refused: 127\.0\.0\.2 is a loopback address/],
    ];
    const before = snapshot(server.dbFile);
    const fetchesBefore = fetches;
    for (const [documentUrl, expected] of cases) {
      const query = new URLSearchParams({ response_type: 'code', client_id: documentUrl, redirect_uri: CALLBACK, state: 's', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' });
      const reply = await fetch(`${server.url}/oauth/authorize?${query}`, { redirect: 'manual' });
      const page = await reply.text();
      assert.equal(reply.status, 400, `${documentUrl}: ${page}`);
      assert.equal(reply.headers.get('location'), null, `${documentUrl}: no redirect to an unverified client`);
      assert.match(page, /This authorization request cannot be completed/);
      assert.match(page, expected, documentUrl);
    }
    assert.equal(snapshot(server.dbFile), before, 'nothing stored');
    assert.equal(fetches - fetchesBefore, cases.length - 1, 'each fetched once; the refused address not at all');
  });
});
