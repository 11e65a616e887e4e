// MCP end to end with the official TypeScript SDK (@modelcontextprotocol/sdk) on both sides: two
// real MCP servers protected by the plugin, one beside the chat server (its own loopback origin)
// and one under the SiteURL; an SDK client that starts with nothing, follows the 401 through
// RFC 9728 discovery, registers itself (RFC 7591), sends the user to consent in headless Chromium,
// exchanges the code with `resource` (RFC 8707) and calls a tool. Then audience binding: a token is
// good only at the resource it was issued for.
import { auth, UnauthorizedError, type OAuthClientProvider, type OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Request, RequestHandler, Response } from 'express';
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  CALLBACK, USER, authorizationCode, closeServer, createProtectedResource, exchangeCode, getAuthorize, introspectAs,
  listenOnLoopback, meStatus, startProvider, type ProtectedResource, type ProviderServer,
} from './helpers.js';
import { approveInBrowser, launchBrowser, newPage, screenshot } from './webapp-helpers.js';

const SCOPE = 'mcp:tools';

/** The part of an RFC 7662 answer the MCP servers read. */
interface Introspection {
  active: boolean;
  client_id?: string;
  scope?: string;
  exp?: number;
  username?: string;
  aud?: string[];
}

/**
 * An MCP server (McpServer over a stateless StreamableHTTPServerTransport, one tool) at `/mcp`,
 * behind the SDK's bearer middleware; its verifier asks the chat server about each token with the
 * resource's own credentials. It listens before it is registered: its identifier names its port.
 */
class McpResourceServer {
  /** `METHOD path` of every request that reached this server, in order. */
  readonly requests: string[] = [];
  url = '';
  private readonly server: http.Server;
  private resource?: ProtectedResource;
  private bearer?: RequestHandler;

  constructor(private readonly introspectionBase: () => string) {
    const app = createMcpExpressApp();
    app.use((req, _res, next) => {
      this.requests.push(`${req.method} ${req.path}`);
      next();
    });
    // RFC 9728 §3.1: a resource beside the chat server serves its own document (the one the
    // plugin keeps for it); under the SiteURL the plugin serves it, and the proxy sends it there.
    app.get('/.well-known/oauth-protected-resource/mcp', (_req, res) => {
      if (!this.resource || this.resource.metadata_url) return void res.status(404).end();
      res.json(this.resource.metadata);
    });
    app.all('/mcp', (req, res, next) => this.bearer!(req, res, next), (req, res) => void this.serve(req, res));
    this.server = http.createServer(app);
  }

  async listen(): Promise<void> {
    this.url = await listenOnLoopback(this.server);
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  /** From now on, tokens are checked for `resource`, and 401s point at `metadataUrl`. */
  protect(resource: ProtectedResource, metadataUrl: string): void {
    this.resource = resource;
    this.bearer = requireBearerAuth({
      verifier: { verifyAccessToken: (token) => this.introspect(resource, token) },
      resourceMetadataUrl: metadataUrl,
      // Belt and braces: the introspection's audience must name this server.
      expectedResource: new URL(resource.identifier),
    });
  }

  private async introspect(resource: ProtectedResource, token: string): Promise<AuthInfo> {
    const answer = await introspectAs(this.introspectionBase(), resource, token);
    if (answer.status !== 200) throw new Error(`introspection answered ${answer.status}`);
    const found = answer.body as unknown as Introspection;
    if (!found.active) throw new InvalidTokenError('The token is not valid for this resource');
    return {
      token,
      clientId: found.client_id ?? '',
      scopes: (found.scope ?? '').split(' '),
      expiresAt: found.exp,
      resource: found.aud?.includes(resource.identifier) ? new URL(resource.identifier) : undefined,
      extra: { username: found.username, aud: found.aud },
    };
  }

  /** Stateless Streamable HTTP: a server and a transport for each request, as the SDK's examples do. */
  private async serve(req: Request, res: Response): Promise<void> {
    const mcp = new McpServer({ name: 'whoami-server', version: '1.0.0' });
    mcp.registerTool('whoami', { description: 'The chat user the access token acts for' }, (extra) => ({
      content: [{ type: 'text', text: JSON.stringify(extra.authInfo?.extra ?? {}) }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => void mcp.close());
    await mcp.connect(transport);
    await transport.handleRequest(req, res, req.body);
  }
}

/**
 * The SiteURL's origin: a reverse proxy that sends `/mcp…` to an MCP server and everything else
 * to the chat server. This is how an MCP server lives "under" a chat server in practice (nginx in
 * front of Mattermost); the host itself cannot mount another application, and need not. The Host
 * header is kept, as `proxy_set_header Host $host` does.
 */
async function startProxy(chatUrl: string, mcpUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    const upstream = new URL(path, /^\/mcp([/?]|$)/.test(path) ? mcpUrl : chatUrl);
    const forward = http.request(upstream, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      res.flushHeaders(); // an SSE stream's headers go at once, as with nginx's proxy_buffering off
      answer.pipe(res);
    });
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  const url = await listenOnLoopback(server);
  return { url, close: () => closeServer(server) };
}

/** An MCP client's OAuth state, kept in memory (a desktop client would keep it on disk). */
class MemoryOAuthClient implements OAuthClientProvider {
  authorizationUrl?: URL;
  discovery?: OAuthDiscoveryState;
  private info?: OAuthClientInformationMixed;
  private saved?: OAuthTokens;
  private verifier = '';

  get redirectUrl(): string {
    return CALLBACK;
  }

  // A public client, as MCP desktop clients are: PKCE, no secret.
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'MCP test client', redirect_uris: [CALLBACK], grant_types: ['authorization_code'],
      response_types: ['code'], token_endpoint_auth_method: 'none',
    };
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.info;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.info = info;
  }

  tokens(): OAuthTokens | undefined {
    return this.saved;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }

  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    return this.verifier;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }
}

