// Integrations → OAuth 2.0 Applications: the list, Add/Edit, and the confirmation page that shows
// the client secret once.
import React, { useState } from 'react';
import { DEVICE_GRANT, del, get, isAdmin, post, put, withDeviceGrant, type OAuthApp } from '../client';
import {
  ConfirmCard, FormFooter, Button, CopyValue, Dialog, ErrorBanner, Field, ListError, Loading, UrlList, YesNo, useAction, useCheckedForm, useLoad, useUser, ItemList, AppIcon,
} from '../components';
import { Backstage, Crumbs, PageTitle } from '../layout';
import { Link, navigate, query } from '../router';
import { chars, isHttpUrl, lines, type Errors } from '../validation';

type Params = { params: { team: string } };

/** Secrets shown once: kept in memory from the save until the confirmation page shows them. */
const justSaved = new Map<string, OAuthApp>();

const appsPath = (team: string) => `/${team}/integrations/oauth2-apps`;

export function OAuthAppsPage({ params }: Params) {
  const user = useUser();
  const [apps, reload] = useLoad(() => get<OAuthApp[]>('/api/v4/oauth/apps?page=0&per_page=200'), []);
  const [filter, setFilter] = useState('');
  const [confirm, setConfirm] = useState<{ kind: 'delete' | 'regen'; app: OAuthApp } | null>(null);
  const { busy, error: dialogError, setError: setDialogError, run } = useAction();
  const [secrets, setSecrets] = useState<Record<string, string>>({});

  const act = async () => {
    if (!confirm) return;
    await run(async () => {
      if (confirm.kind === 'delete') {
        await del(`/api/v4/oauth/apps/${confirm.app.id}`);
        reload();
      } else {
        const updated = await post<OAuthApp>(`/api/v4/oauth/apps/${confirm.app.id}/regen_secret`);
        setSecrets((s) => ({ ...s, [updated.id]: updated.client_secret }));
      }
      setConfirm(null);
    });
  };

  const shown = apps.state === 'ready'
    ? apps.data.filter((a) => `${a.name} ${a.description} ${a.id}`.toLowerCase().includes(filter.trim().toLowerCase()))
    : [];

  return (
    <Backstage team={params.team} section="oauth2-apps">
      <div className="page-header">
        <PageTitle text="OAuth 2.0 Applications">OAuth 2.0 Applications</PageTitle>
        {apps.state === 'ready' && (
          <Link className="btn btn-primary" id="addOauthApp" to={`${appsPath(params.team)}/add`}>
            Add OAuth 2.0 Application
          </Link>
        )}
      </div>
      <p className="intro">
        Create OAuth 2.0 applications to securely integrate bots and third-party apps with this server: they act on behalf of the
        users who authorize them.
      </p>
      {apps.state === 'loading' && <Loading what="OAuth 2.0 applications" />}
      {apps.state === 'error' && <ListError error={apps.error} admin={!!user && isAdmin(user)} />}
      {apps.state === 'ready' && apps.data.length === 0 && (
        <div className="empty">
          <h2>No OAuth 2.0 Applications found</h2>
          <p>Register an application so that it can ask users for access to their account.</p>
          <Link className="btn btn-primary" to={`${appsPath(params.team)}/add`}>
            Add OAuth 2.0 Application
          </Link>
        </div>
      )}
      {apps.state === 'ready' && apps.data.length > 0 && (
        <>
          <div className="search">
            <label className="sr-only" htmlFor="searchInput">
              Search OAuth 2.0 Applications
            </label>
            <input id="searchInput" type="search" placeholder="Search OAuth 2.0 Applications" value={filter} onChange={(e) => setFilter(e.target.value)} />
          </div>
          {shown.length === 0 && <p className="muted">No OAuth 2.0 applications match “{filter}”.</p>}
          <ItemList label="OAuth 2.0 Applications" items={shown} keyOf={(app) => app.id} testId="oauth-app">
            {(app) => (
              <>
                <AppIcon app={app} />
                <div className="item-main">
                  <div className="item-title">
                    <span className="item-name">{app.name}</span>
                    {app.is_trusted && <span className="badge">Trusted</span>}
                    {app.is_public && <span className="badge badge-info">Public client</span>}
                    {app.is_dynamically_registered && <span className="badge badge-muted">Dynamically registered</span>}
                    {app.grant_types?.includes(DEVICE_GRANT) && <span className="badge badge-info">Device flow</span>}
                  </div>
                  {app.description && <div className="item-desc">{app.description}</div>}
                  <dl className="details">
                    <dt>Client ID:</dt>
                    <dd>
                      <CopyValue value={app.id} label={`Copy the client ID of ${app.name}`} />
                    </dd>
                    {app.homepage && (
                      <>
                        <dt>Homepage:</dt>
                        <dd className="wrap">{app.homepage}</dd>
                      </>
                    )}
                    <dt>Callback URLs:</dt>
                    <UrlList urls={app.callback_urls} />
                  </dl>
                  {secrets[app.id] && (
                    <div className="secret-box" role="status">
                      <strong>New client secret:</strong> <CopyValue value={secrets[app.id]} label={`Copy the new client secret of ${app.name}`} id={`secret_${app.id}`} />
                      <p className="warning">Copy it now: it will not be shown again. The old secret no longer works.</p>
                    </div>
                  )}
                </div>
                <div className="item-actions">
                  {!app.is_public && (
                    <Button kind="link" onClick={() => setConfirm({ kind: 'regen', app })}>
                      Regenerate Secret
                    </Button>
                  )}
                  <Link to={`${appsPath(params.team)}/edit?id=${app.id}`} aria-label={`Edit ${app.name}`}>
                    Edit
                  </Link>
                  <Button kind="link" className="danger-link" onClick={() => setConfirm({ kind: 'delete', app })} aria-label={`Delete ${app.name}`}>
                    Delete
                  </Button>
                </div>
              </>
            )}
          </ItemList>
        </>
      )}
      {confirm?.kind === 'delete' && (
        <Dialog
          title="Delete OAuth 2.0 Application"
          confirm="Delete"
          confirmKind="danger"
          busy={busy}
          busyText="Deleting…"
          error={dialogError}
          onConfirm={act}
          onCancel={() => (setConfirm(null), setDialogError(''))}
        >
          <p>
            Delete <strong>{confirm.app.name}</strong>? Every user's access through it is revoked at once: its tokens stop working and
            integrations that use it break. This cannot be undone.
          </p>
        </Dialog>
      )}
      {confirm?.kind === 'regen' && (
        <Dialog
          title="Regenerate Secret"
          confirm="Regenerate Secret"
          busy={busy}
          busyText="Regenerating…"
          error={dialogError}
          onConfirm={act}
          onCancel={() => (setConfirm(null), setDialogError(''))}
        >
          <p>
            Create a new client secret for <strong>{confirm.app.name}</strong>? The current secret stops working at once: the app must be
            updated with the new one.
          </p>
        </Dialog>
      )}
    </Backstage>
  );
}

