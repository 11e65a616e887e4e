// Interactive dialogs, as Mattermost's: an integration that got a trigger id (with a slash command
// or a message action) opens a dialog for that user; the user's submission goes to the dialog's URL
// (with a bearer token where an outgoing connection covers it) and the integration's field errors come
// back. Only a dialog opened for the user can be submitted, to the URL it was opened with: the URL
// is chosen by the integration, never by whoever submits, since the server sends a token with it.
import type { Services } from './api/context.js';
import { ApiError, badRequest, invalidParam } from './errors.js';
import { isObject } from './http.js';
import { isValidId, sha256Hex } from './ids.js';
import type { FetchResponse } from './contract.js';
import { answerObject, callIntegration, jsonBody, logged, NotSent } from './integration-request.js';
import { isIntegrationUrl } from './integration-urls.js';
import { errorMessage } from './plugin.js';

/** The most a dialog, or a submission of one, may take as JSON. */
export const MAX_DIALOG_BYTES = 64 * 1024;
/** How long an opened dialog can be submitted. */
const DIALOG_LIFETIME_SECONDS = 3600;
/** The host's own rows in the KV table: no plugin id holds a ":". */
const DIALOGS_NAMESPACE = 'host:dialogs';
const ELEMENT_TYPES = new Set(['text', 'textarea', 'select', 'bool', 'radio']);
const MAX_ELEMENTS = 20;

const invalidDialog = (field: string, why: string) => badRequest(`model.dialog.is_valid.${field}.app_error`, `Invalid dialog ${field}: ${why}.`);

function boundedText(value: unknown, field: string, min: number, max: number): string {
  const text = value ?? '';
  if (typeof text !== 'string' || text.length < min || text.length > max) throw invalidDialog(field, `must be text of ${min} to ${max} characters`);
  return text;
}

/** Mattermost's Dialog, checked for shape (a title of at most 24 characters, each element named and typed). */
function checkDialog(dialog: unknown): Record<string, unknown> {
  if (!isObject(dialog)) throw invalidParam('dialog');
  boundedText(dialog.callback_id, 'callback_id', 0, 256);
  boundedText(dialog.title, 'title', 1, 24);
  boundedText(dialog.introduction_text, 'introduction_text', 0, 3000);
  boundedText(dialog.submit_label, 'submit_label', 0, 24);
  boundedText(dialog.state, 'state', 0, 3000);
  const elements = dialog.elements ?? [];
  if (!Array.isArray(elements) || elements.length > MAX_ELEMENTS || !elements.every(isObject)) {
    throw invalidDialog('elements', `must be a list of at most ${MAX_ELEMENTS} elements`);
  }
  for (const element of elements) {
    boundedText(element.name, 'elements.name', 1, 300);
    boundedText(element.display_name, 'elements.display_name', 1, 24);
    if (!ELEMENT_TYPES.has(element.type as string)) throw invalidDialog('elements.type', `must be one of ${[...ELEMENT_TYPES].join(', ')}`);
  }
  return dialog;
}

const grantKey = (userId: string, url: string, callbackId: string) => `${userId}:${sha256Hex(`${url}\n${callbackId}`)}`;

/** POST /actions/dialogs/open: the trigger id names the user, whoever calls (as Mattermost: an integration, with or without a token). */
export async function openDialog(services: Services, body: unknown): Promise<void> {
  if (!isObject(body)) throw invalidParam('dialog');
  if (typeof body.trigger_id !== 'string' || body.trigger_id === '') throw invalidParam('trigger_id');
  if (!isIntegrationUrl(body.url)) throw invalidParam('url');
  const userId = services.triggerIds.verify(body.trigger_id);
  const dialog = checkDialog(body.dialog);
  if (JSON.stringify(dialog).length > MAX_DIALOG_BYTES) throw invalidDialog('size', `must be at most ${MAX_DIALOG_BYTES} bytes of JSON`);
  const callbackId = (dialog.callback_id as string | undefined) ?? '';
  await services.store.kv.set(DIALOGS_NAMESPACE, grantKey(userId, body.url, callbackId), new Uint8Array([1]), { expireInSeconds: DIALOG_LIFETIME_SECONDS });
  void services.events.toUser(userId, 'open_dialog', { dialog: JSON.stringify({ trigger_id: body.trigger_id, url: body.url, dialog }) }).catch(() => undefined);
}

