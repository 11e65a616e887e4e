// Integrations → Protected Resources (RFC 9728, RFC 8707): the servers, such as MCP servers, that
// accept this server's tokens. The list, Add/Edit, and the page that shows a resource's secret once
// (after adding it or regenerating its secret). System admins only; the API answers 501 while the
// OAuth 2.0 service provider is off.
import React, { useState } from 'react';
import { del, get, isAdmin, post, put, RESOURCES_API, type ProtectedResource } from '../client';
import {
  ConfirmCard, FormFooter, Button, CopyValue, Dialog, ErrorBanner, Field, ItemList, ListError, Loading, NoPermission, useAction, useCheckedForm, useLoad, useUser,
} from '../components';
import { Backstage, Crumbs, PageTitle } from '../layout';
import { Link, navigate, query } from '../router';
import {
  RESERVED_SCOPES, RESOURCE_NAME_MAX, RESOURCE_SCOPES_MAX, resourceIdentifierError, resourceNameError, resourceScopesError, scopeList,
  type Errors,
} from '../validation';

type Params = { params: { team: string } };
type TokenFormat = ProtectedResource['token_format'];

/** Secrets shown once: kept in memory from the save (or regenerate) until the secret page shows them. */
const justSaved = new Map<string, { resource: ProtectedResource; regenerated: boolean }>();

const resourcesPath = (team: string) => `/${team}/integrations/protected-resources`;
const resourceApi = (id: string) => `${RESOURCES_API}/${encodeURIComponent(id)}`;

const TOKEN_FORMATS: { value: TokenFormat; label: string; help: string }[] = [
  {
    value: 'introspection',
    label: 'Introspection',
    help: 'Opaque access tokens. The resource asks this server about each token at its introspection endpoint (/oauth/introspect, RFC 7662), authenticating with its resource ID and secret.',
  },
  {
    value: 'jwt',
    label: 'JWT',
    help: "Signed JWT access tokens (RFC 9068). The resource checks them itself against this server's public keys (/oauth/jwks) without a call per request; it can still use introspection.",
  },
];

const formatLabel = (format: TokenFormat) => TOKEN_FORMATS.find((f) => f.value === format)?.label ?? format;

/** Who may use these pages: the API is for system admins, so others are told so without asking it. */
function AdminOnly({ children }: { children: () => React.ReactNode }) {
  const user = useUser();
  if (!user) return <Loading what="your account" />;
  return isAdmin(user) ? <>{children()}</> : <NoPermission />;
}

export function ProtectedResourcesPage({ params }: Params) {
  return (
    <Backstage team={params.team} section="protected-resources">
      <div className="page-header">
        <PageTitle text="Protected Resources">Protected Resources</PageTitle>
      </div>
      <p className="intro">
        Register the servers that accept this server's OAuth 2.0 access tokens, such as MCP servers inside or beside the chat server.
        Clients ask for tokens meant for one resource (RFC 8707); the resource checks them and publishes where to get them (RFC 9728).
      </p>
      <AdminOnly>{() => <ResourceList team={params.team} />}</AdminOnly>
    </Backstage>
  );
}