// ---- Add / Edit

type AppField = 'name' | 'description' | 'homepage' | 'icon_url' | 'callbackUrls';
const FIELD_ORDER: AppField[] = ['name', 'description', 'homepage', 'icon_url', 'callbackUrls'];

interface AppForm {
  is_trusted: boolean;
  is_public: boolean;
  allow_device: boolean;
  name: string;
  description: string;
  homepage: string;
  icon_url: string;
  callbackUrls: string;
}

function checkApp(f: AppForm): Errors<AppField> {
  const e: Errors<AppField> = {};
  if (!f.name.trim()) e.name = 'Name for the OAuth 2.0 application is required.';
  else if (chars(f.name.trim()) > 64) e.name = `Display Name must be 64 characters or fewer (now ${chars(f.name.trim())}).`;
  if (chars(f.description) > 512) e.description = `Description must be 512 characters or fewer (now ${chars(f.description)}).`;
  const home = f.homepage.trim();
  if (!home) e.homepage = 'Homepage for the OAuth 2.0 application is required.';
  else if (!isHttpUrl(home)) e.homepage = 'Homepage must be a valid URL and start with http:// or https://.';
  else if (chars(home) > 256) e.homepage = 'Homepage must be 256 characters or fewer.';
  const icon = f.icon_url.trim();
  if (icon && !isHttpUrl(icon)) e.icon_url = 'Icon URL must be a valid URL and start with http:// or https://.';
  else if (chars(icon) > 512) e.icon_url = 'Icon URL must be 512 characters or fewer.';
  const urls = lines(f.callbackUrls);
  const bad = urls.find((u) => !isHttpUrl(u));
  if (urls.length === 0) e.callbackUrls = 'One or more callback URLs are required.';
  else if (bad) e.callbackUrls = `Callback URL must be a valid URL and start with http:// or https://. (“${bad}”)`;
  return e;
}

