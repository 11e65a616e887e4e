// The field rules the server applies (Mattermost's), checked in the browser first so that the
// message appears next to the field. The server checks again and its answer is shown if it refuses.

/** Mattermost's IsValidHTTPURL: begins with http:// or https:// and parses with a host. */
export function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    return new URL(value).host !== '';
  } catch {
    return false;
  }
}

/** Where credentials sent to `url` go: scheme, host and port; null for what does not parse. */
export function origin(url: string): string | null {
  try {
    return new URL(url.trim()).origin;
  } catch {
    return null;
  }
}

/** Lines of a "one per line" field, trimmed, blank lines dropped. */
export function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean);
}

export const chars = (text: string) => [...text].length;

export type Errors<K extends string> = Partial<Record<K, string>>;

export function firstError<K extends string>(errors: Errors<K>, order: K[]): K | undefined {
  return order.find((k) => errors[k]);
}

/** Moves focus to the first field with an error, so keyboard users land where the fix is. */
export function focusField(id: string | undefined): void {
  if (id) document.getElementById(id)?.focus();
}

// ---- Protected resources (the plugin's own rules, src/provider/resources.rs): the cheap ones here;
// those that need the SiteURL (on the chat server's origin, under its path) are the server's.

export const RESOURCE_NAME_MAX = 64;
export const RESOURCE_SCOPES_MAX = 20;
const RESOURCE_IDENTIFIER_MAX = 256;
const SCOPE_MAX = 64;
/** The chat server's own scopes, which no resource may claim. */
export const RESERVED_SCOPES = ['openid', 'profile', 'email', 'user', 'offline_access'];

/** http is allowed only for an identifier on this machine. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function resourceNameError(name: string): string | undefined {
  const n = chars(name);
  if (n === 0) return 'Name is required.';
  if (n > RESOURCE_NAME_MAX) return `Name must be ${RESOURCE_NAME_MAX} characters or fewer (now ${n}).`;
  return undefined;
}

export function resourceIdentifierError(identifier: string): string | undefined {
  if (!identifier) return 'Identifier is required.';
  if (chars(identifier) > RESOURCE_IDENTIFIER_MAX) return `Identifier must be ${RESOURCE_IDENTIFIER_MAX} characters or fewer.`;
  if (/\s/.test(identifier) || !isHttpUrl(identifier)) return 'Identifier must be a URL that starts with https:// (or http:// on localhost).';
  const url = new URL(identifier);
  if (url.username || url.password) return 'Identifier must not contain a user name or password.';
  if (identifier.includes('?')) return 'Identifier must not have a query (?…).';
  if (identifier.includes('#')) return 'Identifier must not have a fragment (#…).';
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) return 'Identifier must use https:// (http:// only on localhost).';
  // The server keeps identifiers in the WHATWG URL form the browser writes too; a bare origin may
  // go without the "/" that form gives it, as MCP clients name such a server.
  const bareOrigin = url.pathname === '/' && url.href === `${identifier}/`;
  if (url.href !== identifier && !bareOrigin) return `Identifier must be in its normalized form: write it as “${url.href}”.`;
  return undefined;
}

/** RFC 6749 §3.3 scope-token: printable ASCII without space, '"' or '\'. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function resourceScopesError(scopes: string[]): string | undefined {
  if (scopes.length > RESOURCE_SCOPES_MAX) return `At most ${RESOURCE_SCOPES_MAX} scopes (now ${scopes.length}).`;
  for (const [index, scope] of scopes.entries()) {
    if (scope.length > SCOPE_MAX || !SCOPE_TOKEN.test(scope)) {
      return `Scope “${scope}” must be 1 to ${SCOPE_MAX} characters, printable ASCII without space, '"' or '\\'.`;
    }
    if (RESERVED_SCOPES.includes(scope)) return `Scope “${scope}” belongs to the chat server.`;
    if (scopes.indexOf(scope) !== index) return `Scope “${scope}” is listed twice.`;
  }
  return undefined;
}

/** Scopes as an admin types them: separated by spaces, commas or new lines. */
export const scopeList = (text: string) => text.split(/[\s,]+/).filter(Boolean);
