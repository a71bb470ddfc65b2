/** Migration 8 (PostgreSQL): analytics events, as `integrations.db` keeps them on one node. */
export const pg008Analytics = `
  CREATE TABLE analytics_events (
    id BIGSERIAL PRIMARY KEY,
    app_id TEXT NOT NULL,
    ts BIGINT NOT NULL,
    event_name TEXT NOT NULL,
    timestamp TEXT,
    user_id TEXT,
    session_id TEXT,
    page_url TEXT,
    properties TEXT
  );
  CREATE INDEX analytics_by_app ON analytics_events(app_id, ts);
  CREATE INDEX analytics_by_name ON analytics_events(app_id, event_name, ts);
  CREATE INDEX analytics_by_time ON analytics_events(ts);
`;
