// System Console → Integrations → Integration Management: the OAuth switches (admins only).
import React, { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { get, isAdmin, put } from '../client';
import { Button, ErrorBanner, Loading, NoPermission, useLoad, useUser } from '../components';
import { ConsoleLayout, PageTitle } from '../layout';
import { lines } from '../validation';

interface Settings {
  EnableOAuthServiceProvider: boolean;
  EnableDynamicClientRegistration: boolean;
  DCRRedirectURIAllowlist: string[];
  EnableClientIdMetadataDocuments: boolean;
  ClientIdMetadataDocumentAllowlist: string[];
  EnableOutgoingOAuthConnections: boolean;
  EnableOutgoingWebhooks: boolean;
  EnablePostUsernameOverride: boolean;
  EnablePostIconOverride: boolean;
  EnableOnlyAdminIntegrations: boolean;
}

type List = 'DCRRedirectURIAllowlist' | 'ClientIdMetadataDocumentAllowlist';
type Flag = Exclude<keyof Settings, List>;

function Switch({ id, label, help, checked, disabled, onChange }: { id: Flag; label: string; help: ReactNode; checked: boolean; disabled?: boolean; onChange: (v: boolean) => void }) {
  const htmlId = `ServiceSettings.${id}`;
  return (
    <div className="field setting">
      <label className="field-label" htmlFor={htmlId}>
        {label}
      </label>
      <div className="field-control">
        <span className="switch">
          <input type="checkbox" role="switch" id={htmlId} checked={checked} disabled={disabled} onChange={(e) => onChange(e.target.checked)} aria-describedby={`${htmlId}-help`} />
          <span className="switch-track" aria-hidden="true" />
          <span className="switch-text" aria-hidden="true">{checked ? 'On' : 'Off'}</span>
        </span>
        <div className="field-help" id={`${htmlId}-help`}>
          {help}
        </div>
      </div>
    </div>
  );
}

export function IntegrationManagementPage() {
  const user = useUser();
  const admin = user ? isAdmin(user) : null;
  return (
    <ConsoleLayout>
      <PageTitle text="Integration Management">Integration Management</PageTitle>
      {admin === null && <Loading what="settings" />}
      {admin === false && <NoPermission />}
      {admin && <SettingsForm />}
    </ConsoleLayout>
  );
}

function SettingsForm() {
  const [config] = useLoad(() => get<{ ServiceSettings: Settings }>('/api/v4/config'), []);
  const [form, setForm] = useState<(Omit<Settings, List> & { allowlist: string; documentAllowlist: string }) | null>(null);
  const [saved, setSaved] = useState<string>('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  useEffect(() => {
    if (config.state !== 'ready') return;
    const s = config.data.ServiceSettings;
    const initial = {
      EnableOAuthServiceProvider: s.EnableOAuthServiceProvider, EnableDynamicClientRegistration: s.EnableDynamicClientRegistration,
      EnableClientIdMetadataDocuments: s.EnableClientIdMetadataDocuments ?? false,
      EnableOutgoingOAuthConnections: s.EnableOutgoingOAuthConnections, EnableOnlyAdminIntegrations: s.EnableOnlyAdminIntegrations,
      EnableOutgoingWebhooks: s.EnableOutgoingWebhooks, EnablePostUsernameOverride: s.EnablePostUsernameOverride,
      EnablePostIconOverride: s.EnablePostIconOverride,
      allowlist: (s.DCRRedirectURIAllowlist ?? []).join('\n'),
      documentAllowlist: (s.ClientIdMetadataDocumentAllowlist ?? []).join('\n'),
    };
    setForm(initial);
    setSaved(JSON.stringify(initial));
  }, [config]);
  if (config.state === 'loading' || (config.state === 'ready' && !form)) return <Loading what="settings" />;
  if (config.state === 'error') return <ErrorBanner>{config.error}</ErrorBanner>;
  if (!form) return null;
  const dirty = JSON.stringify(form) !== saved;
  const set = (k: Flag, v: boolean) => {
    setForm({ ...form, [k]: v });
    setStatus('');
  };
  /** A switch's id, state and change handler, all from its setting. */
  const flag = (k: Flag) => ({ id: k, checked: form[k], onChange: (v: boolean) => set(k, v) });
  const badPattern = lines(form.allowlist).find((p) => !/^https?:\/\//.test(p));
  const badDocumentPattern = lines(form.documentAllowlist).find((p) => !/^https:\/\//.test(p));

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (badPattern) return document.getElementById('ServiceSettings.DCRRedirectURIAllowlist')?.focus();
    if (badDocumentPattern) return document.getElementById('ServiceSettings.ClientIdMetadataDocumentAllowlist')?.focus();
    setSaving(true);
    setError('');
    setStatus('');
    try {
      const { allowlist, documentAllowlist, ...flags } = form;
      await put('/api/v4/config/patch', {
        ServiceSettings: { ...flags, DCRRedirectURIAllowlist: lines(allowlist), ClientIdMetadataDocumentAllowlist: lines(documentAllowlist) },
      });
      // Shown as saved: one pattern a line, blank lines gone.
      const normalized = { ...form, allowlist: lines(allowlist).join('\n'), documentAllowlist: lines(documentAllowlist).join('\n') };
      setForm(normalized);
      setSaved(JSON.stringify(normalized));
      setStatus('Settings saved.');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="backstage-form console-form" onSubmit={save} noValidate>
      <section className="console-section" aria-labelledby="oauth-provider-title">
        <h2 id="oauth-provider-title">OAuth 2.0 Service Provider</h2>
        <Switch
          {...flag('EnableOAuthServiceProvider')}
          label="Enable OAuth 2.0 Service Provider:"
          help="When on, this server acts as an OAuth 2.0 service provider: external applications can ask users for access and call the API on their behalf. When off, authorization requests are refused."
        />
        <Switch
          {...flag('EnableDynamicClientRegistration')}
          label="Enable Dynamic Client Registration:"
          disabled={!form.EnableOAuthServiceProvider}
          help="When on, applications can register themselves as OAuth 2.0 clients (RFC 7591) without an admin. Needs the service provider on."
        />
        <div className="field setting">
          <label className="field-label" htmlFor="ServiceSettings.DCRRedirectURIAllowlist">
            DCR Redirect URI Allowlist:
          </label>
          <div className="field-control">
            <textarea
              id="ServiceSettings.DCRRedirectURIAllowlist"
              rows={4}
              value={form.allowlist}
              disabled={!form.EnableOAuthServiceProvider || !form.EnableDynamicClientRegistration}
              onChange={(e) => (setForm({ ...form, allowlist: e.target.value }), setStatus(''))}
              aria-invalid={badPattern ? true : undefined}
              aria-describedby="ServiceSettings.DCRRedirectURIAllowlist-error ServiceSettings.DCRRedirectURIAllowlist-help"
              placeholder="https://app.example.com/**"
            />
            <div className="field-help" id="ServiceSettings.DCRRedirectURIAllowlist-help">
              One pattern per line, such as https://*.example.com/callback or http://localhost:*/callback. Dynamically registered
              clients may only use redirect URIs that match one. A pattern is matched part by part: the scheme exactly; in the host, * is
              one whole label (*.example.com matches app.example.com, not a.b.example.com); in the port, * is any port (no port: the
              default one only); in the path, * is a run of characters within one segment and a ** segment any number of segments;
              a query, if given, exactly. No * ever reaches past . / : @ ? or #. A pattern that does not parse allows nothing. Empty:
              any redirect URI.
            </div>
            <div className="field-error" id="ServiceSettings.DCRRedirectURIAllowlist-error" aria-live="polite">
              {badPattern ? `Each pattern must start with http:// or https:// (“${badPattern}”).` : ''}
            </div>
          </div>
        </div>
        <Switch
          {...flag('EnableClientIdMetadataDocuments')}
          label="Enable Client ID Metadata Documents:"
          disabled={!form.EnableOAuthServiceProvider}
          help="When on, an application may use an https URL as its client ID: this server fetches the JSON document at that URL (its client metadata) and treats the application as a public client with the redirect URIs it lists. The consent screen shows the document's host name. Needs the service provider on."
        />
        <div className="field setting">
          <label className="field-label" htmlFor="ServiceSettings.ClientIdMetadataDocumentAllowlist">
            Client ID Metadata Document Allowlist:
          </label>
          <div className="field-control">
            <textarea
              id="ServiceSettings.ClientIdMetadataDocumentAllowlist"
              rows={3}
              value={form.documentAllowlist}
              disabled={!form.EnableOAuthServiceProvider || !form.EnableClientIdMetadataDocuments}
              onChange={(e) => (setForm({ ...form, documentAllowlist: e.target.value }), setStatus(''))}
              aria-invalid={badDocumentPattern ? true : undefined}
              aria-describedby="ServiceSettings.ClientIdMetadataDocumentAllowlist-error ServiceSettings.ClientIdMetadataDocumentAllowlist-help"
              placeholder="https://*.example.com/**"
            />
            <div className="field-help" id="ServiceSettings.ClientIdMetadataDocumentAllowlist-help">
              One pattern per line, in the same syntax as the DCR Redirect URI Allowlist, for the URLs that may serve as client IDs, such
              as https://client.example.com/** . Empty: any https URL whose address the server may reach.
            </div>
            <div className="field-error" id="ServiceSettings.ClientIdMetadataDocumentAllowlist-error" aria-live="polite">
              {badDocumentPattern ? `Each pattern must start with https:// (“${badDocumentPattern}”).` : ''}
            </div>
          </div>
        </div>
      </section>
      <section className="console-section" aria-labelledby="outgoing-title">
        <h2 id="outgoing-title">Integrations</h2>
        <Switch
          {...flag('EnableOutgoingOAuthConnections')}
          label="Enable Outgoing OAuth Connections:"
          help="When on, slash commands, outgoing webhooks, message actions and dialogs use the configured outgoing OAuth connections to authenticate with third-party services."
        />
        <Switch
          {...flag('EnableOutgoingWebhooks')}
          label="Enable Outgoing Webhooks:"
          help="When on, messages that match an outgoing webhook's channel or trigger words are sent to its callback URLs."
        />
        <Switch
          {...flag('EnablePostUsernameOverride')}
          label="Enable integrations to override usernames:"
          help="When on, the posts integrations make show the username they choose instead of their creator's."
        />
        <Switch
          {...flag('EnablePostIconOverride')}
          label="Enable integrations to override profile picture icons:"
          help="When on, the posts integrations make show the profile picture they choose."
        />
        <Switch
          {...flag('EnableOnlyAdminIntegrations')}
          label="Restrict managing integrations to Admins:"
          help="When on, slash commands, outgoing webhooks and OAuth 2.0 applications can only be created, edited and viewed by System Admins. When off, every user can manage them."
        />
      </section>
      <div className="form-footer console-footer">
        {error && <ErrorBanner id="serverError">{error}</ErrorBanner>}
        <div className="form-buttons">
          <span className="save-status" role="status">
            {status}
          </span>
          <Button type="submit" id="saveSetting" busy={saving} busyText="Saving…" disabled={!dirty}>
            Save
          </Button>
        </div>
      </div>
    </form>
  );
}
