// The hostile-input suite: what an attacker would send to every route of the plugin and of the
// reference server — malformed and wrong-typed JSON, arrays for objects, bodies over each limit,
// wrong content types, NUL and unusual Unicode, overlong and malformed ids, repeated parameters,
// redirect-URI tricks, PKCE downgrades, replayed codes and refresh tokens, other users' resources,
// cookie-authenticated writes without the CSRF token, markup in fields that are shown back, and
// internal addresses in every spelling. Each case asserts its status and a clear error, that
// nothing stored changed, that no internal detail leaks, and that what is shown back is escaped
// (see assertRefused in hostile-helpers.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CALLBACK, authorizationCode, basicAuth, exchangeCode, loginBrowser, pkcePair, postForm, type JsonResponse } from './helpers.js';
import {
  BAD_BODIES, KIB, assertRefused, send, snapshot, startWorld, type Expect, type HostileRequest, type JsonRoute, type World,
} from './hostile-helpers.js';

interface Case {
  name: string;
  request: (w: World) => HostileRequest;
  /** The status, or the statuses any one of which is right (a malformed id: 400 or 404). */
  status: number | number[];
  expect: Expect;
  /** Markup the request put in that must not come back raw. */
  shownBack?: string[];
  /** Columns that legitimately change (a failed login counts). */
  ignoreColumns?: RegExp;
}

const json = (value: unknown) => JSON.stringify(value);
const MM = (id?: string): Expect => ({ kind: 'mattermost', id });
const OAUTH = (error?: string): Expect => ({ kind: 'oauth', error });
const PAGE: Expect = { kind: 'page' };

// ---- who sends it

const asAdmin = (w: World) => ({ authorization: `Bearer ${w.adminToken}`, 'content-type': 'application/json' });
const asAlice = (w: World) => ({ authorization: `Bearer ${w.aliceToken}`, 'content-type': 'application/json' });
const asApp = (w: World) => ({ authorization: `Bearer ${w.appToken}`, 'content-type': 'application/json' });
/** Alice's browser with its CSRF header, as her pages send state changes. */
const aliceCookie = (w: World, csrf = true) => ({
  cookie: w.aliceBrowser.cookieHeader, 'content-type': 'application/json', ...(csrf ? { 'x-csrf-token': w.aliceBrowser.csrf } : {}),
});
const form = { 'content-type': 'application/x-www-form-urlencoded' };

// ---- 1. JSON bodies of the wrong shape, on every route that takes one

/** A refused login counts against the account (MaximumLoginAttempts): the one change it makes. */
const LOGIN_COUNT = /^(FailedAttempts|LastLoginAttemptAt)$/;
const JSON_ROUTES: JsonRoute<World>[] = [
  { name: 'create an OAuth app', method: 'POST', path: () => '/api/v4/oauth/apps', headers: asAdmin, expect: MM(), limit: 64 * KIB, wrongType: json({ name: 5, callback_urls: 'x' }) },
  { name: 'edit an OAuth app', method: 'PUT', path: (w) => `/api/v4/oauth/apps/${w.adminApp.id}`, headers: asAdmin, expect: MM(), limit: 64 * KIB, wrongType: json({ id: 7, name: [] }) },
  { name: 'create an outgoing connection', method: 'POST', path: () => '/api/v4/oauth/outgoing_connections', headers: asAdmin, expect: MM(), limit: 64 * KIB, wrongType: json({ name: 'n', audiences: 'https://a.example.com/' }) },
  { name: 'edit an outgoing connection', method: 'PUT', path: (w) => `/api/v4/oauth/outgoing_connections/${w.connectionId}`, headers: asAdmin, expect: MM(), limit: 64 * KIB, wrongType: json({ cache_tokens: 'yes' }) },
  { name: 'validate an outgoing connection', method: 'POST', path: () => '/api/v4/oauth/outgoing_connections/validate', headers: asAdmin, expect: MM(), limit: 64 * KIB, wrongType: json({ grant_type: 1 }) },
  { name: 'the consent page answer', method: 'POST', path: () => '/oauth/authorize', headers: (w) => aliceCookie(w), expect: MM(), limit: 64 * KIB, wrongType: json({ client_id: 1, approve: 'yes' }) },
  { name: 'the device flow\'s decision', method: 'POST', path: () => '/oauth/device', headers: (w) => aliceCookie(w), expect: MM(), limit: 64 * KIB, wrongType: json({ user_code: 5, approve: 'yes' }) },
  { name: 'deauthorize', method: 'POST', path: () => '/oauth/deauthorize', headers: (w) => aliceCookie(w), expect: MM(), limit: 64 * KIB, wrongType: json({ client_id: ['x'] }) },
  { name: 'dynamic client registration', method: 'POST', path: () => '/api/v4/oauth/apps/register', headers: () => ({ 'content-type': 'application/json' }), expect: OAUTH('invalid_client_metadata'), limit: 64 * KIB, wrongType: json({ redirect_uris: 'https://a.example.com/cb' }) },
  { name: 'an app stores its remote settings', method: 'POST', path: () => '/plugins/oauth-plugin/api/v1/oauth2/app', headers: asApp, expect: MM(), limit: 8 * KIB, wrongType: json({ client_id: 5, scopes: 'a' }) },
  { name: 'create a user', method: 'POST', path: () => '/api/v4/users', headers: asAdmin, expect: MM(), limit: 1024 * KIB, wrongType: json({ username: 5, email: [], password: {} }) },
  { name: 'log in', method: 'POST', path: () => '/api/v4/users/login', headers: () => ({ 'content-type': 'application/json' }), expect: MM(), limit: 1024 * KIB, wrongType: json({ login_id: 5, password: true }) },
  { name: 'patch the configuration', method: 'PUT', path: () => '/api/v4/config/patch', headers: asAdmin, expect: MM(), limit: 1024 * KIB, wrongType: json({ ServiceSettings: { EnableOAuthServiceProvider: 'yes' } }) },
  { name: 'create a slash command', method: 'POST', path: () => '/api/v4/commands', headers: asAdmin, expect: MM(), limit: 1024 * KIB, wrongType: json({ team_id: 5, trigger: [] }) },
  { name: 'edit a slash command', method: 'PUT', path: (w) => `/api/v4/commands/${w.commandId}`, headers: asAdmin, expect: MM(), limit: 1024 * KIB, wrongType: json({ id: 5 }) },
  { name: 'run a slash command', method: 'POST', path: () => '/api/v4/commands/execute', headers: asAdmin, expect: MM(), limit: 1024 * KIB, wrongType: json({ command: 7, channel_id: {} }) },
];

