// Outgoing webhooks: Mattermost's rules (model/outgoing_webhook.go), the JSON shapes Client4
// expects, and which hooks a post triggers (app/webhook.go).
import { badRequest, invalidParam } from './errors.js';
import { isObject } from './http.js';
import { isValidId } from './ids.js';
import { isIntegrationUrl, MAX_INTEGRATION_URL } from './integration-urls.js';
import type { OutgoingWebhookFields, OutgoingWebhookRecord, PostRecord } from './store/store.js';

export const FORM = 'application/x-www-form-urlencoded';
export const JSON_TYPE = 'application/json';
/** Mattermost's bound on the trigger words, and on the callback URLs, each list as one string. */
const MAX_LIST = 1024;

/** Each broken rule is a 400 whose id names the field, as Mattermost's OutgoingWebhook.IsValid. */
const invalid = (field: string, why: string) => badRequest(`model.outgoing_hook.is_valid.${field}.app_error`, `Invalid ${field.replace('_', ' ')}: ${why}.`);

function text(body: Record<string, unknown>, field: string, max: number, id = `model.outgoing_hook.is_valid.${field}.app_error`): string {
  const value = body[field] ?? '';
  if (typeof value !== 'string' || value.length > max) throw badRequest(id, `Invalid ${field}: must be text of at most ${max} characters.`);
  return value;
}

function list(body: Record<string, unknown>, field: string): string[] {
  const value = body[field] ?? [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw invalid(field, 'must be a list of strings');
  return value as string[];
}

function triggerWords(body: Record<string, unknown>): string[] {
  const words = list(body, 'trigger_words');
  if (words.join(' ').length > MAX_LIST) throw invalid('words', `the trigger words must take at most ${MAX_LIST} characters`);
  // A word with a space can never be a post's first word; Mattermost's webapp splits on lines.
  if (words.some((w) => w === '' || /\s/.test(w))) throw invalid('trigger_words', 'each trigger word must be a word, not empty and without spaces');
  return words;
}

function callbackUrls(body: Record<string, unknown>): string[] {
  const urls = list(body, 'callback_urls');
  if (urls.length === 0 || urls.join(' ').length > MAX_LIST) throw invalid('callback', `give 1 or more callback URLs, at most ${MAX_LIST} characters in all`);
  if (!urls.every((u) => isIntegrationUrl(u, MAX_INTEGRATION_URL))) throw invalid('url', 'each callback URL must be a valid http:// or https:// URL without credentials');
  return urls;
}

function triggerWhen(body: Record<string, unknown>): 0 | 1 {
  const value = body.trigger_when ?? 0;
  if (value !== 0 && value !== 1) throw invalid('content_type', 'trigger_when must be 0 (first word matches exactly) or 1 (first word starts with)');
  return value;
}

function contentType(body: Record<string, unknown>): OutgoingWebhookFields['contentType'] {
  const value = body.content_type || FORM;
  if (value !== FORM && value !== JSON_TYPE) throw invalid('content_type', `content_type must be "${FORM}" or "${JSON_TYPE}"`);
  return value;
}

function object(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw invalidParam('outgoing_webhook');
  return body;
}

/** The team a create names; checked first, since permissions depend on it. */
export function webhookTeamId(body: unknown): string {
  const teamId = object(body).team_id;
  if (!isValidId(teamId)) throw invalid('team_id', 'must be a team id');
  return teamId;
}

/** The fields a creator chooses. Ids, token, creator, team and times come from the server, whatever the body says. */
export function parseWebhookFields(body: unknown): OutgoingWebhookFields {
  const b = object(body);
  const channelId = b.channel_id ?? '';
  if (channelId !== '' && !isValidId(channelId)) throw invalid('channel_id', 'must be empty or a channel id');
  const fields: OutgoingWebhookFields = {
    channelId: channelId as string, triggerWords: triggerWords(b), triggerWhen: triggerWhen(b), callbackUrls: callbackUrls(b),
    displayName: text(b, 'display_name', 64), description: text(b, 'description', 500), contentType: contentType(b),
    username: text(b, 'username', 64, 'model.outgoing_hook.username.app_error'),
    iconUrl: text(b, 'icon_url', MAX_INTEGRATION_URL, 'model.outgoing_hook.icon_url.app_error'),
  };
  if (fields.channelId === '' && fields.triggerWords.length === 0) {
    throw badRequest('api.webhook.create_outgoing.triggers.app_error', 'Either trigger_words or channel_id must be set.');
  }
  return fields;
}

/** Mattermost's: two hooks of one channel (or both team-wide) may not share a callback URL and a trigger word. */
export function intersects(a: OutgoingWebhookFields, b: OutgoingWebhookFields): boolean {
  return a.channelId === b.channelId && a.callbackUrls.some((u) => b.callbackUrls.includes(u)) && a.triggerWords.some((w) => b.triggerWords.includes(w));
}

/** Mattermost's OutgoingWebhook JSON, token included (only those who manage the hook see it). */
export function webhookJson(h: OutgoingWebhookRecord): Record<string, unknown> {
  return {
    id: h.id, token: h.token, create_at: h.createAt, update_at: h.updateAt, delete_at: h.deleteAt, creator_id: h.creatorId,
    channel_id: h.channelId, team_id: h.teamId, trigger_words: h.triggerWords, trigger_when: h.triggerWhen,
    callback_urls: h.callbackUrls, display_name: h.displayName, description: h.description, content_type: h.contentType,
    username: h.username, icon_url: h.iconUrl,
  };
}

/**
 * The trigger word a post fires the hook with: '' for a channel's hook without trigger words (every
 * post fires it), the matching word, or null when the hook does not fire (handleWebhookEvents).
 */
export function triggerWordFor(hook: OutgoingWebhookRecord, post: PostRecord): string | null {
  if (hook.channelId !== '' && hook.channelId !== post.channelId) return null;
  if (hook.channelId !== '' && hook.triggerWords.length === 0) return '';
  const firstWord = post.message.trim().split(/\s+/)[0] ?? '';
  if (firstWord === '') return null;
  const word = hook.triggerWhen === 0 ? hook.triggerWords.find((w) => w === firstWord) : hook.triggerWords.find((w) => firstWord.startsWith(w));
  return word ?? null;
}
