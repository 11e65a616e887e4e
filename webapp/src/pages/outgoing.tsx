// Integrations → Outgoing OAuth 2.0 Connections: the list, and Add/Edit with Validate Connection.
import React, { useState, type FormEvent } from 'react';
import { del, get, isAdmin, post, put, type OutgoingConnection } from '../client';
import {
  Button, Dialog, ErrorBanner, Field, ListError, Loading, UrlList, useAction, useLoad, useUser, ItemList,
} from '../components';
import { Backstage, Crumbs, PageTitle } from '../layout';
import { Link, navigate, query } from '../router';
import { chars, firstError, focusField, isHttpUrl, lines, origin, type Errors } from '../validation';

type Params = { params: { team: string } };
const API = '/api/v4/oauth/outgoing_connections';
const listPath = (team: string) => `/${team}/integrations/outgoing-oauth2-connections`;
const MASK = '•'.repeat(40);

const grantLabel = (g: string) => (g === 'password' ? 'Password' : 'Client Credentials');

export function OutgoingConnectionsPage({ params }: Params) {
  const user = useUser();
  const [list, reload] = useLoad(() => get<OutgoingConnection[]>(`${API}?limit=100`), []);
  const [deleting, setDeleting] = useState<OutgoingConnection | null>(null);
  const { busy, error, setError, run } = useAction();
  const remove = async () => {
    if (!deleting) return;
    await run(async () => {
      await del(`${API}/${deleting.id}`);
      setDeleting(null);
      reload();
    });
  };
  return (
    <Backstage team={params.team} section="outgoing-oauth2-connections">
      <div className="page-header">
        <PageTitle text="Outgoing OAuth 2.0 Connections">Outgoing OAuth 2.0 Connections</PageTitle>
        {list.state === 'ready' && (
          <Link className="btn btn-primary" id="addOutgoingOauthConnection" to={`${listPath(params.team)}/add`}>
            Add Outgoing OAuth Connection
          </Link>
        )}
      </div>
      <p className="intro">
        The server gets an access token from an integration's own OAuth 2.0 server and sends it with its requests (slash commands) to the
        integration's Audience URLs.
      </p>
      {list.state === 'loading' && <Loading what="connections" />}
      {list.state === 'error' && <ListError error={list.error} admin={!!user && isAdmin(user)} />}
      {list.state === 'ready' && list.data.length === 0 && (
        <div className="empty">
          <h2>No Outgoing OAuth 2.0 Connections found</h2>
          <p>Add a connection so that slash commands can reach an integration that requires an OAuth 2.0 token.</p>
          <Link className="btn btn-primary" to={`${listPath(params.team)}/add`}>
            Add Outgoing OAuth Connection
          </Link>
        </div>
      )}
      {list.state === 'ready' && list.data.length > 0 && (
        <ItemList label="Outgoing OAuth 2.0 Connections" items={list.data} keyOf={(c) => c.id} testId="outgoing-connection">
          {(c) => (
            <>
              <div className="item-main">
                <div className="item-title">
                  <span className="item-name">{c.name}</span>
                  <span className="badge badge-muted">{grantLabel(c.grant_type)}</span>
                  {c.cache_tokens && <span className="badge badge-info">Caches tokens</span>}
                </div>
                <dl className="details">
                  <dt>Client ID:</dt>
                  <dd className="wrap">{c.client_id}</dd>
                  <dt>OAuth Token URL:</dt>
                  <dd className="wrap">{c.oauth_token_url}</dd>
                  <dt>Audience URLs:</dt>
                  <UrlList urls={c.audiences} />
                </dl>
              </div>
              <div className="item-actions">
                <Link to={`${listPath(params.team)}/edit?id=${c.id}`} aria-label={`Edit ${c.name}`}>
                  Edit
                </Link>
                <Button kind="link" className="danger-link" onClick={() => setDeleting(c)} aria-label={`Delete ${c.name}`}>
                  Delete
                </Button>
              </div>
            </>
          )}
        </ItemList>
      )}
      {deleting && (
        <Dialog
          title="Delete Outgoing OAuth Connection"
          confirm="Delete"
          confirmKind="danger"
          busy={busy}
          busyText="Deleting…"
          error={error}
          onConfirm={remove}
          onCancel={() => (setDeleting(null), setError(''))}
        >
          <p>
            Delete <strong>{deleting.name}</strong>? Requests to its Audience URLs are then sent without its token.
          </p>
        </Dialog>
      )}
    </Backstage>
  );
}

// ---- Add / Edit

type ConnField = 'name' | 'client_id' | 'client_secret' | 'credentials_username' | 'credentials_password' | 'token_url' | 'audienceUrls';
const ORDER: ConnField[] = ['name', 'client_id', 'client_secret', 'credentials_username', 'credentials_password', 'token_url', 'audienceUrls'];

