// The frame of every page after login: the top bar, a sidebar of sections, the page's heading
// (which takes focus on arrival), and the breadcrumbs of add/edit pages.
import React, { useEffect, useRef, useState, type ReactNode } from 'react';
import { currentUser, get, isAdmin, post, type Team } from './client';
import { useLoad, useUser } from './components';
import { Link } from './router';
/** The page's heading: sets the title and takes focus on arrival, so screen readers announce the new page. */
export function PageTitle({ children, text }: { children: ReactNode; text: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${text} - OAuth 2.0`;
    ref.current?.focus({ preventScroll: true });
  }, [text]);
  return (
    <h1 className="page-title" tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

/** The channel every team has (Mattermost's town square), where the Channels link opens. */
export const DEFAULT_CHANNEL = 'town-square';

function TopBar({ team }: { team?: string }) {
  const user = useUser();
  const [busy, setBusy] = useState(false);
  const logout = async () => {
    setBusy(true);
    try {
      await post('/api/v4/users/logout');
    } finally {
      window.location.assign('/login');
    }
  };
  return (
    <header className="topbar">
      <a className="skip" href="#content">
        Skip to content
      </a>
      <span className="brand">OAuth 2.0</span>
      <nav className="topnav" aria-label="Main">
        {team && <Link to={`/${team}/channels/${DEFAULT_CHANNEL}`}>Channels</Link>}
        {team && <Link to={`/${team}/integrations`}>Integrations</Link>}
        {user && isAdmin(user) && <Link to="/admin_console/integrations/integration_management">System Console</Link>}
        <Link to="/settings/security">Settings</Link>
      </nav>
      <span className="who">
        {user && <span className="username">@{user.username}</span>}
        <button type="button" className="btn btn-tertiary btn-sm" onClick={logout} disabled={busy} aria-busy={busy}>
          {busy ? 'Logging out…' : 'Log out'}
        </button>
      </span>
    </header>
  );
}

export interface NavItem {
  to: string;
  label: string;
  key: string;
  /** Something new there since it was last shown (a channel's new posts). */
  unread?: boolean;
}

/** `busy` while an entry may still appear (aria-busy: assistive technology waits for the whole list). */
function Sidebar({ label, title, items, active, busy }: { label: string; title: string; items: NavItem[]; active: string; busy?: boolean }) {
  return (
    <nav className="sidebar" aria-label={label} aria-busy={busy || undefined}>
      <div className="sidebar-title">{title}</div>
      <ul>
        {items.map((item) => (
          <li key={item.key}>
            <Link
              to={item.to}
              aria-current={item.key === active ? 'page' : undefined}
              className={[item.key === active && 'active', item.unread && 'unread'].filter(Boolean).join(' ') || undefined}
            >
              {item.label}
              {item.unread && <span className="sr-only"> (new messages)</span>}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export type BackstageSection = 'outgoing_webhooks' | 'commands' | 'oauth2-apps' | 'protected-resources' | 'outgoing-oauth2-connections' | 'home';

/**
 * Whether to offer Protected Resources (null while unknown): their API is for system admins only
 * and answers 501 while the provider is off, so the entry appears only for an admin whose server
 * has the provider on.
 */
export function useProtectedResourcesShown(): boolean | null {
  const [shown] = useLoad(
    () => currentUser().then((user) => isAdmin(user)
      ? get<{ ServiceSettings: { EnableOAuthServiceProvider?: boolean } }>('/api/v4/config').then((c) => !!c.ServiceSettings.EnableOAuthServiceProvider)
      : false),
    [],
  );
  return shown.state === 'loading' ? null : shown.state === 'ready' && shown.data;
}

/** The top bar, a sidebar and the page's content: the frame of every page after login. */
export function Layout({ team, label, title, items, active, busy, children }: { team?: string; label: string; title: string; items: NavItem[]; active: string; busy?: boolean; children: ReactNode }) {
  return (
    <div className="app">
      <TopBar team={team} />
      <div className="layout">
        <Sidebar label={label} title={title} items={items} active={active} busy={busy} />
        <main id="content" className="content">
          {children}
        </main>
      </div>
    </div>
  );
}

export function Backstage({ team, section, children }: { team: string; section: BackstageSection; children: ReactNode }) {
  const base = `/${team}/integrations`;
  const resourcesShown = useProtectedResourcesShown();
  const items = [
    { key: 'outgoing_webhooks', label: 'Outgoing Webhooks', to: `${base}/outgoing_webhooks` },
    { key: 'commands', label: 'Slash Commands', to: `${base}/commands/installed` },
    { key: 'oauth2-apps', label: 'OAuth 2.0 Applications', to: `${base}/oauth2-apps` },
    ...(resourcesShown ? [{ key: 'protected-resources', label: 'Protected Resources', to: `${base}/protected-resources` }] : []),
    { key: 'outgoing-oauth2-connections', label: 'Outgoing OAuth 2.0 Connections', to: `${base}/outgoing-oauth2-connections` },
  ];
  return (
    <Layout team={team} label="Integrations" title="Integrations" items={items} active={section} busy={resourcesShown === null}>
      {children}
    </Layout>
  );
}

/** The first team of the logged-in user, for the "Integrations" link on pages outside a team. */
let myTeams: Promise<Team[]> | null = null;
function useFirstTeam(): string | undefined {
  const [teams] = useLoad(() => (myTeams ??= get<Team[]>('/api/v4/users/me/teams')), []);
  return teams.state === 'ready' ? teams.data[0]?.name : undefined;
}

export function ConsoleLayout({ children }: { children: ReactNode }) {
  const team = useFirstTeam();
  const items = [{ key: 'integration_management', label: 'Integration Management', to: '/admin_console/integrations/integration_management' }];
  return (
    <Layout team={team} label="System Console" title="System Console · Integrations" items={items} active="integration_management">
      {children}
    </Layout>
  );
}

export function SettingsLayout({ children }: { children: ReactNode }) {
  const team = useFirstTeam();
  const items = [{ key: 'security', label: 'Security', to: '/settings/security' }];
  return (
    <Layout team={team} label="Settings" title="Settings" items={items} active="security">
      {children}
    </Layout>
  );
}

/** A breadcrumb heading as the backstage shows it: "OAuth 2.0 Applications > Add". */
export function Crumbs({ parent, to, current }: { parent: string; to: string; current: string }) {
  return (
    <PageTitle text={`${parent} > ${current}`}>
      <Link to={to} className="crumb">
        {parent}
      </Link>
      <span className="crumb-sep" aria-hidden="true">
        {' › '}
      </span>
      <span>{current}</span>
    </PageTitle>
  );
}

