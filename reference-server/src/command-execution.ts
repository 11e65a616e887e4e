// Runs a custom slash command as Mattermost's DoCommandRequest: Mattermost's payload, form-encoded
// (or as the query of a GET), the Authorization header from the plugin's outgoing OAuth connections or
// else the command's own token, the host's guarded outbound HTTP, and the answer as a CommandResponse.
import { STATUS_CODES } from 'node:http';
import type { Services } from './api/context.js';
import { commandResponseFromJson, commandResponseFromText } from './commands.js';
import type { FetchResponse } from './contract.js';
import { ApiError } from './errors.js';
import { newId } from './ids.js';
import { errorMessage, type PluginManager } from './plugin.js';
import type { ChannelRecord, CommandRecord, TeamRecord, UserRecord } from './store/store.js';

export interface Invocation {
  command: CommandRecord;
  team: TeamRecord;
  channel: ChannelRecord;
  user: UserRecord;
  /** What followed the trigger. */
  text: string;
  rootId: string;
  siteUrl: string;
}

/** What of an integration's error body is shown back (it may be a whole HTML page). */
const MAX_ERROR_BODY = 500;

// Mattermost answers every failure of the integration with a 500; so does the host, with the reason in the message.
const failed = (c: CommandRecord, reason: string) =>
  new ApiError(500, 'api.command.execute_command.failed.app_error', `Command with a trigger of '${c.trigger}' failed: ${reason}.`);

const failedResponse = (c: CommandRecord, res: FetchResponse) =>
  new ApiError(500, 'api.command.execute_command.failed_resp.app_error',
    `Command with a trigger of '${c.trigger}' returned response ${res.status} ${STATUS_CODES[res.status] ?? ''}`.trimEnd() + '.',
    Buffer.from(res.body).toString('utf8').slice(0, MAX_ERROR_BODY));

const notSent = (c: CommandRecord, reason: string) =>
  new ApiError(500, 'api.command.execute_command.oauth_token.app_error',
    `Command with a trigger of '${c.trigger}' was not sent: no OAuth token could be had for its URL: ${reason}`);

/** Mattermost's payload. response_url has no route behind it yet (delayed responses are not supported). */
function payload(inv: Invocation, triggerId: string): URLSearchParams {
  return new URLSearchParams({
    token: inv.command.token, team_id: inv.team.id, team_domain: inv.team.name, channel_id: inv.channel.id,
    channel_name: inv.channel.name, user_id: inv.user.id, user_name: inv.user.username,
    command: `/${inv.command.trigger}`, text: inv.text, trigger_id: triggerId, root_id: inv.rootId,
    response_url: `${inv.siteUrl}/hooks/commands/${newId()}`,
  });
}

/**
 * The Authorization header for the command's URL. The plugin is what knows the outgoing OAuth
 * connections: its header wins, and null (no connection covers the URL) means the command's own token.
 * When the plugin cannot answer (not active, the connection's token server refused, a crash, a
 * timeout), the request is not sent at all: a URL that a connection covers never gets a request
 * without its token, and without the plugin nobody can tell whether one does.
 */
async function authorization(plugin: PluginManager, command: CommandRecord): Promise<string> {
  const own = `Token ${command.token}`;
  if (plugin.state !== 'active') throw notSent(command, `the OAuth plugin is not active (${plugin.state})`);
  let header: unknown;
  try {
    header = await plugin.call('authorizeOutgoingRequest', (p) => p.authorizeOutgoingRequest(command.url));
  } catch (err) {
    // A plugin error carries the plugin's own message (which connection, why) as the detail.
    throw notSent(command, err instanceof ApiError ? err.detailedError || err.message : errorMessage(err));
  }
  if (header === null || header === undefined) return own;
  if (typeof header !== 'string' || header === '' || /[\r\n]/.test(header)) throw notSent(command, 'the plugin gave an invalid Authorization value');
  return header;
}

function send(services: Services, command: CommandRecord, form: URLSearchParams, authorization: string): Promise<FetchResponse> {
  const headers: [string, string][] = [['Accept', 'application/json'], ['Authorization', authorization]];
  if (command.method === 'G') {
    // As Mattermost: the payload is appended to any query the command's URL already has.
    const url = new URL(command.url);
    url.search = [url.search.slice(1), form.toString()].filter(Boolean).join('&');
    return services.fetch({ method: 'GET', url: url.toString(), headers });
  }
  headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
  return services.fetch({ method: 'POST', url: command.url, headers, body: new TextEncoder().encode(form.toString()) });
}

/** As Mattermost's CommandResponseFromHTTPBody: JSON when the integration says so, else the body is the text. */
function commandResponse(command: CommandRecord, res: FetchResponse): Record<string, unknown> {
  const contentType = res.headers.find(([name]) => name === 'content-type')?.[1] ?? '';
  const body = Buffer.from(res.body).toString('utf8');
  if (contentType.split(';')[0].trim().toLowerCase() !== 'application/json') return commandResponseFromText(body);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw failed(command, 'the response says it is JSON but is not valid JSON');
  }
  try {
    return commandResponseFromJson(json);
  } catch (err) {
    throw failed(command, errorMessage(err));
  }
}

/** Runs the command and returns its CommandResponse; one log line per run, never with a token. */
export async function runCommand(services: Services, inv: Invocation): Promise<Record<string, unknown>> {
  const { command } = inv;
  const started = Date.now();
  let status: number | undefined;
  let outcome = 'ok';
  try {
    const triggerId = newId();
    const header = await authorization(services.plugin, command);
    let res: FetchResponse;
    try {
      res = await send(services, command, payload(inv, triggerId), header);
    } catch (err) {
      throw failed(command, errorMessage(err));
    }
    status = res.status;
    if (res.status !== 200) throw failedResponse(command, res);
    // As Mattermost, the trigger id in the answer is the one the integration was given.
    return { ...commandResponse(command, res), trigger_id: triggerId };
  } catch (err) {
    outcome = err instanceof ApiError ? err.id : 'error';
    throw err;
  } finally {
    services.log.log(outcome === 'ok' ? 'info' : 'warn', 'command executed', {
      command: command.id, trigger: command.trigger, status, outcome, ms: Date.now() - started,
    });
  }
}
