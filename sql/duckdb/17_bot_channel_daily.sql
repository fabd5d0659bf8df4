-- bot_channel_daily: Bot messages and active users per channel and UTC day (transcripts), preview users excluded.
-- Generated from views/views.go by `make generate`; do not edit.
-- Run after 00_tables.sql (`etl views --dialect duckdb --data DIR` prints both for a data directory).

CREATE OR REPLACE VIEW "bot_channel_daily" ("day", "channel_id", "channel_name", "messages", "user_messages", "bot_messages", "agent_messages", "active_users", "conversations") AS
SELECT CAST(timezone('UTC', created_at) AS DATE) AS day, channel_id,
       max(channel_name) AS channel_name,
       CAST(count(*) AS BIGINT) AS messages,
       CAST(count(*) FILTER (WHERE lower("from") = 'user') AS BIGINT) AS user_messages,
       CAST(count(*) FILTER (WHERE lower("from") = 'bot') AS BIGINT) AS bot_messages,
       CAST(count(*) FILTER (WHERE lower("from") = 'agent') AS BIGINT) AS agent_messages,
       CAST(count(DISTINCT bot_user_id) FILTER (WHERE lower("from") = 'user') AS BIGINT) AS active_users,
       CAST(count(DISTINCT bot_user_id) AS BIGINT) AS conversations
FROM "bot_transcript_messages"
WHERE NOT (is_preview_user)
GROUP BY CAST(timezone('UTC', created_at) AS DATE), channel_id;

COMMENT ON VIEW "bot_channel_daily" IS 'Bot messages and active users per channel and UTC day (transcripts), preview users excluded.';

COMMENT ON COLUMN "bot_channel_daily"."day" IS 'UTC day of the message (bot_transcript_messages.created_at)';

COMMENT ON COLUMN "bot_channel_daily"."channel_id" IS 'bot_transcript_messages.channel_id (1010 webchat, 1014 whatsapp, ...)';

COMMENT ON COLUMN "bot_channel_daily"."channel_name" IS 'bot_transcript_messages.channel_name';

COMMENT ON COLUMN "bot_channel_daily"."messages" IS 'messages of any sender';

COMMENT ON COLUMN "bot_channel_daily"."user_messages" IS 'messages with from = User';

COMMENT ON COLUMN "bot_channel_daily"."bot_messages" IS 'messages with from = Bot';

COMMENT ON COLUMN "bot_channel_daily"."agent_messages" IS 'messages with from = Agent';

COMMENT ON COLUMN "bot_channel_daily"."active_users" IS 'users who sent at least one message that day (distinct bot_user_id)';

COMMENT ON COLUMN "bot_channel_daily"."conversations" IS 'users with any message that day: one conversation per user, channel and day';
