// The field rules the server applies (Mattermost's), checked in the browser first so that the
// message appears next to the field. The server checks again and its answer is shown if it refuses.

/** Mattermost's IsValidHTTPURL: begins with http:// or https:// and parses with a host. */
export function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    return new URL(value).host !== '';
  } catch {
    return false;
  }
}

/** Where credentials sent to `url` go: scheme, host and port; null for what does not parse. */
export function origin(url: string): string | null {
  try {
    return new URL(url.trim()).origin;
  } catch {
    return null;
  }
}

/** Lines of a "one per line" field, trimmed, blank lines dropped. */
export function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean);
}

export const chars = (text: string) => [...text].length;

export type Errors<K extends string> = Partial<Record<K, string>>;

export function firstError<K extends string>(errors: Errors<K>, order: K[]): K | undefined {
  return order.find((k) => errors[k]);
}

/** Moves focus to the first field with an error, so keyboard users land where the fix is. */
export function focusField(id: string | undefined): void {
  if (id) document.getElementById(id)?.focus();
}
