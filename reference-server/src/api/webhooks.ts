// /api/v4/hooks/outgoing: outgoing webhooks, as Mattermost's api4/webhook.go.
import { ApiError, badRequest, forbidden, invalidParam } from '../errors.js';
import { sendJson } from '../http.js';
import { isValidId } from '../ids.js';
import { intersects, parseWebhookFields, webhookJson, webhookTeamId } from '../outgoing-webhooks.js';
import { Permission } from '../permissions.js';
import type { Router } from '../router.js';
import type { OutgoingWebhookFields, OutgoingWebhookRecord } from '../store/store.js';
import { can, canOnTeam, requireSession, type ApiRequest, type ApiRoute } from './context.js';
import { paging } from './paging.js';

const hookNotFound = () => new ApiError(404, 'app.webhooks.get_outgoing.app_error', 'Unable to get the outgoing webhook.');

/** Every route answers 501 while outgoing webhooks are off, as Mattermost's. */
function requireEnabled(r: ApiRequest): void {
  if (!r.services.config.service.EnableOutgoingWebhooks) {
    throw new ApiError(501, 'api.outgoing_webhook.disabled.app_error', 'Outgoing webhooks have been disabled by the system admin.');
  }
}

/** manage_outgoing_webhooks on a team. */
const mayManage = (r: ApiRequest, teamId: string) => canOnTeam(r, Permission.ManageOutgoingWebhooks, teamId);

/** Those who manage hooks manage their own; only those with manage_others_outgoing_webhooks anyone's. */
const mayManageThis = (r: ApiRequest, hook: OutgoingWebhookRecord) =>
  hook.creatorId === requireSession(r).user.id || can(r, Permission.ManageOthersOutgoingWebhooks);

/** The hook behind /hooks/outgoing/{id} for someone who may manage it: as Mattermost's, 404 when there is none, 403 without the permission. */
async function managedHook(r: ApiRequest): Promise<OutgoingWebhookRecord> {
  requireEnabled(r);
  const id = r.params.hook_id;
  const hook = isValidId(id) ? await r.services.store.outgoingWebhooks.get(id) : null;
  if (!hook) throw hookNotFound();
  if (!(await mayManage(r, hook.teamId)) || !mayManageThis(r, hook)) throw forbidden();
  return hook;
}

/** The channel a hook watches: an Open channel of its team (Mattermost: 404 missing, 403 private or another team's). */
async function checkChannel(r: ApiRequest, teamId: string, fields: OutgoingWebhookFields): Promise<void> {
  if (fields.channelId === '') return;
  const channel = await r.services.store.teams.channel(fields.channelId);
  if (!channel || channel.deleteAt !== 0) throw new ApiError(404, 'app.channel.get.existing.app_error', 'Unable to find the existing channel.');
  if (channel.type !== 'O') throw new ApiError(403, 'api.webhook.create_outgoing.not_open.app_error', 'Outgoing webhooks can only watch public channels.');
  if (channel.teamId !== teamId) throw new ApiError(403, 'api.webhook.create_outgoing.permissions.app_error', 'The channel is not in the webhook\'s team.');
}

async function checkNoIntersection(r: ApiRequest, teamId: string, fields: OutgoingWebhookFields, exceptId: string): Promise<void> {
  const others = await r.services.store.outgoingWebhooks.listByTeam(teamId);
  if (others.some((other) => other.id !== exceptId && intersects(other, fields))) {
    throw badRequest('api.webhook.create_outgoing.intersect.app_error',
      'Outgoing webhooks of the same channel cannot have the same trigger words and callback URLs.');
  }
}

async function createHook(r: ApiRequest): Promise<void> {
  requireEnabled(r);
  const { user } = requireSession(r);
  const body = await r.json();
  const teamId = webhookTeamId(body);
  if (!(await mayManage(r, teamId))) throw forbidden();
  const fields = parseWebhookFields(body);
  if (!(await r.services.store.teams.team(teamId))) throw badRequest('model.outgoing_hook.is_valid.team_id.app_error', 'Invalid team_id: no such team.');
  await checkChannel(r, teamId, fields);
  await checkNoIntersection(r, teamId, fields, '');
  const hook = await r.services.store.outgoingWebhooks.create(user.id, teamId, fields);
  r.services.log.log('info', 'outgoing webhook created', { hook: hook.id, user: user.id });
  return sendJson(r, 201, webhookJson(hook));
}

