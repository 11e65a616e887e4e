// Integrations → Outgoing Webhooks → Add / Edit: Mattermost's form (its labels and ids), with the
// connection hint under the Callback URLs, line by line.
import React from 'react';
import { get, type Channel, type HookContentType, type OutgoingWebhook, type Team } from '../client';
import { ConnectionHints, describedWithHint, useConnectionHints } from '../connection_hint';
import { ErrorBanner, Field, FormFooter, Loading, teamByName, useCheckedForm, useLoad } from '../components';
import { saveTokenItem } from '../item_actions';
import { Backstage, Crumbs } from '../layout';
import { query } from '../router';
import { chars, isHttpUrl, lines, type Errors } from '../validation';
import { HOOKS_API, hooksPath, justSaved, myChannels, TRIGGER_WHEN } from './outgoing_webhooks';

type Params = { params: { team: string } };

type HookField = 'displayName' | 'description' | 'channelId' | 'triggerWords' | 'callbackUrls' | 'username' | 'iconURL';
const ORDER: HookField[] = ['displayName', 'description', 'channelId', 'triggerWords', 'callbackUrls', 'username', 'iconURL'];

interface HookForm {
  displayName: string;
  description: string;
  contentType: HookContentType;
  channelId: string;
  triggerWords: string;
  triggerWhen: 0 | 1;
  callbackUrls: string;
  username: string;
  iconURL: string;
}

/** Mattermost's bound on the trigger words, and on the callback URLs, each list as one string. */
const LIST_MAX = 1024;

const CONTENT_TYPES: HookContentType[] = ['application/x-www-form-urlencoded', 'application/json'];

/** The server's rules (model.outgoing_hook.is_valid.*), checked here first so that the message stands by its field. */
function checkHook(f: HookForm): Errors<HookField> {
  const e: Errors<HookField> = {};
  if (chars(f.displayName.trim()) > 64) e.displayName = `Title must be 64 characters or fewer (now ${chars(f.displayName.trim())}).`;
  if (chars(f.description.trim()) > 500) e.description = `Description must be 500 characters or fewer (now ${chars(f.description.trim())}).`;
  const words = lines(f.triggerWords);
  const spaced = words.find((w) => /\s/.test(w));
  if (!f.channelId && words.length === 0) e.triggerWords = 'A valid channel or a list of trigger words is required.';
  else if (spaced) e.triggerWords = `A trigger word must be one word, without spaces. (“${spaced}”)`;
  else if (chars(words.join(' ')) > LIST_MAX) e.triggerWords = `The trigger words must take at most ${LIST_MAX} characters in all.`;
  const urls = lines(f.callbackUrls);
  const bad = urls.find((u) => !isHttpUrl(u));
  const withUser = urls.find((u) => isHttpUrl(u) && (new URL(u).username || new URL(u).password));
  if (urls.length === 0) e.callbackUrls = 'One or more callback URLs are required.';
  else if (bad) e.callbackUrls = `Callback URL must be a valid URL and start with http:// or https://. (“${bad}”)`;
  else if (withUser) e.callbackUrls = `Callback URL must not contain a user name or password. (“${withUser}”)`;
  else if (chars(urls.join(' ')) > LIST_MAX) e.callbackUrls = `The callback URLs must take at most ${LIST_MAX} characters in all.`;
  if (chars(f.username.trim()) > 64) e.username = 'Username must be 64 characters or fewer.';
  if (chars(f.iconURL.trim()) > 1024) e.iconURL = 'Profile Picture must be 1024 characters or fewer.';
  return e;
}

const EMPTY: HookForm = {
  displayName: '', description: '', contentType: 'application/x-www-form-urlencoded', channelId: '', triggerWords: '', triggerWhen: 0,
  callbackUrls: '', username: '', iconURL: '',
};

function formOf(h: OutgoingWebhook): HookForm {
  return {
    displayName: h.display_name, description: h.description, contentType: h.content_type, channelId: h.channel_id,
    triggerWords: h.trigger_words.join('\n'), triggerWhen: h.trigger_when, callbackUrls: h.callback_urls.join('\n'), username: h.username,
    iconURL: h.icon_url,
  };
}

/** The team, the public channels a hook may listen to, and (on edit) the hook. */
async function loadFormData(teamName: string, id?: string) {
  const team = await teamByName(teamName);
  const [channels, hook] = await Promise.all([
    myChannels(team.id).then((all) => all.filter((c) => c.type === 'O').sort((a, b) => a.display_name.localeCompare(b.display_name))),
    id === undefined ? Promise.resolve(undefined) : get<OutgoingWebhook>(`${HOOKS_API}/${encodeURIComponent(id)}`),
  ]);
  return { team, channels, hook };
}

function HookFormPage({ params, id }: { params: Params['params']; id?: string }) {
  const editing = id !== undefined;
  const [loaded] = useLoad(() => loadFormData(params.team, id), [params.team, id]);
  return (
    <Backstage team={params.team} section="outgoing_webhooks">
      <Crumbs parent="Outgoing Webhooks" to={hooksPath(params.team)} current={editing ? 'Edit' : 'Add'} />
      {loaded.state === 'loading' && <Loading what={editing ? 'the outgoing webhook' : 'the channels'} />}
      {loaded.state === 'error' && <ErrorBanner>{loaded.error}</ErrorBanner>}
      {loaded.state === 'ready' && (
        <HookFormBody
          team={loaded.data.team}
          channels={loaded.data.channels}
          existing={loaded.data.hook}
          initial={loaded.data.hook ? formOf(loaded.data.hook) : EMPTY}
        />
      )}
    </Backstage>
  );
}

