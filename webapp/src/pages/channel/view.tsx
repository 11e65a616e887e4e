// A minimal channel view, enough to see integrations at work: the team's channels on the side, the
// channel's posts, a box to write in (and run slash commands), message actions, ephemeral messages,
// and an integration's interactive dialog. The server's WebSocket keeps it current.
import React, { useCallback, useEffect, useRef, useState } from 'react';
import { get, type Channel, type OpenDialogRequest, type Post, type PostList as PostListJson, type Team } from '../../client';
import { ErrorBanner, Loading, teamByName, useLoad } from '../../components';
import { Layout, PageTitle } from '../../layout';
import { Composer } from './composer';
import { InteractiveDialog } from './dialog';
import { eventDialog, eventPost, useServerEvents, type ServerEvent, type SocketState } from './events';
import { PostList } from './posts';

type Params = { params: { team: string; channel: string } };

/** How many of the newest posts are shown. */
const PER_PAGE = 60;

const channelPath = (team: string, channel: string) => `/${team}/channels/${channel}`;

/** The newest posts of a channel, oldest first; `refetch` asks again (the last answer asked wins). */
function usePosts(channelId: string | undefined) {
  const [shown, setShown] = useState<{ channelId: string; posts: Post[] } | null>(null);
  const [error, setError] = useState('');
  const round = useRef(0);
  const refetch = useCallback(() => {
    if (!channelId) return;
    const mine = ++round.current;
    get<PostListJson>(`/api/v4/channels/${channelId}/posts?page=0&per_page=${PER_PAGE}`).then(
      (list) => {
        if (mine !== round.current) return;
        setError('');
        setShown({ channelId, posts: list.order.map((id) => list.posts[id]).filter(Boolean).reverse() });
      },
      (e: Error) => mine === round.current && setError(e.message),
    );
  }, [channelId]);
  useEffect(refetch, [refetch]);
  /** A post this page just made, shown before the server's event about it arrives. */
  const add = useCallback((p: Post) => {
    setShown((s) => (s && s.channelId === p.channel_id && !s.posts.some((q) => q.id === p.id) ? { ...s, posts: [...s.posts, p] } : s));
  }, []);
  return { posts: shown && shown.channelId === channelId ? shown.posts : null, error, refetch, add };
}

let localIds = 0;

/** A slash command's ephemeral answer as a post of this browser only (Mattermost's system_ephemeral). */
function localEphemeral(channelId: string, message: string): Post {
  const now = Date.now();
  return {
    id: `local-${++localIds}`, create_at: now, update_at: now, edit_at: 0, delete_at: 0, user_id: '', channel_id: channelId, root_id: '',
    message, type: 'system_ephemeral', props: {},
  };
}

const byName = (a: Channel, b: Channel) => (a.display_name || a.name).localeCompare(b.display_name || b.name);

export function ChannelPage({ params }: Params) {
  const [loaded] = useLoad(async () => {
    const team = await teamByName(params.team);
    const channels = await get<Channel[]>(`/api/v4/users/me/teams/${team.id}/channels`);
    return { team, channels: channels.filter((c) => c.type === 'O' || c.type === 'P').sort(byName) };
  }, [params.team]);
  const channels = loaded.state === 'ready' ? loaded.data.channels : [];
  const channel = channels.find((c) => c.name === params.channel);
  const { posts, error, refetch, add } = usePosts(channel?.id);
  const [ephemeral, setEphemeral] = useState<Post[]>([]);
  const [unread, setUnread] = useState<ReadonlySet<string>>(new Set());
  const [dialog, setDialog] = useState<OpenDialogRequest | null>(null);

  useEffect(() => {
    if (channel) setUnread((u) => (u.has(channel.id) ? new Set([...u].filter((id) => id !== channel.id)) : u));
  }, [channel]);

  const onEvent = (e: ServerEvent) => {
    if (e.event === 'posted' || e.event === 'post_edited') {
      const p = eventPost(e);
      if (p?.channel_id === channel?.id) refetch();
      else if (p && e.event === 'posted') setUnread((u) => new Set(u).add(p.channel_id));
    } else if (e.event === 'ephemeral_message') {
      const p = eventPost(e);
      if (p) setEphemeral((all) => (all.some((q) => q.id === p.id) ? all : [...all, p]));
    } else if (e.event === 'open_dialog') {
      const request = eventDialog(e);
      if (request) setDialog(request);
    }
  };
  const socket = useServerEvents(onEvent, refetch);

  const items = channels.map((c) => ({
    key: c.name, label: c.display_name || c.name, to: channelPath(params.team, c.name), unread: unread.has(c.id) && c.id !== channel?.id,
  }));
  const team = loaded.state === 'ready' ? loaded.data.team : null;
  return (
    <Layout team={params.team} label="Channels" title={team?.display_name || 'Channels'} items={items} active={params.channel} busy={loaded.state === 'loading'}>
      {loaded.state === 'loading' && <Loading what="the channels" />}
      {loaded.state === 'error' && <ErrorBanner>{loaded.error}</ErrorBanner>}
      {loaded.state === 'ready' && !channel && (
        <ErrorBanner>The channel “{params.channel}” was not found in this team, or you are not a member of it.</ErrorBanner>
      )}
      {channel && team && (
        <ChannelBody
          team={team}
          channel={channel}
          posts={posts}
          error={error}
          ephemeral={ephemeral.filter((p) => p.channel_id === channel.id)}
          socket={socket}
          onPosted={add}
          onEphemeral={(text) => setEphemeral((all) => [...all, localEphemeral(channel.id, text)])}
        />
      )}
      {dialog && channel && (
        <InteractiveDialog key={dialog.trigger_id} request={dialog} channelId={channel.id} teamId={channel.team_id} onClose={() => setDialog(null)} />
      )}
    </Layout>
  );
}

const SOCKET_TEXT: Record<SocketState, string> = { connecting: 'Connecting…', open: '', closed: 'Disconnected: reconnecting…' };

function ChannelBody({ team, channel, posts, error, ephemeral, socket, onPosted, onEphemeral }: {
  team: Team; channel: Channel; posts: Post[] | null; error: string; ephemeral: Post[]; socket: SocketState;
  onPosted: (p: Post) => void; onEphemeral: (text: string) => void;
}) {
  const timeline = posts && [...posts, ...ephemeral].sort((a, b) => a.create_at - b.create_at);
  return (
    <div className="channel-view" data-socket={socket}>
      <div className="channel-header">
        <PageTitle text={`${channel.display_name} - ${team.display_name}`}>{channel.display_name || channel.name}</PageTitle>
        <span className="socket-state muted" role="status">
          {SOCKET_TEXT[socket]}
        </span>
      </div>
      {error && <ErrorBanner>{error}</ErrorBanner>}
      <div className="channel-posts">{timeline ? <PostList posts={timeline} /> : !error && <Loading what="the messages" />}</div>
      <Composer channel={channel} onPosted={onPosted} onEphemeral={onEphemeral} />
    </div>
  );
}