export interface Submission {
  url: string;
  callbackId: string;
  state: string;
  channelId: string;
  teamId: string;
  submission: Record<string, unknown>;
  cancelled: boolean;
}

const isSubmittedValue = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** POST /actions/dialogs/submit's body (Mattermost's SubmitDialogRequest); user_id is the session's, whatever it says. */
export function parseSubmission(body: unknown): Submission {
  if (!isObject(body)) throw invalidParam('dialog');
  const { url, callback_id: callbackId = '', state = '', channel_id: channelId = '', team_id: teamId = '', submission = {}, cancelled = false } = body;
  if (!isIntegrationUrl(url)) throw invalidParam('url');
  if (typeof callbackId !== 'string' || typeof state !== 'string') throw invalidParam('callback_id');
  if ((channelId !== '' && !isValidId(channelId)) || (teamId !== '' && !isValidId(teamId))) throw invalidParam('channel_id');
  if (!isObject(submission) || !Object.values(submission).every(isSubmittedValue)) throw invalidParam('submission');
  if (typeof cancelled !== 'boolean') throw invalidParam('cancelled');
  return { url, callbackId, state, channelId: channelId as string, teamId: teamId as string, submission, cancelled };
}

const notOpened = () => new ApiError(403, 'api.dialog.submit.not_opened.app_error', 'No such dialog was opened for you, or it has expired.');

const submitFailed = (why: string) => new ApiError(400, 'api.dialog.submit.integration.app_error', `Dialog submission failed: ${why}.`);

const submitNotSent = (why: string) =>
  new ApiError(500, 'api.dialog.submit.oauth_token.app_error', `The dialog was not submitted: no OAuth token could be had for its URL: ${why}`);

/** Sends the submission and returns what the client gets: the integration's `error` and `errors`. */
export async function submitDialog(services: Services, userId: string, s: Submission): Promise<Record<string, unknown>> {
  const key = grantKey(userId, s.url, s.callbackId);
  if (!(await services.store.kv.get(DIALOGS_NAMESPACE, key))) throw notOpened();
  return logged(services, 'dialog submitted', { user: userId }, async (noteStatus) => {
    const request = {
      type: 'dialog_submission', callback_id: s.callbackId, state: s.state, user_id: userId, channel_id: s.channelId,
      team_id: s.teamId, submission: s.submission, cancelled: s.cancelled,
    };
    let res;
    try {
      res = await callIntegration(services, { method: 'POST', url: s.url, body: jsonBody(request) });
    } catch (err) {
      throw err instanceof NotSent ? submitNotSent(err.message) : submitFailed(errorMessage(err));
    }
    noteStatus(res.status);
    if (res.status !== 200) throw submitFailed(`the integration answered ${res.status}`);
    const answer = dialogAnswer(res);
    // A dialog stays open (and submittable) while the integration finds fault with it.
    if (s.cancelled || (answer.error === undefined && answer.errors === undefined)) await services.store.kv.delete(DIALOGS_NAMESPACE, key);
    return answer;
  });
}

/** Mattermost's SubmitDialogResponse: `error` (text) and `errors` (field name → text), nothing else. */
function dialogAnswer(res: FetchResponse): Record<string, unknown> {
  let answer: Record<string, unknown> | null;
  try {
    answer = answerObject(res);
  } catch (err) {
    throw submitFailed(errorMessage(err));
  }
  const out: Record<string, unknown> = {};
  if (typeof answer?.error === 'string' && answer.error !== '') out.error = answer.error;
  const errors = answer?.errors;
  if (isObject(errors) && Object.values(errors).every((v) => typeof v === 'string') && Object.keys(errors).length > 0) out.errors = errors;
  return out;
}