export function AddOutgoingWebhookPage({ params }: Params) {
  return <HookFormPage params={params} />;
}

export function EditOutgoingWebhookPage({ params }: Params) {
  return <HookFormPage params={params} id={query('id')} />;
}

function HookFormBody({ team, channels, initial, existing }: { team: Team; channels: Channel[]; initial: HookForm; existing?: OutgoingWebhook }) {
  const { form, set, blur, shownError: shown, saving, serverError, submit } = useCheckedForm(initial, checkHook, ORDER);
  const hints = useConnectionHints(team.id, form.callbackUrls);

  const save = submit(async () => {
    const body = {
      team_id: team.id, display_name: form.displayName.trim(), description: form.description.trim(), content_type: form.contentType,
      channel_id: form.channelId, trigger_words: lines(form.triggerWords), trigger_when: form.triggerWhen,
      callback_urls: lines(form.callbackUrls), username: form.username.trim(), icon_url: form.iconURL.trim(),
    };
    await saveTokenItem({ api: HOOKS_API, body, existing, justSaved, team: team.name, listTo: hooksPath(team.name), type: 'outgoing_webhooks' });
  });

  return (
    <form className="backstage-form" onSubmit={save} noValidate>
      <Field id="displayName" label="Title" error={shown('displayName')} help="Specify a title, of up to 64 characters, for the webhook settings page.">
        {(a) => <input {...a} type="text" value={form.displayName} onChange={(e) => set('displayName', e.target.value)} onBlur={blur('displayName')} autoComplete="off" />}
      </Field>
      <Field id="description" label="Description" error={shown('description')} help="Describe your outgoing webhook.">
        {(a) => <input {...a} type="text" value={form.description} onChange={(e) => set('description', e.target.value)} onBlur={blur('description')} autoComplete="off" />}
      </Field>
      <Field
        id="contentType"
        label="Content Type"
        help="How the payload is sent: application/x-www-form-urlencoded encodes its fields as a form, application/json as a JSON object."
      >
        {(a) => (
          <select {...a} value={form.contentType} onChange={(e) => set('contentType', e.target.value as HookContentType)}>
            {CONTENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field
        id="channelId"
        label="Channel"
        error={shown('channelId')}
        help="This field is optional if you specify at least one trigger word. Specify the public channel whose messages are sent to the webhook."
      >
        {(a) => (
          <select {...a} value={form.channelId} onChange={(e) => set('channelId', e.target.value)} onBlur={blur('channelId')}>
            <option value="">--- Select a channel ---</option>
            {form.channelId && !channels.some((c) => c.id === form.channelId) && (
              // The hook's channel, which this user is not a member of: kept unless another is chosen.
              <option value={form.channelId}>A channel you are not a member of</option>
            )}
            {channels.map((c) => (
              <option key={c.id} value={c.id}>
                {c.display_name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field
        id="triggerWords"
        label="Trigger Words (One Per Line)"
        error={shown('triggerWords')}
        help="Messages that begin with one of these words are sent to the webhook. Optional when a channel is selected; with both, a message must match both."
      >
        {(a) => <textarea {...a} rows={3} value={form.triggerWords} onChange={(e) => set('triggerWords', e.target.value)} onBlur={blur('triggerWords')} />}
      </Field>
      <Field id="triggerWhen" label="Trigger When" help="Specify when to trigger the outgoing webhook.">
        {(a) => (
          <select {...a} value={form.triggerWhen} onChange={(e) => set('triggerWhen', Number(e.target.value) as 0 | 1)}>
            {TRIGGER_WHEN.map((w) => (
              <option key={w.value} value={w.value}>
                {w.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field id="callbackUrls" label="Callback URLs (One Per Line)" required error={shown('callbackUrls')} help="Specify the URLs that the messages will be sent to.">
        {(a) => (
          <>
            <textarea
              {...a}
              aria-describedby={describedWithHint(a['aria-describedby'], 'callbackUrls')}
              rows={3}
              value={form.callbackUrls}
              onChange={(e) => set('callbackUrls', e.target.value)}
              onBlur={blur('callbackUrls')}
              placeholder="https://"
            />
            <ConnectionHints fieldId="callbackUrls" hints={hints} perLine />
          </>
        )}
      </Field>
      <Field
        id="username"
        label="Username"
        error={shown('username')}
        help="(Optional) The name the integration's answers are posted under, when the server allows overriding it. Blank: the webhook creator's."
      >
        {(a) => <input {...a} type="text" value={form.username} onChange={(e) => set('username', e.target.value)} onBlur={blur('username')} autoComplete="off" />}
      </Field>
      <Field
        id="iconURL"
        label="Profile Picture"
        error={shown('iconURL')}
        help="(Optional) The URL of a .png or .jpg file shown with the integration's answers, when the server allows overriding it."
      >
        {(a) => <input {...a} type="url" value={form.iconURL} onChange={(e) => set('iconURL', e.target.value)} onBlur={blur('iconURL')} placeholder="https://" />}
      </Field>
      <FormFooter serverError={serverError} cancelTo={hooksPath(team.name)} saveId="saveWebhook" saving={saving} editing={!!existing} />
    </form>
  );
}
