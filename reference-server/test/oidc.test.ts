// OpenID Connect end to end, with relying parties nobody here wrote: openid-client signs a user in
// through the code flow (discovery, nonce, PKCE, state, the ID token's signature checked against
// the JWKS), the user logs in and consents in headless Chromium; oauth4webapi reads the discovery
// documents; a Python relying party (authlib, reference-server/.venv from scripts/setup.sh)
// validates the same ID tokens, before and after the signing key is rotated.
import type { OAuthApp } from '@mattermost/types/integrations';
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createUser, getAuthorize, meStatus, type Client, type TestServer } from './helpers.js';
import { cookieHeader, scriptErrors, startBrowserSession, submitLogin, type BrowserSession } from './webapp-helpers.js';

// Tests run from reference-server/dist/test; the venv and the script are in the source tree.
const PYTHON = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));
const VALIDATE_ID_TOKEN = fileURLToPath(new URL('../../test/fixtures/validate_id_token.py', import.meta.url));

const SIGN_IN_SCOPE = 'openid profile email';
const ALICE = {
  username: 'alice', email: 'alice@example.com', password: 'alice-password-1', first_name: 'Alice', last_name: 'Liddell', nickname: 'ali',
};

// openid-client refuses plain http unless told; the host is on loopback only, where TLS would prove nothing.
const INSECURE_OK: openid.DiscoveryRequestOptions = { execute: [openid.allowInsecureRequests, openid.enableNonRepudiationChecks] };

/** A redirect URI that only says "signed in": the browser lands there, the test reads the URL. */
async function startCallbackServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!DOCTYPE html><title>Callback</title><p>Back at the app.</p>');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`,
    close: () => {
      server.closeAllConnections();
      return new Promise((done) => server.close(() => done()));
    },
  };
}

/** Core §3.1.3.8: base64url of the left half of the access token's SHA-256. */
function atHash(accessToken: string): string {
  const digest = createHash('sha256').update(accessToken).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

function jwtHeader(jwt: string): { alg: string; kid: string } {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString()) as { alg: string; kid: string };
}

/** The same JWT with one byte of its signature changed. */
function tamperSignature(jwt: string): string {
  const [header, payload, signature] = jwt.split('.');
  const bytes = Buffer.from(signature, 'base64url');
  bytes[bytes.length >> 1] ^= 0x01;
  return [header, payload, bytes.toString('base64url')].join('.');
}

interface AuthlibResult {
  code: number;
  claims?: Record<string, unknown>;
  stderr: string;
}

/** Runs the authlib relying party: exit code, the claims it accepted, or why it refused. */
function authlibValidates(issuer: string, audience: string, nonce: string, idToken: string): Promise<AuthlibResult> {
  return new Promise((resolve) => {
    execFile(PYTHON, [VALIDATE_ID_TOKEN, issuer, audience, nonce, idToken], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stderr, claims: code === 0 ? (JSON.parse(stdout) as Record<string, unknown>) : undefined });
    });
  });
}

type Tokens = Awaited<ReturnType<typeof openid.authorizationCodeGrant>>;

/** What one authorization request expects back: openid-client's checks for the code grant. */
interface AuthRequest {
  url: URL;
  checks: openid.AuthorizationCodeGrantChecks & { expectedNonce: string };
}