/** One request the SDK client sent: `METHOD url → status`, and the form it posted, if any. */
interface Sent {
  line: string;
  form: URLSearchParams;
}

/** A fetch for the SDK that writes down every request it makes, in order. */
function recordingFetch(log: Sent[]): FetchLike {
  return async (url, init) => {
    const sent: Sent = { line: `${init?.method ?? 'GET'} ${url}`, form: new URLSearchParams(init?.body instanceof URLSearchParams ? init.body : '') };
    log.push(sent);
    const res = await fetch(url, init);
    sent.line += ` → ${res.status}`;
    return res;
  };
}

/** The whoami tool's answer. */
async function whoami(client: McpClient): Promise<{ username?: string; aud?: string[] }> {
  const result = await client.callTool({ name: 'whoami' });
  const [content] = result.content as { type: string; text: string }[];
  assert.equal(content.type, 'text');
  return JSON.parse(content.text) as { username?: string; aud?: string[] };
}

/**
 * The SDK client from nothing to a working connection: the first connect meets the 401 and ends
 * at the consent redirect; the user approves in the browser; finishAuth exchanges the code; the
 * second connect carries the token.
 */
async function connectThroughConsent(mcpUrl: string, page: Page, resource: ProtectedResource, screenshotName: string): Promise<{ oauth: MemoryOAuthClient; log: Sent[]; client: McpClient }> {
  const oauth = new MemoryOAuthClient();
  const log: Sent[] = [];
  const transport = () => new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: oauth, fetch: recordingFetch(log) });
  const first = transport();
  await assert.rejects(new McpClient({ name: 'mcp-e2e', version: '1.0.0' }).connect(first), UnauthorizedError);
  assert.ok(oauth.authorizationUrl, 'the SDK sent the user to the authorization endpoint');
  const back = await approveInBrowser(page, oauth.authorizationUrl, CALLBACK, USER, async (consent) => {
    // The screen says what the token is for: the resource by name and identifier, and its scope.
    assert.match(await consent.locator('#resources').innerText(), new RegExp(`^${resource.name} ${resource.identifier}$`));
    assert.match(await consent.locator('body').innerText(), new RegExp(`will be able to use the permissions ${SCOPE}\\.`));
    await screenshot(consent, screenshotName);
  });
  await first.finishAuth(back.searchParams.get('code') ?? '');
  const client = new McpClient({ name: 'mcp-e2e', version: '1.0.0' });
  await client.connect(transport());
  return { oauth, log, client };
}

/** A JSON-RPC initialize request with a bearer token, as any MCP client sends it first. */
async function initializeWith(mcpUrl: string, token: string): Promise<globalThis.Response> {
  const res = await fetch(mcpUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1.0.0' } },
    }),
  });
  await res.body?.cancel();
  return res;
}

