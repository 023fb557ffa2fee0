-- Chat history and the player inbox (server/chat). Applied like 001 (one transaction, advisory lock).
--
-- chat_messages is keyed by channel (a direct pair, a party, a match), not by player: a plain table
-- whose primary key (channel, id) also serves a channel's pages newest first (ids sort by time).
-- inbox is player-keyed: hash-partitioned by player_id with the partition count recorded when the
-- schema was created (rally_settings), like 001's tables.

CREATE TABLE chat_messages (
  channel text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  from_id text COLLATE "C" NOT NULL,
  from_name text NOT NULL,
  text text NOT NULL,
  at bigint NOT NULL,
  PRIMARY KEY (channel, id)
);
-- Retention pruning deletes by age.
CREATE INDEX chat_messages_at ON chat_messages (at);

CREATE TABLE inbox (
  player_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  kind text NOT NULL CHECK (kind IN ('friend_request', 'party_invite', 'match_result', 'admin')),
  data text NOT NULL,
  at bigint NOT NULL,
  read_at bigint,
  PRIMARY KEY (player_id, id)
) PARTITION BY HASH (player_id);
CREATE INDEX inbox_unread ON inbox (player_id) WHERE read_at IS NULL;
CREATE INDEX inbox_at ON inbox (at);

DO $$
DECLARE
  n integer := (SELECT value::integer FROM rally_settings WHERE key = 'partitions');
BEGIN
  FOR i IN 0 .. n - 1 LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF inbox FOR VALUES WITH (MODULUS %s, REMAINDER %s)', 'inbox_p' || i, n, i);
  END LOOP;
END
$$;
