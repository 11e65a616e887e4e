// /api/v4 dispatch: route match (404/405), authentication, then the handler.
import type { AuthResult } from '../auth.js';
import { ApiError, insufficientScope, sessionExpired } from '../errors.js';
import { parseJsonBody, readBody } from '../http.js';
import { Router } from '../router.js';
import { addCommandRoutes } from './commands.js';
import { addDialogRoutes } from './dialogs.js';
import { addPostRoutes } from './posts.js';
import { addWebhookRoutes } from './webhooks.js';
import type { ApiRoute, RequestContext } from './context.js';
import { addSystemRoutes } from './system.js';
import { addTeamRoutes } from './teams.js';
import { addUserRoutes } from './users.js';

export const API_PREFIX = '/api/v4';

export function createApiRouter(): Router<ApiRoute> {
  const router = new Router<ApiRoute>();
  addUserRoutes(router);
  addTeamRoutes(router);
  addCommandRoutes(router);
  addPostRoutes(router);
  addWebhookRoutes(router);
  addDialogRoutes(router);
  addSystemRoutes(router);
  return router;
}

export async function serveApi(ctx: RequestContext, router: Router<ApiRoute>): Promise<void> {
  let auth = { kind: 'none' } as AuthResult; // set by dispatch once it authenticated
  try {
    await dispatch(ctx, router, (result) => (auth = result));
  } catch (err) {
    // RFC 9728 §5.1, RFC 6750 §3: every 401 for want of a session or token says where to get a token, and why a token sent was refused.
    if (!(err instanceof ApiError) || err.id !== sessionExpired().id) throw err;
    const challenge = ctx.services.plugin.bearerChallenge(auth.kind === 'invalid' && auth.bearer);
    throw challenge ? err.withHeader('WWW-Authenticate', challenge) : err;
  }
}

async function dispatch(ctx: RequestContext, router: Router<ApiRoute>, authenticated: (auth: AuthResult) => void): Promise<void> {
  const match = router.match(ctx.req.method ?? 'GET', ctx.path.slice(API_PREFIX.length));
  if (match.kind === 'not-found') throw new ApiError(404, 'api.context.404.app_error', 'Sorry, we could not find the page.');
  if (match.kind === 'method-not-allowed') throw new ApiError(405, 'api.context.405.app_error', 'Method not allowed.');
  const auth = await ctx.services.auth.authenticate(ctx.req, ctx.query);
  authenticated(auth);
  // A cookie session changing state without the CSRF header is refused outright, as in Mattermost.
  if (auth.kind === 'csrf') throw sessionExpired();
  if (auth.kind === 'insufficient_scope') throw insufficientScope();
  const session = auth.kind === 'session' ? auth.session : null;
  if (match.handler.session === 'required' && !session) throw sessionExpired();
  ctx.userId = session?.user.id;
  // Extends the context in place, so what a handler sets (userId at login) reaches the request log.
  const request = Object.assign(ctx, { params: match.params, session, json: async () => parseJsonBody(await readBody(ctx.req)) });
  await match.handler.handler(request);
}
