// The OAuth 2.0 provider driven by strict OAuth clients nobody here wrote: openid-client (discovery,
// dynamic registration, code flow with PKCE checking state and iss, refresh, introspection,
// revocation) and oauth4webapi (client_secret_basic). The test plays the user agent only.
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CALLBACK, authorizeInBrowser, meStatus, startProvider, type ProviderServer } from './helpers.js';

// Both libraries refuse plain-http servers unless told otherwise; these tests talk to the host on
// loopback (127.0.0.1) only, where TLS would prove nothing.
const INSECURE_OK: openid.DiscoveryRequestOptions = { algorithm: 'oauth2', execute: [openid.allowInsecureRequests] };

describe('openid-client against the provider', () => {
  let p: ProviderServer;
  let issuer: URL;

  before(async () => {
    p = await startProvider({ EnableDynamicClientRegistration: true });
    issuer = new URL(p.server.url);
  });
  after(async () => {
    await p.server.close();
  });

  /** Registers a client through RFC 7591 with openid-client. */
  function register(metadata: Partial<openid.ClientMetadata>, auth?: openid.ClientAuth): Promise<openid.Configuration> {
    return openid.dynamicClientRegistration(issuer, { redirect_uris: [CALLBACK], client_name: 'openid-client test', ...metadata }, auth, INSECURE_OK);
  }

  /** The code flow with PKCE up to the callback URL the user agent lands on. */
  async function authorize(config: openid.Configuration): Promise<{ callback: URL; verifier: string; state: string }> {
    const verifier = openid.randomPKCECodeVerifier();
    const state = openid.randomState();
    const url = openid.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK, scope: 'user', state,
      code_challenge: await openid.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    assert.equal(`${url.origin}${url.pathname}`, `${p.server.url}/oauth/authorize`, 'the endpoint comes from discovery');
    return { callback: await authorizeInBrowser(p.browser, url), verifier, state };
  }

  it('discovers the server (RFC 8414) for an app registered through the REST API', async () => {
    const app = await p.admin.createOAuthApp({ name: 'Discovered', description: '', homepage: 'http://127.0.0.1:9/', callback_urls: [CALLBACK] });
    const config = await openid.discovery(issuer, app.id, app.client_secret, undefined, INSECURE_OK);
    const meta = config.serverMetadata();
    assert.equal(meta.issuer, p.server.url);
    assert.equal(meta.authorization_endpoint, `${p.server.url}/oauth/authorize`);
    assert.equal(meta.token_endpoint, `${p.server.url}/oauth/access_token`);
    assert.equal(meta.registration_endpoint, `${p.server.url}/api/v4/oauth/apps/register`);
    assert.equal(meta.revocation_endpoint, `${p.server.url}/oauth/revoke`);
    assert.equal(meta.introspection_endpoint, `${p.server.url}/oauth/introspect`);
    assert.equal(meta.authorization_response_iss_parameter_supported, true);
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    assert.ok(meta.supportsPKCE());

    // The discovered configuration is enough for the whole code flow.
    const { callback, verifier, state } = await authorize(config);
    const tokens = await openid.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    assert.equal(await meStatus(p.server.url, tokens.access_token), 200);
  });

  it('registers dynamically, then code flow with PKCE, refresh, introspection and revocation', async () => {
    const config = await register({ token_endpoint_auth_method: 'client_secret_post', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] });
    const registered = config.clientMetadata();
    assert.match(registered.client_id, /^[a-z0-9]{26}$/);
    assert.equal(typeof registered.client_secret, 'string');
    assert.equal(registered.token_endpoint_auth_method, 'client_secret_post');
    assert.deepEqual(registered.redirect_uris, [CALLBACK]);

    const { callback, verifier, state } = await authorize(config);
    assert.equal(callback.searchParams.get('iss'), p.server.url);
    const tokens = await openid.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'user');
    assert.ok(tokens.expiresIn()! > 0);
    assert.ok(tokens.refresh_token);
    const me = await fetch(`${p.server.url}/api/v4/users/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(((await me.json()) as { id: string }).id, p.userId);

    const refreshed = await openid.refreshTokenGrant(config, tokens.refresh_token);
    assert.notEqual(refreshed.access_token, tokens.access_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'refresh tokens rotate');
    assert.equal(await meStatus(p.server.url, tokens.access_token), 401, 'the old access token stops at once');
    assert.equal(await meStatus(p.server.url, refreshed.access_token), 200);

    const active = await openid.tokenIntrospection(config, refreshed.access_token);
    assert.equal(active.active, true);
    assert.equal(active.client_id, registered.client_id);
    assert.equal(active.sub, p.userId);
    assert.equal(active.username, 'alice');
    assert.equal(active.scope, 'user');
    assert.equal(active.iss, p.server.url);
    assert.ok(active.exp! > Date.now() / 1000);
    assert.equal((await openid.tokenIntrospection(config, tokens.access_token)).active, false, 'a rotated token is inactive');

    // RFC 7662 §2.2 leaves it to the server; here a client learns nothing about another's tokens.
    const stranger = await register({ token_endpoint_auth_method: 'client_secret_post' });
    assert.equal((await openid.tokenIntrospection(stranger, refreshed.access_token)).active, false);

    await openid.tokenRevocation(config, refreshed.access_token);
    assert.equal(await meStatus(p.server.url, refreshed.access_token), 401);
    assert.equal((await openid.tokenIntrospection(config, refreshed.access_token)).active, false);

    // RFC 7009 §2.1: revoking the refresh token ends the whole grant.
    const again = await openid.refreshTokenGrant(config, refreshed.refresh_token!);
    await openid.tokenRevocation(config, again.refresh_token!);
    assert.equal(await meStatus(p.server.url, again.access_token), 401);
    await assert.rejects(openid.refreshTokenGrant(config, again.refresh_token!), (e: openid.ResponseBodyError) => e.error === 'invalid_grant');
  });

  it('openid-client rejects a callback whose state or iss is not the expected one', async () => {
    const config = await register({ token_endpoint_auth_method: 'client_secret_post' });
    const { callback, verifier, state } = await authorize(config);

    // openid-client wraps oauth4webapi's error, whose message names the parameter it refused.
    const refused = (parameter: string) => (e: Error) => (e.cause as Error).message.includes(`"${parameter}"`);
    const otherIss = new URL(callback);
    otherIss.searchParams.set('iss', 'http://127.0.0.1:1');
    await assert.rejects(openid.authorizationCodeGrant(config, otherIss, { pkceCodeVerifier: verifier, expectedState: state }), refused('iss'));
    const noIss = new URL(callback);
    noIss.searchParams.delete('iss');
    await assert.rejects(openid.authorizationCodeGrant(config, noIss, { pkceCodeVerifier: verifier, expectedState: state }), refused('iss'));
    await assert.rejects(openid.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: 'another' }), refused('state'));

    // None of those reached the token endpoint: the untouched callback still redeems the code.
    const tokens = await openid.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    assert.equal(await meStatus(p.server.url, tokens.access_token), 200);
  });

  it('a public client (token_endpoint_auth_method none) uses PKCE and gets no refresh token', async () => {
    const config = await register({ token_endpoint_auth_method: 'none' }, openid.None());
    const registered = config.clientMetadata();
    assert.equal(registered.client_secret, undefined);
    assert.ok(!(registered.grant_types as string[]).includes('refresh_token'), 'grant_types tells the truth');

    const { callback, verifier, state } = await authorize(config);
    const tokens = await openid.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    assert.equal(tokens.refresh_token, undefined);
    assert.equal(await meStatus(p.server.url, tokens.access_token), 200);
  });
});

describe('oauth4webapi with client_secret_basic', () => {
  let p: ProviderServer;

  before(async () => {
    p = await startProvider({ EnableDynamicClientRegistration: true });
  });
  after(async () => {
    await p.server.close();
  });

  it('exchanges a code and refreshes with HTTP Basic client authentication', async () => {
    const issuer = new URL(p.server.url);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }));

    // RFC 7591 without token_endpoint_auth_method: the server's default is client_secret_basic.
    const registration = await fetch(as.registration_endpoint!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [CALLBACK] }) });
    assert.equal(registration.status, 201);
    const registered = (await registration.json()) as { client_id: string; client_secret: string; token_endpoint_auth_method: string };
    assert.equal(registered.token_endpoint_auth_method, 'client_secret_basic');
    const client: oauth.Client = { client_id: registered.client_id };
    const auth = oauth.ClientSecretBasic(registered.client_secret);

    // Records what goes to the token endpoint, to see that the secret travels only in Basic.
    const sent: { authorization: string | null; body: string }[] = [];
    const options = {
      [oauth.allowInsecureRequests]: true,
      [oauth.customFetch]: (url: string, init: oauth.CustomFetchOptions<'POST', URLSearchParams>) => {
        sent.push({ authorization: new Headers(init.headers).get('authorization'), body: String(init.body) });
        return fetch(url, init);
      },
    };

    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      response_type: 'code', client_id: client.client_id, redirect_uri: CALLBACK, scope: 'user', state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }).toString();
    const params = oauth.validateAuthResponse(as, client, await authorizeInBrowser(p.browser, url), state);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client,
      await oauth.authorizationCodeGrantRequest(as, client, auth, params, CALLBACK, verifier, options));
    assert.equal(tokens.token_type, 'bearer');
    assert.ok(tokens.refresh_token);
    assert.equal(await meStatus(p.server.url, tokens.access_token), 200);

    const refreshed = await oauth.processRefreshTokenResponse(as, client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token, options));
    assert.notEqual(refreshed.access_token, tokens.access_token);
    assert.equal(await meStatus(p.server.url, refreshed.access_token), 200);
    assert.equal(await meStatus(p.server.url, tokens.access_token), 401);

    assert.equal(sent.length, 2);
    for (const request of sent) {
      assert.match(request.authorization ?? '', /^Basic /);
      assert.ok(!new URLSearchParams(request.body).has('client_secret'));
    }
  });
});

describe('dynamic registration limits', () => {
  it('answers 429 with Retry-After past the per-address rate limit', async () => {
    const p = await startProvider({ EnableDynamicClientRegistration: true }, { DcrRateLimitPerMinute: 2 });
    try {
      const register = () => fetch(`${p.server.url}/api/v4/oauth/apps/register`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [CALLBACK] }),
      });
      assert.equal((await register()).status, 201);
      assert.equal((await register()).status, 201);
      const limited = await register();
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      assert.equal(typeof ((await limited.json()) as { error: unknown }).error, 'string');
    } finally {
      await p.server.close();
    }
  });

  it('answers 400 unsupported_operation while registration is off', async () => {
    const p = await startProvider();
    try {
      const res = await fetch(`${p.server.url}/api/v4/oauth/apps/register`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [CALLBACK] }),
      });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: string }).error, 'unsupported_operation');
      const meta = (await (await fetch(`${p.server.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
      assert.ok(!('registration_endpoint' in meta), 'metadata advertises registration only when it is on');
    } finally {
      await p.server.close();
    }
  });
});
