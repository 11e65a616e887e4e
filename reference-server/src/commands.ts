// Custom slash commands: Mattermost's rules (model/command.go), the JSON shapes Client4 expects,
// how a command line splits into trigger and text, and the CommandResponse an integration answers.
import { badRequest, invalidParam } from './errors.js';
import { isObject } from './http.js';
import { isValidId } from './ids.js';
import { isIntegrationUrl, MAX_INTEGRATION_URL } from './integration-urls.js';
import type { CommandFields, CommandRecord } from './store/store.js';

const MAX_TRIGGER = 128;
const MAX_URL = MAX_INTEGRATION_URL;

/** Each broken rule is a 400 whose id names the field, as Mattermost's Command.IsValid. */
const invalid = (field: string, why: string) => badRequest(`model.command.is_valid.${field}.app_error`, `Invalid ${field}: ${why}.`);

function text(body: Record<string, unknown>, field: string, max: number): string {
  const value = body[field] ?? '';
  if (typeof value !== 'string') throw invalid(field, 'must be a string');
  if (value.length > max) throw invalid(field, `must be at most ${max} characters`);
  return value;
}

/** Mattermost stores triggers lower-cased and lower-cases the typed one, so "/Weather" runs "weather". */
function trigger(body: Record<string, unknown>): string {
  const value = body.trigger ?? '';
  if (typeof value !== 'string' || value.length < 1 || value.length > MAX_TRIGGER) {
    throw invalid('trigger', `must be a string of 1 to ${MAX_TRIGGER} characters`);
  }
  if (value.startsWith('/')) throw invalid('trigger', 'must not begin with "/"');
  // Mattermost refuses spaces; any whitespace is refused here, since a typed command ends its trigger at one.
  if (/\s/.test(value)) throw invalid('trigger', 'must not contain spaces');
  return value.toLowerCase();
}

function url(body: Record<string, unknown>): string {
  const value = body.url ?? '';
  if (typeof value !== 'string' || value === '' || value.length > MAX_URL) throw invalid('url', `must be a URL of at most ${MAX_URL} characters`);
  if (!isIntegrationUrl(value)) {
    throw badRequest('model.command.is_valid.url_http.app_error', 'Invalid url: must be a valid http:// or https:// URL without credentials.');
  }
  return value;
}

function method(body: Record<string, unknown>): CommandRecord['method'] {
  const value = body.method;
  if (value !== 'P' && value !== 'G') throw invalid('method', 'must be "P" (POST) or "G" (GET)');
  return value;
}

function fields(body: Record<string, unknown>): CommandFields {
  const autoComplete = body.auto_complete ?? false;
  if (typeof autoComplete !== 'boolean') throw invalid('auto_complete', 'must be true or false');
  return {
    trigger: trigger(body), url: url(body), method: method(body),
    displayName: text(body, 'display_name', 64), description: text(body, 'description', 128),
    username: text(body, 'username', 64), iconUrl: text(body, 'icon_url', MAX_URL), autoComplete,
    autoCompleteDesc: text(body, 'auto_complete_desc', 1024), autoCompleteHint: text(body, 'auto_complete_hint', 1024),
  };
}

function object(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw invalidParam('command');
  return body;
}

/** The team a create or edit names; checked before the rest, since permissions depend on it. */
export function commandTeamId(body: unknown): string {
  const teamId = object(body).team_id;
  if (!isValidId(teamId)) throw invalid('team_id', 'must be a team id');
  return teamId;
}

/** The fields a creator chooses. Ids, token, creator and times come from the server, whatever the body says. */
export function parseCommandFields(body: unknown): CommandFields {
  return fields(object(body));
}

