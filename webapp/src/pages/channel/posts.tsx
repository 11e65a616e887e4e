// The channel's posts, oldest at the top: who wrote each (an integration's answer says so), its
// text, its attachments with their action buttons, and the ephemeral ones only this user sees.
import React, { useEffect, useRef, useState } from 'react';
import { get, post as postTo, type Attachment, type Post, type PostAction, type User } from '../../client';
import { Button } from '../../components';

export const isEphemeral = (p: Post) => p.type === 'system_ephemeral';
const fromWebhook = (p: Post) => p.props?.from_webhook === 'true';

/** Usernames by id, each asked once per page load. */
const users = new Map<string, Promise<User>>();
function useUsernames(ids: string[]): Record<string, string> {
  const [names, setNames] = useState<Record<string, string>>({});
  const key = [...new Set(ids)].sort().join(',');
  useEffect(() => {
    let live = true;
    for (const id of key.split(',').filter(Boolean)) {
      if (!users.has(id)) {
        const asked = get<User>(`/api/v4/users/${encodeURIComponent(id)}`);
        asked.catch(() => users.delete(id));
        users.set(id, asked);
      }
      users.get(id)!.then((u) => live && setNames((n) => (n[id] === u.username ? n : { ...n, [id]: u.username })), () => undefined);
    }
    return () => {
      live = false;
    };
  }, [key]);
  return names;
}

/** The name a post is shown under: the integration's override, else its author's username. */
function authorOf(p: Post, names: Record<string, string>): string {
  // As Mattermost's webapp shows a system post, whoever the server put as its author.
  if (isEphemeral(p)) return 'System';
  const override = p.props?.override_username;
  if (fromWebhook(p) && typeof override === 'string' && override) return override;
  return names[p.user_id] ?? '…';
}

const time = (at: number) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

export function PostList({ posts }: { posts: Post[] }) {
  const names = useUsernames(posts.filter((p) => !isEphemeral(p)).map((p) => p.user_id));
  const end = useRef<HTMLLIElement>(null);
  const last = posts.at(-1);
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [last?.id, last?.update_at, posts.length]);
  const byId = new Map(posts.map((p) => [p.id, p]));
  if (posts.length === 0) return <p className="empty-line">No messages yet. Write the first one below.</p>;
  return (
    <ol className="posts" aria-label="Messages">
      {posts.map((p) => (
        <PostItem key={p.id} post={p} author={authorOf(p, names)} root={p.root_id ? byId.get(p.root_id) : undefined} />
      ))}
      <li ref={end} className="posts-end" aria-hidden="true" />
    </ol>
  );
}

function PostItem({ post: p, author, root }: { post: Post; author: string; root?: Post }) {
  const ephemeral = isEphemeral(p);
  return (
    <li className={`post${ephemeral ? ' post-ephemeral' : ''}`} data-testid="post" data-post-id={p.id}>
      <div className="post-head">
        <strong className="post-author">{author}</strong>
        {fromWebhook(p) && <span className="badge badge-info">Bot</span>}
        <time className="muted" dateTime={new Date(p.create_at).toISOString()}>
          {time(p.create_at)}
        </time>
        {p.edit_at > 0 && <span className="muted">(edited)</span>}
        {ephemeral && <span className="post-only-you">(Only visible to you)</span>}
      </div>
      {p.root_id && (
        <div className="post-reply muted">
          Reply to {root ? <q>{root.message.slice(0, 80)}</q> : 'an earlier message'}
        </div>
      )}
      {p.message && <div className="post-message">{p.message}</div>}
      {(p.props?.attachments ?? []).map((a, i) => (
        <AttachmentView key={i} post={p} attachment={a} />
      ))}
    </li>
  );
}

/** Slack's named colours, as Mattermost draws them; any other colour must be #rgb or #rrggbb. */
const NAMED_COLORS: Record<string, string> = { good: '#00c100', warning: '#dede01', danger: '#e40303' };
function attachmentColor(color: string | undefined): string | undefined {
  if (!color) return undefined;
  if (NAMED_COLORS[color]) return NAMED_COLORS[color];
  return /^#(?:[0-9a-f]{3}){1,2}$/i.test(color) ? color : undefined;
}

function AttachmentView({ post: p, attachment: a }: { post: Post; attachment: Attachment }) {
  const buttons = (a.actions ?? []).filter((action) => (action.type ?? 'button') === 'button' && action.id);
  const [error, setError] = useState('');
  return (
    <div className="attachment" style={{ borderLeftColor: attachmentColor(a.color) }} data-testid="attachment">
      {a.pretext && <div className="attachment-pretext">{a.pretext}</div>}
      {a.title && <div className="attachment-title">{a.title}</div>}
      {a.text && <div className="attachment-text">{a.text}</div>}
      {buttons.length > 0 && (
        <div className="attachment-actions">
          {buttons.map((action) => (
            <ActionButton key={action.id} post={p} action={action} onError={setError} />
          ))}
        </div>
      )}
      {error && (
        <div className="attachment-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

/** Mattermost's button styles; anything else is the default look. */
const ACTION_STYLES = ['primary', 'danger', 'good', 'success', 'warning'];

/** A message action: the server calls the integration (POST /posts/{id}/actions/{action_id}); its update arrives as post_edited. */
function ActionButton({ post: p, action, onError }: { post: Post; action: PostAction; onError: (message: string) => void }) {
  const [busy, setBusy] = useState(false);
  const press = async () => {
    setBusy(true);
    onError('');
    try {
      await postTo(`/api/v4/posts/${encodeURIComponent(p.id)}/actions/${encodeURIComponent(action.id)}`, {});
    } catch (e) {
      onError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const style = action.style && ACTION_STYLES.includes(action.style) ? ` action-${action.style}` : '';
  return (
    // An ephemeral post exists only in this browser: the server has no post to run its actions on.
    <Button kind="secondary" className={`btn-sm action-button${style}`} onClick={press} busy={busy} disabled={isEphemeral(p)}>
      {action.name}
    </Button>
  );
}