describe('OpenID Connect: openid-client and authlib against the provider, the user in Chromium', () => {
  let session: BrowserSession | undefined;
  let server: TestServer;
  let admin: Client;
  let aliceId: string;
  let callback: Awaited<ReturnType<typeof startCallbackServer>>;
  let issuer: URL;
  let confidential: OAuthApp;
  let confidentialConfig: openid.Configuration;

  before(async () => {
    assert.ok(existsSync(PYTHON), `${PYTHON} is missing: run scripts/setup.sh`);
    session = await startBrowserSession({ EnableOAuthServiceProvider: true });
    ({ server, admin } = session);
    issuer = new URL(server.url);
    aliceId = (await createUser(server.url, admin, ALICE)).id;
    callback = await startCallbackServer();
    confidential = await newApp('Sign-in app');
    confidentialConfig = await openid.discovery(issuer, confidential.id, confidential.client_secret, undefined, INSECURE_OK);
  });
  after(async () => {
    await session?.close(() => callback?.close());
  });

  function newApp(name: string, fields: Partial<OAuthApp> = {}): Promise<OAuthApp> {
    return admin.createOAuthApp({ name, description: 'Signs users in', homepage: 'http://127.0.0.1:9/', callback_urls: [callback.url], ...fields });
  }

  /** An authorization request built by openid-client: fresh state, nonce and PKCE pair. */
  async function authorizationRequest(config: openid.Configuration, params: Record<string, string> = {}): Promise<AuthRequest> {
    const pkceCodeVerifier = openid.randomPKCECodeVerifier();
    const expectedState = openid.randomState();
    const expectedNonce = openid.randomNonce();
    const url = openid.buildAuthorizationUrl(config, {
      redirect_uri: callback.url, scope: SIGN_IN_SCOPE, state: expectedState, nonce: expectedNonce,
      code_challenge: await openid.calculatePKCECodeChallenge(pkceCodeVerifier), code_challenge_method: 'S256', ...params,
    });
    return { url, checks: { pkceCodeVerifier, expectedState, expectedNonce, idTokenExpected: true } };
  }

  /**
   * The user agent in Chromium: opens the authorization URL, logs in when the login page comes,
   * reads what the consent page says the app may do, allows it, and lands at the callback.
   */
  async function consentInBrowser(url: URL): Promise<{ back: URL; asked: string }> {
    const { page } = session!;
    await page.goto(url.href);
    if (new URL(page.url()).pathname === '/login') await submitLogin(page, ALICE.username, ALICE.password);
    await page.waitForURL((u) => u.pathname === '/oauth/authorize');
    const asked = await page.getByText(/ will be able to /).textContent();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((u) => u.href.startsWith(callback.url));
    return { back: new URL(page.url()), asked: asked ?? '' };
  }

  /** `GET /oauth/authorize` with the browser's session cookies (or none), not following the redirect. */
  async function authorizeWithoutPage(url: URL, withSession = true): Promise<URL> {
    const cookies = withSession ? await cookieHeader(session!.context) : undefined;
    const res = await getAuthorize({ url: server.url, cookieHeader: cookies }, Object.fromEntries(url.searchParams));
    assert.equal(res.status, 302, 'an answer at once, never a page');
    return new URL(res.headers.get('location')!);
  }

  /** The claims of profile and email for ALICE, as the ID token and UserInfo must state them. */
  async function expectedClaims(): Promise<Record<string, unknown>> {
    // Mattermost's user object has email_verified; @mattermost/types leaves it out.
    const user = (await admin.getUser(aliceId)) as unknown as { email_verified: boolean };
    return {
      sub: aliceId, preferred_username: ALICE.username, name: 'Alice Liddell', given_name: ALICE.first_name, family_name: ALICE.last_name,
      nickname: ALICE.nickname, email: ALICE.email, email_verified: user.email_verified,
    };
  }

  /** Checks an ID token's claims (openid-client has verified its signature, iss, aud, nonce, exp). */
  async function assertIdToken(tokens: Tokens, config: openid.Configuration, app: OAuthApp, nonce: string): Promise<void> {
    const claims = tokens.claims()!;
    assert.equal(claims.iss, server.url);
    assert.equal(claims.aud, app.id);
    assert.equal(claims.azp, app.id);
    assert.equal(claims.nonce, nonce);
    assert.equal(claims.at_hash, atHash(tokens.access_token), 'at_hash binds the ID token to this access token');
    assert.ok(claims.exp > claims.iat && typeof claims.auth_time === 'number');
    assert.equal(jwtHeader(tokens.id_token!).alg, 'RS256');
    const expected = await expectedClaims();
    for (const [claim, value] of Object.entries(expected)) assert.equal(claims[claim], value, claim);
    assert.deepEqual(await openid.fetchUserInfo(config, tokens.access_token, aliceId), expected, 'UserInfo states the same claims');
  }

  /** The narrow token signs in only: the chat API refuses it with insufficient_scope (RFC 6750 §3.1). */
  async function assertApiRefuses(accessToken: string): Promise<void> {
    const res = await fetch(`${server.url}/api/v4/users/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(res.status, 403);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer error="insufficient_scope"/);
    await res.body?.cancel();
  }

  let firstIdToken = '';
  let firstNonce = '';

  it('oauth4webapi accepts both discovery documents, which advertise OpenID Connect', async () => {
    for (const algorithm of ['oidc', 'oauth2'] as const) {
      const response = await oauth.discoveryRequest(issuer, { algorithm, [oauth.allowInsecureRequests]: true });
      const meta = await oauth.processDiscoveryResponse(issuer, response);
      assert.equal(meta.issuer, server.url);
      assert.equal(meta.jwks_uri, `${server.url}/oauth/jwks`);
      assert.equal(meta.userinfo_endpoint, `${server.url}/oauth/userinfo`);
      assert.deepEqual(meta.id_token_signing_alg_values_supported, ['RS256']);
      assert.deepEqual(meta.subject_types_supported, ['public']);
      for (const scope of ['openid', 'profile', 'email']) assert.ok(meta.scopes_supported?.includes(scope), scope);
      for (const claim of ['sub', 'nonce', 'at_hash', 'email', 'preferred_username']) assert.ok(meta.claims_supported?.includes(claim), claim);
      assert.deepEqual(meta.prompt_values_supported, ['none', 'login', 'consent']);
    }
  });

  it('a confidential app: the user logs in and consents in Chromium, openid-client checks the ID token, UserInfo agrees', { timeout: 60_000 }, async () => {
    const { url, checks } = await authorizationRequest(confidentialConfig);
    assert.equal(`${url.origin}${url.pathname}`, `${server.url}/oauth/authorize`, 'the endpoint comes from discovery');
    const { back, asked } = await consentInBrowser(url);
    assert.match(asked, /will be able to sign you in and see your name and email\.$/);
    assert.doesNotMatch(asked, /act on your behalf/);

    const tokens = await openid.authorizationCodeGrant(confidentialConfig, back, checks);
    assert.equal(tokens.scope, SIGN_IN_SCOPE);
    await assertIdToken(tokens, confidentialConfig, confidential, checks.expectedNonce);
    await assertApiRefuses(tokens.access_token);
    firstIdToken = tokens.id_token!;
    firstNonce = checks.expectedNonce;
  });

  it('a public client with PKCE and max_age: the same, without a secret', { timeout: 60_000 }, async () => {
    const app = await newApp('Public sign-in app', { is_public: true });
    const config = await openid.discovery(issuer, app.id, undefined, openid.None(), INSECURE_OK);
    const { url, checks } = await authorizationRequest(config, { max_age: '3600' });
    const { back, asked } = await consentInBrowser(url);
    assert.match(asked, /sign you in and see your name and email/);
    // maxAge makes openid-client require auth_time and check it is recent enough.
    const tokens = await openid.authorizationCodeGrant(config, back, { ...checks, maxAge: 3600 });
    assert.equal(tokens.refresh_token, undefined, 'a public client gets no refresh token');
    await assertIdToken(tokens, config, app, checks.expectedNonce);
    await assertApiRefuses(tokens.access_token);
  });

  it('scope "openid user": consent asks for full access, and the chat API accepts the token', { timeout: 60_000 }, async () => {
    const { url, checks } = await authorizationRequest(confidentialConfig, { scope: 'openid user' });
    const { back, asked } = await consentInBrowser(url);
    assert.match(asked, /act on your behalf/, 'signing in was approved, full access was not');
    const tokens = await openid.authorizationCodeGrant(confidentialConfig, back, checks);
    assert.equal(tokens.scope, 'user openid');
    assert.equal(tokens.claims()!.sub, aliceId);
    assert.equal(await meStatus(server.url, tokens.access_token), 200);
  });

  it('prompt=none: a code at once for an approved app, consent_required for another, login_required without a session', async () => {
    const approved = await authorizationRequest(confidentialConfig, { prompt: 'none' });
    const tokens = await openid.authorizationCodeGrant(confidentialConfig, await authorizeWithoutPage(approved.url), approved.checks);
    assert.equal(tokens.claims()!.sub, aliceId);

    const other = await newApp('Not yet approved');
    const otherConfig = await openid.discovery(issuer, other.id, other.client_secret, undefined, INSECURE_OK);
    const notApproved = await authorizationRequest(otherConfig, { prompt: 'none' });
    const refused = await authorizeWithoutPage(notApproved.url);
    assert.equal(`${refused.origin}${refused.pathname}`, callback.url, 'the error goes to the redirect URI');
    await assert.rejects(openid.authorizationCodeGrant(otherConfig, refused, notApproved.checks),
      (e: openid.AuthorizationResponseError) => e.error === 'consent_required');

    const loggedOut = await authorizationRequest(confidentialConfig, { prompt: 'none' });
    const noSession = await authorizeWithoutPage(loggedOut.url, false);
    assert.equal(`${noSession.origin}${noSession.pathname}`, callback.url, 'no login page: the app is told at once');
    await assert.rejects(openid.authorizationCodeGrant(confidentialConfig, noSession, loggedOut.checks),
      (e: openid.AuthorizationResponseError) => e.error === 'login_required');
  });

  it('authlib validates the ID token; a changed signature byte or another audience is refused', async () => {
    const good = await authlibValidates(server.url, confidential.id, firstNonce, firstIdToken);
    assert.equal(good.code, 0, good.stderr);
    assert.equal(good.claims!.sub, aliceId);
    assert.equal(good.claims!.email, ALICE.email);

    const tampered = await authlibValidates(server.url, confidential.id, firstNonce, tamperSignature(firstIdToken));
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /BadSignatureError/);

    const otherAudience = await authlibValidates(server.url, 'someotherclientxxxxxxxxxxx', firstNonce, firstIdToken);
    assert.equal(otherAudience.code, 1);
    assert.match(otherAudience.stderr, /InvalidClaimError.*'aud'/);

    const otherNonce = await authlibValidates(server.url, confidential.id, openid.randomNonce(), firstIdToken);
    assert.equal(otherNonce.code, 1);
    assert.match(otherNonce.stderr, /InvalidClaimError.*'nonce'/);
  });

  it('after the signing key rotates, new ID tokens name the new key and the old one still validates', async () => {
    const oldKid = jwtHeader(firstIdToken).kid;
    const rotate = await fetch(`${server.url}/plugins/oauth-plugin/api/v1/signing_keys/rotate`, {
      method: 'POST', headers: { authorization: `Bearer ${admin.getToken()}` },
    });
    assert.equal(rotate.status, 200);
    const { kid } = (await rotate.json()) as { kid: string };
    assert.notEqual(kid, oldKid);

    const jwks = (await (await fetch(`${server.url}/oauth/jwks`)).json()) as { keys: { kid: string }[] };
    assert.deepEqual(new Set(jwks.keys.map((k) => k.kid)), new Set([oldKid, kid]), 'both keys are published');

    // A fresh discovery: openid-client keeps a JWKS per discovered configuration for minutes.
    const config = await openid.discovery(issuer, confidential.id, confidential.client_secret, undefined, INSECURE_OK);
    const { url, checks } = await authorizationRequest(config, { prompt: 'none' });
    const tokens = await openid.authorizationCodeGrant(config, await authorizeWithoutPage(url), checks);
    assert.equal(jwtHeader(tokens.id_token!).kid, kid, 'signed with the new key');

    const fresh = await authlibValidates(server.url, confidential.id, checks.expectedNonce, tokens.id_token!);
    assert.equal(fresh.code, 0, fresh.stderr);
    const old = await authlibValidates(server.url, confidential.id, firstNonce, firstIdToken);
    assert.equal(old.code, 0, old.stderr);
  });

  it('ran without script errors', () => {
    assert.deepEqual(scriptErrors(session!.page), []);
  });
});