const EMPTY_APP: AppForm = { is_trusted: false, is_public: false, allow_device: false, name: '', description: '', homepage: '', icon_url: '', callbackUrls: '' };

export function AddOAuthAppPage({ params }: Params) {
  return (
    <Backstage team={params.team} section="oauth2-apps">
      <Crumbs parent="OAuth 2.0 Applications" to={appsPath(params.team)} current="Add" />
      <AppFormView team={params.team} initial={EMPTY_APP} />
    </Backstage>
  );
}

export function EditOAuthAppPage({ params }: Params) {
  const id = query('id');
  const [app] = useLoad(() => get<OAuthApp>(`/api/v4/oauth/apps/${encodeURIComponent(id)}`), [id]);
  return (
    <Backstage team={params.team} section="oauth2-apps">
      <Crumbs parent="OAuth 2.0 Applications" to={appsPath(params.team)} current="Edit" />
      {app.state === 'loading' && <Loading what="the application" />}
      {app.state === 'error' && <ErrorBanner>{app.error}</ErrorBanner>}
      {app.state === 'ready' && (
        <AppFormView
          team={params.team}
          existing={app.data}
          initial={{
            is_trusted: app.data.is_trusted, is_public: !!app.data.is_public, allow_device: !!app.data.grant_types?.includes(DEVICE_GRANT),
            name: app.data.name, description: app.data.description,
            homepage: app.data.homepage, icon_url: app.data.icon_url, callbackUrls: app.data.callback_urls.join('\n'),
          }}
        />
      )}
    </Backstage>
  );
}

