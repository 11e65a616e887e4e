// Outbound HTTP for the plugin. The address check runs inside the socket's DNS lookup, on the
// address actually dialled, so DNS rebinding cannot slip a private address past it.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
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
  /** Certificate authorities trusted for https beside Node's own (PEM), as tests need for their own servers. */
  extraCa?: string[];
}

export type Fetcher = (req: FetchRequest) => Promise<FetchResponse>;

/** A failure this module explains itself; any other error is wrapped as "request failed: …". */
/** A refused or failed fetch; its message is written for the admin who set the URL. */
export class FetchError extends Error {}

type Ip = ipaddr.IPv4 | ipaddr.IPv6;

interface AllowList {
  hosts: Set<string>;
  ranges: [Ip, number][];
}

/**
 * An IP address, an IPv4-mapped one as its IPv4 address. ipaddr.js reads "::1.2.3.4" (how the C
 * library prints an IPv4-compatible address) as "::ffff:1.2.3.4", so IPv6 text is first rewritten
 * in WHATWG URL's all-hex form, which it reads right. A zone id ("%eth0") plays no part in the policy.
 */
function parseIp(text: string): Ip {
  let canonical = text.split('%')[0];
  if (isIP(canonical) === 6) canonical = new URL(`http://[${canonical}]/`).hostname.slice(1, -1);
  const addr = ipaddr.parse(canonical);
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
}

/** "10.0.0.0/8", "fc00::/7" or one address; an IPv4-mapped range ("::ffff:10.0.0.0/104") is that IPv4 range. */
function parseRange(entry: string): [Ip, number] {
  const [address, bits] = entry.split('/');
  const addr = parseIp(address);
  if (bits === undefined) return [addr, addr.kind() === 'ipv4' ? 32 : 128];
  return addr.kind() === 'ipv4' && isIP(address) === 6 ? [addr, Math.max(Number(bits) - 96, 0)] : [addr, Number(bits)];
}

function parseAllowList(text: string): AllowList {
  const allow: AllowList = { hosts: new Set(), ranges: [] };
  for (const entry of text.split(/[\s,]+/).filter(Boolean)) {
    if ((entry.includes('/') && ipaddr.isValidCIDR(entry)) || isIP(entry)) allow.ranges.push(parseRange(entry));
    else allow.hosts.add(entry.toLowerCase());
  }
  return allow;
}

// IPv4: ipaddr.js's range() names every IANA special-purpose block (0/8, 100.64/10, 192.0.0/24,
// 192.0.2/24, 192.88.99/24, 198.18/15, 198.51.100/24, 203.0.113/24, 240/4, AS112, AMT …) and calls
// the rest "unicast"; only that rest is public. (Its IPv6 "unicast" is far wider, hence the table below.)
const IPV4_WORDS: Record<string, string> = {
  loopback: 'a loopback', private: 'a private', linkLocal: 'a link-local', unspecified: 'an unspecified',
  carrierGradeNat: 'a carrier-grade NAT', multicast: 'a multicast', broadcast: 'a broadcast', reserved: 'a reserved',
};

type Cidr = [ipaddr.IPv6, number];
const cidr = (text: string) => ipaddr.IPv6.parseCIDR(text) as Cidr;

/** Named IPv6 blocks, for the message; anything outside 2000::/3 is refused whether named or not. */
const IPV6_NAMED: [Cidr, string][] = [
  [cidr('::1/128'), 'a loopback'], [cidr('::/128'), 'an unspecified'], [cidr('fe80::/10'), 'a link-local'],
  [cidr('fc00::/7'), 'a unique-local'], [cidr('ff00::/8'), 'a multicast'], [cidr('fec0::/10'), 'a deprecated site-local'],
  [cidr('5f00::/16'), 'a segment routing (SRv6)'], [cidr('100::/64'), 'a discard-only'],
];

const GLOBAL_UNICAST = cidr('2000::/3');

/**
 * IANA special-purpose blocks inside 2000::/3 that are not the open Internet. Checked after the
 * forms that embed IPv4 (Teredo 2001::/32 and 6to4 2002::/16 are judged by what they embed).
 */
const IPV6_SPECIAL: [Cidr, string][] = [
  [cidr('2001:db8::/32'), 'a documentation'], [cidr('3fff::/20'), 'a documentation'],
  [cidr('2001::/23'), 'an IETF protocol assignment (2001::/23)'],
];

