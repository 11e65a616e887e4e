// Outbound HTTP for the plugin: address policy, timeouts, size limit, no redirects, clean logs.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createFetcher, MAX_RESPONSE_BYTES, type FetchPolicy } from '../src/fetch.js';
import { createLogger } from '../src/log.js';

interface Target {
  url: string;
  hits: string[];
  close(): Promise<void>;
}

/** A local server whose routes exercise each rule. */
async function startTarget(): Promise<Target> {
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
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
