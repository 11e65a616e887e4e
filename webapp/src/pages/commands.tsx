// Integrations → Slash Commands: the list, Add/Edit (with the "Connected to" hint under the Request
// URL), and the confirmation page with the command's token.
import React from 'react';
import { del, get, put, type Command, type Team } from '../client';
import { ConnectionHints, describedWithHint, useConnectionHints } from '../connection_hint';
import {
  FormFooter, CopyValue, ErrorBanner, Field, Loading, teamByName, useCheckedForm, useLoad, ItemList,
} from '../components';
import { ItemConfirmDialog, saveTokenItem, TokenConfirmation, TokenItemActions, useItemConfirm } from '../item_actions';
import { Backstage, Crumbs, PageTitle } from '../layout';
import { Link, query } from '../router';
import { chars, isHttpUrl, type Errors } from '../validation';

type Params = { params: { team: string } };
const listPath = (team: string) => `/${team}/integrations/commands/installed`;
const justSaved = new Map<string, Command>();

export function CommandsPage({ params }: Params) {
  const [list, reload] = useLoad(async () => {
    const team = await teamByName(params.team);
    return get<Command[]>(`/api/v4/commands?team_id=${team.id}&custom_only=true`);
  }, [params.team]);
  const confirm = useItemConfirm<Command>(
    (kind, c) => (kind === 'delete' ? del(`/api/v4/commands/${c.id}`) : put(`/api/v4/commands/${c.id}/regen_token`, {})),
    reload,
  );
  return (
    <Backstage team={params.team} section="commands">
      <div className="page-header">
        <PageTitle text="Slash Commands">Slash Commands</PageTitle>
        {list.state === 'ready' && (
          <Link className="btn btn-primary" id="addSlashCommand" to={`/${params.team}/integrations/commands/add`}>
            Add Slash Command
          </Link>
        )}
      </div>
      <p className="intro">Slash commands send events to external integrations: a message beginning with the trigger word calls the Request URL.</p>
      {list.state === 'loading' && <Loading what="slash commands" />}
      {list.state === 'error' && <ErrorBanner>{list.error}</ErrorBanner>}
      {list.state === 'ready' && list.data.length === 0 && (
        <div className="empty">
          <h2>No custom slash commands found</h2>
          <p>Add a slash command so that team members can call an integration from a message.</p>
          <Link className="btn btn-primary" to={`/${params.team}/integrations/commands/add`}>
            Add Slash Command
          </Link>
        </div>
      )}
      {list.state === 'ready' && list.data.length > 0 && (
        <ItemList label="Slash Commands" items={list.data} keyOf={(c) => c.id} testId="slash-command">
          {(c) => (
            <>
              <div className="item-main">
                <div className="item-title">
                  <span className="item-name">{c.display_name || c.trigger}</span>
                  <span className="muted"> - /{c.trigger}</span>
                </div>
                {c.description && <div className="item-desc">{c.description}</div>}
                <dl className="details">
                  <dt>Request URL:</dt>
                  <dd className="wrap">
                    {c.method === 'G' ? 'GET' : 'POST'} {c.url}
                  </dd>
                  <dt>Token:</dt>
                  <dd>
                    <CopyValue value={c.token} label={`Copy the token of /${c.trigger}`} />
                  </dd>
                </dl>
              </div>
              <TokenItemActions item={c} name={`/${c.trigger}`} editTo={`/${params.team}/integrations/commands/edit?id=${c.id}`} confirm={confirm} />
            </>
          )}
        </ItemList>
      )}
      <ItemConfirmDialog state={confirm} what="Slash Command">
        {(kind, c) => (kind === 'delete'
          ? <>Delete <strong>/{c.trigger}</strong>? Typing it will no longer call the integration.</>
          : <>Create a new token for <strong>/{c.trigger}</strong>? The integration must be updated to accept the new one.</>)}
      </ItemConfirmDialog>
    </Backstage>
  );
}

// ---- Add / Edit

type CmdField = 'displayName' | 'description' | 'trigger' | 'url' | 'username' | 'iconUrl' | 'autocompleteHint' | 'autocompleteDescription';
const ORDER: CmdField[] = ['displayName', 'description', 'trigger', 'url', 'username', 'iconUrl', 'autocompleteHint', 'autocompleteDescription'];

interface CmdForm {
  displayName: string;
  description: string;
  trigger: string;
  url: string;
  method: 'P' | 'G';
  username: string;
  iconUrl: string;
  autocomplete: boolean;
  autocompleteHint: string;
  autocompleteDescription: string;
}

