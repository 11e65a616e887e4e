// The server's events for the channel view, from Mattermost's WebSocket /api/v4/websocket: the
// browser's session cookie authenticates it; the server says "hello" once it is ready; every later
// message with an `event` is one. A closed socket reconnects, more slowly each time.
import { useEffect, useRef, useState } from 'react';
import type { OpenDialogRequest, Post } from '../../client';

export interface ServerEvent {
  event: string;
  data: Record<string, unknown>;
  broadcast?: { channel_id?: string; user_id?: string };
  seq?: number;
}

export type SocketState = 'connecting' | 'open' | 'closed';

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 30_000;

/**
 * Calls `onEvent` for each event and `onOpen` after each (re)connection (the events missed while
 * away are not sent again, so the caller catches up by asking). Both may change between renders.
 */
export function useServerEvents(onEvent: (e: ServerEvent) => void, onOpen: () => void): SocketState {
  const handlers = useRef({ onEvent, onOpen });
  handlers.current = { onEvent, onOpen };
  const [state, setState] = useState<SocketState>('connecting');
  useEffect(() => {
    let socket: WebSocket | null = null;
    let stopped = false;
    let retry = FIRST_RETRY_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      setState('connecting');
      const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
      socket = new WebSocket(`${scheme}://${window.location.host}/api/v4/websocket`);
      socket.onmessage = (m) => {
        const e = parse(m.data);
        if (!e) return;
        if (e.event === 'hello') {
          retry = FIRST_RETRY_MS;
          setState('open');
          handlers.current.onOpen();
        } else {
          handlers.current.onEvent(e);
        }
      };
      socket.onclose = () => {
        if (stopped) return;
        setState('closed');
        timer = setTimeout(connect, retry);
        retry = Math.min(retry * 2, LAST_RETRY_MS);
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      socket?.close();
    };
  }, []);
  return state;
}

function parse(data: unknown): ServerEvent | null {
  if (typeof data !== 'string') return null;
  try {
    const e = JSON.parse(data) as ServerEvent;
    return e && typeof e.event === 'string' && typeof e.data === 'object' && e.data !== null ? e : null;
  } catch {
    return null;
  }
}

/** A field the server sends as JSON in a string (Mattermost's `post`, `dialog`), parsed; null if it is not an object. */
function jsonField<T>(e: ServerEvent, field: string): T | null {
  const raw = e.data[field];
  if (typeof raw !== 'string') return null;
  try {
    const value = JSON.parse(raw) as unknown;
    return typeof value === 'object' && value !== null ? (value as T) : null;
  } catch {
    return null;
  }
}

/** The post of a posted, post_edited or ephemeral_message event. */
export function eventPost(e: ServerEvent): Post | null {
  const post = jsonField<Post>(e, 'post');
  return post && typeof post.id === 'string' && typeof post.channel_id === 'string' ? post : null;
}

/** The dialog of an open_dialog event. */
export function eventDialog(e: ServerEvent): OpenDialogRequest | null {
  const request = jsonField<OpenDialogRequest>(e, 'dialog');
  return request && typeof request.url === 'string' && typeof request.dialog === 'object' && request.dialog !== null ? request : null;
}
