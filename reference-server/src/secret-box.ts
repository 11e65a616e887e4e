// Secrets the host must use again (slash command tokens), kept encrypted in the database:
// AES-256-GCM under a key derived from the at-rest key for one purpose (HKDF-SHA256, the purpose as
// its info string), a random 12-byte nonce per value, and associated data that ties a value to its
// row, so that a value copied into another row does not decrypt. Stored as "v1:" + base64url(nonce ‖
// ciphertext ‖ tag); a value without the prefix was written before encryption.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const FORMAT = 'v1:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  private readonly key: Buffer;

  constructor(atRestKey: string, purpose: string) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(atRestKey, 'utf8'), Buffer.alloc(0), purpose, 32));
  }

  seal(plaintext: string, associatedData: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return FORMAT + Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]).toString('base64url');
  }

  /** The plaintext; throws when the key, the associated data or the value itself is not the one sealed. */
  open(sealed: string, associatedData: string): string {
    const raw = isSealed(sealed) ? Buffer.from(sealed.slice(FORMAT.length), 'base64url') : Buffer.alloc(0);
    if (raw.length < NONCE_BYTES + TAG_BYTES) throw cannotDecrypt();
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw cannotDecrypt();
    }
  }
}

/** Whether a stored value is encrypted (a plaintext token, a Mattermost id, has no ":"). */
export const isSealed = (value: string) => value.startsWith(FORMAT);

const cannotDecrypt = () =>
  new Error('cannot decrypt: encrypted under another at-rest key, for another row, or damaged');
