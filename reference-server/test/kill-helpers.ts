// What the SIGKILL tests share (cluster.test.ts on PostgreSQL, durability.test.ts on SQLite): a
// trusted app made through a node, tokens from the code flow, and a token load that the test cuts
// with SIGKILL, recording every token pair whose answer arrived.
import assert from 'node:assert/strict';
import { CALLBACK, exchangeCode, meStatus, refreshGrant, type AppCredentials } from './helpers.js';
import { waitUntil, type Node } from './pg-helpers.js';

/** Creates a trusted confidential app (no consent page) through `node`. */
export async function createApp(node: Node, session: string, name: string): Promise<AppCredentials> {
  const res = await fetch(`${node.url}/api/v4/oauth/apps`, {
    method: 'POST',
    headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, homepage: 'https://example.com', callback_urls: [CALLBACK], is_trusted: true }),
  });
  const body = (await res.json()) as AppCredentials;
  assert.equal(res.status, 201, JSON.stringify(body));
  return body;
}

/** An authorization code issued through `node` for the session's user. */
export async function codeFrom(node: Node, session: string, app: AppCredentials): Promise<string> {
  const query = new URLSearchParams({ response_type: 'code', client_id: app.id, redirect_uri: CALLBACK, state: 's' });
  const res = await fetch(`${node.url}/oauth/authorize?${query}`, { headers: { authorization: `Bearer ${session}` }, redirect: 'manual' });
  await res.body?.cancel();
  const code = new URL(res.headers.get('location') ?? 'http://x/').searchParams.get('code');
  if (res.status !== 302 || !code) throw new Error(`authorize through ${node.name}: ${res.status}`);
  return code;
}

export interface Tokens { access_token: string; refresh_token: string }

export async function tokensFrom(node: Node, session: string, app: AppCredentials): Promise<Tokens> {
  const res = await exchangeCode(node.url, app, await codeFrom(node, session, app));
  if (res.status !== 200) throw new Error(`token through ${node.name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as unknown as Tokens;
}

export interface KillOutcome {
  /** Token pairs whose answer arrived before the kill and whose refresh token was never sent again. */
  live: Tokens[];
  received: number;
  inFlightAtKill: number;
}

/**
 * Runs `workers` clients against `node` (code exchanges, every other one followed by a refresh) until
 * `minimum` token answers have arrived, then kills the node with SIGKILL in the middle of the load.
 */
export async function loadThenKill(node: Node, session: string, app: AppCredentials, workers = 8, minimum = 100): Promise<KillOutcome> {
  /** Token pairs whose response arrived; `spent` once their refresh token was sent again. */
  const received: (Tokens & { spent: boolean })[] = [];
  let inFlight = 0;
  let killed = false;
  const tracked = async <T>(work: () => Promise<T>): Promise<T> => {
    inFlight++;
    try {
      return await work();
    } finally {
      inFlight--;
    }
  };
  const worker = async (n: number) => {
    // Bounded: the node dies within seconds; the bound only guards against a hang.
    for (let round = 0; !killed && round < 10_000; round++) {
      try {
        const pair = { ...(await tracked(() => tokensFrom(node, session, app))), spent: false };
        received.push(pair);
        if ((round + n) % 2 === 0) {
          pair.spent = true; // from here on the server may rotate it even if no answer comes back
          const res = await tracked(() => refreshGrant(node.url, app, pair.refresh_token));
          if (res.status !== 200) throw new Error(`refresh: ${res.status}`);
          received.push({ ...(res.body as unknown as Tokens), spent: false });
        }
      } catch (err) {
        if (killed) return;
        throw err;
      }
    }
  };
  const load = Promise.all(Array.from({ length: workers }, (_, n) => worker(n)));
  await waitUntil('the load has produced tokens', async () => received.length >= minimum, 30_000);
  const inFlightAtKill = inFlight;
  killed = true;
  node.child.kill('SIGKILL');
  assert.equal(await node.exited, 'SIGKILL');
  await load;
  assert.ok(inFlightAtKill > 0, 'requests were in flight when the node died');
  const live = received.filter((t) => !t.spent).map(({ access_token, refresh_token }) => ({ access_token, refresh_token }));
  return { live, received: received.length, inFlightAtKill };
}

/** The pairs of `live` whose access token or refresh token does not work through `url`. */
export async function brokenPairs(url: string, app: AppCredentials, live: Tokens[]): Promise<number[][]> {
  const statuses = await Promise.all(live.map(async (t) => [await meStatus(url, t.access_token), (await refreshGrant(url, app, t.refresh_token)).status]));
  return statuses.filter(([me, refresh]) => me !== 200 || refresh !== 200);
}
