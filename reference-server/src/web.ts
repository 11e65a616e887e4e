// The pages a browser opens on the host: the login page, and the page shell that loads the plugin's
// webapp bundle and gives it React and the small part of Mattermost's plugin registry it uses
// (registerCustomRoute, registerRootComponent). The pages themselves live in the bundle.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { RequestContext } from './api/context.js';
import { ApiError } from './errors.js';
import { respond, serveScriptFile } from './http.js';
import { hasPermission, Permission } from './permissions.js';
import { bundleRoute } from './plugin-routes.js';

/** Paths answered with an HTML page: the login page, `/`, and the webapp's routes (a team's integrations and channels). */
export function isWebPage(path: string): boolean {
  return path === '/' || path === '/login' || /^\/(admin_console|settings)(\/.*)?$/.test(path) ||
    /^\/[a-z0-9][a-z0-9_-]*\/(integrations(\/.*)?|channels\/[^/]+)$/.test(path);
}

// Browsers silently drop tabs and newlines from URLs ("/\t/evil" becomes "//evil") and trim spaces,
// so a target holding any control character or whitespace is never worth the risk.
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f-\u009f\s]/u;

/**
 * Where to send a user after login: the target only when it is on this site, as the browser will
 * read it. It is resolved against the SiteURL as browsers resolve it (WHATWG URL: "\" is "/", dot
 * segments go), must keep the SiteURL's origin, and is handed back as a path-relative reference
 * whose path cannot begin with "//" (that would name another host). Anything else: the default page.
 */
export function safeRedirect(target: string | null, siteUrl: string): string {
  if (!target || CONTROL_OR_SPACE.test(target)) return '/';
  let resolved: URL;
  try {
    resolved = new URL(target, siteUrl);
  } catch {
    return '/';
  }
  if (resolved.origin !== new URL(siteUrl).origin || resolved.pathname.startsWith('//')) return '/';
  return resolved.pathname + resolved.search + resolved.hash;
}

/**
 * React and ReactDOM as the shell gives them to the bundle (window.React, window.ReactDOM):
 * vendor/react.js, built by vendor/build.mjs into dist/vendor/ beside dist/src/.
 */
export const SHELL_REACT_ROUTE = '/static/react.js';
const SHELL_REACT_FILE = fileURLToPath(new URL('../vendor/react.js', import.meta.url));

