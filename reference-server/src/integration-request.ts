// Every request the server sends to an integration (slash commands, outgoing webhooks, message
// actions, dialog submissions) goes through here, so one rule holds for all of them:
// - the Authorization header comes from the plugin's outgoing OAuth connections, and a URL the
//   plugin cannot vouch for (not active, token server refused, crash, timeout) gets no request at all;
// - the host's guarded outbound HTTP (address policy, timeout, size limit, no redirects);
// - one log line per request, never with a token.
import type { Services } from './api/context.js';
import type { FetchResponse } from './contract.js';
import { ApiError } from './errors.js';
import { isObject } from './http.js';
import { errorMessage, type PluginManager } from './plugin.js';

/** No token could be had for the URL, so nothing was sent; the message says why, naming the connection. */
export class NotSent extends Error {}

/** The request was sent but no answer came (refused address, timeout, connection error, too large). */
export class SendFailed extends Error {}

export interface IntegrationCall {
  method: 'GET' | 'POST';
  url: string;
  /** A POST's body and its Content-Type. */
  body?: { contentType: string; bytes: Uint8Array };
  /** The Authorization value when no connection covers the URL (a command's "Token …"); none if absent. */
  ownAuthorization?: string;
}

/**
 * The Authorization header for `url`: the plugin's (a connection covers it), else `own`. Throws
 * NotSent when the plugin cannot answer: without it nobody can tell whether a connection covers the URL.
 */
async function authorization(plugin: PluginManager, url: string, own: string | undefined): Promise<string | undefined> {
  if (plugin.state !== 'active') throw new NotSent(`the OAuth plugin is not active (${plugin.state})`);
  let header: unknown;
  try {
    header = await plugin.call('authorizeOutgoingRequest', (p) => p.authorizeOutgoingRequest(url));
  } catch (err) {
    // A plugin error carries the plugin's own message (which connection, why) as the detail.
    throw new NotSent(err instanceof ApiError ? err.detailedError || err.message : errorMessage(err));
  }
  if (header === null || header === undefined) return own;
  if (typeof header !== 'string' || header === '' || /[\r\n]/.test(header)) throw new NotSent('the plugin gave an invalid Authorization value');
  return header;
}

/** Sends `call` with the Authorization the rule above gives. Throws NotSent or SendFailed. */
export async function callIntegration(services: Services, call: IntegrationCall): Promise<FetchResponse> {
  const auth = await authorization(services.plugin, call.url, call.ownAuthorization);
  const headers: [string, string][] = [['Accept', 'application/json']];
  if (auth !== undefined) headers.push(['Authorization', auth]);
  if (call.body) headers.push(['Content-Type', call.body.contentType]);
  try {
    return await services.fetch({ method: call.method, url: call.url, headers, body: call.body?.bytes });
  } catch (err) {
    throw new SendFailed(errorMessage(err));
  }
}

/** A JSON POST body. */
export function jsonBody(value: unknown): IntegrationCall['body'] {
  return { contentType: 'application/json', bytes: new TextEncoder().encode(JSON.stringify(value)) };
}

/** A form POST body. */
export function formBody(form: URLSearchParams): IntegrationCall['body'] {
  return { contentType: 'application/x-www-form-urlencoded', bytes: new TextEncoder().encode(form.toString()) };
}

/** Whether the answer says it is JSON. */
export function isJsonAnswer(res: FetchResponse): boolean {
  const contentType = res.headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
  return contentType.split(';')[0].trim().toLowerCase() === 'application/json';
}

/** The answer's body as text. */
export const answerText = (res: FetchResponse) => Buffer.from(res.body).toString('utf8');

/**
 * The answer as a JSON object; null when it has no body, or (with `saysJson`) when it does not say
 * it is JSON. Throws an Error saying what is wrong with a body that should be a JSON object and is not.
 */
export function answerObject(res: FetchResponse, saysJson = true): Record<string, unknown> | null {
  const body = answerText(res);
  if (body.trim() === '' || (saysJson && !isJsonAnswer(res))) return null;
  let answer: unknown;
  try {
    answer = JSON.parse(body);
  } catch {
    throw new Error('the answer is not valid JSON');
  }
  if (!isObject(answer)) throw new Error('the answer is not a JSON object');
  return answer;
}

/**
 * Runs `work` and writes one log line when it ends: `fields`, the integration's status (work calls
 * `noteStatus`), the outcome (ok, or the error's id) and the time taken. Never a token or a body.
 */
export async function logged<T>(services: Services, message: string, fields: Record<string, unknown>,
  work: (noteStatus: (status: number) => void) => Promise<T>): Promise<T> {
  const started = Date.now();
  let status: number | undefined;
  let outcome = 'ok';
  try {
    return await work((s) => (status = s));
  } catch (err) {
    outcome = err instanceof ApiError ? err.id : err instanceof NotSent ? 'not_sent' : 'error';
    throw err;
  } finally {
    services.log.log(outcome === 'ok' ? 'info' : 'warn', message, { ...fields, status, outcome, ms: Date.now() - started });
  }
}