interface ConnForm {
  name: string;
  client_id: string;
  client_secret: string;
  grant_type: 'client_credentials' | 'password';
  credentials_username: string;
  credentials_password: string;
  token_url: string;
  audienceUrls: string;
  cache_tokens: boolean;
}

type Validation = { state: 'initial' | 'dirty' | 'validating' | 'validated' } | { state: 'error'; detail: string };

function checkConnection(f: ConnForm, editSecret: boolean, editPassword: boolean): Errors<ConnField> {
  const e: Errors<ConnField> = {};
  const within = (v: string, max: number) => v.trim() !== '' && chars(v.trim()) <= max;
  if (!within(f.name, 64)) e.name = 'Name is required: up to 64 characters.';
  if (!within(f.client_id, 255)) e.client_id = 'Client ID is required: up to 255 characters.';
  if (editSecret && !within(f.client_secret, 255)) e.client_secret = 'Client Secret is required: up to 255 characters.';
  if (f.grant_type === 'password') {
    if (!within(f.credentials_username, 255)) e.credentials_username = 'Username is required for the password grant.';
    if (editPassword && !within(f.credentials_password, 255)) e.credentials_password = 'Password is required for the password grant.';
  }
  const url = f.token_url.trim();
  if (!url) e.token_url = 'OAuth Token URL is required.';
  else if (!isHttpUrl(url) || chars(url) > 256) e.token_url = 'OAuth Token URL must be a valid URL of up to 256 characters and start with http:// or https://.';
  const audiences = lines(f.audienceUrls);
  const bad = audiences.find((a) => !isHttpUrl(a.replace(/\*$/, '')));
  if (audiences.length === 0) e.audienceUrls = 'One or more Audience URLs are required.';
  else if (bad) e.audienceUrls = `Audience URL must be a valid URL and start with http:// or https:// (“${bad}”).`;
  return e;
}

export function AddOutgoingConnectionPage({ params }: Params) {
  return (
    <Backstage team={params.team} section="outgoing-oauth2-connections">
      <Crumbs parent="Outgoing OAuth 2.0 Connections" to={listPath(params.team)} current="Add" />
      <ConnectionForm
        team={params.team}
        initial={{ name: '', client_id: '', client_secret: '', grant_type: 'client_credentials', credentials_username: '', credentials_password: '', token_url: '', audienceUrls: '', cache_tokens: false }}
      />
    </Backstage>
  );
}

export function EditOutgoingConnectionPage({ params }: Params) {
  const id = query('id');
  const [conn] = useLoad(() => get<OutgoingConnection>(`${API}/${encodeURIComponent(id)}`), [id]);
  return (
    <Backstage team={params.team} section="outgoing-oauth2-connections">
      <Crumbs parent="Outgoing OAuth 2.0 Connections" to={listPath(params.team)} current="Edit" />
      {conn.state === 'loading' && <Loading what="the connection" />}
      {conn.state === 'error' && <ErrorBanner>{conn.error}</ErrorBanner>}
      {conn.state === 'ready' && (
        <ConnectionForm
          team={params.team}
          existing={conn.data}
          initial={{
            name: conn.data.name, client_id: conn.data.client_id, client_secret: '', grant_type: conn.data.grant_type,
            credentials_username: conn.data.credentials_username ?? '', credentials_password: '', token_url: conn.data.oauth_token_url,
            audienceUrls: conn.data.audiences.join('\n'), cache_tokens: conn.data.cache_tokens,
          }}
        />
      )}
    </Backstage>
  );
}

/** A stored secret: a disabled field of dots with a pencil; the pencil opens an empty field for a new value. */
function MaskedSecret({ id, label, editing, onEdit, aria }: { id: string; label: string; editing: boolean; onEdit: () => void; aria: object }) {
  if (editing) return null;
  return (
    <div className="masked">
      <input {...aria} id={id} type="text" value={MASK} disabled aria-label={`${label} (stored, not shown)`} />
      <button type="button" className="btn btn-tertiary btn-icon" onClick={onEdit} aria-label={`Edit ${label}`} title={`Edit ${label}`}>
        <span aria-hidden="true">✎</span>
      </button>
    </div>
  );
}

