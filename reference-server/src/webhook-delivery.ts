// Sends a post to the outgoing webhooks it triggers, as Mattermost's TriggerWebhook: Mattermost's
// payload (form or JSON) to each callback URL, a bearer token from the plugin where a connection
// covers the URL, and a JSON answer with text or attachments posted back into the channel. It runs
// after the post is answered; what fails is logged, and a URL left unsent for want of a token is
// explained to the post's author.
import type { Services } from './api/context.js';
import { answerText, callIntegration, formBody, jsonBody, logged, NotSent } from './integration-request.js';
import { FORM, triggerWordFor } from './outgoing-webhooks.js';
import { integrationProps, isObject, MAX_MESSAGE } from './posts.js';
import { createPost, sendEphemeral } from './posting.js';
import type { ChannelRecord, OutgoingWebhookRecord, PostRecord } from './store/store.js';

/** Fires every hook the post triggers; returns at once (the work goes on in the background). */
export function deliverToWebhooks(services: Services, post: PostRecord, channel: ChannelRecord): void {
  if (!services.config.service.EnableOutgoingWebhooks || channel.type !== 'O') return;
  void triggered(services, post, channel).catch((err: unknown) =>
    services.log.log('warn', 'outgoing webhooks not triggered', { post: post.id, error: (err as Error).message }));
}

async function triggered(services: Services, post: PostRecord, channel: ChannelRecord): Promise<void> {
  const { store } = services;
  const [hooks, team, author] = await Promise.all([store.outgoingWebhooks.listByTeam(channel.teamId), store.teams.team(channel.teamId), store.users.get(post.userId)]);
  if (!team || !author) return;
  const deliveries: Promise<void>[] = [];
  for (const hook of hooks) {
    const triggerWord = triggerWordFor(hook, post);
    if (triggerWord === null) continue;
    const payload = {
      token: hook.token, team_id: hook.teamId, team_domain: team.name, channel_id: post.channelId, channel_name: channel.name,
      timestamp: post.createAt, user_id: post.userId, user_name: author.username, post_id: post.id, text: post.message,
      trigger_word: triggerWord, file_ids: '',
    };
    for (const url of hook.callbackUrls) deliveries.push(deliver(services, hook, url, payload, post, channel));
  }
  await Promise.all(deliveries);
}

/** Mattermost's form encoding: the same fields, the timestamp in seconds. */
function form(payload: Record<string, string | number>): URLSearchParams {
  return new URLSearchParams(Object.entries(payload).map(([k, v]): [string, string] => [k, k === 'timestamp' ? String(Math.floor(Number(v) / 1000)) : String(v)]));
}

async function deliver(services: Services, hook: OutgoingWebhookRecord, url: string, payload: Record<string, string | number>,
  post: PostRecord, channel: ChannelRecord): Promise<void> {
  const body = hook.contentType === FORM ? formBody(form(payload)) : jsonBody(payload);
  try {
    await logged(services, 'outgoing webhook sent', { hook: hook.id, post: post.id }, async (noteStatus) => {
      const res = await callIntegration(services, { method: 'POST', url, body });
      noteStatus(res.status);
      if (res.status < 200 || res.status > 299) throw new Error(`the callback URL answered ${res.status}`);
      await postAnswer(services, hook, answerText(res), post, channel);
    });
  } catch (err) {
    if (err instanceof NotSent) {
      const name = hook.displayName || hook.id;
      sendEphemeral(services, post.userId, post.channelId,
        `The outgoing webhook "${name}" did not send your message to ${url}: no OAuth token could be had for its URL: ${err.message}`);
    }
  }
}

/** The answer, when it is a JSON object with text or attachments, posted back as the hook's creator. */
async function postAnswer(services: Services, hook: OutgoingWebhookRecord, body: string, post: PostRecord, channel: ChannelRecord): Promise<void> {
  if (body.trim() === '') return;
  const answer: unknown = JSON.parse(body);
  if (!isObject(answer)) throw new Error('the answer is not a JSON object');
  const { text, attachments, response_type: responseType, username, icon_url: iconUrl } = answer;
  if (typeof text !== 'string' && attachments === undefined) return;
  const props = integrationProps(answer.props, attachments);
  props.from_webhook = 'true';
  props.webhook_display_name = hook.displayName;
  const { service } = services.config;
  if (service.EnablePostUsernameOverride) props.override_username = (typeof username === 'string' && username) || hook.username || 'webhook';
  if (service.EnablePostIconOverride && ((typeof iconUrl === 'string' && iconUrl) || hook.iconUrl)) props.override_icon_url = (iconUrl as string) || hook.iconUrl;
  const message = typeof text === 'string' ? text.slice(0, MAX_MESSAGE) : '';
  await createPost(services, {
    userId: hook.creatorId, channelId: channel.id, rootId: responseType === 'comment' ? post.rootId || post.id : '', message, type: '', props,
  }, channel);
}
