// Outbound HTTP for the plugin: address policy, timeouts, size limit, no redirects, clean logs.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { addressRefusal, createFetcher, MAX_RESPONSE_BYTES, type FetchPolicy } from '../src/fetch.js';
import { createLogger } from '../src/log.js';

interface Target {
  url: string;
  hits: string[];
  close(): Promise<void>;
}

/** A local server whose routes exercise each rule. */
async function startTarget(host = '127.0.0.1'): Promise<Target> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    if (req.url === '/redirect') {
      res.writeHead(302, { Location: '/elsewhere' }).end();
    } else if (req.url === '/big') {
      res.writeHead(200, { 'Content-Length': MAX_RESPONSE_BYTES + 1 }).end(Buffer.alloc(MAX_RESPONSE_BYTES + 1));
    } else if (req.url === '/big-chunked') {
      res.writeHead(200);
      for (let i = 0; i < 5; i++) res.write(Buffer.alloc(MAX_RESPONSE_BYTES / 4));
      res.end();
    } else if (req.url === '/slow') {
      setTimeout(() => res.end('late'), 5_000).unref();
    } else {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => res.writeHead(200, { 'X-Echo': req.headers['x-test'] ?? '', 'Set-Cookie': ['a=1', 'b=2'] }).end(`hello ${body}`));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    hits,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