function checkCommand(f: CmdForm): Errors<CmdField> {
  const e: Errors<CmdField> = {};
  if (chars(f.displayName) > 64) e.displayName = 'Title must be 64 characters or fewer.';
  if (chars(f.description) > 128) e.description = 'Description must be 128 characters or fewer.';
  const t = f.trigger.trim();
  if (!t) e.trigger = 'A trigger word is required.';
  else if (t.startsWith('/')) e.trigger = 'A trigger word cannot begin with a /.';
  else if (/\s/.test(t)) e.trigger = 'A trigger word must not contain spaces.';
  else if (chars(t) > 128) e.trigger = 'A trigger word must be 128 characters or fewer.';
  const url = f.url.trim();
  if (!url) e.url = 'A request URL is required.';
  else if (!isHttpUrl(url)) e.url = 'Request URL must be a valid URL and start with http:// or https://.';
  if (chars(f.username) > 64) e.username = 'Response Username must be 64 characters or fewer.';
  if (f.iconUrl.trim() && !isHttpUrl(f.iconUrl.trim())) e.iconUrl = 'Response Icon must be a valid URL and start with http:// or https://.';
  if (chars(f.autocompleteHint) > 1024) e.autocompleteHint = 'Autocomplete Hint must be 1024 characters or fewer.';
  if (chars(f.autocompleteDescription) > 1024) e.autocompleteDescription = 'Autocomplete Description must be 1024 characters or fewer.';
  return e;
}

const EMPTY: CmdForm = {
  displayName: '', description: '', trigger: '', url: '', method: 'P', username: '', iconUrl: '', autocomplete: false, autocompleteHint: '', autocompleteDescription: '',
};

export function AddCommandPage({ params }: Params) {
  const [team] = useLoad(() => teamByName(params.team), [params.team]);
  return (
    <Backstage team={params.team} section="commands">
      <Crumbs parent="Slash Commands" to={listPath(params.team)} current="Add" />
      {team.state === 'loading' && <Loading what="the team" />}
      {team.state === 'error' && <ErrorBanner>{team.error}</ErrorBanner>}
      {team.state === 'ready' && <CommandForm team={team.data} initial={EMPTY} />}
    </Backstage>
  );
}

export function EditCommandPage({ params }: Params) {
  const id = query('id');
  const [loaded] = useLoad(async () => {
    const team = await teamByName(params.team);
    return { team, command: await get<Command>(`/api/v4/commands/${encodeURIComponent(id)}`) };
  }, [params.team, id]);
  return (
    <Backstage team={params.team} section="commands">
      <Crumbs parent="Slash Commands" to={listPath(params.team)} current="Edit" />
      {loaded.state === 'loading' && <Loading what="the command" />}
      {loaded.state === 'error' && <ErrorBanner>{loaded.error}</ErrorBanner>}
      {loaded.state === 'ready' && (
        <CommandForm
          team={loaded.data.team}
          existing={loaded.data.command}
          initial={{
            displayName: loaded.data.command.display_name, description: loaded.data.command.description, trigger: loaded.data.command.trigger,
            url: loaded.data.command.url, method: loaded.data.command.method, username: loaded.data.command.username,
            iconUrl: loaded.data.command.icon_url, autocomplete: loaded.data.command.auto_complete,
            autocompleteHint: loaded.data.command.auto_complete_hint, autocompleteDescription: loaded.data.command.auto_complete_desc,
          }}
        />
      )}
    </Backstage>
  );
}