function jsonCases(): Case[] {
  return JSON_ROUTES.flatMap((route) => BAD_BODIES.map(([what, body, status]): Case => ({
    name: `${route.name}: ${what}`,
    request: (w) => ({ method: route.method, path: route.path(w), headers: route.headers(w), body: body(route) }),
    status: typeof status === 'number' ? status : status(route),
    expect: route.expect,
    ignoreColumns: route.name === 'log in' ? LOGIN_COUNT : undefined,
  })));
}

// ---- 2. NUL, unusual Unicode and repeated fields in the fields the plugin keeps

const TEXT_TRICKS: [string, string][] = [
  ['a NUL', 'Zap\u0000ier'],
  ['a control character', 'Zap\u0007ier'],
  ['a bidirectional override', 'Zap\u202eier'],
  ['a line break', 'Zap\nier'],
];

function textCases(): Case[] {
  const app = (name: string) => ({ name, description: 'd', homepage: 'https://a.example.com/', callback_urls: [CALLBACK] });
  const connection = (name: string) => ({
    name, client_id: 'c', client_secret: 's', oauth_token_url: 'https://auth.example.com/token', grant_type: 'client_credentials',
    audiences: ['https://fresh.example.com/'],
  });
  const cases: Case[] = TEXT_TRICKS.flatMap(([what, text]): Case[] => [
    { name: `an app name with ${what}`, request: () => ({ method: 'POST', path: '/api/v4/oauth/apps', headers: {}, body: json(app(text)) }), status: 400, expect: MM('model.oauth.is_valid.name.app_error') },
    { name: `a connection name with ${what}`, request: () => ({ method: 'POST', path: '/api/v4/oauth/outgoing_connections', headers: {}, body: json(connection(text)) }), status: 400, expect: MM('model.outgoing_oauth_connection.is_valid.name.error') },
    { name: `a registered client name with ${what}`, request: () => ({ method: 'POST', path: '/api/v4/oauth/apps/register', headers: { 'content-type': 'application/json' }, body: json({ redirect_uris: ['https://a.example.com/cb'], client_name: text }) }), status: 400, expect: OAUTH('invalid_client_metadata') },
  ]);
  cases.push(
    { name: 'an app with a field repeated', request: () => ({ method: 'POST', path: '/api/v4/oauth/apps', headers: {}, body: '{"name":"a","name":"b","homepage":"https://a.example.com/","callback_urls":["http://127.0.0.1:9/callback"]}' }), status: 400, expect: MM() },
    { name: 'a registration with a field repeated', request: () => ({ method: 'POST', path: '/api/v4/oauth/apps/register', headers: { 'content-type': 'application/json' }, body: '{"redirect_uris":["https://a.example.com/cb"],"redirect_uris":["https://evil.test/cb"]}' }), status: 400, expect: OAUTH('invalid_client_metadata') },
  );
  // The admin's headers, set per request below (the world is not known yet here).
  return cases.map((c) => ({ ...c, request: (w) => { const r = c.request(w); return { ...r, headers: { ...asAdmin(w), ...r.headers } }; } }));
}

// ---- 3. The token, revocation and introspection endpoints

const TOKEN = '/oauth/access_token';
const ENDPOINTS = [TOKEN, '/oauth/revoke', '/oauth/introspect', '/oauth/device_authorization'];
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

function formCase(name: string, path: string, body: (w: World) => string, status: number, error?: string, headers: (w: World) => Record<string, string> = () => form): Case {
  return { name, request: (w) => ({ method: 'POST', path, headers: headers(w), body: body(w) }), status, expect: OAUTH(error) };
}

