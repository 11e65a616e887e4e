// MCP clients connecting with no setup, end to end: the official MCP TypeScript SDK's client (its
// own `auth()`, through StreamableHTTPClientTransport) against two real MCP servers built with the
// SDK, one under the chat server's SiteURL and one beside it. The client starts without a token,
// gets the MCP server's 401, discovers the authorization server through RFC 9728, registers itself
// (RFC 7591), sends the user to consent in headless Chromium, exchanges the code for a token bound
// to that MCP server (RFC 8707) and calls a tool. Each MCP server checks tokens by introspecting them
// with its own protected-resource credentials.
//
// "Under the SiteURL" is how an operator serves an MCP server on the chat server's hostname: a
// reverse proxy in front of both. Here the proxy *is* the SiteURL's origin; it sends /mcp to the MCP
// server and everything else to the reference server.
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { basicAuth, CALLBACK, createUser, postForm, USER } from './helpers.js';
import { cookieHeader, screenshot, scriptErrors, startBrowserSession, submitLogin, type BrowserSession } from './webapp-helpers.js';

const RESOURCES = '/plugins/oauth-plugin/api/v1/resources';

function listen(server: http.Server): Promise<string> {
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

async function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
}

interface Registered { id: string; client_secret: string; identifier: string; metadata: Record<string, unknown>; metadata_url: string }

/**
 * An MCP server (the SDK's McpServer, stateless Streamable HTTP) at `path`, with one tool, `whoami`.
 * It answers 401 with the RFC 9728 challenge without an active token, and checks tokens at the
 * chat server's introspection endpoint with its own credentials. It records the paths it was asked.
 */
class McpResource {
  readonly seen: string[] = [];
  readonly server = http.createServer((req, res) => void this.handle(req, res).catch((e: Error) => res.writeHead(500).end(e.message)));
  url = '';
  resource?: Registered;

  constructor(private readonly introspectionUrl: () => string, private readonly metadataUrl: () => string) {}

  async start(): Promise<string> {
    this.url = await listen(this.server);
    return this.url;
  }

  private async introspect(token: string): Promise<Record<string, unknown>> {
    const { id, client_secret } = this.resource!;
    const reply = await postForm(this.introspectionUrl(), '', { token }, { authorization: basicAuth(id, client_secret) });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    this.seen.push(`${req.method} ${path}`);
    // Beside the chat server it serves its own metadata: the document its record carries.
    if (path === '/.well-known/oauth-protected-resource/mcp') {
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.resource!.metadata));
    }
    if (path !== '/mcp') return void res.writeHead(404).end();
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const introspection = token ? await this.introspect(token) : { active: false };
    if (introspection.active !== true) {
      const error = token ? 'error="invalid_token", ' : '';
      return void res.writeHead(401, { 'WWW-Authenticate': `Bearer ${error}resource_metadata="${this.metadataUrl()}"` }).end();
    }
    const mcp = new McpServer({ name: 'chat-test-mcp', version: '1.0.0' });
    mcp.registerTool('whoami', { description: 'Who the token is for' }, async () => ({
      content: [{ type: 'text', text: JSON.stringify({ username: introspection.username, aud: introspection.aud, scope: introspection.scope }) }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void transport.close());
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  }
}

/** The SiteURL's origin: /mcp to the MCP server under the SiteURL, the rest to the chat server. */
function reverseProxy(target: () => { chat: string; mcp: string }, seen: string[]): http.Server {
  return http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    seen.push(`${req.method} ${path}`);
    const upstream = new URL(req.url ?? '/', path === '/mcp' ? target().mcp : target().chat);
    const forwarded = http.request(upstream, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', (e) => res.writeHead(502).end(e.message));
    req.pipe(forwarded);
  });
}

/** The MCP client's OAuth state, in memory, as the SDK asks for it; the authorization URL it is sent to is kept for the browser. */
class TestClientProvider implements OAuthClientProvider {
  information?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  authorizationUrl?: URL;

  get redirectUrl(): string {
    return CALLBACK;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Test MCP Client', redirect_uris: [CALLBACK], grant_types: ['authorization_code'],
      response_types: ['code'], token_endpoint_auth_method: 'none',
    };
  }

  clientInformation() { return this.information; }
  saveClientInformation(information: OAuthClientInformationMixed) { this.information = information; }
  tokens() { return this.saved; }
  saveTokens(tokens: OAuthTokens) { this.saved = tokens; }
  redirectToAuthorization(url: URL) { this.authorizationUrl = url; }
  saveCodeVerifier(verifier: string) { this.verifier = verifier; }
  codeVerifier() { return this.verifier; }
}

