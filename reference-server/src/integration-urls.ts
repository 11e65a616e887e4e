// Which URLs an integration may be called at: one rule for slash commands, outgoing webhooks,
// message actions and dialogs.

export const MAX_INTEGRATION_URL = 1024;

/**
 * Mattermost's IsValidHTTPURL (http or https, with a host), and no user:password@, which the
 * outbound fetch refuses anyway and which would put a credential in a stored URL.
 */
export function isIntegrationUrl(value: unknown, max = MAX_INTEGRATION_URL): value is string {
  if (typeof value !== 'string' || value === '' || value.length > max || !/^https?:\/\//i.test(value)) return false;
  try {
    const parsed = new URL(value);
    return !!parsed.host && !parsed.username && !parsed.password;
  } catch {
    return false;
  }
}
