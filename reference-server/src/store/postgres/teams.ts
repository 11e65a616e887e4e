import type { ChannelRecord, TeamRecord, TeamStore } from '../store.js';
import type { Db } from './db.js';

const TEAM_COLUMNS = 'Teams.Id AS "id", Teams.CreateAt AS "createAt", Teams.UpdateAt AS "updateAt", Teams.DeleteAt AS "deleteAt", Teams.Name AS "name", Teams.DisplayName AS "displayName"';
const CHANNEL_COLUMNS = 'Id AS "id", CreateAt AS "createAt", UpdateAt AS "updateAt", DeleteAt AS "deleteAt", TeamId AS "teamId", Name AS "name", DisplayName AS "displayName", Type AS "type"';

export class PgTeamStore implements TeamStore {
  constructor(private readonly db: Db) {}

  async teamsOfUser(userId: string): Promise<TeamRecord[]> {
    return (await this.db.query<TeamRecord>(`SELECT ${TEAM_COLUMNS} FROM Teams JOIN TeamMembers ON TeamMembers.TeamId = Teams.Id
        WHERE TeamMembers.UserId = $1 AND TeamMembers.DeleteAt = 0 AND Teams.DeleteAt = 0 ORDER BY Teams.Name COLLATE "C"`, [userId])).rows;
  }

  async team(id: string): Promise<TeamRecord | null> {
    return (await this.db.query<TeamRecord>(`SELECT ${TEAM_COLUMNS} FROM Teams WHERE Id = $1 AND DeleteAt = 0`, [id])).rows[0] ?? null;
  }

  async teamByName(name: string): Promise<TeamRecord | null> {
    return (await this.db.query<TeamRecord>(`SELECT ${TEAM_COLUMNS} FROM Teams WHERE Name = $1 AND DeleteAt = 0`, [name])).rows[0] ?? null;
  }

  async isTeamMember(teamId: string, userId: string): Promise<boolean> {
    return (await this.db.query('SELECT 1 FROM TeamMembers WHERE TeamId = $1 AND UserId = $2 AND DeleteAt = 0', [teamId, userId])).rowCount === 1;
  }

  async channel(id: string): Promise<ChannelRecord | null> {
    return (await this.db.query<ChannelRecord>(`SELECT ${CHANNEL_COLUMNS} FROM Channels WHERE Id = $1`, [id])).rows[0] ?? null;
  }

  async channelByName(teamId: string, name: string): Promise<ChannelRecord | null> {
    return (await this.db.query<ChannelRecord>(`SELECT ${CHANNEL_COLUMNS} FROM Channels WHERE TeamId = $1 AND Name = $2 AND DeleteAt = 0`, [teamId, name])).rows[0] ?? null;
  }

  async isChannelMember(channelId: string, userId: string): Promise<boolean> {
    return (await this.db.query('SELECT 1 FROM ChannelMembers WHERE ChannelId = $1 AND UserId = $2', [channelId, userId])).rowCount === 1;
  }

  async channelsOfUser(teamId: string, userId: string): Promise<ChannelRecord[]> {
    return (await this.db.query<ChannelRecord>(`SELECT ${CHANNEL_COLUMNS} FROM Channels WHERE TeamId = $1 AND DeleteAt = 0
        AND Id IN (SELECT ChannelId FROM ChannelMembers WHERE UserId = $2) ORDER BY Name COLLATE "C"`, [teamId, userId])).rows;
  }
}