function tokenCases(): Case[] {
  const creds = (w: World) => `client_id=${w.trustedApp.id}&client_secret=${w.trustedApp.client_secret}`;
  const cases: Case[] = [];
  for (const path of ENDPOINTS) {
    for (const type of ['application/json', 'text/plain', 'multipart/form-data; boundary=x', '']) {
      cases.push(formCase(`${path}: Content-Type ${type || 'missing'}`, path, (w) => `${creds(w)}&token=x&grant_type=refresh_token`, 400, 'invalid_request', (): Record<string, string> => (type ? { 'content-type': type } : {})));
    }
    cases.push(
      formCase(`${path}: a body over 16 KiB`, path, (w) => `${creds(w)}&token=${'a'.repeat(17 * KIB)}`, 400, 'invalid_request'),
      formCase(`${path}: client_id repeated`, path, (w) => `${creds(w)}&client_id=${w.adminApp.id}&token=x&grant_type=refresh_token`, 400, 'invalid_request'),
      formCase(`${path}: invalid UTF-8`, path, (w) => `${creds(w)}&token=%ff%fe&grant_type=refresh_token`, 400, 'invalid_request'),
      formCase(`${path}: an unknown client`, path, () => 'client_id=ybndrfg8ejkmcpqxot1uwisza3&client_secret=x&token=x&grant_type=refresh_token', 401, 'invalid_client'),
      formCase(`${path}: a wrong secret`, path, (w) => `client_id=${w.trustedApp.id}&client_secret=wrong-secret&token=x&grant_type=refresh_token`, 401, 'invalid_client'),
      formCase(`${path}: a malformed client id`, path, () => `client_id=${'%00'.repeat(30)}&client_secret=x&token=x&grant_type=refresh_token`, 401, 'invalid_client'),
      formCase(`${path}: Basic and a body secret at once`, path, (w) => `client_secret=${w.trustedApp.client_secret}&token=x&grant_type=refresh_token`, 400, 'invalid_request',
        (w) => ({ ...form, authorization: basicAuth(w.trustedApp.id, w.trustedApp.client_secret) })),
      formCase(`${path}: malformed Basic credentials`, path, () => 'token=x&grant_type=refresh_token', 401, 'invalid_client', () => ({ ...form, authorization: 'Basic !!!not-base64' })),
      formCase(`${path}: no client authentication`, path, () => 'token=x&grant_type=refresh_token', 401, 'invalid_client'),
    );
  }
  const code = (w: World, extra: string) => `grant_type=authorization_code&redirect_uri=${encodeURIComponent(CALLBACK)}&${creds(w)}${extra}`;
  cases.push(
    formCase('token: no grant_type', TOKEN, creds, 400, 'invalid_request'),
    formCase('token: grant_type repeated', TOKEN, (w) => `grant_type=refresh_token&grant_type=authorization_code&${creds(w)}`, 400, 'invalid_request'),
    formCase('token: an unknown grant type', TOKEN, (w) => `grant_type=urn:evil&${creds(w)}`, 400, 'unsupported_grant_type'),
    formCase('token: the client credentials grant', TOKEN, (w) => `grant_type=client_credentials&${creds(w)}`, 400, 'unsupported_grant_type'),
    formCase('token: the password grant', TOKEN, (w) => `grant_type=password&username=admin&password=admin-password-1&${creds(w)}`, 400, 'unsupported_grant_type'),
    formCase('token: a code grant without a code', TOKEN, (w) => code(w, ''), 400, 'invalid_request'),
    formCase('token: a made-up code', TOKEN, (w) => code(w, '&code=made-up-code-value'), 400, 'invalid_grant'),
    formCase('token: a code with a NUL', TOKEN, (w) => code(w, '&code=abc%00def'), 400, 'invalid_grant'),
    formCase('token: a refresh grant without a token', TOKEN, (w) => `grant_type=refresh_token&${creds(w)}`, 400, 'invalid_request'),
    formCase('token: a made-up refresh token', TOKEN, (w) => `grant_type=refresh_token&refresh_token=made-up-refresh&${creds(w)}`, 400, 'invalid_grant'),
    formCase("token: another client's refresh token", TOKEN, (w) => `grant_type=refresh_token&refresh_token=${w.tokens.refresh}&client_id=${w.adminApp.id}&client_secret=${w.adminApp.client_secret}`, 400, 'invalid_grant'),
    formCase("token: another client's used code", TOKEN, (w) => `grant_type=authorization_code&code=${w.usedCode}&redirect_uri=${encodeURIComponent(CALLBACK)}&client_id=${w.publicApp.id}&code_verifier=${'v'.repeat(43)}`, 400, 'invalid_grant'),
    formCase('token: a public client sends a secret', TOKEN, (w) => `grant_type=authorization_code&code=x&client_id=${w.publicApp.id}&client_secret=guess`, 401, 'invalid_client'),
    formCase('token: a public client asks for a refresh', TOKEN, (w) => `grant_type=refresh_token&refresh_token=${w.tokens.refresh}&client_id=${w.publicApp.id}`, 400, 'unauthorized_client'),
    formCase('token: the device grant, for an app that did not opt in', TOKEN, (w) => `grant_type=${DEVICE_GRANT}&device_code=x&${creds(w)}`, 400, 'unauthorized_client'),
    formCase('device authorization: an app that did not opt in', '/oauth/device_authorization', creds, 400, 'unauthorized_client'),
    formCase('revoke: no token', '/oauth/revoke', creds, 400, 'invalid_request'),
    formCase('introspect: a public client', '/oauth/introspect', (w) => `client_id=${w.publicApp.id}&token=${w.tokens.access}`, 401, 'invalid_client'),
  );
  return cases;
}

// ---- 4. The authorization endpoint

const STATE = 'hostile-state';

function authorizeCase(name: string, params: (w: World) => Record<string, string>, status: number, expect: Expect, shownBack: string[] = []): Case {
  return {
    name: `authorize: ${name}`,
    request: (w) => ({ method: 'GET', path: '/oauth/authorize', query: new URLSearchParams(params(w)).toString(), headers: { cookie: w.aliceBrowser.cookieHeader } }),
    status, expect, shownBack,
  };
}

/** Redirect URIs that are not what they look like, or not what was registered. */
const REDIRECT_TRICKS = [
  'https://evil.test?.example.com/cb',
  'https://evil.test\\.example.com/cb',
  'http://localhost:1@evil.test/callback',
  `${CALLBACK}#fragment`,
  `${CALLBACK}#`,
  'http://127.0.0.1:9/./callback',
  'http://127.0.0.1:9/x/../callback',
  'HTTP://127.0.0.1:9/callback',
  'http://127.0.0.1:09/callback',
  'http://127.0.0.1:9/call back',
  'http://127.0.0.1:9/callback\t',
  'http://127.0.0.1:9/callback\u0000',
  'http://0x7f.0.0.1:9/callback',
  'javascript:alert(document.domain)//',
  'http://127.0.0.1:9/%63allback',
];

