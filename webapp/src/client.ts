// Requests to the server with the session cookie. Cookie-authenticated changes carry the CSRF token
// from the MMCSRF cookie in X-CSRF-Token, as Mattermost's webapp sends it.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly id = '',
  ) {
    super(message);
  }
}

function csrfToken(): string {
  const found = /(?:^|;\s*)MMCSRF=([^;]*)/.exec(document.cookie);
  return found ? decodeURIComponent(found[1]) : '';
}

export function loginUrl(): string {
  return `/login?redirect_to=${encodeURIComponent(window.location.pathname + window.location.search)}`;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method, credentials: 'same-origin', headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'The server could not be reached. Check your connection and try again.');
  }
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.status === 401) {
    // The session ended (logged out elsewhere, expired): log in again and come back here.
    window.location.assign(loginUrl());
  }
  if (!response.ok) {
    const e = (data ?? {}) as { message?: string; error_description?: string; id?: string };
    throw new ApiError(response.status, e.message || e.error_description || `The request failed (${response.status}).`, e.id ?? '');
  }
  return data as T;
}

export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {});
export const put = <T>(path: string, body: unknown) => request<T>('PUT', path, body);
export const del = <T>(path: string) => request<T>('DELETE', path);

// ---- The JSON shapes (Mattermost's).

export interface User {
  id: string;
  username: string;
  email: string;
  roles: string;
}

export interface Team {
  id: string;
  name: string;
  display_name: string;
}

export interface OAuthApp {
  id: string;
  creator_id: string;
  create_at: number;
  update_at: number;
  client_secret: string;
  name: string;
  description: string;
  icon_url: string;
  callback_urls: string[];
  homepage: string;
  is_trusted: boolean;
  is_public?: boolean;
  is_dynamically_registered?: boolean;
  /** The grants the app may use (RFC 7591 names), spelled out by the plugin. */
  grant_types?: string[];
}

/** RFC 8628's device authorization grant, which apps opt into. */
export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** What an app that never chose may use (the plugin's defaults). */
export const DEFAULT_GRANTS = ['authorization_code', 'implicit', 'refresh_token'];

/** The app's grants with the device grant added or removed. */
export function withDeviceGrant(grants: string[] | undefined, allow: boolean): string[] {
  const others = (grants ?? DEFAULT_GRANTS).filter((g) => g !== DEVICE_GRANT);
  return allow ? [...others, DEVICE_GRANT] : others;
}

export interface OutgoingConnection {
  id: string;
  name: string;
  creator_id: string;
  create_at: number;
  update_at: number;
  client_id: string;
  client_secret: string;
  credentials_username?: string;
  oauth_token_url: string;
  grant_type: 'client_credentials' | 'password';
  audiences: string[];
  cache_tokens: boolean;
}

/** The plugin's protected resource record (RFC 9728): `client_secret` is set only right after create or regenerate. */
export interface ProtectedResource {
  id: string;
  identifier: string;
  name: string;
  scopes: string[];
  token_format: 'introspection' | 'jwt';
  creator_id: string;
  create_at: number;
  update_at: number;
  client_secret: string;
  /** The RFC 9728 document a client sees for the resource. */
  metadata: Record<string, unknown>;
  /** Where the plugin serves that document; empty when the resource serves it itself. */
  metadata_url: string;
}

export const RESOURCES_API = '/plugins/oauth-plugin/api/v1/resources';

export interface Command {
  id: string;
  token: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  creator_id: string;
  team_id: string;
  trigger: string;
  method: 'P' | 'G';
  username: string;
  icon_url: string;
  auto_complete: boolean;
  auto_complete_desc: string;
  auto_complete_hint: string;
  display_name: string;
  description: string;
  url: string;
}

export interface AppConnection {
  app_id: string;
  connected_at: number;
  expires_at?: number;
}

export const isAdmin = (user: User) => user.roles.split(/\s+/).includes('system_admin');

let me: Promise<User> | null = null;

/** The logged-in user, asked once per page load. */
export function currentUser(): Promise<User> {
  me ??= get<User>('/api/v4/users/me').catch((e) => {
    me = null;
    throw e;
  });
  return me;
}

// ---- Outgoing webhooks, channels, posts and interactive messages (Mattermost's shapes)

export type HookContentType = 'application/x-www-form-urlencoded' | 'application/json';

export interface OutgoingWebhook {
  id: string;
  token: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  creator_id: string;
  channel_id: string;
  team_id: string;
  trigger_words: string[];
  /** 0: the first word matches a trigger word exactly; 1: it starts with one. */
  trigger_when: 0 | 1;
  callback_urls: string[];
  display_name: string;
  description: string;
  content_type: HookContentType;
  username: string;
  icon_url: string;
}

export interface Channel {
  id: string;
  team_id: string;
  /** 'O' open, 'P' private, 'D' direct, 'G' group. */
  type: string;
  name: string;
  display_name: string;
}

/** Mattermost's PostAction as clients see it: the integration's URL and context stay on the server. */
export interface PostAction {
  id: string;
  name: string;
  type?: string;
  style?: string;
}

/** Mattermost's SlackAttachment, the parts shown here. */
export interface Attachment {
  fallback?: string;
  color?: string;
  pretext?: string;
  title?: string;
  text?: string;
  actions?: PostAction[];
}

export interface Post {
  id: string;
  create_at: number;
  update_at: number;
  edit_at: number;
  delete_at: number;
  user_id: string;
  channel_id: string;
  root_id: string;
  message: string;
  type: string;
  props: {
    attachments?: Attachment[];
    from_webhook?: string;
    webhook_display_name?: string;
    override_username?: string;
    [key: string]: unknown;
  } | null;
}

export interface PostList {
  /** Post ids, newest first. */
  order: string[];
  posts: Record<string, Post>;
}

/** What POST /api/v4/commands/execute answers (the parts shown here). */
export interface CommandResponse {
  response_type?: 'ephemeral' | 'in_channel' | '';
  text?: string;
  goto_location?: string;
}

export interface DialogOption {
  text: string;
  value: string;
}

export interface DialogElement {
  display_name: string;
  name: string;
  type: 'text' | 'textarea' | 'select' | 'radio' | 'bool';
  subtype?: string;
  default?: string;
  placeholder?: string;
  help_text?: string;
  optional?: boolean;
  min_length?: number;
  max_length?: number;
  options?: DialogOption[] | null;
}

export interface InteractiveDialog {
  callback_id?: string;
  title: string;
  introduction_text?: string;
  elements?: DialogElement[] | null;
  submit_label?: string;
  notify_on_cancel?: boolean;
  state?: string;
}

/** The `open_dialog` event's request: what an integration asked POST /actions/dialogs/open to show. */
export interface OpenDialogRequest {
  trigger_id: string;
  url: string;
  dialog: InteractiveDialog;
}

/** An integration's answer to a dialog submission: a general error, or errors by field name. */
export interface DialogSubmitResponse {
  error?: string;
  errors?: Record<string, string>;
}
