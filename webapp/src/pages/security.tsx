// Settings → Security: the OAuth 2.0 applications the user authorized (Deauthorize) and the app
// accounts connected through the app OAuth2 store (Disconnect).
import React, { useState } from 'react';
import { currentUser, del, get, post, type AppConnection, type OAuthApp } from '../client';
import { Button, ErrorBanner, Loading, useLoad, type Load, ItemList, AppIcon } from '../components';
import { PageTitle, SettingsLayout } from '../layout';

function when(millis: number): string {
  return new Date(millis).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * Removing one entry of a loaded list by a request: the key of the entry being removed (empty when
 * none), and the error, which begins with `failed`. The entry leaves the list once the request succeeds.
 */
function useRemoval<T>(list: Load<T[]>, setList: (data: T[]) => void, key: (item: T) => string) {
  const [busy, setBusy] = useState('');
  const [error, setError] = useState('');
  const remove = async (item: T, request: () => Promise<unknown>, failed: string) => {
    setBusy(key(item));
    setError('');
    try {
      await request();
      if (list.state === 'ready') setList(list.data.filter((x) => key(x) !== key(item)));
    } catch (e) {
      setError(`${failed}: ${(e as Error).message}`);
    } finally {
      setBusy('');
    }
  };
  return { busy, error, remove };
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
  const { busy, error, remove } = useRemoval(apps, setApps, (a) => a.id);
  const deauthorize = (app: OAuthApp) => remove(app, () => post('/oauth/deauthorize', { client_id: app.id }), `${app.name} could not be deauthorized`);
  return (
    <section className="settings-section" aria-labelledby="authorized-title">
      <h2 id="authorized-title">OAuth 2.0 Applications</h2>
      <p className="muted">Applications you allowed to act on your behalf. Deauthorize one to revoke its access at once.</p>
      {error && <ErrorBanner>{error}</ErrorBanner>}
      {apps.state === 'loading' && <Loading what="authorized applications" />}
      {apps.state === 'error' && <ErrorBanner>{apps.error}</ErrorBanner>}
      {apps.state === 'ready' && apps.data.length === 0 && <p className="empty-line">You have not authorized any OAuth 2.0 application.</p>}
      {apps.state === 'ready' && apps.data.length > 0 && (
        <ItemList label="Authorized OAuth 2.0 applications" items={apps.data} keyOf={(app) => app.id} testId="authorized-app">
          {(app) => (
            <>
              <AppIcon app={app} />
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
            </>
          )}
        </ItemList>
      )}
    </section>
  );
}

function ConnectedAccounts() {
  const [list, , setList] = useLoad(() => get<AppConnection[]>('/plugins/oauth-plugin/api/v1/oauth2/connections'), []);
  const { busy, error, remove } = useRemoval(list, setList, (x) => x.app_id);
  const disconnect = (c: AppConnection) =>
    remove(c, () => del(`/plugins/oauth-plugin/api/v1/oauth2/connections/${encodeURIComponent(c.app_id)}`), `${c.app_id} could not be disconnected`);
  return (
    <section className="settings-section" aria-labelledby="connected-title">
      <h2 id="connected-title">Connected accounts</h2>
      <p className="muted">Accounts on other services that apps on this server reach for you. Disconnect one to make the app forget its token.</p>
      {error && <ErrorBanner>{error}</ErrorBanner>}
      {list.state === 'loading' && <Loading what="connected accounts" />}
      {list.state === 'error' && <ErrorBanner>{list.error}</ErrorBanner>}
      {list.state === 'ready' && list.data.length === 0 && <p className="empty-line">No app has connected an account of yours.</p>}
      {list.state === 'ready' && list.data.length > 0 && (
        <ItemList label="Connected accounts" items={list.data} keyOf={(c) => c.app_id} testId="connected-account">
          {(c) => (
            <>
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
            </>
          )}
        </ItemList>
      )}
    </section>
  );
}
