// The plugin's pages and the paths they answer (the backstage's paths in Mattermost).
import React, { type ComponentType } from 'react';
import { Backstage, PageTitle, useProtectedResourcesShown } from './layout';
import { ChannelPage } from './pages/channel/view';
import { AddCommandPage, CommandConfirmation, CommandsPage, EditCommandPage } from './pages/commands';
import { IntegrationManagementPage } from './pages/console';
import { AddOAuthAppPage, EditOAuthAppPage, OAuthAppConfirmation, OAuthAppsPage } from './pages/oauth_apps';
import { AddProtectedResourcePage, EditProtectedResourcePage, ProtectedResourceConfirmation, ProtectedResourcesPage } from './pages/resources';
import { AddOutgoingConnectionPage, EditOutgoingConnectionPage, OutgoingConnectionsPage } from './pages/outgoing';
import { AddOutgoingWebhookPage, EditOutgoingWebhookPage } from './pages/outgoing_webhook_form';
import { OutgoingWebhookConfirmation, OutgoingWebhooksPage } from './pages/outgoing_webhooks';
import { SecurityPage } from './pages/security';
import { Link, query } from './router';
import { STYLE } from './styles';

type Params = { params: { team: string } };

function IntegrationsHome({ params }: Params) {
  const base = `/${params.team}/integrations`;
  const resourcesShown = useProtectedResourcesShown();
  const resources = { to: `${base}/protected-resources`, title: 'Protected Resources', text: 'Register MCP servers and other APIs that accept this server\'s tokens.' };
  const cards = [
    { to: `${base}/outgoing_webhooks`, title: 'Outgoing Webhooks', text: 'Outgoing webhooks send messages posted in channels to external integrations.' },
    { to: `${base}/commands/installed`, title: 'Slash Commands', text: 'Slash commands send events to external integrations.' },
    { to: `${base}/oauth2-apps`, title: 'OAuth 2.0 Applications', text: 'Let third-party apps act on behalf of the users who allow them.' },
    ...(resourcesShown ? [resources] : []),
    { to: `${base}/outgoing-oauth2-connections`, title: 'Outgoing OAuth 2.0 Connections', text: 'Send OAuth 2.0 tokens with requests to integrations.' },
  ];
  return (
    <Backstage team={params.team} section="home">
      <PageTitle text="Integrations">Integrations</PageTitle>
      <ul className="cards" aria-busy={resourcesShown === null || undefined}>
        {cards.map((c) => (
          <li key={c.to}>
            <Link to={c.to} className="card">
              <strong>{c.title}</strong>
              <span>{c.text}</span>
            </Link>
          </li>
        ))}
      </ul>
    </Backstage>
  );
}

/** Mattermost's /{team}/integrations/confirm?type=…&id=…, shown right after an add. */
const CONFIRMATIONS = {
  outgoing_webhooks: OutgoingWebhookConfirmation,
  commands: CommandConfirmation,
  'oauth2-apps': OAuthAppConfirmation,
  'protected-resources': ProtectedResourceConfirmation,
} as const;

function ConfirmPage({ params }: Params) {
  const type = query('type');
  const section = type in CONFIRMATIONS ? (type as keyof typeof CONFIRMATIONS) : 'oauth2-apps';
  const Confirmation = CONFIRMATIONS[section];
  return (
    <Backstage team={params.team} section={section}>
      <Confirmation team={params.team} />
    </Backstage>
  );
}

export const ROUTES: [string, ComponentType<Params>][] = [
  ['/:team/integrations', IntegrationsHome],
  ['/:team/integrations/oauth2-apps', OAuthAppsPage],
  ['/:team/integrations/oauth2-apps/add', AddOAuthAppPage],
  ['/:team/integrations/oauth2-apps/edit', EditOAuthAppPage],
  ['/:team/integrations/confirm', ConfirmPage],
  ['/:team/integrations/protected-resources', ProtectedResourcesPage],
  ['/:team/integrations/protected-resources/add', AddProtectedResourcePage],
  ['/:team/integrations/protected-resources/edit', EditProtectedResourcePage],
  ['/:team/integrations/outgoing-oauth2-connections', OutgoingConnectionsPage],
  ['/:team/integrations/outgoing-oauth2-connections/add', AddOutgoingConnectionPage],
  ['/:team/integrations/outgoing-oauth2-connections/edit', EditOutgoingConnectionPage],
  ['/:team/integrations/outgoing_webhooks', OutgoingWebhooksPage],
  ['/:team/integrations/outgoing_webhooks/add', AddOutgoingWebhookPage],
  ['/:team/integrations/outgoing_webhooks/edit', EditOutgoingWebhookPage],
  ['/:team/integrations/commands/installed', CommandsPage],
  ['/:team/integrations/commands/add', AddCommandPage],
  ['/:team/integrations/commands/edit', EditCommandPage],
  ['/:team/channels/:channel', ChannelPage as ComponentType<Params>],
  ['/admin_console/integrations/integration_management', IntegrationManagementPage as ComponentType<Params>],
  ['/settings/security', SecurityPage as ComponentType<Params>],
];

/** Adds the stylesheet once. */
export function installStyle(): void {
  if (document.getElementById('oauth-plugin-style')) return;
  const style = document.createElement('style');
  style.id = 'oauth-plugin-style';
  style.textContent = STYLE;
  document.head.appendChild(style);
}