async function listHooks(r: ApiRequest): Promise<void> {
  requireEnabled(r);
  const channelId = r.query.get('channel_id') ?? '';
  let teamId = r.query.get('team_id') ?? '';
  if (channelId !== '') {
    const channel = isValidId(channelId) ? await r.services.store.teams.channel(channelId) : null;
    if (!channel) throw invalidParam('channel_id');
    teamId = channel.teamId;
  }
  if (!isValidId(teamId)) throw invalidParam('team_id');
  if (!(await mayManage(r, teamId))) throw forbidden();
  const { page, perPage } = paging(r.query, 60);
  const hooks = await r.services.store.outgoingWebhooks.listByTeam(teamId, channelId || undefined);
  const visible = hooks.filter((h) => mayManageThis(r, h));
  return sendJson(r, 200, visible.slice(page * perPage, (page + 1) * perPage).map(webhookJson));
}

async function getHook(r: ApiRequest): Promise<void> {
  return sendJson(r, 200, webhookJson(await managedHook(r)));
}

async function updateHook(r: ApiRequest): Promise<void> {
  const body = await r.json();
  // Client4 sends the whole hook back; its id must be the one in the path.
  if ((body as Record<string, unknown> | null)?.id !== r.params.hook_id) throw invalidParam('hook_id');
  const current = await managedHook(r);
  const teamId = (body as Record<string, unknown>).team_id;
  if (teamId !== undefined && teamId !== '' && teamId !== current.teamId) {
    throw badRequest('api.webhook.team_mismatch.app_error', 'Unable to move an outgoing webhook to another team by editing it.');
  }
  const fields = parseWebhookFields({ ...(body as Record<string, unknown>), team_id: current.teamId });
  await checkChannel(r, current.teamId, fields);
  await checkNoIntersection(r, current.teamId, fields, current.id);
  const updated = await r.services.store.outgoingWebhooks.update(current.id, fields);
  if (!updated) throw hookNotFound();
  r.services.log.log('info', 'outgoing webhook updated', { hook: updated.id, user: requireSession(r).user.id });
  return sendJson(r, 200, webhookJson(updated));
}

async function regenHookToken(r: ApiRequest): Promise<void> {
  const current = await managedHook(r);
  const updated = await r.services.store.outgoingWebhooks.regenerateToken(current.id);
  if (!updated) throw hookNotFound();
  r.services.log.log('info', 'outgoing webhook token regenerated', { hook: updated.id, user: requireSession(r).user.id });
  return sendJson(r, 200, webhookJson(updated));
}

async function deleteHook(r: ApiRequest): Promise<void> {
  const current = await managedHook(r);
  if (!(await r.services.store.outgoingWebhooks.delete(current.id))) throw hookNotFound();
  r.services.log.log('info', 'outgoing webhook deleted', { hook: current.id, user: requireSession(r).user.id });
  return sendJson(r, 200, { status: 'OK' });
}

export function addWebhookRoutes(router: Router<ApiRoute>): void {
  router
    .add('POST', '/hooks/outgoing', { session: 'required', handler: createHook })
    .add('GET', '/hooks/outgoing', { session: 'required', handler: listHooks })
    .add('GET', '/hooks/outgoing/:hook_id', { session: 'required', handler: getHook })
    .add('PUT', '/hooks/outgoing/:hook_id', { session: 'required', handler: updateHook })
    .add('DELETE', '/hooks/outgoing/:hook_id', { session: 'required', handler: deleteHook })
    .add('POST', '/hooks/outgoing/:hook_id/regen_token', { session: 'required', handler: regenHookToken });
}
