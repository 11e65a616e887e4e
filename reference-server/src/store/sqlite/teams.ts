import type { SqliteDb } from './db.js';
import type { ChannelRecord, TeamRecord, TeamStore } from '../store.js';

const TEAM_COLUMNS = 'Teams.Id AS id, Teams.CreateAt AS createAt, Teams.UpdateAt AS updateAt, Teams.DeleteAt AS deleteAt, Teams.Name AS name, Teams.DisplayName AS displayName';
const CHANNEL_COLUMNS = 'Id AS id, CreateAt AS createAt, UpdateAt AS updateAt, DeleteAt AS deleteAt, TeamId AS teamId, Name AS name, DisplayName AS displayName, Type AS type';

export class SqliteTeamStore implements TeamStore {
  constructor(private readonly db: SqliteDb) {}

  async teamsOfUser(userId: string): Promise<TeamRecord[]> {
    return this.db.all(`SELECT ${TEAM_COLUMNS} FROM Teams JOIN TeamMembers ON TeamMembers.TeamId = Teams.Id
        WHERE TeamMembers.UserId = ? AND TeamMembers.DeleteAt = 0 AND Teams.DeleteAt = 0 ORDER BY Teams.Name`, userId) as TeamRecord[];
  }

  async team(id: string): Promise<TeamRecord | null> {
    return (this.db.get(`SELECT ${TEAM_COLUMNS} FROM Teams WHERE Id = ? AND DeleteAt = 0`, id) as TeamRecord | undefined) ?? null;
  }

  async teamByName(name: string): Promise<TeamRecord | null> {
    return (this.db.get(`SELECT ${TEAM_COLUMNS} FROM Teams WHERE Name = ? AND DeleteAt = 0`, name) as TeamRecord | undefined) ?? null;
  }

  async isTeamMember(teamId: string, userId: string): Promise<boolean> {
    return !!this.db.get('SELECT 1 FROM TeamMembers WHERE TeamId = ? AND UserId = ? AND DeleteAt = 0', teamId, userId);
  }

  async channel(id: string): Promise<ChannelRecord | null> {
    return (this.db.get(`SELECT ${CHANNEL_COLUMNS} FROM Channels WHERE Id = ?`, id) as ChannelRecord | undefined) ?? null;
  }

  async channelByName(teamId: string, name: string): Promise<ChannelRecord | null> {
    const row = this.db.get(`SELECT ${CHANNEL_COLUMNS} FROM Channels WHERE TeamId = ? AND Name = ? AND DeleteAt = 0`, teamId, name);
    return (row as ChannelRecord | undefined) ?? null;
  }

  async isChannelMember(channelId: string, userId: string): Promise<boolean> {
    return !!this.db.get('SELECT 1 FROM ChannelMembers WHERE ChannelId = ? AND UserId = ?', channelId, userId);
  }

  async channelsOfUser(teamId: string, userId: string): Promise<ChannelRecord[]> {
    return this.db.all(`SELECT ${CHANNEL_COLUMNS} FROM Channels WHERE TeamId = ? AND DeleteAt = 0
        AND Id IN (SELECT ChannelId FROM ChannelMembers WHERE UserId = ?) ORDER BY Name`, teamId, userId) as ChannelRecord[];
  }
}