function authorizeCases(): Case[] {
  const base = (w: World) => ({ response_type: 'code', client_id: w.adminApp.id, redirect_uri: CALLBACK, state: STATE });
  const toClient = (error?: string): Expect => ({ kind: 'error-redirect', to: CALLBACK, error, state: STATE });
  const cases: Case[] = REDIRECT_TRICKS.map((trick) => authorizeCase(`redirect_uri ${JSON.stringify(trick)}`, (w) => ({ ...base(w), redirect_uri: trick }), 400, PAGE, ['<script']));
  cases.push(
    authorizeCase('no client_id', () => ({ response_type: 'code', redirect_uri: CALLBACK }), 400, PAGE),
    authorizeCase('an unknown client', () => ({ response_type: 'code', client_id: 'ybndrfg8ejkmcpqxot1uwisza3', redirect_uri: CALLBACK }), 404, PAGE),
    authorizeCase('an overlong client id', () => ({ response_type: 'code', client_id: 'a'.repeat(5000), redirect_uri: CALLBACK }), 404, PAGE),
    authorizeCase('markup as the client id', () => ({ response_type: 'code', client_id: '<script>alert(1)</script>', redirect_uri: CALLBACK }), 404, PAGE, ['<script>alert(1)']),
    authorizeCase('an unregistered redirect_uri', (w) => ({ ...base(w), redirect_uri: 'https://evil.test/callback' }), 400, PAGE),
    authorizeCase('a redirect_uri over 256 characters', (w) => ({ ...base(w), redirect_uri: `${CALLBACK}/${'a'.repeat(300)}` }), 400, PAGE),
    authorizeCase('no response_type', (w) => ({ client_id: w.adminApp.id, redirect_uri: CALLBACK, state: STATE }), 302, toClient('invalid_request')),
    authorizeCase('an unknown response_type', (w) => ({ ...base(w), response_type: 'code id_token<script>' }), 302, toClient('unsupported_response_type')),
    authorizeCase('a state over 1024 characters', (w) => ({ ...base(w), state: 's'.repeat(1025) }), 302, { kind: 'error-redirect', to: CALLBACK, error: 'invalid_request' }),
    authorizeCase('a scope over 128 characters', (w) => ({ ...base(w), scope: 'u'.repeat(129) }), 302, toClient('invalid_scope')),
    authorizeCase('PKCE downgrade: the plain method', (w) => ({ ...base(w), code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }), 302, toClient('invalid_request')),
    authorizeCase('PKCE downgrade: a challenge without a method', (w) => ({ ...base(w), code_challenge: 'a'.repeat(43) }), 302, toClient('invalid_request')),
    authorizeCase('PKCE: a method without a challenge', (w) => ({ ...base(w), code_challenge_method: 'S256' }), 302, toClient('invalid_request')),
    authorizeCase('PKCE: a malformed challenge', (w) => ({ ...base(w), code_challenge: 'short=', code_challenge_method: 'S256' }), 302, toClient('invalid_request')),
    authorizeCase('PKCE: a public client without a challenge', (w) => ({ ...base(w), client_id: w.publicApp.id }), 302, toClient('invalid_request')),
    authorizeCase('a resource with a fragment', (w) => ({ ...base(w), resource: 'https://api.example.com/#x' }), 302, toClient('invalid_target')),
    authorizeCase('a resource that is not this server', (w) => ({ ...base(w), resource: 'https://api.example.com/' }), 302, toClient('invalid_target')),
    authorizeCase('a relative resource', (w) => ({ ...base(w), resource: '/api/v4' }), 302, toClient('invalid_target')),
  );
  cases.push({
    name: 'authorize: client_id repeated',
    request: (w) => ({ method: 'GET', path: '/oauth/authorize', query: `response_type=code&client_id=${w.adminApp.id}&client_id=${w.aliceApp.id}&redirect_uri=${encodeURIComponent(CALLBACK)}`, headers: { cookie: w.aliceBrowser.cookieHeader } }),
    status: 400, expect: PAGE,
  });
  return cases;
}

// ---- 5. The same redirect-URI tricks where apps are registered

function registrationCases(): Case[] {
  // Every trick but the last, which is well-formed and only unregistered.
  const tricks = [...REDIRECT_TRICKS.slice(0, -1), 'http://localhost:6274/callback?x=1#y', 'https://app.example.com'];
  return tricks.flatMap((trick): Case[] => [
    {
      name: `create an app with callback ${JSON.stringify(trick)}`,
      request: (w) => ({ method: 'POST', path: '/api/v4/oauth/apps', headers: asAdmin(w), body: json({ name: 'T', homepage: 'https://a.example.com/', callback_urls: [trick] }) }),
      status: 400, expect: MM('model.oauth.is_valid.callback.app_error'), shownBack: ['<script'],
    },
    {
      name: `edit an app to callback ${JSON.stringify(trick)}`,
      request: (w) => ({ method: 'PUT', path: `/api/v4/oauth/apps/${w.adminApp.id}`, headers: asAdmin(w), body: json({ id: w.adminApp.id, name: 'Hostile', homepage: 'https://hostile.example.com/', callback_urls: [trick] }) }),
      status: 400, expect: MM('model.oauth.is_valid.callback.app_error'),
    },
    {
      name: `register a client with redirect URI ${JSON.stringify(trick)}`,
      request: () => ({ method: 'POST', path: '/api/v4/oauth/apps/register', headers: { 'content-type': 'application/json' }, body: json({ redirect_uris: [trick] }) }),
      status: 400, expect: OAUTH('invalid_redirect_uri'),
    },
  ]);
}

