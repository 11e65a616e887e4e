// Posts as far as integrations need them: Mattermost's JSON shapes, what a person may post, and the
// message attachments whose buttons call an integration (Mattermost's SlackAttachment actions).
import { badRequest, invalidParam } from './errors.js';
import { isObject } from './http.js';
import { isValidId, newId } from './ids.js';
import { isIntegrationUrl } from './integration-urls.js';
import type { NewPost, PostRecord } from './store/store.js';

/** Mattermost's PostMessageMaxRunesV2. */
export const MAX_MESSAGE = 16383;
/** The most JSON a post's props may take (attachments included): Mattermost's PostPropsMaxUserRunes. */
export const MAX_PROPS_JSON = 800000;
const MAX_ATTACHMENTS = 20;
const MAX_ACTIONS = 25;

/** Props only the server sets: a person's post cannot pass for an integration's. */
export const SERVER_PROPS = ['from_webhook', 'override_username', 'override_icon_url', 'webhook_display_name'];

const invalidPost = (field: string, why: string) => badRequest(`model.post.is_valid.${field}.app_error`, `Invalid post ${field}: ${why}.`);

/** An action's id as Mattermost keeps it: letters and digits, given one at post time when it has none. */
const ACTION_ID = /^[A-Za-z0-9]{1,26}$/;

/**
 * The attachments of props from an integration (a command's, a webhook's or an action's answer),
 * checked for shape, each action with an id. Throws an Error saying what is wrong.
 */
function checkedAttachments(value: unknown): Record<string, unknown>[] {
  if (!Array.isArray(value) || value.length > MAX_ATTACHMENTS || !value.every(isObject)) {
    throw new Error(`attachments must be a list of at most ${MAX_ATTACHMENTS} objects`);
  }
  return value.map((attachment) => {
    const actions = attachment.actions;
    if (actions === undefined || actions === null) return attachment;
    if (!Array.isArray(actions) || actions.length > MAX_ACTIONS || !actions.every(isObject)) {
      throw new Error(`an attachment's actions must be a list of at most ${MAX_ACTIONS} objects`);
    }
    return { ...attachment, actions: actions.map(checkedAction) };
  });
}

function checkedAction(action: Record<string, unknown>): Record<string, unknown> {
  const { id, name, integration } = action;
  if (typeof name !== 'string' || name.length > 256) throw new Error('an action needs a name of at most 256 characters');
  if (!isObject(integration) || !isIntegrationUrl(integration.url)) throw new Error('an action needs integration.url, an http(s) URL');
  if (integration.context !== undefined && !isObject(integration.context)) throw new Error('an action\'s integration.context must be an object');
  return { ...action, id: typeof id === 'string' && ACTION_ID.test(id) ? id : newId() };
}

function boundedProps(props: Record<string, unknown>): Record<string, unknown> {
  if (JSON.stringify(props).length > MAX_PROPS_JSON) throw new Error(`props must be at most ${MAX_PROPS_JSON} characters of JSON`);
  return props;
}

/** Props an integration answered with, as a post keeps them. Throws an Error saying what is wrong. */
export function integrationProps(props: unknown, attachments?: unknown): Record<string, unknown> {
  if (props !== undefined && props !== null && !isObject(props)) throw new Error('props must be an object');
  const kept: Record<string, unknown> = { ...(props ?? {}) };
  for (const key of SERVER_PROPS) delete kept[key];
  const given = attachments ?? kept.attachments;
  if (given === undefined || given === null) delete kept.attachments;
  else kept.attachments = checkedAttachments(given);
  return boundedProps(kept);
}

/**
 * What a person's post may carry in props: anything but the server's own marks and the URLs an
 * action calls. A button's URL is chosen by an integration an admin set up, never by whoever posts,
 * since pressing it makes the server send a request, with a token when a connection covers the URL.
 */
