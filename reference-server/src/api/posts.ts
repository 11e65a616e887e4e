// /api/v4/posts and a channel's posts, as Mattermost's api4/post.go, as far as integrations need them;
// and /posts/{id}/actions/{action_id}, the interactive message actions (api4/integration_action.go).
import { ApiError, forbidden, invalidParam, invalidUrlParam } from '../errors.js';
import { isObject, sendJson } from '../http.js';
import { isValidId } from '../ids.js';
import { pressAction } from '../post-actions.js';
import { createPost } from '../posting.js';
import { findAction, parseNewPost, postJson, postListJson } from '../posts.js';
import type { Router } from '../router.js';
import type { ChannelRecord } from '../store/store.js';
import { deliverToWebhooks } from '../webhook-delivery.js';
import { requireSession, type ApiRequest, type ApiRoute } from './context.js';
import { paging } from './paging.js';

const postNotFound = () => new ApiError(404, 'app.post.get.app_error', 'Unable to get the post.');

/** The channel, for a member of it (a missing channel, and one you are not in, look the same: 403, as Mattermost). */
async function memberChannel(r: ApiRequest, channelId: string): Promise<ChannelRecord> {
  const { teams } = r.services.store;
  const channel = await teams.channel(channelId);
  const userId = requireSession(r).user.id;
  if (!channel || channel.deleteAt !== 0 || !(await teams.isChannelMember(channel.id, userId))) throw forbidden();
  return channel;
}

async function createPostHandler(r: ApiRequest): Promise<void> {
  const { user } = requireSession(r);
  const post = parseNewPost(await r.json(), user.id);
  const channel = await memberChannel(r, post.channelId);
  if (post.rootId !== '') {
    const root = await r.services.store.posts.get(post.rootId);
    if (!root || root.channelId !== channel.id) throw new ApiError(400, 'api.post.create_post.root_id.app_error', 'Invalid RootId parameter.');
  }
  const record = await createPost(r.services, post, channel);
  // Only a person's post sets off outgoing webhooks; it is answered first, as Mattermost does.
  deliverToWebhooks(r.services, record, channel);
  return sendJson(r, 201, postJson(record));
}

async function getChannelPosts(r: ApiRequest): Promise<void> {
  const channelId = r.params.channel_id;
  if (!isValidId(channelId)) throw invalidUrlParam('channel_id');
  await memberChannel(r, channelId);
  const { page, perPage } = paging(r.query, 60);
  // One more than asked tells whether there is a next page.
  const posts = await r.services.store.posts.listByChannel(channelId, page, perPage + 1);
  return sendJson(r, 200, postListJson(posts.slice(0, perPage), posts.length > perPage));
}

/** A post, for a member of its channel; anyone else gets the 404 a missing post gets. */
async function visiblePost(r: ApiRequest) {
  const postId = r.params.post_id;
  if (!isValidId(postId)) throw invalidUrlParam('post_id');
  const post = await r.services.store.posts.get(postId);
  if (!post) throw postNotFound();
  const channel = await memberChannel(r, post.channelId).catch(() => {
    throw postNotFound();
  });
  return { post, channel };
}

async function getPost(r: ApiRequest): Promise<void> {
  return sendJson(r, 200, postJson((await visiblePost(r)).post));
}

/**
 * The body of a button press (DoPostActionRequest), as Mattermost's doPostAction decodes it: null is
 * an empty request; anything else must be an object whose fields have their types, or the press is
 * refused (400) before any request goes to the integration.
 */
function actionRequest(body: unknown): Record<string, unknown> {
  if (body === null) return {};
  const stringOrAbsent = (v: unknown) => v === undefined || typeof v === 'string';
  if (!isObject(body) || !stringOrAbsent(body.selected_option) || !stringOrAbsent(body.cookie)) throw invalidParam('action_request');
  return body;
}

async function doPostAction(r: ApiRequest): Promise<void> {
  const { user } = requireSession(r);
  const body = actionRequest(await r.json());
  const { post, channel } = await visiblePost(r);
  const action = findAction(post, r.params.action_id);
  if (!action) throw new ApiError(404, 'api.post.do_action.action_id.app_error', 'The post has no such action.');
  const team = await r.services.store.teams.team(channel.teamId);
  if (!team) throw postNotFound();
  const option = typeof body.selected_option === 'string' ? body.selected_option.slice(0, 256) : '';
  const { triggerId, gotoLocation } = await pressAction(r.services, { post, action, channel, team, user, selectedOption: option });
  return sendJson(r, 200, { status: 'OK', trigger_id: triggerId, ...(gotoLocation ? { goto_location: gotoLocation } : {}) });
}

export function addPostRoutes(router: Router<ApiRoute>): void {
  router
    .add('POST', '/posts', { session: 'required', handler: createPostHandler })
    .add('GET', '/posts/:post_id', { session: 'required', handler: getPost })
    .add('POST', '/posts/:post_id/actions/:action_id', { session: 'required', handler: doPostAction })
    .add('GET', '/channels/:channel_id/posts', { session: 'required', handler: getChannelPosts });
}