function ResourceList({ team }: { team: string }) {
  const [resources, reload] = useLoad(() => get<ProtectedResource[]>(RESOURCES_API), []);
  const [confirm, setConfirm] = useState<{ kind: 'delete' | 'regen'; resource: ProtectedResource } | null>(null);
  const { busy, error: dialogError, setError: setDialogError, run } = useAction();

  const act = async () => {
    if (!confirm) return;
    await run(async () => {
      if (confirm.kind === 'delete') {
        await del(resourceApi(confirm.resource.id));
        setConfirm(null);
        reload();
      } else {
        const regenerated = await post<ProtectedResource>(`${resourceApi(confirm.resource.id)}/regen_secret`);
        showSecret(team, regenerated, true);
      }
    });
  };
  const cancel = () => (setConfirm(null), setDialogError(''));
  const addLink = (
    <Link className="btn btn-primary" id="addProtectedResource" to={`${resourcesPath(team)}/add`}>
      Add Protected Resource
    </Link>
  );

  if (resources.state === 'loading') return <Loading what="protected resources" />;
  if (resources.state === 'error') return <ListError error={resources.error} admin />;
  return (
    <>
      {resources.data.length === 0 ? (
        <div className="empty">
          <h2>No protected resources registered</h2>
          <p>Register a resource so that clients can get tokens meant for it and it can check them.</p>
          {addLink}
        </div>
      ) : (
        <>
          <div className="page-actions">{addLink}</div>
          <ItemList label="Protected Resources" items={resources.data} keyOf={(r) => r.id} testId="protected-resource">
            {(resource) => <ResourceItem team={team} resource={resource} onAsk={(kind) => setConfirm({ kind, resource })} />}
          </ItemList>
        </>
      )}
      {confirm?.kind === 'delete' && (
        <Dialog title="Delete Protected Resource" confirm="Delete" confirmKind="danger" busy={busy} busyText="Deleting…" error={dialogError} onConfirm={act} onCancel={cancel}>
          <p>
            Delete <strong>{confirm.resource.name}</strong>? Clients can no longer get tokens for {confirm.resource.identifier}, and its
            secret stops working at the introspection endpoint at once. This cannot be undone.
          </p>
        </Dialog>
      )}
      {confirm?.kind === 'regen' && (
        <Dialog title="Regenerate Secret" confirm="Regenerate Secret" busy={busy} busyText="Regenerating…" error={dialogError} onConfirm={act} onCancel={cancel}>
          <p>
            Create a new secret for <strong>{confirm.resource.name}</strong>? The current secret stops working at once: the resource must be
            updated with the new one before it can introspect tokens again.
          </p>
        </Dialog>
      )}
    </>
  );
}

function ResourceItem({ team, resource, onAsk }: { team: string; resource: ProtectedResource; onAsk: (kind: 'delete' | 'regen') => void }) {
  return (
    <>
      <div className="item-main">
        <div className="item-title">
          <span className="item-name">{resource.name}</span>
          <span className="badge badge-info">{formatLabel(resource.token_format)}</span>
        </div>
        <dl className="details">
          <dt>Identifier:</dt>
          <dd className="wrap">{resource.identifier}</dd>
          <dt>Resource ID:</dt>
          <dd>
            <CopyValue value={resource.id} label={`Copy the resource ID of ${resource.name}`} />
          </dd>
          <dt>Scopes:</dt>
          <dd className="wrap">{resource.scopes.length ? resource.scopes.join(' ') : <span className="muted">None</span>}</dd>
          <dt>Metadata URL:</dt>
          <dd className="wrap">{resource.metadata_url || <span className="muted">Served by the resource itself</span>}</dd>
        </dl>
      </div>
      <div className="item-actions">
        <Button kind="link" onClick={() => onAsk('regen')} aria-label={`Regenerate the secret of ${resource.name}`}>
          Regenerate Secret
        </Button>
        <Link to={`${resourcesPath(team)}/edit?id=${resource.id}`} aria-label={`Edit ${resource.name}`}>
          Edit
        </Link>
        <Button kind="link" className="danger-link" onClick={() => onAsk('delete')} aria-label={`Delete ${resource.name}`}>
          Delete
        </Button>
      </div>
    </>
  );
}

// ---- Add / Edit

type ResourceField = 'identifier' | 'name' | 'scopes';
const FIELD_ORDER: ResourceField[] = ['identifier', 'name', 'scopes'];

interface ResourceForm {
  identifier: string;
  name: string;
  scopes: string;
  token_format: TokenFormat;
}

function checkResource(f: ResourceForm): Errors<ResourceField> {
  return {
    identifier: resourceIdentifierError(f.identifier.trim()),
    name: resourceNameError(f.name.trim()),
    scopes: resourceScopesError(scopeList(f.scopes)),
  };
}

const EMPTY_RESOURCE: ResourceForm = { identifier: '', name: '', scopes: '', token_format: 'introspection' };