describe('httpFetch', () => {
  let target: Target;
  const lines: string[] = [];
  const fetcherWith = (policy: Partial<FetchPolicy>) =>
    createFetcher(() => ({ allowList: '', timeoutMs: 30_000, ...policy }), createLogger((l) => lines.push(l)));
  const get = (path: string, policy: Partial<FetchPolicy> = { allowList: '127.0.0.1' }) =>
    fetcherWith(policy)({ method: 'GET', url: target.url + path, headers: [] });

  before(async () => {
    target = await startTarget();
  });
  after(async () => {
    await target.close();
  });

  it('refuses loopback by default, before connecting', async () => {
    const before = target.hits.length;
    await assert.rejects(get('/', {}), {
      message: 'refused: 127.0.0.1 is a loopback address; allow it in AllowedUntrustedInternalConnections',
    });
    assert.equal(target.hits.length, before);
  });

  it('checks the resolved address of a host name', async () => {
    const url = target.url.replace('127.0.0.1', 'localhost');
    await assert.rejects(fetcherWith({})({ method: 'GET', url, headers: [] }), /^Error: refused: (127\.0\.0\.1|::1) is a loopback address/);
  });

  it('refuses private, link-local, CGNAT, unique-local, unspecified and IPv4-mapped addresses', async () => {
    const cases: [string, RegExp][] = [
      ['http://10.1.2.3/', /10\.1\.2\.3 is a private address/],
      ['http://192.168.0.1/', /is a private address/],
      ['http://169.254.169.254/latest', /is a link-local address/],
      ['http://100.64.0.1/', /is a carrier-grade NAT address/],
      ['http://[fd00::1]/', /fd00::1 is a unique-local address/],
      ['http://0.0.0.0/', /is an unspecified address/],
      ['http://[::ffff:127.0.0.1]/', /127\.0\.0\.1 is a loopback address/],
      ['http://[::1]/', /::1 is a loopback address/],
      ['http://224.0.0.1/', /is a multicast address/],
    ];
    for (const [url, message] of cases) {
      await assert.rejects(fetcherWith({})({ method: 'GET', url, headers: [] }), message, url);
    }
  });

  it('refuses IPv6 forms that embed a loopback IPv4 address, and other non-global IPv6, before connecting', async () => {
    const v6 = await startTarget('::1');
    try {
      const port = new URL(target.url).port;
      const at = (host: string, p = port) => `http://[${host}]:${p}/`;
      // Teredo (RFC 4380): server 65.54.227.120 (public), client 127.0.0.1 stored XORed with 0xffffffff.
      const teredoLoopback = '2001:0:4136:e378:8000:63bf:80ff:fffe';
      const cases: [string, RegExp][] = [
        [at('::127.0.0.1'), /^Error: refused: ::7f00:1 embeds 127\.0\.0\.1, a loopback address/],
        [at('::ffff:127.0.0.1'), /^Error: refused: 127\.0\.0\.1 is a loopback address/],
        [at('::ffff:7f00:1'), /^Error: refused: 127\.0\.0\.1 is a loopback address/],
        [at('64:ff9b::7f00:1'), /^Error: refused: 64:ff9b::7f00:1 embeds 127\.0\.0\.1, a loopback address/],
        [at('64:ff9b::127.0.0.1'), /^Error: refused: 64:ff9b::7f00:1 embeds 127\.0\.0\.1/],
        [at('64:ff9b:1:7f00:0:100::'), /^Error: refused: 64:ff9b:1:7f00:0:100:: embeds 127\.0\.0\.1, a loopback address/],
        [at('2002:7f00:1::1'), /^Error: refused: 2002:7f00:1::1 embeds 127\.0\.0\.1, a loopback address/],
        [at(teredoLoopback), /^Error: refused: 2001:0:4136:e378:8000:63bf:80ff:fffe embeds 127\.0\.0\.1, a loopback address/],
        [at('::1', new URL(v6.url).port), /^Error: refused: ::1 is a loopback address/],
        [at('::'), /^Error: refused: :: is an unspecified address/],
        [at('fe80::1'), /^Error: refused: fe80::1 is a link-local address/],
        [at('fc00::1'), /^Error: refused: fc00::1 is a unique-local address/],
        [at('2001:db8::1'), /^Error: refused: 2001:db8::1 is a documentation address/],
      ];
      const before = target.hits.length + v6.hits.length;
      for (const [url, message] of cases) {
        // 127.0.0.1 is listed: that opens 127.0.0.1 and its IPv4-mapped form only.
        const allowList = url.includes('ffff') ? '' : '127.0.0.1';
        await assert.rejects(fetcherWith({ allowList, timeoutMs: 2_000 })({ method: 'GET', url, headers: [] }), message, url);
      }
      assert.equal(target.hits.length + v6.hits.length, before, 'nothing was dialled');
      assert.equal((await fetcherWith({ allowList: '127.0.0.1' })({ method: 'GET', url: at('::ffff:127.0.0.1'), headers: [] })).status, 200,
        'an IPv4-mapped address counts as its IPv4 address');
      assert.equal((await fetcherWith({ allowList: '::1' })({ method: 'GET', url: v6.url, headers: [] })).status, 200);
    } finally {
      await v6.close();
    }
  });

  it('judges each address as public, or refused with the reason (addressRefusal)', () => {
    const allowed = [
      '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:82a::200e', '2620:4f:8000::1',
      '::ffff:8.8.8.8', '::8.8.8.8', '64:ff9b::808:808', '64:ff9b:1:808:8:800::', '2002:808:808::1',
      '2001:0:4136:e378:8000:63bf:f7f7:fbfb', // Teredo: server 65.54.227.120, client 8.8.4.4
    ];
    for (const address of allowed) assert.equal(addressRefusal(address, ''), null, address);
    const refused: [string, RegExp][] = [
      ['0.1.2.3', /unspecified/], ['100.64.0.1', /carrier-grade NAT/], ['192.0.0.8', /reserved/], ['192.0.2.1', /reserved/],
      ['198.18.0.1', /reserved/], ['198.51.100.1', /reserved/], ['203.0.113.1', /reserved/], ['240.0.0.1', /reserved/],
      ['255.255.255.255', /broadcast/], ['224.0.0.1', /multicast/], ['192.88.99.1', /reserved/], ['169.254.169.254', /link-local/],
      ['172.16.0.1', /private/], ['3fff::1', /documentation/], ['5f00::1', /segment routing/], ['2001:2::1', /IETF protocol assignment/],
      ['2001:10::1', /IETF protocol assignment/], ['2001:1::1', /IETF protocol assignment/], ['100::1', /discard-only/],
      ['4000::1', /non-global/], ['ff02::1', /multicast/], ['fec0::1', /site-local/], ['::ffff:0:7f00:1', /non-global/],
      ['64:ff9b::a00:1', /embeds 10\.0\.0\.1, a private/], ['64:ff9b:1:a00:0:100::', /embeds 10\.0\.0\.1, a private/],
      ['2002:a00:1::1', /embeds 10\.0\.0\.1, a private/], ['2002:c000:201::', /embeds 192\.0\.2\.1, a reserved/],
      ['::10.0.0.1', /embeds 10\.0\.0\.1, a private/],
      ['2001:0:a00:1:8000:63bf:f7f7:fbfb', /embeds 10\.0\.0\.1, a private/], // a Teredo server on a private address
      ['2001:0:4136:e378:8000:63bf:3fff:fdd2', /embeds 192\.0\.2\.45, a reserved/], // a Teredo client in documentation space
    ];
    for (const [address, reason] of refused) {
      const why = addressRefusal(address, '');
      assert.match(why ?? 'allowed', reason, address);
      assert.match(why ?? '', /; allow it in AllowedUntrustedInternalConnections$/, address);
    }
  });

  it('opens exactly what AllowedUntrustedInternalConnections lists', () => {
    assert.equal(addressRefusal('::ffff:127.0.0.1', '127.0.0.1'), null, 'IPv4-mapped: its IPv4 address');
    assert.match(addressRefusal('::127.0.0.1', '127.0.0.1') ?? '', /embeds 127\.0\.0\.1/, 'another embedding form: not by its IPv4 address');
    assert.match(addressRefusal('64:ff9b::7f00:1', '127.0.0.0/8') ?? '', /embeds 127\.0\.0\.1/);
    assert.equal(addressRefusal('64:ff9b::7f00:1', '64:ff9b::7f00:1'), null, 'the IPv6 address itself');
    assert.equal(addressRefusal('::7f00:1', '::127.0.0.1'), null, 'an IPv4-compatible entry, in dotted form, is that IPv6 address');
    assert.match(addressRefusal('127.0.0.1', '::127.0.0.1') ?? '', /loopback/, '… and not its IPv4 address');
    assert.equal(addressRefusal('2002:a00:1::1', '2002::/16'), null);
    assert.equal(addressRefusal('fd00::1', 'fc00::/7'), null);
    assert.equal(addressRefusal('10.1.2.3', '::ffff:10.0.0.0/104'), null, 'an IPv4-mapped range is its IPv4 range');
    assert.equal(addressRefusal('2001:db8::5', '2001:db8::/32'), null);
    assert.match(addressRefusal('2001:db8:1::5', '2001:db8::/48') ?? 'allowed', /documentation/);
  });

  it('allows a listed IP and sends method, headers and body', async () => {
    const res = await fetcherWith({ allowList: '127.0.0.1' })({
      method: 'POST', url: `${target.url}/echo`, headers: [['X-Test', 'yes']], body: new TextEncoder().encode('body'),
    });
    assert.equal(res.status, 200);
    assert.equal(new TextDecoder().decode(res.body), 'hello body');
    assert.deepEqual(res.headers.filter(([k]) => k === 'x-echo'), [['x-echo', 'yes']]);
    assert.deepEqual(res.headers.filter(([k]) => k === 'set-cookie').map(([, v]) => v), ['a=1', 'b=2']);
  });

  it('allows a listed CIDR, in a comma- or space-separated list', async () => {
    assert.equal((await get('/', { allowList: 'example.com, 127.0.0.0/8' })).status, 200);
    assert.equal((await get('/', { allowList: '10.0.0.0/8 127.0.0.0/30' })).status, 200);
    await assert.rejects(get('/', { allowList: '127.0.0.2/32' }), /loopback/);
  });

  it('returns a redirect as it is, without following it', async () => {
    const before = target.hits.length;
    const res = await get('/redirect');
    assert.equal(res.status, 302);
    assert.deepEqual(res.headers.find(([k]) => k === 'location'), ['location', '/elsewhere']);
    assert.deepEqual(target.hits.slice(before), ['GET /redirect']);
  });

  it('refuses a response larger than the limit, declared or streamed', async () => {
    await assert.rejects(get('/big'), { message: `response larger than ${MAX_RESPONSE_BYTES} bytes` });
    await assert.rejects(get('/big-chunked'), { message: `response larger than ${MAX_RESPONSE_BYTES} bytes` });
  });

  it('times out after the smaller of the request and server timeouts', async () => {
    await assert.rejects(get('/slow', { allowList: '127.0.0.1', timeoutMs: 200 }), { message: 'timed out after 200 ms' });
    await assert.rejects(
      fetcherWith({ allowList: '127.0.0.1', timeoutMs: 30_000 })({ method: 'GET', url: `${target.url}/slow`, headers: [], timeoutMs: 150 }),
      { message: 'timed out after 150 ms' },
    );
  });

  it('refuses other schemes, credentials in the URL and bad URLs', async () => {
    const f = fetcherWith({ allowList: '127.0.0.1' });
    await assert.rejects(f({ method: 'GET', url: 'file:///etc/passwd', headers: [] }), /only http and https/);
    await assert.rejects(f({ method: 'GET', url: target.url.replace('//', '//u:p@'), headers: [] }), /credentials/);
    await assert.rejects(f({ method: 'GET', url: 'not a url', headers: [] }), /invalid URL/);
  });

  it('reports connection errors clearly', async () => {
    const closed = await startTarget();
    await closed.close();
    await assert.rejects(fetcherWith({ allowList: '127.0.0.1' })({ method: 'GET', url: closed.url, headers: [] }), /^Error: request failed: .*ECONNREFUSED/);
  });

  it('logs one line per fetch without the query string', async () => {
    lines.length = 0;
    await get('/path?secret=s3cr3t');
    assert.equal(lines.length, 1);
    assert.match(lines[0], /fetch method=GET url=http:\/\/127\.0\.0\.1:\d+\/path status=200 ms=\d+/);
    assert.doesNotMatch(lines.join('\n'), /s3cr3t/);
  });
});
