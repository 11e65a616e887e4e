// Runs a custom slash command as Mattermost's DoCommandRequest: Mattermost's payload, form-encoded
// (or as the query of a GET), sent by integration-request.ts (the Authorization header from the
// plugin's outgoing OAuth connections, or else the command's own token), and the answer as a
// CommandResponse; an in_channel answer is posted.
import { STATUS_CODES } from 'node:http';
import type { Services } from './api/context.js';
import { commandResponseFromJson, commandResponseFromText } from './commands.js';
import type { FetchResponse } from './contract.js';
import { ApiError } from './errors.js';
import { newId } from './ids.js';
import { answerText, callIntegration, formBody, isJsonAnswer, logged, NotSent, type IntegrationCall } from './integration-request.js';
import { errorMessage } from './plugin.js';
import { createPost } from './posting.js';
import { integrationProps, MAX_MESSAGE } from './posts.js';
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

/** The command's request: a POST of the form, or a GET with the form appended to the URL's query (as Mattermost). */
function request(command: CommandRecord, form: URLSearchParams): IntegrationCall {
  const ownAuthorization = `Token ${command.token}`;
  if (command.method === 'P') return { method: 'POST', url: command.url, body: formBody(form), ownAuthorization };
  const url = new URL(command.url);
  url.search = [url.search.slice(1), form.toString()].filter(Boolean).join('&');
  return { method: 'GET', url: url.toString(), ownAuthorization };
}

/** As Mattermost's CommandResponseFromHTTPBody: JSON when the integration says so, else the body is the text. */
function commandResponse(command: CommandRecord, res: FetchResponse): Record<string, unknown> {
  const body = answerText(res);
  if (!isJsonAnswer(res)) return commandResponseFromText(body);
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
  return logged(services, 'command executed', { command: command.id, trigger: command.trigger }, async (noteStatus) => {
    const triggerId = services.triggerIds.issue(inv.user.id);
    let res: FetchResponse;
    try {
      res = await callIntegration(services, request(command, payload(inv, triggerId)));
    } catch (err) {
      throw err instanceof NotSent ? notSent(command, err.message) : failed(command, errorMessage(err));
    }
    noteStatus(res.status);
    if (res.status !== 200) throw failedResponse(command, res);
    // As Mattermost, the trigger id in the answer is the one the integration was given.
    const response: Record<string, unknown> = { ...commandResponse(command, res), trigger_id: triggerId };
    if (response.response_type === 'in_channel') await postInChannel(services, inv, response);
    return response;
  });
}

/** As Mattermost's HandleCommandResponsePost: an in_channel answer becomes a post of the user who ran the command. */
async function postInChannel(services: Services, inv: Invocation, response: Record<string, unknown>): Promise<void> {
  let props: Record<string, unknown>;
  try {
    props = integrationProps(response.props, response.attachments);
  } catch (err) {
    throw failed(inv.command, errorMessage(err));
  }
  const message = typeof response.text === 'string' ? response.text.slice(0, MAX_MESSAGE) : '';
  if (message === '' && props.attachments === undefined) return;
  await createPost(services, { userId: inv.user.id, channelId: inv.channel.id, rootId: inv.rootId, message, type: '', props: { ...props, from_webhook: 'true' } }, inv.channel);
}