export function AddProtectedResourcePage({ params }: Params) {
  return (
    <Backstage team={params.team} section="protected-resources">
      <Crumbs parent="Protected Resources" to={resourcesPath(params.team)} current="Add" />
      <AdminOnly>{() => <ResourceFormView team={params.team} initial={EMPTY_RESOURCE} />}</AdminOnly>
    </Backstage>
  );
}

export function EditProtectedResourcePage({ params }: Params) {
  return (
    <Backstage team={params.team} section="protected-resources">
      <Crumbs parent="Protected Resources" to={resourcesPath(params.team)} current="Edit" />
      <AdminOnly>{() => <EditLoader team={params.team} />}</AdminOnly>
    </Backstage>
  );
}

function EditLoader({ team }: { team: string }) {
  const id = query('id');
  const [resource] = useLoad(() => get<ProtectedResource>(resourceApi(id)), [id]);
  if (resource.state === 'loading') return <Loading what="the protected resource" />;
  if (resource.state === 'error') return <ErrorBanner>{resource.error}</ErrorBanner>;
  const r = resource.data;
  return <ResourceFormView team={team} existing={r} initial={{ identifier: r.identifier, name: r.name, scopes: r.scopes.join(' '), token_format: r.token_format }} />;
}

function ResourceFormView({ team, initial, existing }: { team: string; initial: ResourceForm; existing?: ProtectedResource }) {
  const { form, set, blur, shownError, saving, serverError, submit } = useCheckedForm(initial, checkResource, FIELD_ORDER);
  const save = submit(async () => {
    const body = { identifier: form.identifier.trim(), name: form.name.trim(), scopes: scopeList(form.scopes), token_format: form.token_format };
    if (existing) {
      await put<ProtectedResource>(resourceApi(existing.id), { id: existing.id, ...body });
      navigate(resourcesPath(team));
    } else {
      showSecret(team, await post<ProtectedResource>(RESOURCES_API, body), false);
    }
  });

  return (
    <form className="backstage-form" onSubmit={save} noValidate>
      <Field
        id="identifier"
        label="Identifier"
        required
        error={shownError('identifier')}
        help={
          <>
            The URL MCP clients connect to, e.g. https://chat.example.com/mcp (a path under this server's Site URL: this server publishes
            its metadata) or https://mcp.example.com/ (its own server: it publishes its metadata itself). Clients name it as the{' '}
            <code>resource</code> when they ask for a token. https only (http only on localhost), with no query or fragment.
          </>
        }
      >
        {(a) => <input {...a} type="url" value={form.identifier} onChange={(e) => set('identifier', e.target.value)} onBlur={blur('identifier')} placeholder="https://" autoComplete="off" />}
      </Field>
      <Field id="name" label="Name" required error={shownError('name')} help={`The name users see on the consent screen, of up to ${RESOURCE_NAME_MAX} characters.`}>
        {(a) => <input {...a} type="text" value={form.name} onChange={(e) => set('name', e.target.value)} onBlur={blur('name')} autoComplete="off" />}
      </Field>
      <Field
        id="scopes"
        label="Scopes"
        error={shownError('scopes')}
        help={`The scopes the resource understands, separated by spaces, such as mcp:tools mcp:resources. At most ${RESOURCE_SCOPES_MAX}; not the server's own (${RESERVED_SCOPES.join(', ')}).`}
      >
        {(a) => <input {...a} type="text" value={form.scopes} onChange={(e) => set('scopes', e.target.value)} onBlur={blur('scopes')} autoComplete="off" />}
      </Field>
      <fieldset className="field">
        <legend className="field-label">Token Format</legend>
        <div className="field-control">
          {TOKEN_FORMATS.map((f) => (
            <div className="radio-choice" key={f.value}>
              <label>
                <input type="radio" name="token_format" id={`token_format_${f.value}`} checked={form.token_format === f.value} onChange={() => set('token_format', f.value)} aria-describedby={`token_format_${f.value}-help`} />{' '}
                {f.label}
              </label>
              <div className="field-help" id={`token_format_${f.value}-help`}>
                {f.help}
              </div>
            </div>
          ))}
        </div>
      </fieldset>
      <FormFooter serverError={serverError} cancelTo={resourcesPath(team)} saveId="saveProtectedResource" saving={saving} editing={!!existing} />
    </form>
  );
}