describe('MCP servers of the official SDK, authorized by the plugin (SDK client, Chromium consent)', () => {
  let p: ProviderServer;
  let proxy: { url: string; close(): Promise<void> };
  let site = '';
  const beside = new McpResourceServer(() => site);
  const under = new McpResourceServer(() => site);
  let besideResource: ProtectedResource;
  let underResource: ProtectedResource;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const tokens: Record<'beside' | 'under', string> = { beside: '', under: '' };

  before(async () => {
    p = await startProvider({ EnableDynamicClientRegistration: true });
    await beside.listen();
    await under.listen();
    proxy = await startProxy(p.server.url, under.url);
    site = proxy.url;
    await p.admin.patchConfig({ ServiceSettings: { SiteURL: site } } as never);

    besideResource = await createProtectedResource(site, p.admin, { identifier: `${beside.url}/mcp`, name: 'Beside MCP', scopes: [SCOPE] });
    assert.equal(besideResource.metadata_url, '', 'another origin: the MCP server serves its own metadata');
    beside.protect(besideResource, `${beside.url}/.well-known/oauth-protected-resource/mcp`);
    underResource = await createProtectedResource(site, p.admin, { identifier: `${site}/mcp`, name: 'Under MCP', scopes: [SCOPE] });
    assert.equal(underResource.metadata_url, `${site}/.well-known/oauth-protected-resource/mcp`);
    under.protect(underResource, underResource.metadata_url);

    browser = await launchBrowser();
    ({ context, page } = await newPage(browser, site));
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await proxy?.close();
    await beside.close();
    await under.close();
    await p?.server.close();
  });

  /** The whole SDK flow against one MCP server, with what must be true of every step. */
  async function fullFlow(mcpUrl: string, resource: ProtectedResource, metadataUrl: string): Promise<string> {
    const without = await fetch(mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(without.status, 401);
    assert.match(without.headers.get('www-authenticate') ?? '', new RegExp(`^Bearer .*resource_metadata="${metadataUrl}"$`));
    await without.body?.cancel();

    const { oauth, log, client } = await connectThroughConsent(mcpUrl, page, resource, `consent-mcp-${resource.name.split(' ')[0].toLowerCase()}`);
    const lines = log.map((s) => s.line);
    // RFC 9728 first and only: the metadata URL from the 401, then the issuer it names. No root
    // or legacy fallback (`/.well-known/oauth-authorization-server` on the MCP server's origin).
    assert.deepEqual(lines.slice(0, 4), [
      `POST ${mcpUrl} → 401`,
      `GET ${metadataUrl} → 200`,
      `GET ${site}/.well-known/oauth-authorization-server → 200`,
      `POST ${site}/api/v4/oauth/apps/register → 201`,
    ], lines.join('\n'));
    assert.deepEqual(oauth.discovery?.resourceMetadata, resource.metadata, 'the SDK read the resource\'s own document');
    assert.equal(oauth.discovery?.authorizationServerUrl, site);

    const authorize = oauth.authorizationUrl!;
    assert.equal(`${authorize.origin}${authorize.pathname}`, `${site}/oauth/authorize`);
    assert.equal(authorize.searchParams.get('resource'), resource.identifier);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorize.searchParams.get('scope'), SCOPE);

    const exchange = log.find((s) => s.line.startsWith(`POST ${site}/oauth/access_token `));
    assert.ok(exchange, lines.join('\n'));
    assert.match(exchange.line, / → 200$/);
    assert.equal(exchange.form.get('resource'), resource.identifier, 'the SDK names the MCP server at the token endpoint');
    assert.ok(exchange.form.get('code_verifier'));
    assert.equal(lines.filter((l) => l.includes('/.well-known/')).length, 2, 'one document of each kind, no second tries');

    assert.deepEqual(await whoami(client), { username: USER.username, aud: [resource.identifier] });
    await client.close();
    if (process.env.HOST_TEST_LOGS) console.log(`SDK requests for ${mcpUrl}:\n  ${log.map((s) => s.line).join('\n  ')}`);

    const token = (await oauth.tokens())!.access_token;
    const introspected = await introspectAs(site, resource, token);
    assert.equal(introspected.body.active, true);
    assert.deepEqual(introspected.body.aud, [resource.identifier]);
    assert.equal(introspected.body.scope, SCOPE);
    return token;
  }

  it('beside the chat server: its own RFC 9728 document, DCR, consent, token for it, tool call', { timeout: 60_000 }, async () => {
    tokens.beside = await fullFlow(`${beside.url}/mcp`, besideResource, `${beside.url}/.well-known/oauth-protected-resource/mcp`);
    assert.ok(beside.requests.includes('GET /.well-known/oauth-protected-resource/mcp'));
  });

  it('under the SiteURL: the plugin\'s path-inserted document, DCR, consent, token for it, tool call', { timeout: 60_000 }, async () => {
    tokens.under = await fullFlow(`${site}/mcp`, underResource, underResource.metadata_url);
    assert.ok(!under.requests.some((r) => r.includes('.well-known')), 'the plugin, not the MCP server, served the metadata');
  });

  it('a token is good only at its own resource: the other MCP server and the chat API refuse it', async () => {
    assert.ok(tokens.beside && tokens.under, 'the flows above ran');
    for (const [token, mcpUrl, other] of [
      [tokens.beside, `${site}/mcp`, underResource],
      [tokens.under, `${beside.url}/mcp`, besideResource],
    ] as const) {
      assert.deepEqual((await introspectAs(site, other, token)).body, { active: false });
      const refused = await initializeWith(mcpUrl, token);
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
      assert.equal(await meStatus(site, token), 401);
    }
  });

  it('a token from a Mattermost-style flow (no resource) works on the chat API and at neither MCP server', async () => {
    const app = await p.admin.createOAuthApp({ name: 'Plain app', description: '', homepage: 'http://127.0.0.1:9/', callback_urls: [CALLBACK], is_trusted: true });
    const exchanged = await exchangeCode(p.server.url, app, await authorizationCode(p.browser, app.id));
    assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
    const token = exchanged.body.access_token as string;
    assert.equal(await meStatus(site, token), 200);
    for (const [mcpUrl, resource] of [[`${beside.url}/mcp`, besideResource], [`${site}/mcp`, underResource]] as const) {
      assert.deepEqual((await introspectAs(site, resource, token)).body, { active: false });
      assert.equal((await initializeWith(mcpUrl, token)).status, 401);
    }
  });

  it('a resource that names nothing registered is invalid_target, at the authorization and the token endpoint', async () => {
    const app = await p.admin.createOAuthApp({ name: 'Target app', description: '', homepage: 'http://127.0.0.1:9/', callback_urls: [CALLBACK], is_trusted: true });
    const nothing = `${beside.url}/not-registered`;
    const redirected = await getAuthorize(p.browser, { response_type: 'code', client_id: app.id, redirect_uri: CALLBACK, state: 'st', resource: nothing });
    assert.equal(redirected.status, 302);
    const back = new URL(redirected.headers.get('location')!);
    assert.equal(back.searchParams.get('error'), 'invalid_target');
    assert.equal(back.searchParams.get('state'), 'st');
    assert.equal(back.searchParams.get('code'), null);

    const code = await authorizationCode(p.browser, app.id, { resource: besideResource.identifier });
    const refused = await exchangeCode(p.server.url, app, code, { resource: nothing });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error, 'invalid_target');
  });

  it('auth() alone, with no 401 to read, finds each document at its path-inserted well-known URL (RFC 9728 §3.1)', async () => {
    for (const [mcpUrl, metadataUrl, resource] of [
      [`${beside.url}/mcp`, `${beside.url}/.well-known/oauth-protected-resource/mcp`, besideResource],
      [`${site}/mcp`, underResource.metadata_url, underResource],
    ] as const) {
      const oauth = new MemoryOAuthClient();
      const log: Sent[] = [];
      assert.equal(await auth(oauth, { serverUrl: mcpUrl, fetchFn: recordingFetch(log) }), 'REDIRECT');
      assert.deepEqual(log.map((s) => s.line).slice(0, 2), [`GET ${metadataUrl} → 200`, `GET ${site}/.well-known/oauth-authorization-server → 200`]);
      assert.equal(oauth.authorizationUrl?.searchParams.get('resource'), resource.identifier);
    }
  });
});
