// Outbound HTTP for the plugin. The address check runs inside the socket's DNS lookup, on the
// address actually dialled, so DNS rebinding cannot slip a private address past it.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { FetchRequest, FetchResponse } from './contract.js';
import type { Logger } from './log.js';

export const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface FetchPolicy {
  /** AllowedUntrustedInternalConnections: host names, IPs and CIDRs, space- or comma-separated. */
  allowList: string;
  /** OutgoingIntegrationRequestsTimeout, in milliseconds. */
  timeoutMs: number;
  maxResponseBytes?: number;
}

export type Fetcher = (req: FetchRequest) => Promise<FetchResponse>;

/** A failure this module explains itself; any other error is wrapped as "request failed: …". */
class FetchError extends Error {}

interface AllowList {
  hosts: Set<string>;
  ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][];
}

function parseAllowList(text: string): AllowList {
  const allow: AllowList = { hosts: new Set(), ranges: [] };
  for (const entry of text.split(/[\s,]+/).filter(Boolean)) {
    if (entry.includes('/') && ipaddr.isValidCIDR(entry)) allow.ranges.push(ipaddr.parseCIDR(entry));
    else if (isIP(entry)) {
      const addr = ipaddr.process(entry);
      allow.ranges.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
    } else allow.hosts.add(entry.toLowerCase());
  }
  return allow;
}

const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback', private: 'a private', linkLocal: 'a link-local', uniqueLocal: 'a unique-local',
  unspecified: 'an unspecified', carrierGradeNat: 'a carrier-grade NAT', multicast: 'a multicast',
  broadcast: 'a broadcast', reserved: 'a reserved',
};

/** Throws unless the address is public unicast or listed. IPv4-mapped IPv6 is judged as IPv4. */
function checkAddress(address: string, allow: AllowList): void {
  const addr = ipaddr.process(address);
  const range = addr.range();
  if (range === 'unicast') return;
  if (allow.ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits))) return;
  const words = RANGE_WORDS[range] ?? `a special-purpose (${range})`;
  throw new FetchError(`refused: ${addr.toString()} is ${words} address; allow it in AllowedUntrustedInternalConnections`);
}

function guardedLookup(allow: AllowList): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err);
      try {
        addresses.forEach((a) => checkAddress(a.address, allow));
      } catch (refusal) {
        return callback(refusal);
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  }) as unknown as LookupFunction;
}

function parseTarget(rawUrl: string, method: string): URL {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new FetchError('invalid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchError(`refused: only http and https URLs are allowed, not ${url.protocol}`);
  if (url.username || url.password) throw new FetchError('refused: URLs with credentials (user:password@) are not allowed');
  if (!/^[A-Za-z]+$/.test(method)) throw new FetchError('invalid method');
  return url;
}

/** What a log line may show: never the query (it may carry secrets). */
const loggable = (url: URL) => `${url.protocol}//${url.host}${url.pathname}`;

export function createFetcher(policy: () => FetchPolicy, log: Logger): Fetcher {
  return async (req) => {
    const started = Date.now();
    const method = (req.method || 'GET').toUpperCase();
    let shown = '(invalid URL)';
    try {
      const url = parseTarget(req.url, method);
      shown = loggable(url);
      const res = await send(url, method, req, policy());
      log.log('info', 'fetch', { method, url: shown, status: res.status, ms: Date.now() - started });
      return res;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log.log('warn', 'fetch failed', { method, url: shown, error: message, ms: Date.now() - started });
      throw new Error(message);
    }
  };
}

function send(url: URL, method: string, req: FetchRequest, policy: FetchPolicy): Promise<FetchResponse> {
  const allow = parseAllowList(policy.allowList);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const listedHost = allow.hosts.has(host.toLowerCase());
  // Node skips the lookup for IP literals, so those are checked here.
  if (isIP(host) && !listedHost) checkAddress(host, allow);
  const timeoutMs = Math.min(req.timeoutMs ?? Infinity, policy.timeoutMs);
  const maxBytes = policy.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let request: http.ClientRequest;
    try {
      request = transport.request(url, {
        method, headers: headerObject(req.headers ?? []), agent: false,
        lookup: listedHost ? undefined : guardedLookup(allow),
      });
    } catch (err) {
      return reject(new FetchError(`invalid request: ${err instanceof Error ? err.message : String(err)}`));
    }
    const timer = setTimeout(() => request.destroy(new FetchError(`timed out after ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(err instanceof FetchError ? err : new FetchError(`request failed: ${err.message}`));
    };
    request.on('error', fail);
    // Redirects are never followed: a 3xx is returned as it is.
    request.on('response', (res) => readResponse(res, maxBytes, request).then((r) => {
      clearTimeout(timer);
      resolve(r);
    }, fail));
    request.end(req.body ? Buffer.from(req.body) : undefined);
  });
}

/** Repeated names become arrays; an object (not a raw list) keeps Node's Host and framing headers. */
function headerObject(pairs: Array<[string, string]>): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of pairs) (headers[name.toLowerCase()] ??= []).push(value);
  return headers;
}

function readResponse(res: http.IncomingMessage, maxBytes: number, request: http.ClientRequest): Promise<FetchResponse> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => {
      const err = new FetchError(`response larger than ${maxBytes} bytes`);
      request.destroy(err);
      reject(err);
    };
    if (Number(res.headers['content-length'] ?? 0) > maxBytes) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge();
      else chunks.push(chunk);
    });
    res.on('end', () => {
      const headers: [string, string][] = [];
      for (let i = 0; i < res.rawHeaders.length; i += 2) headers.push([res.rawHeaders[i].toLowerCase(), res.rawHeaders[i + 1]]);
      resolve({ status: res.statusCode ?? 0, headers, body: new Uint8Array(Buffer.concat(chunks)) });
    });
    res.on('error', reject);
  });
}