function CommandForm({ team, initial, existing }: { team: Team; initial: CmdForm; existing?: Command }) {
  const { form, set, blur, shownError: shown, saving, serverError, submit } = useCheckedForm(initial, checkCommand, ORDER);
  const hints = useConnectionHints(team.id, form.url);

  const save = submit(async () => {
    const body = {
      team_id: team.id, display_name: form.displayName.trim(), description: form.description.trim(), trigger: form.trigger.trim(),
      url: form.url.trim(), method: form.method, username: form.username.trim(), icon_url: form.iconUrl.trim(),
      auto_complete: form.autocomplete, auto_complete_hint: form.autocomplete ? form.autocompleteHint.trim() : '',
      auto_complete_desc: form.autocomplete ? form.autocompleteDescription.trim() : '',
    };
    await saveTokenItem({ api: '/api/v4/commands', body, existing, justSaved, team: team.name, listTo: listPath(team.name), type: 'commands' });
  });

  return (
    <form className="backstage-form" onSubmit={save} noValidate>
      <Field id="displayName" label="Title" error={shown('displayName')} help="Specify a title, of up to 64 characters, for the slash command settings page.">
        {(a) => <input {...a} type="text" value={form.displayName} onChange={(e) => set('displayName', e.target.value)} onBlur={blur('displayName')} autoComplete="off" />}
      </Field>
      <Field id="description" label="Description" error={shown('description')} help="Describe your slash command.">
        {(a) => <input {...a} type="text" value={form.description} onChange={(e) => set('description', e.target.value)} onBlur={blur('description')} autoComplete="off" />}
      </Field>
      <Field id="trigger" label="Command Trigger Word" required error={shown('trigger')} help="Specify a trigger word that is not a built-in command, does not contain spaces, and does not begin with the slash character. Example: weather">
        {(a) => <input {...a} type="text" value={form.trigger} onChange={(e) => set('trigger', e.target.value)} onBlur={blur('trigger')} autoComplete="off" />}
      </Field>
      <Field
        id="url"
        label="Request URL"
        required
        error={shown('url')}
        help="Specify the callback URL to receive the HTTP POST or GET event request when the slash command is run."
      >
        {(a) => (
          <>
            <input
              {...a}
              aria-describedby={describedWithHint(a['aria-describedby'], 'url')}
              type="url"
              value={form.url}
              onChange={(e) => set('url', e.target.value)}
              onBlur={blur('url')}
              placeholder="https://"
            />
            <ConnectionHints fieldId="url" hints={hints} />
          </>
        )}
      </Field>
      <Field id="method" label="Request Method" help="Specify the type of request, either POST or GET, sent to the endpoint to reach your application.">
        {(a) => (
          <select {...a} value={form.method} onChange={(e) => set('method', e.target.value as CmdForm['method'])}>
            <option value="P">POST</option>
            <option value="G">GET</option>
          </select>
        )}
      </Field>
      <Field id="username" label="Response Username" error={shown('username')} help="(Optional) Specify the name to use when posting responses for this slash command.">
        {(a) => <input {...a} type="text" value={form.username} onChange={(e) => set('username', e.target.value)} onBlur={blur('username')} autoComplete="off" />}
      </Field>
      <Field id="iconUrl" label="Response Icon" error={shown('iconUrl')} help="(Optional) Enter the URL of a .png or .jpg file to use as the icon when posting responses to this slash command.">
        {(a) => <input {...a} type="url" value={form.iconUrl} onChange={(e) => set('iconUrl', e.target.value)} onBlur={blur('iconUrl')} placeholder="https://" />}
      </Field>
      <Field id="autocomplete" label="Autocomplete" help="(Optional) Show the slash command in the autocomplete list when someone types / in the input box.">
        {(a) => (
          <label className="checkbox">
            <input {...a} type="checkbox" checked={form.autocomplete} onChange={(e) => set('autocomplete', e.target.checked)} /> Show in autocomplete
          </label>
        )}
      </Field>
      {form.autocomplete && (
        <>
          <Field id="autocompleteHint" label="Autocomplete Hint" error={shown('autocompleteHint')} help="(Optional) Specify the arguments associated with your slash command. Example: [zip code]">
            {(a) => <input {...a} type="text" value={form.autocompleteHint} onChange={(e) => set('autocompleteHint', e.target.value)} onBlur={blur('autocompleteHint')} />}
          </Field>
          <Field id="autocompleteDescription" label="Autocomplete Description" error={shown('autocompleteDescription')} help="(Optional) Describe your slash command for the autocomplete list.">
            {(a) => <input {...a} type="text" value={form.autocompleteDescription} onChange={(e) => set('autocompleteDescription', e.target.value)} onBlur={blur('autocompleteDescription')} />}
          </Field>
        </>
      )}
      <FormFooter serverError={serverError} cancelTo={listPath(team.name)} saveId="saveCommand" saving={saving} editing={!!existing} />
    </form>
  );
}

export function CommandConfirmation({ team }: { team: string }) {
  const id = query('id');
  const loadToken = async () => (justSaved.get(id) ?? (await get<Command>(`/api/v4/commands/${encodeURIComponent(id)}`))).token;
  return (
    <TokenConfirmation parent="Slash Commands" listTo={listPath(team)} loadToken={loadToken}>
      Your slash command is set up. The following token will be sent in the outgoing payload: use it to check that the request came from
      your team.
    </TokenConfirmation>
  );
}
