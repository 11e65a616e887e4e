// Settings → Security: the OAuth 2.0 applications the user authorized (Deauthorize) and the app
// accounts connected through the app OAuth2 store (Disconnect).
import { useState } from 'react';
import { currentUser, del, get, post, type AppConnection, type OAuthApp } from '../client';
import { Button, ErrorBanner, Loading, PageTitle, SettingsLayout, useLoad } from '../components';

function when(millis: number): string {
  return new Date(millis).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function SecurityPage() {
  return (
    <SettingsLayout>
      <PageTitle text="Security">Security</PageTitle>
      <AuthorizedApps />
      <ConnectedAccounts />
    </SettingsLayout>
  );
}

function AuthorizedApps() {
  const [apps, , setApps] = useLoad(async () => {
    const me = await currentUser();
    return get<OAuthApp[]>(`/api/v4/users/${me.id}/oauth/apps/authorized`);
  }, []);
  const [busy, setBusy] = useState('');
  const [error, setError] = useState('');
  const deauthorize = async (app: OAuthApp) => {
    setBusy(app.id);
    setError('');
    try {
      await post('/oauth/deauthorize', { client_id: app.id });
      if (apps.state === 'ready') setApps(apps.data.filter((a) => a.id !== app.id));
    } catch (e) {
      setError(`${app.name} could not be deauthorized: ${(e as Error).message}`);
    } finally {
      setBusy('');
    }
  };
  return (
    <section className="settings-section" aria-labelledby="authorized-title">
      <h2 id="authorized-title">OAuth 2.0 Applications</h2>
      <p className="muted">Applications you allowed to act on your behalf. Deauthorize one to revoke its access at once.</p>
      {error && <ErrorBanner>{error}</ErrorBanner>}
      {apps.state === 'loading' && <Loading what="authorized applications" />}
      {apps.state === 'error' && <ErrorBanner>{apps.error}</ErrorBanner>}
      {apps.state === 'ready' && apps.data.length === 0 && <p className="empty-line">You have not authorized any OAuth 2.0 application.</p>}
      {apps.state === 'ready' && apps.data.length > 0 && (
        <ul className="items" aria-label="Authorized OAuth 2.0 applications">
          {apps.data.map((app) => (
            <li className="item" key={app.id} data-testid="authorized-app">
              {app.icon_url ? <img className="item-icon" src={app.icon_url} alt="" /> : <span className="item-icon item-icon-letter" aria-hidden="true">{(app.name[0] ?? '?').toUpperCase()}</span>}
              <div className="item-main">
                <div className="item-title">
                  <span className="item-name">{app.name}</span>
                </div>
                {app.description && <div className="item-desc">{app.description}</div>}
                {app.homepage && (
                  <a className="wrap" href={app.homepage} target="_blank" rel="noopener noreferrer">
                    {app.homepage}
                  </a>
                )}
              </div>
              <div className="item-actions">
                <Button kind="secondary" onClick={() => deauthorize(app)} busy={busy === app.id} busyText="Deauthorizing…" disabled={!!busy} aria-label={`Deauthorize ${app.name}`}>
                  Deauthorize
                </Button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ConnectedAccounts() {
  const [list, , setList] = useLoad(() => get<AppConnection[]>('/plugins/oauth-plugin/api/v1/oauth2/connections'), []);
  const [busy, setBusy] = useState('');
  const [error, setError] = useState('');
  const disconnect = async (c: AppConnection) => {
    setBusy(c.app_id);
    setError('');
    try {
      await del(`/plugins/oauth-plugin/api/v1/oauth2/connections/${encodeURIComponent(c.app_id)}`);
      if (list.state === 'ready') setList(list.data.filter((x) => x.app_id !== c.app_id));
    } catch (e) {
      setError(`${c.app_id} could not be disconnected: ${(e as Error).message}`);
    } finally {
      setBusy('');
    }
  };
  return (
    <section className="settings-section" aria-labelledby="connected-title">
      <h2 id="connected-title">Connected accounts</h2>
      <p className="muted">Accounts on other services that apps on this server reach for you. Disconnect one to make the app forget its token.</p>
      {error && <ErrorBanner>{error}</ErrorBanner>}
      {list.state === 'loading' && <Loading what="connected accounts" />}
      {list.state === 'error' && <ErrorBanner>{list.error}</ErrorBanner>}
      {list.state === 'ready' && list.data.length === 0 && <p className="empty-line">No app has connected an account of yours.</p>}
      {list.state === 'ready' && list.data.length > 0 && (
        <ul className="items" aria-label="Connected accounts">
          {list.data.map((c) => (
            <li className="item" key={c.app_id} data-testid="connected-account">
              <div className="item-main">
                <div className="item-title">
                  <span className="item-name">{c.app_id}</span>
                </div>
                <div className="item-desc">
                  Connected {when(c.connected_at)}
                  {c.expires_at ? ` · token expires ${when(c.expires_at)}` : ''}
                </div>
              </div>
              <div className="item-actions">
                <Button kind="secondary" onClick={() => disconnect(c)} busy={busy === c.app_id} busyText="Disconnecting…" disabled={!!busy} aria-label={`Disconnect ${c.app_id}`}>
                  Disconnect
                </Button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