/** Mattermost's command JSON, token included (only those who manage the command see it). */
export function commandJson(c: CommandRecord): Record<string, unknown> {
  return {
    id: c.id, token: c.token, create_at: c.createAt, update_at: c.updateAt, delete_at: c.deleteAt,
    creator_id: c.creatorId, team_id: c.teamId, trigger: c.trigger, method: c.method, username: c.username,
    icon_url: c.iconUrl, auto_complete: c.autoComplete, auto_complete_desc: c.autoCompleteDesc,
    auto_complete_hint: c.autoCompleteHint, display_name: c.displayName, description: c.description, url: c.url,
    plugin_id: '',
  };
}

/** Mattermost's Command.Sanitize: what any team member may see of a command (for autocomplete). */
export function sanitizedCommandJson(c: CommandRecord): Record<string, unknown> {
  return { ...commandJson(c), token: '', creator_id: '', method: '', url: '', username: '', icon_url: '' };
}

export interface CommandArgs {
  /** The whole typed line, "/" included. */
  line: string;
  channelId: string;
  rootId: string;
}

/** POST /commands/execute's body. team_id is not read: the team is always the channel's. */
export function parseCommandArgs(body: unknown): CommandArgs {
  const args = isObject(body) ? body : {};
  const { command: line, channel_id: channelId, root_id: rootId = '' } = args;
  if (typeof line !== 'string' || line.length <= 1 || !line.startsWith('/') || !isValidId(channelId)) {
    throw badRequest('api.command.execute_command.start.app_error', 'No command trigger found: the command must begin with "/" and name a channel_id.');
  }
  if (rootId !== '' && !isValidId(rootId)) throw invalidParam('root_id');
  return { line, channelId, rootId: rootId as string };
}

/**
 * "/Trigger some text" → trigger "trigger" and text "some text": split at the first whitespace (which
 * is dropped), trigger lower-cased without its "/", as Mattermost's ExecuteCommand.
 */
export function parseCommandLine(line: string): { trigger: string; text: string } {
  const space = line.search(/\s/);
  const head = space < 0 ? line : line.slice(0, space);
  return { trigger: head.slice(1).toLowerCase(), text: space < 0 ? '' : line.slice(space + 1) };
}

type FieldKind = 'string' | 'boolean' | 'object' | 'array';

/** Mattermost's CommandResponse fields and their JSON types; anything else the integration sends is dropped. */
const RESPONSE_FIELDS: Record<string, FieldKind> = {
  response_type: 'string', text: 'string', username: 'string', channel_id: 'string', icon_url: 'string', type: 'string',
  props: 'object', goto_location: 'string', trigger_id: 'string', skip_slack_parsing: 'boolean', attachments: 'array',
  extra_responses: 'array',
};

function kindOf(value: unknown): FieldKind | 'other' {
  if (Array.isArray(value)) return 'array';
  if (isObject(value)) return 'object';
  if (typeof value === 'string') return 'string';
  return typeof value === 'boolean' ? 'boolean' : 'other';
}

/**
 * The integration's JSON answer as a CommandResponse. Throws an Error saying what is wrong when it
 * is not an object or a field has the wrong type (Mattermost fails to decode such an answer too).
 */
export function commandResponseFromJson(reply: unknown): Record<string, unknown> {
  if (!isObject(reply)) throw new Error('the response is not a JSON object');
  const response: Record<string, unknown> = {};
  for (const [field, kind] of Object.entries(RESPONSE_FIELDS)) {
    const value = reply[field];
    if (value === undefined || value === null) continue;
    if (kindOf(value) !== kind) throw new Error(`the response field "${field}" must be of type ${kind}`);
    response[field] = value;
  }
  return withDefaults(response);
}

/** As Mattermost: a reply that is not JSON is the text of an ephemeral response. */
export function commandResponseFromText(body: string): Record<string, unknown> {
  return withDefaults({ text: body });
}

/** An empty response_type means ephemeral to Mattermost's clients; it is said explicitly here. */
function withDefaults(response: Record<string, unknown>): Record<string, unknown> {
  return { ...response, response_type: response.response_type || 'ephemeral' };
}
