// Making a post, whoever makes it (a person, a slash command's answer, an outgoing webhook's answer),
// and telling the channel: one place, so that every post reaches the channel view. (Only a person's
// post triggers outgoing webhooks: POST /posts does that, so an integration's answer sets off none.)
import type { Services } from './api/context.js';
import { ephemeralPostJson, postJson } from './posts.js';
import type { ChannelRecord, NewPost, PostRecord } from './store/store.js';

export async function createPost(services: Services, post: NewPost, channel: ChannelRecord): Promise<PostRecord> {
  const record = await services.store.posts.create(post);
  void services.events.toChannel(channel.id, 'posted', {
    post: JSON.stringify(postJson(record)), channel_display_name: channel.displayName, channel_name: channel.name, team_id: channel.teamId,
  }).catch(() => undefined);
  return record;
}

/** Replaces a post's message and props (an action's `update`) and tells the channel. */
export async function updatePost(services: Services, post: PostRecord, message: string, props: Record<string, unknown>): Promise<PostRecord | null> {
  const updated = await services.store.posts.update(post.id, message, props);
  if (updated) void services.events.toChannel(post.channelId, 'post_edited', { post: JSON.stringify(postJson(updated)) }).catch(() => undefined);
  return updated;
}

/** An ephemeral post to one user (not stored), as Mattermost's SendEphemeralPost. */
export function sendEphemeral(services: Services, userId: string, channelId: string, message: string, rootId = ''): void {
  void services.events.toUser(userId, 'ephemeral_message', { post: JSON.stringify(ephemeralPostJson(channelId, userId, message, rootId)) })
    .catch(() => undefined);
}
