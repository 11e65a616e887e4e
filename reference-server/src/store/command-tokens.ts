// Commands.Token as every driver keeps it. The token is sent to the integration ("Token <token>"),
// so it cannot be hashed; it is encrypted under a key of its own derived from the at-rest key, with
// the command id as associated data (a token copied into another row does not decrypt).
import { isSealed, SecretBox } from '../secret-box.js';

export const WEBHOOK_TOKENS = 'oauth-plugin host outgoing webhooks v1';

export class CommandTokens {
  private readonly box: SecretBox;

  /** `purpose` keeps each table's tokens under a key of its own. */
  constructor(atRestKey: string, purpose = 'oauth-plugin host commands v1') {
    this.box = new SecretBox(atRestKey, purpose);
  }

  seal(token: string, commandId: string): string {
    return this.box.seal(token, commandId);
  }

  /** The plaintext token; a stored value that does not decrypt is an error, never a wrong token handed on. */
  open(stored: string, commandId: string): string {
    try {
      return this.box.open(stored, commandId);
    } catch (err) {
      throw new Error(`the stored token of ${commandId}: ${(err as Error).message}`);
    }
  }

  /** Whether a stored value is still the plain text written before tokens were encrypted. */
  static isPlain(stored: string): boolean {
    return !isSealed(stored);
  }
}
