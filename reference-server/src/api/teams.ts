// The default team and its channels, in the JSON shapes Client4 expects.
import { ApiError, forbidden } from '../errors.js';
import { sendJson } from '../http.js';
import { Permission } from '../permissions.js';
import type { Router } from '../router.js';
import type { ChannelRecord, TeamRecord } from '../store/store.js';
import { can, mayViewTeam, requireSession, type ApiRequest, type ApiRoute } from './context.js';

export function teamJson(team: TeamRecord): Record<string, unknown> {
  return {
    id: team.id, create_at: team.createAt, update_at: team.updateAt, delete_at: team.deleteAt,
    display_name: team.displayName, name: team.name, description: '', email: '', type: 'O',
    company_name: '', allowed_domains: '', invite_id: '', allow_open_invite: false,
    scheme_id: null, group_constrained: null, policy_id: null, cloud_limits_archived: false,
  };
}

export function channelJson(channel: ChannelRecord): Record<string, unknown> {
  return {
    id: channel.id, create_at: channel.createAt, update_at: channel.updateAt, delete_at: channel.deleteAt,
    team_id: channel.teamId, type: channel.type, display_name: channel.displayName, name: channel.name,
    header: '', purpose: '', last_post_at: 0, total_msg_count: 0, extra_update_at: 0, creator_id: '',
    scheme_id: null, props: null, group_constrained: null, shared: null, total_msg_count_root: 0,
    policy_id: null, last_root_post_at: 0,
  };
}

const teamNotFound = () => new ApiError(404, 'app.team.get_by_name.missing.app_error', 'Unable to find the existing team.');
const channelNotFound = () => new ApiError(404, 'app.channel.get_by_name.missing.app_error', 'Channel does not exist.');


async function getTeamByName(r: ApiRequest): Promise<void> {
  const team = await r.services.store.teams.teamByName(r.params.name);
  if (!team || !(await mayViewTeam(r, team.id))) throw teamNotFound();
  return sendJson(r, 200, teamJson(team));
}

async function getChannelByName(r: ApiRequest): Promise<void> {
  if (!(await mayViewTeam(r, r.params.team_id))) throw teamNotFound();
  const channel = await r.services.store.teams.channelByName(r.params.team_id, r.params.channel_name);
  if (!channel) throw channelNotFound();
  return sendJson(r, 200, channelJson(channel));
}

/** Client4.getMyChannels: the team's channels the user is in (only one's own, or anyone's for a system admin). */
async function getChannelsOfUser(r: ApiRequest): Promise<void> {
  const { user } = requireSession(r);
  const userId = r.params.user_id === 'me' ? user.id : r.params.user_id;
  if (userId !== user.id && !can(r, Permission.ManageSystem)) throw forbidden();
  if (!(await mayViewTeam(r, r.params.team_id))) throw teamNotFound();
  const channels = await r.services.store.teams.channelsOfUser(r.params.team_id, userId);
  return sendJson(r, 200, channels.map(channelJson));
}

/** A channel, for its members (and system admins); anyone else gets the 404 a missing channel gets. */
async function getChannel(r: ApiRequest): Promise<void> {
  const { user } = requireSession(r);
  const { teams } = r.services.store;
  const channel = await teams.channel(r.params.channel_id);
  if (!channel || channel.deleteAt !== 0) throw channelNotFound();
  if (!can(r, Permission.ManageSystem) && !(await teams.isChannelMember(channel.id, user.id))) throw channelNotFound();
  return sendJson(r, 200, channelJson(channel));
}

export function addTeamRoutes(router: Router<ApiRoute>): void {
  router
    .add('GET', '/users/:user_id/teams/:team_id/channels', { session: 'required', handler: getChannelsOfUser })
    .add('GET', '/channels/:channel_id', { session: 'required', handler: getChannel })
    .add('GET', '/teams/name/:name', { session: 'required', handler: getTeamByName })
    .add('GET', '/teams/:team_id/channels/name/:channel_name', { session: 'required', handler: getChannelByName });
}
