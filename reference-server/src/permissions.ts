// Roles and permissions, in one place. Names are Mattermost's.
import type { ServiceSettings } from './config.js';

export const Permission = {
  ManageSystem: 'manage_system',
  ManageOAuth: 'manage_oauth',
  ManageSystemWideOAuth: 'manage_system_wide_oauth',
  ManageOutgoingOAuthConnections: 'manage_outgoing_oauth_connections',
  ManageSlashCommands: 'manage_slash_commands',
  // Mattermost's split: anyone who manages commands manages their own; only admins manage everyone's.
  ManageOthersSlashCommands: 'manage_others_slash_commands',
  ManageOutgoingWebhooks: 'manage_outgoing_webhooks',
  ManageOthersOutgoingWebhooks: 'manage_others_outgoing_webhooks',
  EditOtherUsers: 'edit_other_users',
  CreateUser: 'create_user',
} as const;

const SYSTEM_ADMIN = new Set<string>(Object.values(Permission));

// Mattermost's EnableOnlyAdminIntegrations=false hands these integration permissions to every user.
const INTEGRATIONS_FOR_ALL = [Permission.ManageOAuth, Permission.ManageSlashCommands, Permission.ManageOutgoingWebhooks];

export function permissionsOf(roles: string, settings: ServiceSettings): Set<string> {
  const granted = new Set<string>();
  for (const role of roles.split(/\s+/)) {
    if (role === 'system_admin') SYSTEM_ADMIN.forEach((p) => granted.add(p));
    if (role === 'system_user' && !settings.EnableOnlyAdminIntegrations) INTEGRATIONS_FOR_ALL.forEach((p) => granted.add(p));
  }
  return granted;
}

export function hasPermission(roles: string, permission: string, settings: ServiceSettings): boolean {
  return permissionsOf(roles, settings).has(permission);
}
