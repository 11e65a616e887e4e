// The dump check, run after the whole host suite: every database the suite's servers wrote holds
// none of the secrets the tests used — passwords, client secrets, tokens, codes, verifiers — in
// plain text. Each database is read raw (the SQLite file and its write-ahead log, so that rows
// since deleted or not yet checkpointed count too; PostgreSQL servers' table dumps).
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readRecorded } from '../dump-check.js';

/** The files that hold a database's bytes. */
function filesOf(path: string): string[] {
  return [path, `${path}-wal`].filter((f) => existsSync(f));
}

/** Which of `secrets` appear in plain text in the database at `path`. */
function secretsIn(path: string, secrets: string[]): string[] {
  const bytes = filesOf(path).map((f) => readFileSync(f));
  return secrets.filter((secret) => {
    const needle = Buffer.from(secret, 'utf8');
    return bytes.some((b) => b.includes(needle));
  });
}

describe('dump check', () => {
  it('finds a secret written in plain text (the check can fail)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dump-check-')), 'plain.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (v BLOB)');
    db.prepare('INSERT INTO t VALUES (?)').run(Buffer.from('{"client_secret":"planted-secret-value-1"}'));
    db.close();
    assert.deepEqual(secretsIn(file, ['planted-secret-value-1', 'absent-secret-value-2']), ['planted-secret-value-1']);
  });

  it('every database the suite wrote holds none of the secrets the tests used, in plain text', () => {
    const { secrets, databases } = readRecorded();
    // Not vacuous: the suite ran, its servers registered their databases, and every kind of secret was seen.
    assert.ok(databases.length >= 20, `only ${databases.length} databases were recorded: run the whole host suite first`);
    const fields = new Set(secrets.map((s) => s.field));
    for (const field of ['password', 'client_secret', 'credentials_password', 'access_token', 'refresh_token', 'code', 'code_verifier', 'token']) {
      assert.ok(fields.has(field), `no ${field} was seen in the suite's traffic`);
    }
    const values = secrets.map((s) => s.value);
    const found: string[] = [];
    let scanned = 0;
    for (const path of databases) {
      if (filesOf(path).length === 0) continue;
      scanned++;
      for (const secret of secretsIn(path, values)) {
        const field = secrets.find((s) => s.value === secret)?.field;
        found.push(`${path}: a ${field} (${secret.slice(0, 6)}…)`);
      }
    }
    assert.ok(scanned >= 20, `only ${scanned} databases could be read`);
    assert.deepEqual(found, [], `secrets in plain text:\n${found.join('\n')}`);
  });
});
