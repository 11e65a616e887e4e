// What every request handler gets: the request, its ids, and the server's services.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Authenticator, Session } from '../auth.js';
import type { ConfigService } from '../config-service.js';
import { forbidden, sessionExpired } from '../errors.js';
import type { Events } from '../events.js';
import type { Fetcher } from '../fetch.js';
import type { Logger } from '../log.js';
import { hasPermission, Permission } from '../permissions.js';
import type { PluginManager } from '../plugin.js';
import type { PluginFiles } from '../manifest.js';
import type { Params } from '../router.js';
import type { Clock, Store } from '../store/store.js';
import type { TriggerIds } from '../trigger-ids.js';

export interface Services {
  store: Store;
  config: ConfigService;
  auth: Authenticator;
  plugin: PluginManager;
  pluginFiles: PluginFiles;
  log: Logger;
  clock: Clock;
  /** Guarded outbound HTTP (slash commands, and the plugin through its host). */
  fetch: Fetcher;
  /** What the WebSocket tells the users connected to this node. */
  events: Events;
  /** Issues and checks the trigger ids that let an integration open a dialog. */
  triggerIds: TriggerIds;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  path: string;
  /** Raw query string, without "?". */
  rawQuery: string;
  query: URLSearchParams;
  services: Services;
  /** The client's address (behind a trusted proxy, the one it forwarded): for the plugin and the log. */
  remoteAddr: string;
  /** Set once the request is authenticated, for the request log line. */
  userId?: string;
  /** The store's durability generation when the request began (see Durability). */
  storeGeneration: number;
}

export interface ApiRequest extends RequestContext {
  params: Params;
  session: Session | null;
  json(): Promise<unknown>;
}

export type ApiHandler = (r: ApiRequest) => Promise<void>;

export interface ApiRoute {
  /** 'required': no valid session → 401. 'optional': the handler decides. */
  session: 'required' | 'optional';
  handler: ApiHandler;
}

export function requireSession(r: ApiRequest): Session {
  if (!r.session) throw sessionExpired();
  return r.session;
}

export function requirePermission(r: ApiRequest, permission: string): Session {
  const session = requireSession(r);
  if (!hasPermission(session.user.roles, permission, r.services.config.service)) throw forbidden();
  return session;
}

export function can(r: ApiRequest, permission: string): boolean {
  return !!r.session && hasPermission(r.session.user.roles, permission, r.services.config.service);
}

/** Mattermost's view_team: members of the team, and system admins. Others see no team at all. */
export async function mayViewTeam(r: ApiRequest, teamId: string): Promise<boolean> {
  return can(r, Permission.ManageSystem) || r.services.store.teams.isTeamMember(teamId, requireSession(r).user.id);
}

/** A team permission (manage_slash_commands, manage_outgoing_webhooks): the permission, and a view of the team. */
export async function canOnTeam(r: ApiRequest, permission: string, teamId: string): Promise<boolean> {
  return can(r, permission) && (await mayViewTeam(r, teamId));
}