function AppFormView({ team, initial, existing }: { team: string; initial: AppForm; existing?: OAuthApp }) {
  const user = useUser();
  const { form, set, blur, shownError, saving, serverError, submit } = useCheckedForm(initial, checkApp, FIELD_ORDER);
  const save = submit(async () => {
    const body = {
      name: form.name.trim(), description: form.description.trim(), homepage: form.homepage.trim(), icon_url: form.icon_url.trim(),
      callback_urls: lines(form.callbackUrls), is_trusted: form.is_trusted, is_public: form.is_public,
      // Sent only when it says something: Mattermost's own apps never choose their grants.
      ...(existing || form.allow_device ? { grant_types: withDeviceGrant(existing?.grant_types, form.allow_device) } : {}),
    };
    if (existing) {
      await put<OAuthApp>(`/api/v4/oauth/apps/${existing.id}`, { ...existing, ...body });
      navigate(appsPath(team));
    } else {
      const created = await post<OAuthApp>('/api/v4/oauth/apps', body);
      justSaved.set(created.id, created);
      navigate(`/${team}/integrations/confirm?type=oauth2-apps&id=${created.id}`);
    }
  });

  return (
    <form className="backstage-form" onSubmit={save} noValidate>
      {user && isAdmin(user) && (
        <YesNo
          name="is_trusted"
          label="Is Trusted"
          value={form.is_trusted}
          onChange={(v) => set('is_trusted', v)}
          help="When Yes, users are not asked to approve the application: it gets access as soon as they sign in. When No, a page asks each user to allow or deny it."
        />
      )}
      <YesNo
        name="is_public"
        label="Is Public Client"
        value={form.is_public}
        onChange={(v) => set('is_public', v)}
        help="Yes for apps that cannot keep a secret (single-page and mobile apps): they get no client secret and must use PKCE."
      />
      <YesNo
        name="allow_device"
        label="Allow Device Flow"
        value={form.allow_device}
        onChange={(v) => set('allow_device', v)}
        help="Yes for command-line tools and devices without a browser of their own: they show the user a short code to enter on this server, and the user approves them here (OAuth 2.0 Device Authorization Grant, RFC 8628)."
      />
      <Field id="name" label="Display Name" required error={shownError('name')} help="Specify the display name, of up to 64 characters, for your OAuth 2.0 application.">
        {(a) => <input {...a} type="text" value={form.name} onChange={(e) => set('name', e.target.value)} onBlur={blur('name')} autoComplete="off" />}
      </Field>
      <Field id="description" label="Description" error={shownError('description')} help="Describe your OAuth 2.0 application: users see it when they are asked to allow it.">
        {(a) => <input {...a} type="text" value={form.description} onChange={(e) => set('description', e.target.value)} onBlur={blur('description')} autoComplete="off" />}
      </Field>
      <Field id="homepage" label="Homepage" required error={shownError('homepage')} help="The URL for the homepage of the OAuth 2.0 application. Use HTTP or HTTPS in the URL.">
        {(a) => <input {...a} type="url" value={form.homepage} onChange={(e) => set('homepage', e.target.value)} onBlur={blur('homepage')} placeholder="https://" />}
      </Field>
      <Field id="icon_url" label="Icon URL" error={shownError('icon_url')} help="The URL for the image shown for your OAuth 2.0 application. Use HTTP or HTTPS in the URL.">
        {(a) => <input {...a} type="url" value={form.icon_url} onChange={(e) => set('icon_url', e.target.value)} onBlur={blur('icon_url')} placeholder="https://" />}
      </Field>
      <Field
        id="callbackUrls"
        label="Callback URLs (One Per Line)"
        required
        error={shownError('callbackUrls')}
        help="The redirect URIs to which the service will redirect users after accepting or denying authorization of your application, and which will handle authorization codes or access tokens. Must be a valid URL and start with http:// or https://."
      >
        {(a) => <textarea {...a} rows={4} value={form.callbackUrls} onChange={(e) => set('callbackUrls', e.target.value)} onBlur={blur('callbackUrls')} />}
      </Field>
      <FormFooter serverError={serverError} cancelTo={appsPath(team)} saveId="saveOauthApp" saving={saving} editing={!!existing} />
    </form>
  );
}

// ---- Confirmation: the secret, this once

export function OAuthAppConfirmation({ team }: { team: string }) {
  const id = query('id');
  const app = justSaved.get(id);
  const done = () => {
    justSaved.delete(id);
    navigate(appsPath(team));
  };
  return (
    <>
      <Crumbs parent="OAuth 2.0 Applications" to={appsPath(team)} current="Add" />
      <ConfirmCard title="Setup Successful" onDone={done}>
        {app ? (
          <>
            <p>
              Your OAuth 2.0 application <strong>{app.name}</strong> is set up. Use the following Client ID
              {app.client_secret ? ' and Client Secret' : ''} when requesting authorization for your application.
            </p>
            <dl className="details details-wide">
              <dt>Client ID:</dt>
              <dd>
                <CopyValue value={app.id} label="Copy the Client ID" id="client_id" />
              </dd>
              {app.client_secret && (
                <>
                  <dt>Client Secret:</dt>
                  <dd>
                    <CopyValue value={app.client_secret} label="Copy the Client Secret" id="client_secret" />
                  </dd>
                </>
              )}
              <dt>Callback URLs:</dt>
              <UrlList urls={app.callback_urls} />
            </dl>
            {app.client_secret ? (
              <p className="warning" role="note">
                <strong>Copy the Client Secret now.</strong> It will not be shown again: if it is lost, regenerate it from the list.
              </p>
            ) : (
              <p className="muted">This is a public client: it has no secret and must use PKCE.</p>
            )}
          </>
        ) : (
          <p>
            The application is saved. Its client secret was shown only once, right after saving; to get a new one, use Regenerate Secret in
            the list.
          </p>
        )}
      </ConfirmCard>
    </>
  );
}