const IPV4_COMPATIBLE = cidr('::/96'); // RFC 4291 §2.5.5.1, deprecated; :: and ::1 are named above
const NAT64 = cidr('64:ff9b::/96'); // RFC 6052
const NAT64_LOCAL = cidr('64:ff9b:1::/48'); // RFC 8215, with RFC 6052's /48 layout
const SIX_TO_FOUR = cidr('2002::/16'); // RFC 3056
const TEREDO = cidr('2001::/32'); // RFC 4380

/** The IPv4 addresses an IPv6 address carries (forms that embed IPv4), or null for other forms. */
function embeddedIPv4(addr: ipaddr.IPv6): ipaddr.IPv4[] | null {
  const b = addr.toByteArray();
  const v4 = (octets: number[]) => new ipaddr.IPv4(octets);
  if (addr.match(IPV4_COMPATIBLE) || addr.match(NAT64)) return [v4(b.slice(12))];
  // RFC 6052 §2.2, prefix /48: the IPv4 address is bytes 6–7 and 9–10 (byte 8 is the zero "u" octet).
  if (addr.match(NAT64_LOCAL)) return [v4([b[6], b[7], b[9], b[10]])];
  if (addr.match(SIX_TO_FOUR)) return [v4(b.slice(2, 6))];
  // Teredo: the server's address, and the client's stored inverted (XOR 0xffffffff); traffic reaches both.
  if (addr.match(TEREDO)) return [v4(b.slice(4, 8)), v4(b.slice(12).map((x) => x ^ 0xff))];
  return null;
}

/** Why an IPv4 address is not public ("a loopback"), or null when it is. */
function ipv4Words(addr: ipaddr.IPv4): string | null {
  const range = addr.range();
  return range === 'unicast' ? null : IPV4_WORDS[range] ?? `a special-purpose (${range})`;
}

/** Why an IPv4 address is not public, or null. */
function ipv4Reason(addr: ipaddr.IPv4): string | null {
  const words = ipv4Words(addr);
  return words && `${addr} is ${words} address`;
}

/** Why an IPv6 address is not public, or null: global unicast only, an embedded IPv4 judged as IPv4. */
function ipv6Reason(addr: ipaddr.IPv6): string | null {
  const named = IPV6_NAMED.find(([net]) => addr.match(net));
  if (named) return `${addr} is ${named[1]} address`;
  const embedded = embeddedIPv4(addr);
  if (embedded) {
    for (const v4 of embedded) {
      const words = ipv4Words(v4);
      if (words) return `${addr} embeds ${v4}, ${words} address`;
    }
    return null;
  }
  if (!addr.match(GLOBAL_UNICAST)) return `${addr} is a non-global address`;
  const special = IPV6_SPECIAL.find(([net]) => addr.match(net));
  return special ? `${addr} is ${special[1]} address` : null;
}

function isListed(addr: Ip, allow: AllowList): boolean {
  return allow.ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
}

/**
 * Why an address may not be dialled, or null when it may: public unicast, or listed. An IPv4-mapped
 * address is its IPv4 address (listing the IPv4 address opens it); other IPv6 forms that embed an
 * IPv4 address are judged by it but open only when the IPv6 address itself is listed.
 */
function refusal(address: string, allow: AllowList): string | null {
  const addr = parseIp(address);
  if (isListed(addr, allow)) return null;
  const reason = addr.kind() === 'ipv4' ? ipv4Reason(addr as ipaddr.IPv4) : ipv6Reason(addr as ipaddr.IPv6);
  return reason && `refused: ${reason}; allow it in AllowedUntrustedInternalConnections`;
}

/** The address policy on its own, for one address and an AllowedUntrustedInternalConnections value (nothing is dialled). */
export function addressRefusal(address: string, allowList: string): string | null {
  return refusal(address, parseAllowList(allowList));
}

function checkAddress(address: string, allow: AllowList): void {
  const why = refusal(address, allow);
  if (why) throw new FetchError(why);
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
      throw err instanceof FetchError ? err : new Error(message);
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
  const maxBytes = Math.min(req.maxResponseBytes ?? Infinity, policy.maxResponseBytes ?? MAX_RESPONSE_BYTES);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let request: http.ClientRequest;
    try {
      request = transport.request(url, {
        method, headers: headerObject(req.headers ?? []), agent: false,
        ...(policy.extraCa?.length ? { ca: [...rootCertificates, ...policy.extraCa] } : {}),
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
