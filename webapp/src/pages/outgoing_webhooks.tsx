// Integrations → Outgoing Webhooks: the list (with Regenerate Token, Edit and Delete) and the
// confirmation page with a new hook's token. Add and Edit are outgoing_webhook_form.tsx.
import React from 'react';
import { del, get, post, type Channel, type OutgoingWebhook } from '../client';
import { CopyValue, ErrorBanner, ItemList, Loading, UrlList, teamByName, useLoad } from '../components';
import { ItemConfirmDialog, TokenConfirmation, TokenItemActions, useItemConfirm } from '../item_actions';
import { Backstage, PageTitle } from '../layout';
import { Link, query } from '../router';

type Params = { params: { team: string } };

export const HOOKS_API = '/api/v4/hooks/outgoing';
export const hooksPath = (team: string) => `/${team}/integrations/outgoing_webhooks`;
/** Hooks just created, so that the confirmation shows the token without asking again. */
export const justSaved = new Map<string, OutgoingWebhook>();

export const TRIGGER_WHEN = [
  { value: 0, label: 'First word matches a trigger word exactly' },
  { value: 1, label: 'First word starts with a trigger word' },
] as const;

/** The team's channels the user is a member of, by id. */
export async function myChannels(teamId: string): Promise<Channel[]> {
  return get<Channel[]>(`/api/v4/users/me/teams/${teamId}/channels`);
}

/** What a hook is called in the list and in dialogs: its title, else its first trigger word. */
const hookName = (h: OutgoingWebhook) => h.display_name || h.trigger_words[0] || 'Outgoing webhook';

export function OutgoingWebhooksPage({ params }: Params) {
  const [list, reload] = useLoad(async () => {
    const team = await teamByName(params.team);
    const [hooks, channels] = await Promise.all([
      get<OutgoingWebhook[]>(`${HOOKS_API}?team_id=${team.id}&per_page=200`),
      myChannels(team.id).catch((): Channel[] => []),
    ]);
    return { hooks, channels: new Map(channels.map((c) => [c.id, c])) };
  }, [params.team]);
  const confirm = useItemConfirm<OutgoingWebhook>(
    (kind, h) => (kind === 'delete' ? del(`${HOOKS_API}/${h.id}`) : post(`${HOOKS_API}/${h.id}/regen_token`)),
    reload,
  );
  const addTo = `${hooksPath(params.team)}/add`;
  return (
    <Backstage team={params.team} section="outgoing_webhooks">
      <div className="page-header">
        <PageTitle text="Outgoing Webhooks">Outgoing Webhooks</PageTitle>
        {list.state === 'ready' && (
          <Link className="btn btn-primary" id="addOutgoingWebhook" to={addTo}>
            Add Outgoing Webhook
          </Link>
        )}
      </div>
      <p className="intro">
        Outgoing webhooks send a message posted in a channel, or one that begins with a trigger word, to the integration's callback URLs; the
        integration's answer is posted back.
      </p>
      {list.state === 'loading' && <Loading what="outgoing webhooks" />}
      {list.state === 'error' && <ErrorBanner>{list.error}</ErrorBanner>}
      {list.state === 'ready' && list.data.hooks.length === 0 && (
        <div className="empty">
          <h2>No outgoing webhooks found</h2>
          <p>Add an outgoing webhook so that messages in a channel reach an integration.</p>
          <Link className="btn btn-primary" to={addTo}>
            Add Outgoing Webhook
          </Link>
        </div>
      )}
      {list.state === 'ready' && list.data.hooks.length > 0 && (
        <ItemList label="Outgoing Webhooks" items={list.data.hooks} keyOf={(h) => h.id} testId="outgoing-webhook">
          {(h) => (
            <>
              <HookDetails hook={h} channel={list.data.channels.get(h.channel_id)} />
              <TokenItemActions item={h} name={hookName(h)} editTo={`${hooksPath(params.team)}/edit?id=${h.id}`} confirm={confirm} />
            </>
          )}
        </ItemList>
      )}
      <ItemConfirmDialog state={confirm} what="Outgoing Webhook">
        {(kind, h) => (kind === 'delete'
          ? <>Delete <strong>{hookName(h)}</strong>? This permanently deletes the outgoing webhook and breaks any integration using it.</>
          : <>Create a new token for <strong>{hookName(h)}</strong>? The integration must be updated to accept the new one.</>)}
      </ItemConfirmDialog>
    </Backstage>
  );
}

/** A hook's entry, with the words Mattermost's list uses. */
function HookDetails({ hook: h, channel }: { hook: OutgoingWebhook; channel?: Channel }) {
  return (
    <div className="item-main">
      <div className="item-title">
        <span className="item-name">{hookName(h)}</span>
      </div>
      {h.description && <div className="item-desc">{h.description}</div>}
      <dl className="details">
        <dt>Content-Type:</dt>
        <dd>{h.content_type}</dd>
        <dt>Channel:</dt>
        <dd>{h.channel_id ? (channel?.display_name ?? h.channel_id) : <span className="muted">Any channel (trigger words only)</span>}</dd>
        <dt>Trigger Words:</dt>
        <dd className="wrap">{h.trigger_words.length > 0 ? h.trigger_words.join(', ') : <span className="muted">Every message in the channel</span>}</dd>
        <dt>Trigger When:</dt>
        <dd>{TRIGGER_WHEN[h.trigger_when]?.label ?? h.trigger_when}</dd>
        <dt>Callback URLs:</dt>
        <UrlList urls={h.callback_urls} />
        <dt>Token:</dt>
        <dd>
          <CopyValue value={h.token} label={`Copy the token of ${hookName(h)}`} />
        </dd>
      </dl>
    </div>
  );
}

export function OutgoingWebhookConfirmation({ team }: { team: string }) {
  const id = query('id');
  const loadToken = async () => (justSaved.get(id) ?? (await get<OutgoingWebhook>(`${HOOKS_API}/${encodeURIComponent(id)}`))).token;
  return (
    <TokenConfirmation parent="Outgoing Webhooks" listTo={hooksPath(team)} loadToken={loadToken}>
      Your outgoing webhook is set up. The following token will be sent in the outgoing payload: use it to check that the request came from
      your team.
    </TokenConfirmation>
  );
}