function ConnectionForm({ team, initial, existing }: { team: string; initial: ConnForm; existing?: OutgoingConnection }) {
  const [form, setForm] = useState<ConnForm>(initial);
  const [secretOpened, setEditSecret] = useState(!existing);
  const [passwordOpened, setEditPassword] = useState(!existing || existing.grant_type !== 'password');
  // The stored secret and password never follow the token URL to another server (the server
  // refuses that too): moving it means entering them again.
  const movesServer = !!existing && origin(form.token_url) !== origin(existing.oauth_token_url);
  const editSecret = secretOpened || movesServer;
  const editPassword = passwordOpened || movesServer;
  const [validation, setValidation] = useState<Validation>({ state: 'initial' });
  const [submitted, setSubmitted] = useState(false);
  const [touched, setTouched] = useState<Partial<Record<ConnField, boolean>>>({});
  const [saving, setSaving] = useState(false);
  const [serverError, setServerError] = useState('');
  const [asking, setAsking] = useState(false);
  const errors = checkConnection(form, editSecret, editPassword);
  const shown = (k: ConnField) => (submitted || touched[k] ? errors[k] : undefined);
  const blur = (k: ConnField) => () => setTouched((t) => ({ ...t, [k]: true }));
  // Changing what the token request is made of makes an earlier validation meaningless.
  const CREDENTIALS: (keyof ConnForm)[] = ['client_id', 'client_secret', 'token_url', 'grant_type', 'credentials_username', 'credentials_password'];
  const set = <K extends keyof ConnForm>(k: K, v: ConnForm[K]) => {
    setForm((f) => ({ ...f, [k]: v }));
    if (CREDENTIALS.includes(k)) setValidation({ state: 'dirty' });
  };

  const body = () => ({
    ...(existing ? { id: existing.id } : {}),
    name: form.name.trim(),
    client_id: form.client_id.trim(),
    client_secret: editSecret ? form.client_secret.trim() : '',
    grant_type: form.grant_type,
    credentials_username: form.grant_type === 'password' ? form.credentials_username.trim() : '',
    credentials_password: form.grant_type === 'password' && editPassword ? form.credentials_password : '',
    oauth_token_url: form.token_url.trim(),
    audiences: lines(form.audienceUrls),
    cache_tokens: form.cache_tokens,
  });

  const validate = async () => {
    setSubmitted(true);
    const first = firstError(errors, ORDER);
    if (first) return focusField(first);
    setValidation({ state: 'validating' });
    try {
      await post(`${API}/validate`, body());
      setValidation({ state: 'validated' });
    } catch (e) {
      // The server's reason, without repeating the sentence the page already says.
      const reason = (e as Error).message.replace(/^Connection not validated:\s*/, '');
      setValidation({ state: 'error', detail: reason.charAt(0).toUpperCase() + reason.slice(1) });
    }
  };

  const store = async () => {
    setSaving(true);
    setServerError('');
    try {
      if (existing) await put(`${API}/${existing.id}`, body());
      else await post(API, body());
      navigate(listPath(team));
    } catch (e) {
      setServerError((e as Error).message);
      setSaving(false);
      setAsking(false);
    }
  };

  const save = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    const first = firstError(errors, ORDER);
    if (first) return focusField(first);
    // Editing without touching the token request keeps what was saved before: nothing new to validate.
    const unchanged = existing && validation.state === 'initial';
    if (validation.state !== 'validated' && !unchanged) {
      setAsking(true);
      return;
    }
    void store();
  };

  return (
    <form className="backstage-form" onSubmit={save} noValidate>
      <Field id="name" label="Name" required error={shown('name')} help="Specify the name, of up to 64 characters, for this connection.">
        {(a) => <input {...a} type="text" value={form.name} onChange={(e) => set('name', e.target.value)} onBlur={blur('name')} autoComplete="off" />}
      </Field>
      <Field id="client_id" label="Client ID" required error={shown('client_id')} help="The client ID the integration's OAuth 2.0 server gave this server.">
        {(a) => <input {...a} type="text" value={form.client_id} onChange={(e) => set('client_id', e.target.value)} onBlur={blur('client_id')} autoComplete="off" />}
      </Field>
      <Field
        id="client_secret"
        label="Client Secret"
        required
        error={shown('client_secret')}
        help={
          movesServer && !secretOpened
            ? 'The OAuth Token URL now points to another server: enter the Client Secret for it again.'
            : editSecret
              ? 'The client secret for the Client ID above.'
              : 'The stored secret stays unless you edit it.'
        }
      >
        {(a) =>
          editSecret ? (
            <input {...a} type="text" value={form.client_secret} onChange={(e) => set('client_secret', e.target.value)} onBlur={blur('client_secret')} autoComplete="off" />
          ) : (
            <MaskedSecret
              id={a.id}
              label="Client Secret"
              editing={false}
              aria={{ 'aria-describedby': a['aria-describedby'] }}
              onEdit={() => {
                setEditSecret(true);
                setValidation({ state: 'dirty' });
                setTimeout(() => document.getElementById('client_secret')?.focus());
              }}
            />
          )
        }
      </Field>
      <Field id="grant_type" label="Grant Type" help="Client Credentials: the server authenticates as itself. Password: it signs in with the username and password below.">
        {(a) => (
          <select {...a} value={form.grant_type} onChange={(e) => set('grant_type', e.target.value as ConnForm['grant_type'])}>
            <option value="client_credentials">Client Credentials</option>
            <option value="password">Password</option>
          </select>
        )}
      </Field>
      {form.grant_type === 'password' && (
        <>
          <Field id="credentials_username" label="Username" required error={shown('credentials_username')}>
            {(a) => <input {...a} type="text" value={form.credentials_username} onChange={(e) => set('credentials_username', e.target.value)} onBlur={blur('credentials_username')} autoComplete="off" />}
          </Field>
          <Field
            id="credentials_password"
            label="Password"
            required
            error={shown('credentials_password')}
            help={
              movesServer && !passwordOpened
                ? 'The OAuth Token URL now points to another server: enter the password for it again.'
                : editPassword
                  ? undefined
                  : 'The stored password stays unless you edit it.'
            }
          >
            {(a) =>
              editPassword ? (
                <input {...a} type="password" value={form.credentials_password} onChange={(e) => set('credentials_password', e.target.value)} onBlur={blur('credentials_password')} autoComplete="new-password" />
              ) : (
                <MaskedSecret
                  id={a.id}
                  label="Password"
                  editing={false}
                  aria={{ 'aria-describedby': a['aria-describedby'] }}
                  onEdit={() => {
                    setEditPassword(true);
                    setValidation({ state: 'dirty' });
                    setTimeout(() => document.getElementById('credentials_password')?.focus());
                  }}
                />
              )
            }
          </Field>
        </>
      )}
      <Field id="token_url" label="OAuth Token URL" required error={shown('token_url')} help="The token endpoint of the integration's OAuth 2.0 server, where this server asks for access tokens.">
        {(a) => <input {...a} type="url" value={form.token_url} onChange={(e) => set('token_url', e.target.value)} onBlur={blur('token_url')} placeholder="https://" />}
      </Field>
      <div className="field">
        <span className="field-label" aria-hidden="true" />
        <div className="field-control">
          <div className="validate-row">
            <Button kind="secondary" id="validateConnection" onClick={validate} busy={validation.state === 'validating'} busyText="Validating...">
              Validate Connection
            </Button>
            <ValidationStatus validation={validation} retry={validate} />
          </div>
        </div>
      </div>
      <Field
        id="audienceUrls"
        label="Audience URLs (One Per Line)"
        required
        error={shown('audienceUrls')}
        help="Requests to these URLs get this connection's token. A URL ending in * covers every URL that begins with it."
      >
        {(a) => <textarea {...a} rows={4} value={form.audienceUrls} onChange={(e) => set('audienceUrls', e.target.value)} onBlur={blur('audienceUrls')} />}
      </Field>
      <Field id="cache_tokens" label="Cache tokens" help="Reuse an access token until shortly before it expires, instead of asking the token server for a new one on every request.">
        {(a) => (
          <label className="checkbox">
            <input {...a} type="checkbox" checked={form.cache_tokens} onChange={(e) => set('cache_tokens', e.target.checked)} /> Reuse tokens until they expire
          </label>
        )}
      </Field>
      <div className="form-footer">
        {serverError && <ErrorBanner id="serverError">{serverError}</ErrorBanner>}
        <div className="form-buttons">
          <Link className="btn btn-tertiary" to={listPath(team)}>
            Cancel
          </Link>
          <Button type="submit" id="saveConnection" busy={saving && !asking} busyText={existing ? 'Updating…' : 'Saving…'}>
            {existing ? 'Update' : 'Save'}
          </Button>
        </div>
      </div>
      {asking && (
        <Dialog
          title="Save Outgoing OAuth Connection"
          confirm="Save anyway"
          confirmId="saveAnyway"
          busy={saving}
          busyText="Saving…"
          onConfirm={() => void store()}
          onCancel={() => setAsking(false)}
        >
          <p>This connection has not been validated. Do you want to save anyway?</p>
        </Dialog>
      )}
    </form>
  );
}

function ValidationStatus({ validation, retry }: { validation: Validation; retry: () => void }) {
  return (
    <div className={`validate-status validate-${validation.state}`} aria-live="polite" id="validationStatus">
      {validation.state === 'validating' && <span className="sr-only">Validating...</span>}
      {validation.state === 'validated' && (
        <>
          <span className="ok-mark" aria-hidden="true">
            ✓
          </span>{' '}
          Validated connection
        </>
      )}
      {validation.state === 'dirty' && <span className="muted">Not validated yet: validate the connection with these settings.</span>}
      {validation.state === 'initial' && <span className="muted">Not validated yet.</span>}
      {validation.state === 'error' && (
        <span role="alert" className="validate-error">
          Connection not validated. Please check the server logs for details or{' '}
          <button type="button" className="linkish" onClick={retry}>
            try again
          </button>
          .<span className="validate-detail">{validation.detail}</span>
        </span>
      )}
    </div>
  );
}