// ---- 6. Ids of every odd shape, in every path that takes one

const ODD_IDS: [string, string][] = [
  ['200 characters', 'a'.repeat(200)],
  ['25 characters', 'ybndrfg8ejkmcpqxot1uwisza'],
  ['a dot-dot segment', '..'],
  ['an encoded NUL', '%00'],
  ['an encoded slash', 'a%2Fb'],
  ['markup', '%3Cscript%3Ealert(1)%3C%2Fscript%3E'],
  ['SQL', "'%20OR%201%3D1--"],
  ['unusual Unicode', encodeURIComponent('é'.repeat(26))],
];

interface IdRoute {
  name: string;
  method: string;
  path: (id: string, w: World) => string;
  status: number | number[];
  /** Takes an app id (any short run of letters, digits, ".", "-", "_"), not a 26-character id. */
  appId?: boolean;
  headers?: (w: World) => Record<string, string>;
  body?: (w: World) => string;
  expect?: Expect;
}

const ID_ROUTES: IdRoute[] = [
  { name: 'get an app', method: 'GET', path: (id) => `/api/v4/oauth/apps/${id}`, status: 404 },
  { name: 'edit an app', method: 'PUT', path: (id) => `/api/v4/oauth/apps/${id}`, status: 400, body: () => json({ id: 'x', name: 'n' }) },
  { name: 'delete an app', method: 'DELETE', path: (id) => `/api/v4/oauth/apps/${id}`, status: 404 },
  { name: "an app's info", method: 'GET', path: (id) => `/api/v4/oauth/apps/${id}/info`, status: 404 },
  { name: "regenerate an app's secret", method: 'POST', path: (id) => `/api/v4/oauth/apps/${id}/regen_secret`, status: 404 },
  { name: "a user's authorized apps", method: 'GET', path: (id) => `/api/v4/users/${id}/oauth/apps/authorized`, status: [400, 404] },
  { name: 'get a connection', method: 'GET', path: (id) => `/api/v4/oauth/outgoing_connections/${id}`, status: 404 },
  { name: 'edit a connection', method: 'PUT', path: (id) => `/api/v4/oauth/outgoing_connections/${id}`, status: 404, body: () => json({ name: 'n' }) },
  { name: 'delete a connection', method: 'DELETE', path: (id) => `/api/v4/oauth/outgoing_connections/${id}`, status: 404 },
  { name: 'forget an app connection', method: 'DELETE', path: (id) => `/plugins/oauth-plugin/api/v1/oauth2/connections/${id}`, status: 404, appId: true },
  { name: 'start connecting an account', method: 'GET', path: (id) => `/plugins/oauth-plugin/apps/${id}/oauth2/remote/connect`, status: 404, appId: true },
  { name: 'get a user', method: 'GET', path: (id) => `/api/v4/users/${id}`, status: [400, 404] },
  { name: 'get a command', method: 'GET', path: (id) => `/api/v4/commands/${id}`, status: 404 },
  { name: 'delete a command', method: 'DELETE', path: (id) => `/api/v4/commands/${id}`, status: 404 },
  { name: "regenerate a command's token", method: 'PUT', path: (id) => `/api/v4/commands/${id}/regen_token`, status: 404 },
];

function idCases(): Case[] {
  return ID_ROUTES.flatMap((route) => ODD_IDS
    // 25 letters are a fine app id (the Apps framework's ids are names): not a malformed one.
    .filter(([what]) => !(route.appId && what === '25 characters'))
    .map(([what, id]): Case => ({
      name: `${route.name}: an id of ${what}`,
      request: (w) => ({
        method: route.method, path: route.path(id, w), headers: route.headers?.(w) ?? asAdmin(w),
        body: route.body?.(w),
      }),
      // ".." is resolved away by the client, so what is left is another, unknown path.
      status: id === '..' ? [400, 404] : route.status,
      expect: route.expect ?? MM(),
      shownBack: ['<script>alert(1)'],
    })));
}

// ---- 7. Other users' resources

