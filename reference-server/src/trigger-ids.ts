// Trigger ids, as Mattermost's: issued to an integration with a slash command or a message action,
// they let it open a dialog for the user who acted, for a few seconds. Signed (HMAC-SHA256 under a
// key derived from the at-rest key, so every node of a cluster accepts every node's ids) rather
// than stored: "<client trigger id>:<user id>:<issued at ms>" in base64url, ".", the signature.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { badRequest } from './errors.js';
import { isValidId, newId } from './ids.js';
import type { Clock } from './store/store.js';

/** Mattermost's InteractiveDialogTriggerTimeout. */
export const TRIGGER_ID_LIFETIME_MS = 3000;

const MAX_TRIGGER_ID = 256;

const decodeError = (what: string, message: string) =>
  badRequest(`interactive_message.decode_trigger_id.${what}`, message);

export class TriggerIds {
  private readonly key: Buffer;

  constructor(atRestKey: string, private readonly clock: Clock) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(atRestKey, 'utf8'), Buffer.alloc(0), 'oauth-plugin host trigger ids v1', 32));
  }

  /** A new trigger id for `userId`. */
  issue(userId: string): string {
    const claims = Buffer.from(`${newId()}:${userId}:${this.clock()}`).toString('base64url');
    return `${claims}.${this.sign(claims).toString('base64url')}`;
  }

  /** The user a trigger id was issued to; a 400 when it is malformed, forged or older than its lifetime. */
  verify(triggerId: unknown): string {
    if (typeof triggerId !== 'string' || triggerId.length > MAX_TRIGGER_ID) throw decodeError('base64_decode_failed', 'The trigger id is malformed.');
    const [claims, signature, rest] = triggerId.split('.');
    if (!claims || !signature || rest !== undefined) throw decodeError('missing_data', 'The trigger id is malformed.');
    const given = Buffer.from(signature, 'base64url');
    const expected = this.sign(claims);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw decodeError('signature_decode_failed', 'The trigger id was not issued by this server.');
    }
    const [, userId, issuedAt] = Buffer.from(claims, 'base64url').toString('utf8').split(':');
    const age = this.clock() - Number(issuedAt);
    if (!isValidId(userId) || !Number.isFinite(age)) throw decodeError('missing_data', 'The trigger id is malformed.');
    if (age > TRIGGER_ID_LIFETIME_MS || age < 0) throw decodeError('expired', `The trigger id has expired: it is valid for ${TRIGGER_ID_LIFETIME_MS / 1000} seconds.`);
    return userId;
  }

  private sign(claims: string): Buffer {
    return createHmac('sha256', this.key).update(claims).digest();
  }
}
