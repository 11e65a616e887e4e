// Under an integration's URL fields (a slash command's Request URL, an outgoing webhook's Callback
// URLs): which outgoing OAuth connection covers each URL, as Mattermost shows it — `Connected to
// "<name>"` or "Not linked to an OAuth connection", 1 s after typing stops, and only once the team
// has at least one connection.
import React, { useEffect, useRef, useState } from 'react';
import { get, type OutgoingConnection } from './client';
import { isHttpUrl, lines } from './validation';

const API = '/api/v4/oauth/outgoing_connections';
/** How long typing must pause before the server is asked. */
export const HINT_DELAY_MS = 1000;

export type Hint = { state: 'idle' } | { state: 'connected'; name: string } | { state: 'none' };

/** Whether the team has an outgoing connection at all (the list answers 501 while the feature is off). */
function useAnyConnection(teamId: string): boolean {
  const [any, setAny] = useState(false);
  useEffect(() => {
    let live = true;
    get<OutgoingConnection[]>(`${API}?team_id=${teamId}&limit=1`).then(
      (found) => live && setAny(found.length > 0),
      () => live && setAny(false),
    );
    return () => {
      live = false;
    };
  }, [teamId]);
  return any;
}

/** The connection covering `url`, asked of the server (the plugin matches audiences). */
async function hintFor(teamId: string, url: string): Promise<Hint> {
  if (!isHttpUrl(url)) return { state: 'idle' };
  const found = await get<OutgoingConnection[]>(`${API}?team_id=${teamId}&audience=${encodeURIComponent(url)}`);
  return found.length > 0 ? { state: 'connected', name: found[0].name } : { state: 'none' };
}

/**
 * One hint per URL of `text` (one URL a line), or null while the team has no connection. While the
 * user types the earlier answers no longer hold, so every hint is idle until the pause.
 */
export function useConnectionHints(teamId: string, text: string): { url: string; hint: Hint }[] | null {
  const enabled = useAnyConnection(teamId);
  const urls = lines(text);
  const key = urls.join('\n');
  const idle = () => urls.map((url) => ({ url, hint: { state: 'idle' } as Hint }));
  const [hints, setHints] = useState(idle);
  const round = useRef(0);
  useEffect(() => {
    const mine = ++round.current;
    setHints(idle());
    if (!enabled) return;
    const timer = setTimeout(() => {
      Promise.all(urls.map((url) => hintFor(teamId, url).catch((): Hint => ({ state: 'idle' })))).then((found) => {
        if (mine === round.current) setHints(urls.map((url, i) => ({ url, hint: found[i] })));
      });
    }, HINT_DELAY_MS);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [teamId, key, enabled]);
  return enabled ? hints : null;
}

function hintText(hint: Hint): string {
  if (hint.state === 'connected') return `Connected to "${hint.name}"`;
  return hint.state === 'none' ? 'Not linked to an OAuth connection' : '';
}

/** The id a field's control adds to its aria-describedby, so that the hint is read with the field. */
export const hintId = (fieldId: string) => `${fieldId}-connection`;

/**
 * The hints under a URL field: for a one-URL field the text alone; for a one-per-line field a line
 * per URL naming it. Nothing at all while the team has no connection.
 */
export function ConnectionHints({ fieldId, hints, perLine }: { fieldId: string; hints: { url: string; hint: Hint }[] | null; perLine?: boolean }) {
  if (hints === null) return null;
  if (!perLine) {
    const hint = hints[0]?.hint ?? { state: 'idle' };
    return (
      <div id={hintId(fieldId)} className={`connection-hint hint-${hint.state}`} aria-live="polite">
        {hintText(hint)}
      </div>
    );
  }
  const shown = hints.filter((h) => h.hint.state !== 'idle');
  return (
    <ul id={hintId(fieldId)} className="connection-hints" aria-live="polite">
      {shown.map(({ url, hint }, i) => (
        <li key={`${i}:${url}`} className={`connection-hint hint-${hint.state}`}>
          <span className="hint-url">{url}:</span> {hintText(hint)}
        </li>
      ))}
    </ul>
  );
}

/** The control's aria-describedby with the hint's id added. */
export function describedWithHint(describedBy: string | undefined, fieldId: string): string {
  return [describedBy, hintId(fieldId)].filter(Boolean).join(' ');
}