function othersCases(): Case[] {
  const forbidden = MM('api.context.permissions.app_error');
  const asAliceCase = (name: string, method: string, path: (w: World) => string, status: number, body?: (w: World) => unknown, expect: Expect = forbidden): Case => ({
    name: `alice: ${name}`,
    request: (w) => ({ method, path: path(w), headers: asAlice(w), body: body ? json(body(w)) : undefined }),
    status, expect,
  });
  return [
    asAliceCase("reads the admin's app", 'GET', (w) => `/api/v4/oauth/apps/${w.adminApp.id}`, 403),
    asAliceCase("edits the admin's app", 'PUT', (w) => `/api/v4/oauth/apps/${w.adminApp.id}`, 403, (w) => ({ id: w.adminApp.id, name: 'Mine now', homepage: 'https://a.example.com/', callback_urls: [CALLBACK] })),
    asAliceCase("deletes the admin's app", 'DELETE', (w) => `/api/v4/oauth/apps/${w.adminApp.id}`, 403),
    asAliceCase("regenerates the admin's app secret", 'POST', (w) => `/api/v4/oauth/apps/${w.adminApp.id}/regen_secret`, 403),
    asAliceCase("makes her app trusted and links it to the admin's app id", 'PUT', (w) => `/api/v4/oauth/apps/${w.aliceApp.id}`, 403, (w) => ({ id: w.aliceApp.id, name: 'Hostile', homepage: 'https://hostile.example.com/', callback_urls: [CALLBACK], mattermost_app_id: 'com.example.hostile' })),
    asAliceCase("creates an app claiming the admin's app id", 'POST', () => '/api/v4/oauth/apps', 403, () => ({ name: 'Thief', homepage: 'https://a.example.com/', callback_urls: [CALLBACK], mattermost_app_id: 'com.example.hostile' })),
    asAliceCase("lists the admin's authorized apps", 'GET', (w) => `/api/v4/users/${w.adminId}/oauth/apps/authorized`, 403),
    asAliceCase('reads a connection', 'GET', (w) => `/api/v4/oauth/outgoing_connections/${w.connectionId}`, 403),
    asAliceCase('edits a connection', 'PUT', (w) => `/api/v4/oauth/outgoing_connections/${w.connectionId}`, 403, (w) => ({ id: w.connectionId, oauth_token_url: 'https://evil.test/token' })),
    asAliceCase('deletes a connection', 'DELETE', (w) => `/api/v4/oauth/outgoing_connections/${w.connectionId}`, 403),
    asAliceCase("validates with a connection's stored secret", 'POST', () => '/api/v4/oauth/outgoing_connections/validate', 403, (w) => ({ id: w.connectionId, oauth_token_url: 'https://evil.test/token' })),
    asAliceCase('patches the configuration', 'PUT', () => '/api/v4/config/patch', 403, () => ({ ServiceSettings: { EnableOnlyAdminIntegrations: true } })),
    asAliceCase('reads the configuration', 'GET', () => '/api/v4/config', 403),
    asAliceCase('creates a user', 'POST', () => '/api/v4/users', 403, () => ({ username: 'mallory', email: 'm@example.com', password: 'mallory-password' })),
    {
      name: "alice's app session stores the app's remote settings (needs manage_system)",
      request: (w) => ({ method: 'POST', path: '/plugins/oauth-plugin/api/v1/oauth2/app', headers: { authorization: `Bearer ${w.aliceAppToken}`, 'content-type': 'application/json' }, body: json({ client_id: 'evil', client_secret: 'evil' }) }),
      status: 403, expect: forbidden,
    },
    {
      name: "the app store refuses alice's own session token (not an app session)",
      request: (w) => ({ method: 'GET', path: '/plugins/oauth-plugin/api/v1/oauth2/context', headers: asAlice(w) }),
      status: 401, expect: MM('app.apps_oauth2.not_app_session.app_error'),
    },
    {
      name: 'an OAuth token cannot approve consent (Mattermost)',
      request: (w) => ({ method: 'POST', path: '/oauth/authorize', headers: { authorization: `Bearer ${w.tokens.access}`, 'content-type': 'application/json' }, body: json({ client_id: w.adminApp.id, response_type: 'code', redirect_uri: CALLBACK }) }),
      status: 403, expect: MM(),
    },
  ];
}

// ---- 8. Cookie-authenticated writes without the CSRF token

function csrfCases(): Case[] {
  const writes: [string, string, (w: World) => string, (w: World) => unknown][] = [
    ['approve consent', 'POST', () => '/oauth/authorize', (w) => ({ client_id: w.adminApp.id, response_type: 'code', redirect_uri: CALLBACK })],
    ['deauthorize', 'POST', () => '/oauth/deauthorize', (w) => ({ client_id: w.trustedApp.id })],
    ['create an app', 'POST', () => '/api/v4/oauth/apps', () => ({ name: 'CSRF', homepage: 'https://a.example.com/', callback_urls: [CALLBACK] })],
    ['edit her app', 'PUT', (w) => `/api/v4/oauth/apps/${w.aliceApp.id}`, (w) => ({ id: w.aliceApp.id, name: 'CSRF', homepage: 'https://a.example.com/', callback_urls: [CALLBACK] })],
    ['delete her app', 'DELETE', (w) => `/api/v4/oauth/apps/${w.aliceApp.id}`, () => undefined],
    ['regenerate her secret', 'POST', (w) => `/api/v4/oauth/apps/${w.aliceApp.id}/regen_secret`, () => undefined],
    ['forget an app connection', 'DELETE', () => '/plugins/oauth-plugin/api/v1/oauth2/connections/com.example.hostile', () => undefined],
    ['create a command', 'POST', () => '/api/v4/commands', (w) => ({ team_id: w.teamId, trigger: 'csrf', url: 'https://hooks.example.com/x', method: 'P' })],
    ['run a command', 'POST', () => '/api/v4/commands/execute', (w) => ({ command: '/hostile', channel_id: w.channelId, team_id: w.teamId })],
    ['log out', 'POST', () => '/api/v4/users/logout', () => undefined],
  ];
  return writes.map(([name, method, path, body]): Case => ({
    name: `a cookie session without the CSRF token: ${name}`,
    request: (w) => { const b = body(w); return { method, path: path(w), headers: aliceCookie(w, false), body: b === undefined ? undefined : json(b) }; },
    status: 401,
    expect: MM('api.context.session_expired.app_error'),
  }));
}

// ---- 9. Markup in every field that is shown back