// ---- The secret, this once

function showSecret(team: string, resource: ProtectedResource, regenerated: boolean): void {
  justSaved.set(resource.id, { resource, regenerated });
  navigate(`/${team}/integrations/confirm?type=protected-resources&id=${resource.id}`);
}

/** The introspection endpoint under the issuer (the Site URL), which the resource's metadata names. */
function introspectionUrl(resource: ProtectedResource): string {
  const [issuer] = (resource.metadata.authorization_servers as string[] | undefined) ?? [window.location.origin];
  return `${issuer}/oauth/introspect`;
}

export function ProtectedResourceConfirmation({ team }: { team: string }) {
  const id = query('id');
  const saved = justSaved.get(id);
  const done = () => {
    justSaved.delete(id);
    navigate(resourcesPath(team));
  };
  return (
    <>
      <Crumbs parent="Protected Resources" to={resourcesPath(team)} current={saved?.regenerated ? 'New Secret' : 'Add'} />
      <ConfirmCard title={saved?.regenerated ? 'Secret Regenerated' : 'Setup Successful'} onDone={done}>
        {saved ? (
          <ResourceCredentials resource={saved.resource} regenerated={saved.regenerated} />
        ) : (
          <p>
            The protected resource is saved. Its secret was shown only once, right after saving; to get a new one, use Regenerate Secret in
            the list.
          </p>
        )}
      </ConfirmCard>
    </>
  );
}

function ResourceCredentials({ resource, regenerated }: { resource: ProtectedResource; regenerated: boolean }) {
  const introspect = introspectionUrl(resource);
  return (
    <>
      <p>
        {regenerated ? 'The protected resource ' : 'Your protected resource '}
        <strong>{resource.name}</strong> {regenerated ? 'has a new secret; the old one no longer works.' : 'is registered.'} Configure the
        resource with the following Resource ID and Secret: it sends them (as client_id and client_secret, with HTTP Basic or in the form)
        to authenticate to the introspection endpoint, where it asks whether an access token is active and meant for it.
      </p>
      <dl className="details details-wide">
        <dt>Resource ID:</dt>
        <dd>
          <CopyValue value={resource.id} label="Copy the Resource ID" id="resource_id" />
        </dd>
        <dt>Secret:</dt>
        <dd>
          <CopyValue value={resource.client_secret} label="Copy the Secret" id="resource_secret" />
        </dd>
        <dt>Introspection endpoint:</dt>
        <dd>
          <CopyValue value={introspect} label="Copy the introspection endpoint" id="introspection_endpoint" />
        </dd>
        <dt>Identifier:</dt>
        <dd className="wrap">{resource.identifier}</dd>
      </dl>
      <p className="warning" role="note">
        <strong>Copy the Secret now.</strong> It will not be shown again: if it is lost, regenerate it from the list.
      </p>
      <h3 className="subheading">Protected resource metadata</h3>
      {resource.metadata_url ? (
        <>
          <p>
            The resource is under this server's Site URL, so this server publishes the metadata document below (RFC 9728) for MCP
            clients. The resource should point clients to it in the <code>WWW-Authenticate</code> header of its 401 responses
            (<code>resource_metadata=&quot;…&quot;</code>):
          </p>
          <p>
            <CopyValue value={resource.metadata_url} label="Copy the metadata URL" id="metadata_url" />
          </p>
        </>
      ) : (
        <p>
          The resource has its own origin, so it serves the document below itself, at /.well-known/oauth-protected-resource inserted
          after its host and before its path (RFC 9728 §3.1), and names that URL in the <code>WWW-Authenticate</code> header of its 401
          responses.
        </p>
      )}
      <pre className="json-doc" id="metadata_document" aria-label="Protected resource metadata document">
        {JSON.stringify(resource.metadata, null, 2)}
      </pre>
    </>
  );
}
