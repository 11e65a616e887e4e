// The top of every request: request id, routing to the plugin, the webapp bundle or the API,
// error rendering, and one log line (path without its query string, which may hold secrets).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_PREFIX, serveApi } from './api/index.js';
import type { ApiRoute, RequestContext, Services } from './api/context.js';
import { ApiError, storeUnavailable } from './errors.js';
import { clientAddress, sendError, setHostHeaders, splitUrl } from './http.js';
import { newId } from './ids.js';
import { bundleRoute, forwardsToPlugin, serveBundle, servePlugin } from './plugin-routes.js';
import type { Router } from './router.js';
import { isWebPage, serveShellReact, serveWebPage, SHELL_REACT_ROUTE } from './web.js';

const pageNotFound = () => new ApiError(404, 'api.context.404.app_error', 'Sorry, we could not find the page.');

async function route(ctx: RequestContext, api: Router<ApiRoute>): Promise<void> {
  const pluginId = ctx.services.plugin.id;
  if (!ctx.path.startsWith('/')) throw new ApiError(400, 'api.context.invalid_url.app_error', 'Invalid request URL.');
  // While the database is lost (the store is reconnecting), every request fails fast and clearly.
  if (ctx.services.store.health?.down) throw storeUnavailable();
  if (forwardsToPlugin(ctx.path, pluginId, ctx.services.plugin.routes)) return servePlugin(ctx);
  if (ctx.path === bundleRoute(pluginId)) return serveBundle(ctx);
  if (ctx.path === SHELL_REACT_ROUTE) return serveShellReact(ctx);
  if (ctx.path === API_PREFIX || ctx.path.startsWith(API_PREFIX + '/')) return serveApi(ctx, api);
  if (isWebPage(ctx.path)) return serveWebPage(ctx);
  throw pageNotFound();
}

function toApiError(err: unknown, services: Services, ctx: RequestContext): ApiError {
  if (err instanceof ApiError) return err;
  services.log.log('error', 'request failed', { path: ctx.path, request_id: ctx.requestId, error: err instanceof Error ? err.message : String(err) });
  return new ApiError(500, 'app.server.internal_error.app_error', 'An internal error occurred.');
}

export function createRequestHandler(services: Services, api: Router<ApiRoute>) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const requestId = newId();
    const { path, query } = splitUrl(req.url ?? '/');
    const settings = services.config.service;
    const remoteAddr = clientAddress(req, settings.TrustedProxyIPHeader);
    const ctx: RequestContext = {
      req, res, requestId, path, rawQuery: query, query: new URLSearchParams(query), services, remoteAddr,
      storeGeneration: services.store.durability?.generation ?? 0,
    };
    setHostHeaders(res, requestId, settings.SiteURL);
    res.on('close', () => services.log.log('info', 'request', {
      method: req.method, path, status: res.statusCode, ms: Date.now() - started, user: ctx.userId, ip: remoteAddr,
    }));
    try {
      await route(ctx, api);
    } catch (err) {
      await sendError(ctx, toApiError(err, services, ctx));
    }
  };
}
