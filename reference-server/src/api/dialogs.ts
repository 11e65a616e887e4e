// /api/v4/actions/dialogs: interactive dialogs, as Mattermost's api4/integration_action.go.
import { forbidden } from '../errors.js';
import { parseJsonBody, readBody, sendJson } from '../http.js';
import { MAX_DIALOG_BYTES, openDialog, parseSubmission, submitDialog } from '../dialogs.js';
import type { Router } from '../router.js';
import { requireSession, type ApiRequest, type ApiRoute } from './context.js';

/** The integration calls this with the trigger id it was given; no session is needed (the trigger id names the user). */
async function open(r: ApiRequest): Promise<void> {
  await openDialog(r.services, await r.json(), r.session?.user.id);
  return sendJson(r, 200, { status: 'OK' });
}

async function submit(r: ApiRequest): Promise<void> {
  const { user } = requireSession(r);
  // A larger submission is refused (413) before anything is read into a request to the integration.
  const submission = parseSubmission(parseJsonBody(await readBody(r.req, MAX_DIALOG_BYTES)));
  const { teams } = r.services.store;
  if (submission.channelId !== '' && !(await teams.isChannelMember(submission.channelId, user.id))) throw forbidden();
  return sendJson(r, 200, await submitDialog(r.services, user.id, submission));
}

export function addDialogRoutes(router: Router<ApiRoute>): void {
  router
    .add('POST', '/actions/dialogs/open', { session: 'optional', handler: open })
    .add('POST', '/actions/dialogs/submit', { session: 'required', handler: submit });
}
