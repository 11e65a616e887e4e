// Helpers for outgoing-oauth.test.ts: oidc-provider (a real OAuth server nobody here wrote) as an
// integration's token server on loopback, with the client credentials grant and introspection; the
// body of a connection; and a host with the real plugin, an admin, a user and a command receiver.
import Provider from 'oidc-provider';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { commandBody, mainTeamAndChannel, startCommandReceiver, type CommandReceiver } from './command-helpers.js';
import { createAdmin, createUser, realPluginDir, startServer, type Client, type TestServer } from './helpers.js';
import { oidcEndpoints, type OidcEndpoints } from './oidc-helpers.js';

/** A client of the token server: what an outgoing connection authenticates with. */
export interface TokenClient {
  client_id: string;
  client_secret: string;
}

/** How long the token server's client credentials tokens live, in seconds. */
export const TOKEN_TTL_SECONDS = 600;

/** With `introspect` (as the client the token was issued to) and `close` from OidcEndpoints. */
export interface TokenServer extends OidcEndpoints {
  /** The issuer, e.g. http://127.0.0.1:43210. */
  url: string;
  /** Where the client credentials grant is asked for. */
  tokenUrl: string;
  /** The HTTP status of every request to the token endpoint, in order. */
  tokenStatuses: number[];
  /** Successful token requests so far. */
  issued(): number;
  /** Errors oidc-provider reported as server_error, so a test can show why a grant broke. */
  errors: unknown[];
}

/**
 * oidc-provider on a free loopback port with the client credentials grant (RFC 6749 §4.4),
 * `client_secret_post`, and introspection (RFC 7662). Without resource indicators it issues opaque
 * access tokens, which only its introspection endpoint can tell apart from noise.
 */
export async function startTokenServer(clients: TokenClient[]): Promise<TokenServer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(url, {
    clients: clients.map((c) => ({
      client_id: c.client_id, client_secret: c.client_secret, grant_types: ['client_credentials'], response_types: [],
      redirect_uris: [], token_endpoint_auth_method: 'client_secret_post',
    })),
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // A client may introspect only the tokens issued to it.
        allowedPolicy: (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId,
      },
    },
    ttl: { ClientCredentials: TOKEN_TTL_SECONDS },
  });
  const errors: unknown[] = [];
  provider.on('server_error', (_ctx, err) => errors.push(err));
  const tokenStatuses: number[] = [];
  const handle = provider.callback();
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.method === 'POST' && req.url === '/token') res.on('finish', () => tokenStatuses.push(res.statusCode));
    handle(req, res);
  });
  return {
    url,
    tokenUrl: `${url}/token`,
    tokenStatuses,
    issued: () => tokenStatuses.filter((s) => s === 200).length,
    errors,
    ...oidcEndpoints(url, server),
  };
}

/** A connection as Client4 sends it (Mattermost's OutgoingOAuthConnection JSON). */
export interface ConnectionBody {
  id?: string;
  name: string;
  client_id: string;
  client_secret: string;
  oauth_token_url: string;
  grant_type: string;
  credentials_username?: string;
  credentials_password?: string;
  audiences: string[];
  cache_tokens?: boolean;
}

/** What the server answers for a connection. */
export type Connection = Required<Omit<ConnectionBody, 'credentials_password'>> & {
  id: string;
  creator_id: string;
  create_at: number;
  update_at: number;
};

/** A valid client credentials connection for `client` at `tokenUrl`; `overrides` changes or removes (undefined) fields. */
export function connectionBody(name: string, client: TokenClient, tokenUrl: string, audiences: string[], overrides: Record<string, unknown> = {}): ConnectionBody {
  return {
    name, client_id: client.client_id, client_secret: client.client_secret, oauth_token_url: tokenUrl, grant_type: 'client_credentials',
    audiences, ...overrides,
  };
}

/** The bearer token of an Authorization header value, or a failure that shows the value. */
export function bearerToken(authorization: string | undefined): string {
  const match = /^Bearer ([A-Za-z0-9_~.+/=-]+)$/.exec(authorization ?? '');
  if (!match) throw new Error(`expected "Authorization: Bearer <token>", got ${JSON.stringify(authorization)}`);
  return match[1];
}

export interface OutgoingServer {
  server: TestServer;
  admin: Client;
  adminId: string;
  /** An ordinary user: may run commands, may not manage connections. */
  alice: Client;
  aliceId: string;
  teamId: string;
  channelId: string;
  receiver: CommandReceiver;
  tokens: TokenServer;
  /** Adds a custom command that POSTs to `path` on the receiver; returns it with its token. */
  addCommand(trigger: string, path: string): Promise<{ id: string; token: string }>;
  /** Runs a command line as alice in town-square. */
  run(line: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * The host with the real plugin, outgoing connections on and loopback allowed for its outbound
 * requests; an admin and a user; a command receiver; and a token server that knows `clients`.
 */
export async function startOutgoingServer(clients: TokenClient[], serviceSettings: Record<string, unknown> = {}): Promise<OutgoingServer> {
  const server = await startServer({ pluginDir: realPluginDir() });
  const { client: admin, id: adminId } = await createAdmin(server.url);
  const { client: alice, id: aliceId } = await createUser(server.url, admin);
  const { teamId, channelId } = await mainTeamAndChannel(alice);
  await admin.patchConfig({
    ServiceSettings: { EnableOutgoingOAuthConnections: true, AllowedUntrustedInternalConnections: '127.0.0.1', ...serviceSettings },
  } as never);
  const receiver = await startCommandReceiver();
  const tokens = await startTokenServer(clients);
  return {
    server, admin, adminId, alice, aliceId, teamId, channelId, receiver, tokens,
    addCommand: (trigger, path) => admin.addCommand(commandBody(teamId, `${receiver.url}${path}`, { trigger })) as Promise<{ id: string; token: string }>,
    run: (line) => alice.executeCommand(line, { channel_id: channelId, team_id: teamId }) as unknown as Promise<Record<string, unknown>>,
    async close() {
      await receiver.close();
      await tokens.close();
      await server.close();
    },
  };
}