function markupCases(): Case[] {
  const markup = '"><img src=x onerror=alert(1)><script>alert(2)</script>';
  return [
    authorizeCase('markup in the state of an error', (w) => ({ client_id: w.adminApp.id, redirect_uri: `${CALLBACK}${markup}` }), 400, PAGE, ['<img src=x', '<script>alert(2)']),
    authorizeCase('markup in response_type', (w) => ({ client_id: w.adminApp.id, redirect_uri: CALLBACK, response_type: markup }), 302, { kind: 'error-redirect', to: CALLBACK }, ['<img src=x']),
    {
      name: 'markup in a callback URL is refused and not echoed raw',
      request: (w) => ({ method: 'POST', path: '/api/v4/oauth/apps', headers: asAdmin(w), body: json({ name: 'T', homepage: 'https://a.example.com/', callback_urls: [`https://a.example.com/${markup}`] }) }),
      status: 400, expect: MM('model.oauth.is_valid.callback.app_error'), shownBack: ['<img src=x', '<script>'],
    },
    {
      name: 'markup in the app store connect path',
      request: (w) => ({ method: 'GET', path: `/plugins/oauth-plugin/apps/${encodeURIComponent('<script>x')}/oauth2/remote/connect`, headers: { cookie: w.aliceBrowser.cookieHeader } }),
      status: 404, expect: MM(), shownBack: ['<script>'],
    },
    {
      name: 'markup in a connect completion error',
      request: (w) => ({ method: 'GET', path: '/plugins/oauth-plugin/apps/com.example.hostile/oauth2/remote/complete', query: `state=made-up&error=${encodeURIComponent(markup)}`, headers: { cookie: w.aliceBrowser.cookieHeader } }),
      status: 403, expect: PAGE, shownBack: ['<img src=x', '<script>alert(2)'],
    },
    {
      name: 'markup in the login page target',
      request: () => ({ method: 'GET', path: '/login', query: `redirect_to=${encodeURIComponent(`/x${markup}`)}` }),
      status: 200, expect: { kind: 'html' }, shownBack: ['<img src=x', '<script>alert(2)'],
    },
  ];
}

// ---- 10. The holes found before, each a case of its own (those above cover the rest)

function holeCases(): Case[] {
  const moved = (w: World) => ({ id: w.connectionId, oauth_token_url: 'https://evil.test/token', client_secret: '' });
  return [
    {
      name: "hole 4: a connection's token URL moved to another server without its secret",
      request: (w) => ({ method: 'PUT', path: `/api/v4/oauth/outgoing_connections/${w.connectionId}`, headers: asAdmin(w), body: json(moved(w)) }),
      status: 400, expect: MM('model.outgoing_oauth_connection.is_valid.client_secret.error'),
    },
    {
      name: "hole 4: validating a connection's stored secret against another server",
      request: (w) => ({ method: 'POST', path: '/api/v4/oauth/outgoing_connections/validate', headers: asAdmin(w), body: json(moved(w)) }),
      status: 400, expect: MM('model.outgoing_oauth_connection.is_valid.client_secret.error'),
    },
    {
      name: 'hole 5: an app store settings body that is an array',
      request: (w) => ({ method: 'POST', path: '/plugins/oauth-plugin/api/v1/oauth2/app', headers: asApp(w), body: '[]' }),
      status: 400, expect: MM('api.context.invalid_param.app_error'),
    },
    {
      name: "hole 5: a user id of 200 characters in a user's authorized apps",
      request: (w) => ({ method: 'GET', path: `/api/v4/users/${'a'.repeat(200)}/oauth/apps/authorized`, headers: asAdmin(w) }),
      status: 400, expect: MM('api.context.invalid_url_param.app_error'),
    },
    {
      name: 'hole 10: a wrong password is refused; only the attempt is counted',
      request: () => ({ method: 'POST', path: '/api/v4/users/login', headers: { 'content-type': 'application/json' }, body: json({ login_id: 'alice', password: 'not-her-password' }) }),
      status: 401, expect: MM(), ignoreColumns: LOGIN_COUNT,
    },
  ];
}

// ---- 11. Internal addresses in every spelling, as token URLs

const INTERNAL_URLS = [
  'http://127.0.0.1:9/token', 'http://127.1:9/token', 'http://2130706433:9/token', 'http://0x7f000001:9/token', 'http://0177.0.0.1:9/token',
  'http://localhost:9/token', 'http://[::1]:9/token', 'http://[::127.0.0.1]:9/token', 'http://[::ffff:127.0.0.1]:9/token',
  'http://[::ffff:7f00:1]:9/token', 'http://[64:ff9b::7f00:1]:9/token', 'http://[2002:7f00:1::1]:9/token', 'http://169.254.169.254/latest',
  'http://10.0.0.1/token', 'http://192.168.1.1/token', 'http://[fe80::1]/token', 'http://[fc00::1]/token', 'http://0.0.0.0:9/token',
  'http://100.64.0.1/token', 'http://[::]:9/token',
];

function ssrfCases(): Case[] {
  return INTERNAL_URLS.map((url): Case => ({
    name: `validate a connection whose token URL is ${url}`,
    request: (w) => ({
      method: 'POST', path: '/api/v4/oauth/outgoing_connections/validate', headers: asAdmin(w),
      body: json({ name: 'SSRF', client_id: 'c', client_secret: 's', oauth_token_url: url, grant_type: 'client_credentials', audiences: ['https://ssrf.example.com/'] }),
    }),
    status: 502,
    expect: MM('app.outgoing_oauth_connection.validate.token_error.app_error'),
  }));
}


// ---- Client ID Metadata Documents: URLs that are not what they look like, and internal addresses

/** client_id URLs refused before or by the fetch: each a page, nothing fetched is kept. */
const DOCUMENT_URL_TRICKS: [string, string, number][] = [
  ['on a loopback address', 'https://127.0.0.1:9/client.json', 400],
  ['on loopback IPv6', 'https://[::1]:9/client.json', 400],
  ['on a private address', 'https://10.0.0.1/client.json', 400],
  ['on the cloud metadata address', 'https://169.254.169.254/latest/meta-data', 400],
  ['on loopback in hex', 'https://0x7f.0.0.1/client.json', 400],
  ['with a fragment', 'https://client.example.com/client.json#x', 400],
  ['with user info', 'https://me:pw@client.example.com/client.json', 400],
  ['with a dot segment', 'https://client.example.com/a/../client.json', 400],
  ['with an encoded dot segment', 'https://client.example.com/a/%2e%2e/client.json', 400],
  ['without a path', 'https://client.example.com/', 400],
  ['with markup', 'https://client.example.com/<script>alert(1)</script>', 400],
  ['over plain http', 'http://client.example.com/client.json', 404],
];