function personProps(props: unknown): Record<string, unknown> {
  if (props === undefined || props === null) return {};
  if (!isObject(props)) throw invalidPost('props', 'must be an object');
  const kept: Record<string, unknown> = { ...props };
  for (const key of SERVER_PROPS) delete kept[key];
  if (Array.isArray(kept.attachments)) kept.attachments = kept.attachments.map(withoutIntegrations);
  try {
    return boundedProps(kept);
  } catch (err) {
    throw invalidPost('props', (err as Error).message);
  }
}

/** An attachment with its actions' integrations removed (as Mattermost sends posts to clients). */
function withoutIntegrations(attachment: unknown): unknown {
  if (!isObject(attachment) || !Array.isArray(attachment.actions)) return attachment;
  return { ...attachment, actions: attachment.actions.map((a) => (isObject(a) ? { ...a, integration: undefined } : a)) };
}

/** POST /posts's body as a person's post. */
export function parseNewPost(body: unknown, userId: string): NewPost {
  if (!isObject(body)) throw invalidParam('post');
  const { channel_id: channelId, message = '', root_id: rootId = '' } = body;
  if (!isValidId(channelId)) throw invalidPost('channel_id', 'must be a channel id');
  if (typeof message !== 'string' || message.length > MAX_MESSAGE) throw invalidPost('msg', `must be text of at most ${MAX_MESSAGE} characters`);
  if (rootId !== '' && !isValidId(rootId)) throw invalidPost('root_id', 'must be a post id');
  const props = personProps(body.props);
  if (message.trim() === '' && !Array.isArray(props.attachments)) throw invalidPost('msg', 'a post needs a message');
  return { userId, channelId, rootId: rootId as string, message, type: '', props };
}

/** Mattermost's post JSON, as every client gets it: the URLs and contexts of actions stay on the server. */
export function postJson(p: PostRecord): Record<string, unknown> {
  const props = Array.isArray(p.props.attachments) ? { ...p.props, attachments: p.props.attachments.map(withoutIntegrations) } : p.props;
  return {
    id: p.id, create_at: p.createAt, update_at: p.updateAt, edit_at: p.editAt, delete_at: p.deleteAt, is_pinned: false,
    user_id: p.userId, channel_id: p.channelId, root_id: p.rootId, original_id: '', message: p.message, type: p.type,
    props: JSON.parse(JSON.stringify(props)) as Record<string, unknown>, hashtags: '', pending_post_id: '', reply_count: 0, metadata: {},
  };
}

/** Mattermost's PostList: order newest first, posts by id. */
export function postListJson(posts: PostRecord[], hasNext: boolean): Record<string, unknown> {
  return {
    order: posts.map((p) => p.id), posts: Object.fromEntries(posts.map((p) => [p.id, postJson(p)])),
    next_post_id: '', prev_post_id: '', has_next: hasNext,
  };
}

export interface PostAction {
  id: string;
  name: string;
  type: string;
  url: string;
  context: Record<string, unknown>;
  dataSource: string;
}

/** The action `actionId` of any attachment of the post, with the integration it calls. */
export function findAction(post: PostRecord, actionId: string): PostAction | null {
  const attachments = Array.isArray(post.props.attachments) ? post.props.attachments : [];
  for (const attachment of attachments.filter(isObject)) {
    for (const action of (Array.isArray(attachment.actions) ? attachment.actions : []).filter(isObject)) {
      const integration = action.integration;
      if (action.id !== actionId || !isObject(integration) || !isIntegrationUrl(integration.url)) continue;
      return {
        id: actionId, name: String(action.name ?? ''), type: String(action.type ?? 'button'), url: integration.url,
        context: isObject(integration.context) ? integration.context : {}, dataSource: String(action.data_source ?? ''),
      };
    }
  }
  return null;
}

/** An ephemeral post (Mattermost's system_ephemeral): shown to one user, never stored. */
export function ephemeralPostJson(channelId: string, userId: string, message: string, rootId = ''): Record<string, unknown> {
  const now = Date.now();
  return postJson({ id: newId(), createAt: now, updateAt: now, editAt: 0, deleteAt: 0, userId, channelId, rootId, message, type: 'system_ephemeral', props: {} });
}
