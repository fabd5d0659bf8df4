-- technowiz_conversations: Technowiz conversations: one row per user and UTC day with its messages and length.
-- Generated from views/views.go by `make generate`; do not edit.
-- Run after 00_tables.sql (`etl views --dialect duckdb --data DIR` prints both for a data directory).

CREATE OR REPLACE VIEW "technowiz_conversations" ("day", "user_id", "messages", "user_messages", "started_at", "ended_at", "duration_s") AS
SELECT CAST(timezone('UTC', "timestamp") AS DATE) AS day, user_id,
       CAST(count(*) AS BIGINT) AS messages,
       CAST(count(*) FILTER (WHERE lower("from") = 'user') AS BIGINT) AS user_messages,
       date_trunc('second', min("timestamp")) AS started_at,
       date_trunc('second', max("timestamp")) AS ended_at,
       CAST(floor(epoch(max("timestamp"))) AS BIGINT) - CAST(floor(epoch(min("timestamp"))) AS BIGINT) AS duration_s
FROM "technowiz_messages"
GROUP BY CAST(timezone('UTC', "timestamp") AS DATE), user_id;

COMMENT ON VIEW "technowiz_conversations" IS 'Technowiz conversations: one row per user and UTC day with its messages and length.';

COMMENT ON COLUMN "technowiz_conversations"."day" IS 'UTC day of the messages (technowiz_messages.timestamp)';

COMMENT ON COLUMN "technowiz_conversations"."user_id" IS 'technowiz_messages.user_id';

COMMENT ON COLUMN "technowiz_conversations"."messages" IS 'messages of any sender';

COMMENT ON COLUMN "technowiz_conversations"."user_messages" IS 'messages with from = user';

COMMENT ON COLUMN "technowiz_conversations"."started_at" IS 'first message (min timestamp), UTC, to the second';

COMMENT ON COLUMN "technowiz_conversations"."ended_at" IS 'last message (max timestamp), UTC, to the second';

COMMENT ON COLUMN "technowiz_conversations"."duration_s" IS 'ended_at - started_at in seconds';
