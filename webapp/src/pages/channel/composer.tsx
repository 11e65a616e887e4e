// The box to write in: Enter sends (Shift+Enter is a new line). A message is posted to the channel;
// one that begins with "/" runs a slash command, whose ephemeral answer only this user sees.
import React, { useState, type FormEvent, type KeyboardEvent } from 'react';
import { post, type Channel, type CommandResponse, type Post } from '../../client';
import { Button } from '../../components';
import { chars } from '../../validation';

/** Mattermost's limit on a post's message. */
export const MESSAGE_MAX = 16383;

export function Composer({ channel, onPosted, onEphemeral }: { channel: Channel; onPosted: (p: Post) => void; onEphemeral: (text: string) => void }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  const send = async (ev?: FormEvent) => {
    ev?.preventDefault();
    const message = text.trim();
    if (!message || busy) return;
    if (chars(message) > MESSAGE_MAX) return setError(`Your message is too long: ${chars(message)} of at most ${MESSAGE_MAX} characters.`);
    setBusy(true);
    setError('');
    try {
      if (message.startsWith('/')) {
        const answer = await post<CommandResponse>('/api/v4/commands/execute', { command: message, channel_id: channel.id, team_id: channel.team_id });
        // An in_channel answer is a post, which arrives as one; an ephemeral one is shown here.
        if (answer?.response_type !== 'in_channel' && answer?.text) onEphemeral(answer.text);
      } else {
        onPosted(await post<Post>('/api/v4/posts', { channel_id: channel.id, message }));
      }
      setText('');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const onKeyDown = (ev: KeyboardEvent<HTMLTextAreaElement>) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.nativeEvent.isComposing) {
      ev.preventDefault();
      void send();
    }
  };

  return (
    <form className="composer" onSubmit={send}>
      <label className="sr-only" htmlFor="post_textbox">
        Write to {channel.display_name}
      </label>
      <div className="composer-row">
        <textarea
          id="post_textbox"
          rows={2}
          value={text}
          placeholder={`Write to ${channel.display_name}`}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          aria-describedby="post_textbox-help post_textbox-error"
          aria-invalid={error ? true : undefined}
        />
        <Button type="submit" busy={busy} busyText="Sending…" disabled={!text.trim()}>
          Send
        </Button>
      </div>
      <div className="composer-help muted" id="post_textbox-help">
        Enter sends, Shift+Enter starts a new line. Begin with / to run a slash command.
      </div>
      <div className="field-error" id="post_textbox-error" role="alert">
        {error}
      </div>
    </form>
  );
}