function documentCases(): Case[] {
  return DOCUMENT_URL_TRICKS.flatMap(([what, clientId, status]): Case[] => [
    authorizeCase(`a client metadata document ${what}`, () => ({ response_type: 'code', client_id: clientId, redirect_uri: CALLBACK }), status, PAGE, ['<script>']),
    formCase(`/oauth/access_token: a client metadata document ${what}`, '/oauth/access_token', () => `grant_type=authorization_code&code=x&client_id=${encodeURIComponent(clientId)}`, 401, 'invalid_client'),
  ]);
}

const ALL: Case[] = [
  ...jsonCases(), ...textCases(), ...tokenCases(), ...authorizeCases(), ...registrationCases(), ...idCases(), ...othersCases(),
  ...csrfCases(), ...markupCases(), ...holeCases(), ...ssrfCases(), ...documentCases(),
];

describe(`hostile input: ${ALL.length} cases, each refused with a clear error and nothing stored`, () => {
  let w: World;
  before(async () => {
    w = await startWorld();
  });
  after(async () => {
    await w.server.close();
  });

  it('has at least 300 cases', () => {
    assert.ok(ALL.length >= 300, `${ALL.length}`);
    assert.equal(new Set(ALL.map((c) => c.name)).size, ALL.length, 'case names are unique');
  });

  for (const c of ALL) {
    it(c.name, async () => {
      const before = snapshot(w.server.dbFile, c.ignoreColumns ?? null);
      const reply = await send(w, c.request(w));
      assertRefused(reply, c.status, c.expect, c.shownBack);
      assert.equal(snapshot(w.server.dbFile, c.ignoreColumns ?? null), before, 'nothing stored changed');
    });
  }

  it('the internal-address refusals name the policy, not a failed connection', async () => {
    const reply = await send(w, ssrfCases()[7].request(w));
    assert.match(reply.text, /AllowedUntrustedInternalConnections/);
  });

  it('hole 3: after login, a redirect target that leaves the site lands on the default page', async () => {
    // As sent in the query string: %09 is a tab, which browsers drop from /<tab>/evil.example.
    for (const target of ['/%09/evil.example', '//evil.example', '/%5Cevil.example', 'https%3A%2F%2Fevil.example%2F', '/.//evil.example', '/%0d%0a/evil.example']) {
      const before = snapshot(w.server.dbFile);
      const reply = await send(w, { method: 'GET', path: '/login', query: `redirect_to=${target}`, headers: { cookie: w.aliceBrowser.cookieHeader } });
      assert.equal(reply.status, 302, target);
      assert.equal(reply.headers.get('location'), '/', target);
      assert.equal(snapshot(w.server.dbFile), before);
    }
  });

  it("hole 7: a deactivated user's token is invalid for introspection as for the API", async () => {
    const bob = { username: 'bob', email: 'bob@example.com', password: 'bob-password-12' };
    const created = (await w.admin.createUser(bob as never, '', '')) as unknown as { id: string };
    const browser = await loginBrowser(w.url, bob.username, bob.password);
    const code = await authorizationCode(browser, w.trustedApp.id);
    const token = (await exchangeCode(w.url, w.trustedApp, code)).body.access_token as string;
    const introspect = () => postForm(w.url, '/oauth/introspect', { token, client_id: w.trustedApp.id, client_secret: w.trustedApp.client_secret });
    assert.equal((await introspect()).body.active, true);
    await w.admin.updateUserActive(created.id, false);
    assert.deepEqual((await introspect()).body, { active: false });
    const me = await fetch(`${w.url}/api/v4/users/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 401);
  });
});

// Replays change something on purpose (RFC 6749 §4.1.2, RFC 9700 §4.14.2): what they change is
// checked here.
describe('hostile input: replays revoke what they would reuse', () => {
  let w: World;
  before(async () => {
    w = await startWorld();
  });
  after(async () => {
    await w.server.close();
  });

  const me = async (token: string) => (await fetch(`${w.url}/api/v4/users/me`, { headers: { authorization: `Bearer ${token}` } })).status;

  it('a code replayed by its own client is refused and revokes what it issued', async () => {
    assert.equal(await me(w.tokens.access), 200);
    const again: JsonResponse = await exchangeCode(w.url, w.trustedApp, w.usedCode);
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');
    assert.equal(await me(w.tokens.access), 401);
  });

  it('a rotated refresh token replayed revokes the whole grant', async () => {
    const { verifier, challenge } = pkcePair();
    const code = await authorizationCode(w.aliceBrowser, w.trustedApp.id, { code_challenge: challenge, code_challenge_method: 'S256' });
    const first = await exchangeCode(w.url, w.trustedApp, code, { code_verifier: verifier });
    const refresh = (token: string) => postForm(w.url, TOKEN, { grant_type: 'refresh_token', refresh_token: token, client_id: w.trustedApp.id, client_secret: w.trustedApp.client_secret });
    const second = await refresh(first.body.refresh_token as string);
    assert.equal(second.status, 200);
    const replayed = await refresh(first.body.refresh_token as string);
    assert.equal(replayed.status, 400);
    assert.equal(replayed.body.error, 'invalid_grant');
    assert.equal(await me(second.body.access_token as string), 401, 'the rotated grant is gone');
  });
});
