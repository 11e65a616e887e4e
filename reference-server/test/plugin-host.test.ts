// The PluginHost's RSA operations for the plugin's signing keys: a key it makes signs, the
// signature verifies under the public half it gave, the public half of a stored key is derived
// again, and a bad key is refused without the host logging or echoing key material.
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { defaultStoredConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createPluginHost } from '../src/plugin-host.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { TEST_AT_REST_KEY } from './pg-helpers.js';

describe('the plugin host signs for the plugin', () => {
  const store = openSqliteStore(':memory:', Date.now, TEST_AT_REST_KEY);
  const lines: string[] = [];
  const host = createPluginHost({
    pluginId: 'oauth-plugin', store, settings: () => defaultStoredConfig('oauth-plugin').ServiceSettings,
    fetch: () => Promise.reject(new Error('no outbound requests here')), log: createLogger((line) => lines.push(line)), atRestKey: TEST_AT_REST_KEY,
  });
  after(() => store.close());

  it('makes an RS256 key whose signatures verify under the public half it gives', async () => {
    const { privateKey, n, e } = await host.generateSigningKey();
    assert.ok(privateKey instanceof Uint8Array);
    assert.equal(Buffer.from(n, 'base64url').length, 256, 'a 2048-bit modulus');
    assert.equal(e, 'AQAB');
    const message = new TextEncoder().encode('header.claims');
    const signature = await host.signRs256(privateKey, message);
    const publicKey = createPublicKey({ key: { kty: 'RSA', n, e }, format: 'jwk' });
    assert.ok(verify('sha256', message, publicKey, signature), 'RSASSA-PKCS1-v1_5 with SHA-256');
    assert.ok(!verify('sha256', new TextEncoder().encode('header.other'), publicKey, signature));
    assert.deepEqual(await host.signingPublicKey(privateKey), { n, e });
    const other = await host.generateSigningKey();
    assert.notEqual(other.n, n, 'a new key each time');
    assert.deepEqual(lines, [], 'nothing logged');
  });

  it('refuses a key that is not PKCS #8 without echoing it', async () => {
    const bad = new TextEncoder().encode('not-a-key-0123456789');
    for (const call of [() => host.signRs256(bad, new Uint8Array(1)), () => host.signingPublicKey(bad)]) {
      await assert.rejects(call(), (err: Error) => /^(signRs256|signingPublicKey): /.test(err.message) && !err.message.includes('not-a-key'));
    }
  });
});
