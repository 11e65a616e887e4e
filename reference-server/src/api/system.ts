// /api/v4/system/ping and the configuration endpoints.
import { maskConfig } from '../config.js';
import { sendJson } from '../http.js';
import { Permission } from '../permissions.js';
import type { Router } from '../router.js';
import { requirePermission, type ApiRequest, type ApiRoute } from './context.js';

async function ping(r: ApiRequest): Promise<void> {
  return sendJson(r, 200, { status: 'OK' });
}

async function getConfig(r: ApiRequest): Promise<void> {
  requirePermission(r, Permission.ManageSystem);
  return sendJson(r, 200, maskConfig(r.services.config.get()));
}

async function patchConfig(r: ApiRequest): Promise<void> {
  const session = requirePermission(r, Permission.ManageSystem);
  const config = await r.services.config.patch(await r.json());
  r.services.log.log('info', 'config saved', { user: session.user.id });
  return sendJson(r, 200, maskConfig(config));
}

export function addSystemRoutes(router: Router<ApiRoute>): void {
  router
    .add('GET', '/system/ping', { session: 'optional', handler: ping })
    .add('GET', '/config', { session: 'required', handler: getConfig })
    .add('PUT', '/config/patch', { session: 'required', handler: patchConfig });
}
