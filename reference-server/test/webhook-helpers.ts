// Helpers for the outgoing webhook, interactive message and dialog tests: the bodies Client4 sends,
// posts and their lists, a message with a button, opening a dialog the way an integration does, and
// waiting for what happens after an answer (a webhook fires after POST /posts has answered).
import assert from 'node:assert/strict';
import type { Client } from './helpers.js';
import type { OutgoingServer } from './outgoing-helpers.js';

export const ID = /^[ybndrfg8ejkmcpqxot1uwisza345h769]{26}$/;
export const FORM = 'application/x-www-form-urlencoded';

/**
 * The client trigger id inside a signed one (base64url "<client id>:<user id>:<ms>", ".", HMAC): what
 * a person's client gets back, as Mattermost's, while only the integration gets the signed id.
 */
export function clientPartOf(signedTriggerId: unknown): string {
  const [claims, signature] = String(signedTriggerId).split('.');
  assert.match(signature ?? '', /^[A-Za-z0-9_-]{43}$/, `a signed trigger id: ${String(signedTriggerId)}`);
  return Buffer.from(claims, 'base64url').toString('utf8').split(':')[0];
}
export const JSON_TYPE = 'application/json';

/** An outgoing webhook as Mattermost answers it. */
export interface OutgoingHook {
  id: string;
  token: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  creator_id: string;
  channel_id: string;
  team_id: string;
  trigger_words: string[];
  trigger_when: number;
  callback_urls: string[];
  display_name: string;
  description: string;
  content_type: string;
  username: string;
  icon_url: string;
}

/** A valid team-wide hook for Client4.createOutgoingWebhook; `overrides` changes or removes (undefined) fields. */
export function hookBody(teamId: string, callbackUrls: string[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    team_id: teamId, channel_id: '', trigger_words: ['weather'], trigger_when: 0, callback_urls: callbackUrls,
    display_name: 'Weather hook', description: 'Answers questions about the weather', content_type: FORM, username: '', icon_url: '',
    ...overrides,
  };
}

export async function createHook(c: Client, body: Record<string, unknown>): Promise<OutgoingHook> {
  return (await c.createOutgoingWebhook(body as never)) as unknown as OutgoingHook;
}

/** A post as the server answers it. */
export interface Post {
  id: string;
  create_at: number;
  update_at: number;
  edit_at: number;
  delete_at: number;
  user_id: string;
  channel_id: string;
  root_id: string;
  message: string;
  type: string;
  props: Record<string, unknown>;
}

export async function createPost(c: Client, channelId: string, message: string, extra: Record<string, unknown> = {}): Promise<Post> {
  return (await c.createPost({ channel_id: channelId, message, ...extra } as never)) as unknown as Post;
}

/** The channel's posts, newest first (Client4.getPosts, one page of 200). */
export async function postsIn(c: Client, channelId: string): Promise<Post[]> {
  const list = (await c.getPosts(channelId, 0, 200)) as unknown as { order: string[]; posts: Record<string, Post> };
  return list.order.map((id) => list.posts[id]);
}

/** Polls `probe` until it returns something other than undefined (or the time is up: then fails with `what`). */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The first post in the channel that satisfies `match`, once it is there. */
export function waitForPost(c: Client, channelId: string, what: string, match: (p: Post) => boolean, timeoutMs?: number): Promise<Post> {
  return waitUntil(what, async () => (await postsIn(c, channelId)).find(match), timeoutMs);
}

/** A button (or a menu) as Mattermost's SlackAttachment holds it; the integration part stays on the server. */
export interface Button {
  id?: string;
  name: string;
  type: 'button' | 'select';
  options?: { text: string; value: string }[];
  integration: { url: string; context: Record<string, unknown> };
}

/** The actions of a post's first attachment, as the server shows them. */
export function actionsOf(post: Post): Record<string, unknown>[] {
  const attachments = post.props.attachments as { actions?: Record<string, unknown>[] }[] | undefined;
  assert.ok(Array.isArray(attachments) && attachments.length > 0, `the post has no attachments: ${JSON.stringify(post.props)}`);
  return attachments[0].actions ?? [];
}

/** What a button maker posts: the buttons, and the message they come with. */
export interface ButtonSpec {
  buttons: Button[];
  message: string;
}

/**
 * Posts with buttons, made the way an integration makes them: a slash command (/buttons, added by
 * the admin) whose in_channel answer carries the attachments. The command's URL is the receiver's
 * /button-maker, which no connection covers. `post` runs it as `c` in `channelId` and returns the
 * post and the first button's id, as the server gave them.
 */
export async function buttonMaker(s: OutgoingServer): Promise<(c: Client, channelId: string, url: string, context?: Record<string, unknown>, more?: Button[]) =>
Promise<{ post: Post; actionId: string }>> {
  let next: ButtonSpec | null = null;
  let made = 0;
  s.receiver.handle('button-maker', () => {
    const spec = next ?? { buttons: [], message: 'nothing asked for' };
    return { body: { response_type: 'in_channel', text: spec.message, attachments: [{ text: 'A decision is needed', actions: spec.buttons }] } };
  });
  await s.addCommand('buttons', '/button-maker');
  return async (c, channelId, url, context = {}, more = []) => {
    const message = `Ticket ${++made} needs a decision`;
    next = { message, buttons: [{ name: 'Approve', type: 'button', integration: { url, context } }, ...more] };
    const { id: teamId } = await c.getTeamByName('main');
    await c.executeCommand('/buttons', { channel_id: channelId, team_id: teamId } as never);
    const post = (await postsIn(c, channelId)).find((p) => p.message === message);
    assert.ok(post, `the command's answer was not posted: ${message}`);
    const [action] = actionsOf(post);
    assert.match(String(action.id), ID, `the server gives every action an id: ${JSON.stringify(action)}`);
    return { post, actionId: String(action.id) };
  };
}

/** A dialog as an integration sends it: one text field, `name`, with a minimum length. */
export function dialogOf(callbackId: string, state = 'state-1'): Record<string, unknown> {
  return {
    callback_id: callbackId, title: 'Rename the ticket', introduction_text: 'Choose a **new name**.',
    elements: [
      { display_name: 'Name', name: 'name', type: 'text', subtype: '', default: '', placeholder: 'New name', help_text: '', optional: false, min_length: 3, max_length: 40 },
      { display_name: 'Urgent', name: 'urgent', type: 'bool', default: 'false', optional: true },
    ],
    submit_label: 'Rename', notify_on_cancel: true, state,
  };
}

/**
 * POST /api/v4/actions/dialogs/open as an integration calls it: without a session, through Client4's
 * own request machinery (Client4 11 has no method of its own for it; Mattermost's Go client does).
 */
export async function openDialog(serverUrl: string, client: Client, request: Record<string, unknown>): Promise<Record<string, unknown>> {
  const machinery = client as unknown as { doFetch(url: string, options: { method: string; body: string }): Promise<unknown> };
  return (await machinery.doFetch(`${serverUrl}/api/v4/actions/dialogs/open`, { method: 'post', body: JSON.stringify(request) })) as Record<string, unknown>;
}

/** The dialog submission Client4.submitInteractiveDialog sends for a dialog opened with `open`. */
export function submission(open: { url: string; dialog: Record<string, unknown> }, channelId: string, teamId: string,
  values: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    url: open.url, callback_id: open.dialog.callback_id, state: open.dialog.state, channel_id: channelId, team_id: teamId,
    submission: values, cancelled: false, ...extra,
  };
}