export function serveShellReact(ctx: RequestContext): Promise<void> {
  return serveScriptFile(ctx, SHELL_REACT_FILE,
    new ApiError(404, 'app.static.react_not_built.app_error', "The page shell's React is not built."));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendPage(ctx: RequestContext, title: string, body: string, nonce: string): Promise<void> {
  const html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">${PAGE_STYLE}</style></head>
<body>${body}</body></html>`;
  return respond(ctx, 200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Cache-Control': 'no-store',
    // React sets inline style attributes and the bundle adds one <style> element, hence 'unsafe-inline' for styles only.
    'Content-Security-Policy': `default-src 'none'; script-src 'self' 'nonce-${nonce}'; style-src 'self' 'unsafe-inline'; ` +
      "img-src 'self' http: https: data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'",
    'X-Frame-Options': 'SAMEORIGIN',
    'Referrer-Policy': 'same-origin',
  }, ctx.req.method === 'HEAD' ? undefined : html);
}

function redirect(ctx: RequestContext, location: string): Promise<void> {
  return respond(ctx, 302, { Location: location, 'Cache-Control': 'no-store', 'Content-Length': 0 });
}

export async function serveWebPage(ctx: RequestContext): Promise<void> {
  const method = ctx.req.method;
  if (method !== 'GET' && method !== 'HEAD') throw new ApiError(405, 'api.context.405.app_error', 'Method not allowed.');
  const auth = await ctx.services.auth.authenticate(ctx.req, ctx.query);
  const session = auth.kind === 'session' && !auth.session.isOAuth ? auth.session : null;
  ctx.userId = session?.user.id;
  const nonce = randomBytes(18).toString('base64url');

  if (ctx.path === '/login') {
    const target = safeRedirect(ctx.query.get('redirect_to'), ctx.services.config.service.SiteURL);
    // reauthenticate=true (OpenID Connect's prompt=login, max_age): a fresh login even with a session.
    if (session && ctx.query.get('reauthenticate') !== 'true') return redirect(ctx, target);
    return sendPage(ctx, 'Log in', loginBody(target, nonce), nonce);
  }
  if (!session) {
    const here = ctx.path + (ctx.rawQuery ? `?${ctx.rawQuery}` : '');
    return redirect(ctx, `/login?redirect_to=${encodeURIComponent(here)}`);
  }
  if (ctx.path === '/') {
    const teams = await ctx.services.store.teams.teamsOfUser(session.user.id);
    const settings = ctx.services.config.service;
    const integrator = [Permission.ManageOAuth, Permission.ManageSlashCommands, Permission.ManageOutgoingOAuthConnections]
      .some((p) => hasPermission(session.user.roles, p, settings));
    return redirect(ctx, integrator && teams.length > 0 ? `/${teams[0].name}/integrations` : '/settings/security');
  }
  return sendPage(ctx, 'OAuth 2.0', shellBody(bundleRoute(ctx.services.plugin.id), nonce), nonce);
}

const PAGE_STYLE = `
body{margin:0;font-family:"Open Sans",system-ui,-apple-system,"Segoe UI",sans-serif;background:#f2f3f5;color:#3f4350}
.login{max-width:400px;margin:64px auto;padding:0 16px}
.login form{background:#fff;border:1px solid rgba(63,67,80,.16);border-radius:8px;padding:32px;box-shadow:0 2px 3px rgba(0,0,0,.08)}
.login h1{font-size:24px;margin:0 0 8px;color:#3f4350}.login p.sub{margin:0 0 24px;color:rgba(63,67,80,.72)}
.login label{display:block;font-weight:600;font-size:14px;margin:16px 0 6px}
.login input{box-sizing:border-box;width:100%;font:inherit;font-size:15px;padding:10px 12px;border:1px solid rgba(63,67,80,.32);border-radius:4px}
.login input:focus{outline:none;border-color:#1c58d9;box-shadow:0 0 0 2px rgba(28,88,217,.35)}
.login button{margin-top:24px;width:100%;font:inherit;font-weight:600;font-size:15px;padding:12px;border:0;border-radius:4px;background:#1c58d9;color:#fff;cursor:pointer}
.login button:focus-visible{outline:3px solid #f5a623;outline-offset:2px}.login button:disabled{opacity:.64;cursor:progress}
.login .error{min-height:20px;margin:16px 0 0;color:#d24b4e;font-size:14px}
.shell-status{max-width:600px;margin:64px auto;padding:0 16px;color:rgba(63,67,80,.72)}
`;

function loginBody(target: string, nonce: string): string {
  return `<main class="login"><form id="login" novalidate>
<h1>Log in</h1><p class="sub">to your account on this server</p>
<label for="input_loginId">Email or Username</label>
<input id="input_loginId" name="login_id" autocomplete="username" required autofocus>
<label for="input_password-input">Password</label>
<input id="input_password-input" name="password" type="password" autocomplete="current-password" required>
<p class="error" id="login-error" role="alert"></p>
<button id="saveSetting" type="submit">Log in</button>
</form></main>
<script type="application/json" id="redirect-to">${JSON.stringify(target).replace(/</g, '\\u003c')}</script>
<script nonce="${nonce}">
const form = document.getElementById('login');
const error = document.getElementById('login-error');
const button = document.getElementById('saveSetting');
const target = JSON.parse(document.getElementById('redirect-to').textContent);
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const loginId = form.login_id.value.trim();
  const password = form.password.value;
  if (!loginId || !password) {
    error.textContent = !loginId ? 'Please enter your email or username.' : 'Please enter your password.';
    (!loginId ? form.login_id : form.password).focus();
    return;
  }
  error.textContent = '';
  button.disabled = true;
  button.textContent = 'Logging in…';
  try {
    const csrf = (document.cookie.match(/(?:^|; )MMCSRF=([^;]*)/) || [])[1];
    const response = await fetch('/api/v4/users/login', {
      method: 'POST', credentials: 'same-origin',
      headers: Object.assign({ 'Content-Type': 'application/json' }, csrf ? { 'X-CSRF-Token': decodeURIComponent(csrf) } : {}),
      body: JSON.stringify({ login_id: loginId, password }),
    });
    if (response.ok) { window.location.assign(target); return; }
    const body = await response.json().catch(() => ({}));
    error.textContent = body.message || 'Login failed. Please try again.';
    form.password.select();
  } catch {
    error.textContent = 'The server could not be reached. Check your connection and try again.';
  }
  button.disabled = false;
  button.textContent = 'Log in';
});
</script>`;
}

/**
 * The shell: loads React (window.React / window.ReactDOM, as Mattermost's webapp exposes them to
 * plugins; the bundle brings none of its own), defines window.registerPlugin and the registry
 * before the bundle loads, then renders the component registered for this path with that React.
 * The bundle moves between its pages with history.pushState and a popstate event; the shell
 * renders again on popstate.
 */
function shellBody(bundle: string, nonce: string): string {
  return `<div id="root"><p class="shell-status" id="shell-status" role="status">Loading…</p></div>
<script src="${SHELL_REACT_ROUTE}"></script>
<script nonce="${nonce}">
(() => {
  const routes = [];
  const roots = [];
  let nextId = 0;
  const registry = {
    registerCustomRoute(route, component) { routes.push({ route, component }); return 'route_' + nextId++; },
    registerRootComponent(component) { roots.push(component); return 'root_' + nextId++; },
  };
  const store = { getState: () => ({}), dispatch: () => undefined, subscribe: () => () => undefined };
  window.registerPlugin = (id, plugin) => plugin.initialize(registry, store);

  function match(pattern, path) {
    const want = pattern.split('/').filter(Boolean);
    const have = path.split('/').filter(Boolean);
    if (want.length !== have.length) return null;
    const params = {};
    for (let i = 0; i < want.length; i++) {
      if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(have[i]);
      else if (want[i] !== have[i]) return null;
    }
    return params;
  }
  function fail(message) {
    document.getElementById('root').innerHTML = '';
    const p = document.createElement('p');
    p.className = 'shell-status';
    p.setAttribute('role', 'alert');
    p.textContent = message;
    document.getElementById('root').appendChild(p);
  }
  let root = null;
  function render() {
    const R = window.React;
    const D = window.ReactDOM;
    if (!R || !D) return fail('The OAuth 2.0 plugin did not load. Reload the page to try again.');
    let page = null;
    for (const r of routes) {
      const params = match(r.route, window.location.pathname);
      if (params) { page = R.createElement(r.component, { params, key: r.route }); break; }
    }
    if (!page) page = R.createElement('main', { className: 'shell-status', key: 'none' }, R.createElement('h1', null, 'Page not found'));
    if (!root) { document.getElementById('root').innerHTML = ''; root = D.createRoot(document.getElementById('root')); }
    root.render(R.createElement(R.Fragment, null, ...roots.map((c, i) => R.createElement(c, { key: 'root' + i })), page));
  }
  window.addEventListener('popstate', render);
  const script = document.createElement('script');
  script.src = ${JSON.stringify(bundle)};
  script.addEventListener('load', render);
  script.addEventListener('error', () => fail('The OAuth 2.0 plugin did not load. Reload the page to try again.'));
  document.body.appendChild(script);
})();
</script>`;
}
