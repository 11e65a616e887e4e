// Interactive message actions, as Mattermost's DoPostActionWithCookie: a button of a post's
// attachment sends the action request to its integration URL (with a bearer token where an outgoing
// connection covers it); the answer's `update` replaces the post, its `ephemeral_text` goes to the
// user who pressed.
import type { Services } from './api/context.js';
import { ApiError } from './errors.js';
import type { FetchResponse } from './contract.js';
import { answerObject, callIntegration, jsonBody, logged, NotSent } from './integration-request.js';
import { isIntegrationUrl, MAX_INTEGRATION_URL } from './integration-urls.js';
import { errorMessage } from './plugin.js';
import { isObject } from './http.js';
import { integrationProps, MAX_MESSAGE, SERVER_PROPS, type PostAction } from './posts.js';
import { sendEphemeral, updatePost } from './posting.js';
import type { ChannelRecord, PostRecord, TeamRecord, UserRecord } from './store/store.js';

export interface ActionPress {
  post: PostRecord;
  action: PostAction;
  channel: ChannelRecord;
  team: TeamRecord;
  user: UserRecord;
  selectedOption: string;
}

const actionFailed = (why: string) =>
  new ApiError(400, 'api.post.do_action.action_integration.app_error', `Action integration error: ${why}.`);

const actionNotSent = (action: PostAction, why: string) =>
  new ApiError(500, 'api.post.do_action.oauth_token.app_error',
    `The action "${action.name}" was not sent: no OAuth token could be had for its URL: ${why}`);

/** What the user who pressed gets back: the client's part of the trigger id the integration was given (as Mattermost), and where it sends them. */
export interface ActionResult {
  triggerId: string;
  gotoLocation?: string;
}

/** Sends the action request; returns the client trigger id and the integration's goto_location. */
export async function pressAction(services: Services, press: ActionPress): Promise<ActionResult> {
  const { post, action, user } = press;
  return logged(services, 'post action sent', { post: post.id, action: action.id }, async (noteStatus) => {
    const { triggerId, clientTriggerId } = services.triggerIds.issue(user.id);
    const request = {
      user_id: user.id, user_name: user.username, channel_id: press.channel.id, channel_name: press.channel.name,
      team_id: press.team.id, team_domain: press.team.name, post_id: post.id, trigger_id: triggerId, type: action.type,
      // As Mattermost's DoPostActionWithCookie: a menu's chosen option goes in the context.
      data_source: action.dataSource, context: press.selectedOption ? { ...action.context, selected_option: press.selectedOption } : action.context,
    };
    let res;
    try {
      res = await callIntegration(services, { method: 'POST', url: action.url, body: jsonBody(request) });
    } catch (err) {
      throw err instanceof NotSent ? actionNotSent(action, err.message) : actionFailed(errorMessage(err));
    }
    noteStatus(res.status);
    if (res.status !== 200) throw actionFailed(`the integration answered ${res.status}`);
    const gotoLocation = await applyAnswer(services, press, res);
    return { triggerId: clientTriggerId, ...(gotoLocation ? { gotoLocation } : {}) };
  });
}

/** The answer's `update` and `ephemeral_text`, as Mattermost applies them; returns its goto_location. */
async function applyAnswer(services: Services, press: ActionPress, res: FetchResponse): Promise<string | undefined> {
  let answer: Record<string, unknown> | null;
  try {
    answer = answerObject(res);
  } catch (err) {
    throw actionFailed(errorMessage(err));
  }
  if (!answer) return undefined;
  const { update, ephemeral_text: ephemeralText, goto_location: gotoLocation } = answer;
  if (isObject(update)) {
    let props: Record<string, unknown>;
    try {
      props = integrationProps(update.props ?? press.post.props);
    } catch (err) {
      throw actionFailed(errorMessage(err));
    }
    // The marks of who made the post stay as they were.
    for (const key of SERVER_PROPS) {
      if (press.post.props[key] !== undefined) props[key] = press.post.props[key];
    }
    const message = typeof update.message === 'string' ? update.message.slice(0, MAX_MESSAGE) : press.post.message;
    await updatePost(services, press.post, message, props);
  }
  if (typeof ephemeralText === 'string' && ephemeralText !== '') {
    sendEphemeral(services, press.user.id, press.channel.id, ephemeralText.slice(0, MAX_MESSAGE), press.post.rootId);
  }
  return isGotoLocation(gotoLocation) ? gotoLocation : undefined;
}

/**
 * Where an integration may send the user's client: an http(s) URL or a path of this server, never
 * a `javascript:` or `data:` URL that a client following it would run.
 */
function isGotoLocation(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > MAX_INTEGRATION_URL) return false;
  return isIntegrationUrl(value) || /^\/(?![/\\])[^\s]*$/.test(value);
}
