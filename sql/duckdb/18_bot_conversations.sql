-- bot_conversations: Bot conversations: one row per user, channel and UTC day with its messages and length, preview users excluded.
-- Generated from views/views.go by `make generate`; do not edit.
-- Run after 00_tables.sql (`etl views --dialect duckdb --data DIR` prints both for a data directory).

CREATE OR REPLACE VIEW "bot_conversations" ("day", "channel_id", "channel_name", "bot_user_id", "messages", "user_messages", "started_at", "ended_at", "duration_s") AS
SELECT CAST(timezone('UTC', created_at) AS DATE) AS day, channel_id,
       max(channel_name) AS channel_name,
       bot_user_id,
       CAST(count(*) AS BIGINT) AS messages,
       CAST(count(*) FILTER (WHERE lower("from") = 'user') AS BIGINT) AS user_messages,
       date_trunc('second', min(created_at)) AS started_at,
       date_trunc('second', max(created_at)) AS ended_at,
       CAST(floor(epoch(max(created_at))) AS BIGINT) - CAST(floor(epoch(min(created_at))) AS BIGINT) AS duration_s
FROM "bot_transcript_messages"
WHERE NOT (is_preview_user)
GROUP BY CAST(timezone('UTC', created_at) AS DATE), channel_id, bot_user_id;

COMMENT ON VIEW "bot_conversations" IS 'Bot conversations: one row per user, channel and UTC day with its messages and length, preview users excluded.';

COMMENT ON COLUMN "bot_conversations"."day" IS 'UTC day of the messages (bot_transcript_messages.created_at)';

COMMENT ON COLUMN "bot_conversations"."channel_id" IS 'bot_transcript_messages.channel_id';

COMMENT ON COLUMN "bot_conversations"."channel_name" IS 'bot_transcript_messages.channel_name';

COMMENT ON COLUMN "bot_conversations"."bot_user_id" IS 'bot_transcript_messages.bot_user_id';

COMMENT ON COLUMN "bot_conversations"."messages" IS 'messages of any sender';

COMMENT ON COLUMN "bot_conversations"."user_messages" IS 'messages with from = User';

COMMENT ON COLUMN "bot_conversations"."started_at" IS 'first message (min created_at), UTC, to the second';

COMMENT ON COLUMN "bot_conversations"."ended_at" IS 'last message (max created_at), UTC, to the second';

COMMENT ON COLUMN "bot_conversations"."duration_s" IS 'ended_at - started_at in seconds';