describe('MCP: the official SDK client against MCP servers under and beside the chat server', () => {
  const proxySeen: string[] = [];
  const targets = { chat: '', mcp: '' };
  const proxy = reverseProxy(() => targets, proxySeen);
  let site = '';
  let session: BrowserSession | undefined;
  let loggedIn = false;
  const tokens = new Map<string, OAuthTokens>();
  const under = new McpResource(() => `${site}/oauth/introspect`, () => `${site}/.well-known/oauth-protected-resource/mcp`);
  const beside: McpResource = new McpResource(() => `${site}/oauth/introspect`, (): string => `${beside.url}/.well-known/oauth-protected-resource/mcp`);

  before(async () => {
    site = await listen(proxy);
    targets.mcp = await under.start();
    await beside.start();
    session = await startBrowserSession({
      EnableOAuthServiceProvider: true, EnableDynamicClientRegistration: true,
      DCRRedirectURIAllowlist: [CALLBACK],
    }, { env: { MM_SERVICESETTINGS_SITEURL: site } });
    targets.chat = session.server.url;
    await createUser(session.server.url, session.admin, USER);
    const register = async (identifier: string, name: string): Promise<Registered> => {
      const reply = await fetch(`${site}${RESOURCES}`, {
        method: 'POST', headers: { authorization: `Bearer ${session!.admin.getToken()}` },
        body: JSON.stringify({ identifier, name, scopes: ['mcp:tools'] }),
      });
      assert.equal(reply.status, 201, await reply.clone().text());
      return (await reply.json()) as Registered;
    };
    under.resource = await register(`${site}/mcp`, 'Chat MCP');
    beside.resource = await register(`${beside.url}/mcp`, 'Docs MCP');
  });
  after(async () => {
    await session?.close(async () => {
      for (const server of [proxy, under.server, beside.server]) await close(server);
    });
  });

  /** The consent in the browser, for the authorization URL the SDK made: the code the client's redirect URI received. */
  async function consent(authorizationUrl: URL, resourceName: string, screenshotName?: string): Promise<string> {
    const { page } = session!;
    let callback: URL | undefined;
    await page.route(`${CALLBACK}**`, (route) => {
      callback = new URL(route.request().url());
      return route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the client' });
    });
    await page.goto(authorizationUrl.href);
    if (!loggedIn) {
      await page.waitForURL(/\/login\?redirect_to=/);
      await submitLogin(page, USER.username, USER.password);
      loggedIn = true;
    }
    await page.getByRole('heading', { name: 'Authorize Test MCP Client?' }).waitFor();
    const limited = await page.locator('#resources').innerText();
    assert.match(limited, new RegExp(resourceName), 'the consent screen names the resource');
    assert.match(await page.locator('body').innerText(), /will be able to use the permissions mcp:tools\./);
    if (screenshotName) await screenshot(page, screenshotName);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((u) => u.href.startsWith(CALLBACK), { waitUntil: 'commit' });
    await page.unroute(`${CALLBACK}**`);
    assert.ok(callback, 'the browser came back to the client');
    const code = callback.searchParams.get('code');
    assert.ok(code, `a code: ${callback.href}`);
    return code;
  }

  /** The SDK's whole flow for the MCP server at `url`: the tool's answer, after authorizing. */
  async function connectAndCall(url: string, resourceName: string, screenshotName?: string): Promise<Record<string, unknown>> {
    const provider = new TestClientProvider();
    const connect = async () => {
      const client = new McpClient({ name: 'test-mcp-client', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
      await client.connect(transport);
      return { client, transport };
    };
    const first = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
    const unauthorized = await new McpClient({ name: 'test-mcp-client', version: '1.0.0' }).connect(first).then(() => null, (e: unknown) => e);
    assert.ok(unauthorized instanceof UnauthorizedError, `no token yet: ${String(unauthorized)}`);
    assert.ok(provider.authorizationUrl, 'the SDK sent the user to authorize');
    assert.equal(provider.authorizationUrl.origin + provider.authorizationUrl.pathname, `${site}/oauth/authorize`);
    assert.equal(provider.authorizationUrl.searchParams.get('resource'), url, 'RFC 8707: the token is asked for this MCP server');
    assert.equal(provider.authorizationUrl.searchParams.get('code_challenge_method'), 'S256');
    await first.finishAuth(await consent(provider.authorizationUrl, resourceName, screenshotName));
    assert.ok(provider.saved?.access_token, 'the SDK holds a token');
    tokens.set(url, provider.saved);
    const { client } = await connect();
    try {
      const tools = await client.listTools();
      assert.deepEqual(tools.tools.map((t) => t.name), ['whoami']);
      const answer = await client.callTool({ name: 'whoami', arguments: {} });
      const [content] = answer.content as { type: string; text: string }[];
      return JSON.parse(content.text) as Record<string, unknown>;
    } finally {
      await client.close();
    }
  }

  it('under the SiteURL: discovers through the plugin\'s path-inserted metadata, registers, consents, calls the tool with a token for that server only', { timeout: 90_000 }, async () => {
    const identity = await connectAndCall(`${site}/mcp`, 'Chat MCP', 'consent-mcp-resource');
    assert.deepEqual(identity, { username: USER.username, aud: [`${site}/mcp`], scope: 'mcp:tools' });
    const discovery = proxySeen.filter((p) => p.startsWith('GET /.well-known/'));
    assert.equal(discovery[0], 'GET /.well-known/oauth-protected-resource/mcp', `RFC 9728 first, not the legacy fallback: ${discovery.join(', ')}`);
    assert.ok(discovery.includes('GET /.well-known/oauth-authorization-server'), discovery.join(', '));
    assert.ok(proxySeen.includes('POST /api/v4/oauth/apps/register'), 'it registered itself (RFC 7591)');
    assert.ok(proxySeen.includes('POST /oauth/access_token'));
    if (process.env.MCP_TEST_TRACE) console.log(proxySeen.join('\n'));
  });

  it('beside the chat server: discovers through the MCP server\'s own metadata and gets a token for it alone', { timeout: 90_000 }, async () => {
    const identity = await connectAndCall(`${beside.url}/mcp`, 'Docs MCP');
    assert.deepEqual(identity, { username: USER.username, aud: [`${beside.url}/mcp`], scope: 'mcp:tools' });
    assert.equal(beside.seen.find((p) => p.startsWith('GET /.well-known/')), 'GET /.well-known/oauth-protected-resource/mcp');
    assert.ok(!beside.seen.includes('GET /.well-known/oauth-authorization-server'), `no legacy fallback: ${beside.seen.join(', ')}`);
    if (process.env.MCP_TEST_TRACE) console.log(beside.seen.join('\n'));
  });

  it('a token is refused everywhere but at the server it was issued for', async () => {
    const forUnder = tokens.get(`${site}/mcp`)!.access_token;
    const forBeside = tokens.get(`${beside.url}/mcp`)!.access_token;
    const status = async (url: string, token: string) => (await fetch(url, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })).status;
    assert.equal(await status(`${site}/mcp`, forBeside), 401, 'the other MCP server\'s token');
    assert.equal(await status(`${beside.url}/mcp`, forUnder), 401);
    assert.equal(await status(`${site}/mcp`, forUnder), 200);
    for (const token of [forUnder, forBeside]) {
      const me = await fetch(`${site}/api/v4/users/me`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(me.status, 401, 'the chat API takes no token meant for an MCP server');
      assert.match(me.headers.get('www-authenticate') ?? '', /error="invalid_token", resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource"/);
    }
  });

  it('a resource that names nothing registered is invalid_target at the redirect URI, and issues nothing', async () => {
    const clientId = (await (await fetch(`${site}/api/v4/oauth/apps/register`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(new TestClientProvider().clientMetadata),
    })).json() as { client_id: string }).client_id;
    const query = new URLSearchParams({
      response_type: 'code', client_id: clientId, redirect_uri: CALLBACK, state: 's', resource: 'https://unknown.example.com/mcp',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    });
    const reply = await fetch(`${site}/oauth/authorize?${query}`, { redirect: 'manual', headers: { cookie: await cookieHeader(session!.context) } });
    assert.equal(reply.status, 302);
    const location = new URL(reply.headers.get('location')!);
    assert.equal(location.searchParams.get('error'), 'invalid_target', location.href);
    assert.equal(location.searchParams.get('code'), null);
    // A token request naming it is refused the same way.
    const refused = await postForm(site, '/oauth/access_token', { grant_type: 'authorization_code', code: 'x', client_id: clientId, resource: 'https://unknown.example.com/mcp' });
    assert.deepEqual([refused.status, refused.body.error], [400, 'invalid_target']);
    assert.deepEqual(scriptErrors(session!.page), []);
  });
});
