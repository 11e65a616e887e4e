// /api/v4/commands: custom slash commands and their execution, as Mattermost's api4/command.go.
import { runCommand } from '../command-execution.js';
import { commandJson, commandTeamId, parseCommandArgs, parseCommandFields, parseCommandLine, sanitizedCommandJson } from '../commands.js';
import { ApiError, badRequest, forbidden, invalidParam } from '../errors.js';
import { sendJson } from '../http.js';
import { Permission } from '../permissions.js';
import type { Router } from '../router.js';
import type { CommandRecord } from '../store/store.js';
import { can, canOnTeam, mayViewTeam, requireSession, type ApiRequest, type ApiRoute } from './context.js';

const commandNotFound = () => new ApiError(404, 'store.sql_command.save.get.app_error', 'Unable to get the command.');

/** Mattermost truncates the echoed trigger, so a huge command line does not come back whole. */
const MAX_ECHOED_TRIGGER = 512;

const triggerNotFound = (trigger: string) => {
  const shown = trigger.length > MAX_ECHOED_TRIGGER ? `${trigger.slice(0, MAX_ECHOED_TRIGGER)}...` : trigger;
  return new ApiError(404, 'api.command.execute_command.not_found.app_error',
    `Command with a trigger of '${shown}' not found. To send a message beginning with "/", try adding an empty space at the beginning of the message.`);
};

/** Go's strconv.ParseBool, which Mattermost uses for custom_only. */
const queryFlag = (value: string | null) => value !== null && /^(1|t|true)$/i.test(value);

/** manage_slash_commands on a team. */
const mayManage = (r: ApiRequest, teamId: string) => canOnTeam(r, Permission.ManageSlashCommands, teamId);

/** Those who manage commands manage their own; only those with manage_others_slash_commands anyone's. */
const mayManageThis = (r: ApiRequest, command: CommandRecord) =>
  command.creatorId === requireSession(r).user.id || can(r, Permission.ManageOthersSlashCommands);

/**
 * The command behind /commands/{id} for someone who may manage it. Without the permission the answer
 * is a 404, as Mattermost's, so that a command's existence is not revealed; someone else's command is
 * a 403 to change (`othersHidden` false) or a 404 to read.
 */
async function managedCommand(r: ApiRequest, othersHidden: boolean): Promise<CommandRecord> {
  const command = await r.services.store.commands.get(r.params.command_id);
  if (!command || !(await mayManage(r, command.teamId))) throw commandNotFound();
  if (!mayManageThis(r, command)) throw othersHidden ? commandNotFound() : forbidden();
  return command;
}

async function createCommand(r: ApiRequest): Promise<void> {
  const { user } = requireSession(r);
  const body = await r.json();
  const teamId = commandTeamId(body);
  if (!(await mayManage(r, teamId))) throw forbidden();
  const fields = parseCommandFields(body);
  // Only a system admin gets here without being a member, so only an admin can name a team that does not exist.
  if (!(await r.services.store.teams.team(teamId))) throw badRequest('model.command.is_valid.team_id.app_error', 'Invalid team_id: no such team.');
  const command = await r.services.store.commands.create(user.id, teamId, fields);
  r.services.log.log('info', 'command created', { command: command.id, trigger: command.trigger, user: user.id });
  return sendJson(r, 201, commandJson(command));
}

async function listCommands(r: ApiRequest): Promise<void> {
  const teamId = r.query.get('team_id');
  if (!teamId) throw badRequest('api.context.invalid_param.app_error', 'Invalid or missing team_id parameter in the query.');
  if (!(await mayViewTeam(r, teamId))) throw forbidden();
  const customOnly = queryFlag(r.query.get('custom_only'));
  const manager = await mayManage(r, teamId);
  if (customOnly && !manager) throw forbidden();
  const all = await r.services.store.commands.listByTeam(teamId);
  // As Mattermost: the full list (custom_only off) is for autocomplete and shows commands sanitized;
  // those who cannot manage commands see only the ones offered for autocomplete.
  if (!manager) return sendJson(r, 200, all.filter((c) => c.autoComplete).map(sanitizedCommandJson));
  const managed = all.filter((c) => mayManageThis(r, c));
  return sendJson(r, 200, managed.map(customOnly ? commandJson : sanitizedCommandJson));
}

