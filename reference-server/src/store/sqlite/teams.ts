import type BetterSqlite3 from 'better-sqlite3';
import { prepared } from './prepared.js';
import type { ChannelRecord, TeamRecord, TeamStore } from '../store.js';

const TEAM_COLUMNS = 'Teams.Id AS id, Teams.CreateAt AS createAt, Teams.UpdateAt AS updateAt, Teams.DeleteAt AS deleteAt, Teams.Name AS name, Teams.DisplayName AS displayName';
const CHANNEL_COLUMNS = 'Id AS id, CreateAt AS createAt, UpdateAt AS updateAt, DeleteAt AS deleteAt, TeamId AS teamId, Name AS name, DisplayName AS displayName, Type AS type';

export class SqliteTeamStore implements TeamStore {
  constructor(private readonly db: BetterSqlite3.Database) {}

  async teamsOfUser(userId: string): Promise<TeamRecord[]> {
    return prepared(this.db, `SELECT ${TEAM_COLUMNS} FROM Teams JOIN TeamMembers ON TeamMembers.TeamId = Teams.Id
        WHERE TeamMembers.UserId = ? AND TeamMembers.DeleteAt = 0 AND Teams.DeleteAt = 0 ORDER BY Teams.Name`).all(userId) as TeamRecord[];
  }

  async team(id: string): Promise<TeamRecord | null> {
    return (prepared(this.db, `SELECT ${TEAM_COLUMNS} FROM Teams WHERE Id = ? AND DeleteAt = 0`).get(id) as TeamRecord | undefined) ?? null;
  }

  async teamByName(name: string): Promise<TeamRecord | null> {
    return (prepared(this.db, `SELECT ${TEAM_COLUMNS} FROM Teams WHERE Name = ? AND DeleteAt = 0`).get(name) as TeamRecord | undefined) ?? null;
  }

  async isTeamMember(teamId: string, userId: string): Promise<boolean> {
    return !!prepared(this.db, 'SELECT 1 FROM TeamMembers WHERE TeamId = ? AND UserId = ? AND DeleteAt = 0').get(teamId, userId);
  }

  async channel(id: string): Promise<ChannelRecord | null> {
    return (prepared(this.db, `SELECT ${CHANNEL_COLUMNS} FROM Channels WHERE Id = ?`).get(id) as ChannelRecord | undefined) ?? null;
  }

  async channelByName(teamId: string, name: string): Promise<ChannelRecord | null> {
    const row = prepared(this.db, `SELECT ${CHANNEL_COLUMNS} FROM Channels WHERE TeamId = ? AND Name = ? AND DeleteAt = 0`).get(teamId, name);
    return (row as ChannelRecord | undefined) ?? null;
  }

  async isChannelMember(channelId: string, userId: string): Promise<boolean> {
    return !!prepared(this.db, 'SELECT 1 FROM ChannelMembers WHERE ChannelId = ? AND UserId = ?').get(channelId, userId);
  }
}