async function getCommand(r: ApiRequest): Promise<void> {
  return sendJson(r, 200, commandJson(await managedCommand(r, true)));
}

async function updateCommand(r: ApiRequest): Promise<void> {
  const body = await r.json();
  // Client4 sends the whole command back; its id must be the one in the path.
  if ((body as Record<string, unknown> | null)?.id !== r.params.command_id) throw invalidParam('command');
  const current = await managedCommand(r, false);
  if (commandTeamId(body) !== current.teamId) {
    throw badRequest('api.command.team_mismatch.app_error', 'Unable to move a command to another team by editing it.');
  }
  const updated = await r.services.store.commands.update(current.id, parseCommandFields(body));
  if (!updated) throw commandNotFound();
  r.services.log.log('info', 'command updated', { command: updated.id, trigger: updated.trigger, user: requireSession(r).user.id });
  return sendJson(r, 200, commandJson(updated));
}

async function regenCommandToken(r: ApiRequest): Promise<void> {
  const current = await managedCommand(r, false);
  const updated = await r.services.store.commands.regenerateToken(current.id);
  if (!updated) throw commandNotFound();
  r.services.log.log('info', 'command token regenerated', { command: updated.id, user: requireSession(r).user.id });
  return sendJson(r, 200, { token: updated.token });
}

async function deleteCommand(r: ApiRequest): Promise<void> {
  const current = await managedCommand(r, false);
  if (!(await r.services.store.commands.delete(current.id))) throw commandNotFound();
  r.services.log.log('info', 'command deleted', { command: current.id, user: requireSession(r).user.id });
  return sendJson(r, 200, { status: 'OK' });
}

async function executeCommand(r: ApiRequest): Promise<void> {
  const { user } = requireSession(r);
  const { line, channelId, rootId } = parseCommandArgs(await r.json());
  const { teams, commands } = r.services.store;
  const channel = await teams.channel(channelId);
  // As Mattermost: only a member of the channel may run a command in it, and a missing channel looks the same.
  if (!channel || !(await teams.isChannelMember(channel.id, user.id)) || !(await teams.isTeamMember(channel.teamId, user.id))) throw forbidden();
  if (channel.deleteAt !== 0) throw badRequest('api.command.execute_command.deleted.error', 'Cannot run a command in a deleted channel.');
  // The team is the channel's (whatever team_id says), so a command of another team cannot run here.
  const team = await teams.team(channel.teamId);
  const { trigger, text } = parseCommandLine(line);
  const command = team && (await commands.byTrigger(team.id, trigger));
  if (!team || !command) throw triggerNotFound(trigger);

  const siteUrl = r.services.config.service.SiteURL;
  const response = await runCommand(r.services, { command, team, channel, user, text, rootId, siteUrl });
  return sendJson(r, 200, response);
}

export function addCommandRoutes(router: Router<ApiRoute>): void {
  router
    .add('POST', '/commands', { session: 'required', handler: createCommand })
    .add('GET', '/commands', { session: 'required', handler: listCommands })
    .add('POST', '/commands/execute', { session: 'required', handler: executeCommand })
    .add('GET', '/commands/:command_id', { session: 'required', handler: getCommand })
    .add('PUT', '/commands/:command_id', { session: 'required', handler: updateCommand })
    .add('DELETE', '/commands/:command_id', { session: 'required', handler: deleteCommand })
    .add('PUT', '/commands/:command_id/regen_token', { session: 'required', handler: regenCommandToken });
}
