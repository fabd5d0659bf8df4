package bot

import "github.com/adoptionlabs/etl/schemas"

// Table names.
const (
	TableUsers        = "bot_users"
	TableMessages     = "bot_transcript_messages"
	TableCustomFields = "bot_user_custom_fields"
	TableUsage        = "bot_usage_monthly"
)

// UsersTable: one row per user and channel, the newest sighting wins.
// Partitioned by created_at, which the platform sets once per user, so a
// user's rows always meet in one ClickHouse partition.
//
// The version is seen_at, not last_interacted_at: the API reports the last
// interaction over the user's whole history whatever the window asked, so
// every window's row of a user carries the same last_interacted_at while its
// seen_at depends on the window. With that tie the last insert won, and
// backfilling an old window moved seen_at back in time. seen_at orders the
// rows by the source's state (a later window, or a later interaction, gives
// a later seen_at), so the row of the latest window wins in any load order.
var UsersTable = &schemas.Table{
	Name: TableUsers,
	Doc:  "Bot users per channel (POST /users), latest state per user.",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "channel_id", Type: schemas.Int64, Doc: "channel code (1010 webchat, 1014 whatsapp, ...)"},
		schemas.Column{Name: "channel_name", Type: schemas.String, Doc: "channelName"},
		schemas.Column{Name: "user_id", Type: schemas.String, Doc: "userId: unique per channel (a phone number on whatsapp)"},
		schemas.Column{Name: "user_name", Type: schemas.String, Nullable: true, Doc: "userName"},
		schemas.Column{Name: "created_at", Type: schemas.Timestamp, Doc: "createdDate"},
		schemas.Column{Name: "first_interacted_at", Type: schemas.Timestamp, Nullable: true, Doc: `"first interacted date"`},
		schemas.Column{Name: "last_interacted_at", Type: schemas.Timestamp, Doc: `"last interacted date"`},
		schemas.Column{Name: "seen_at", Type: schemas.Timestamp, Doc: "last_interacted_at when it lies in the extracted window, else the window's last second: the API listed the user as active in that window but may report its dates over the user's whole history"},
		schemas.Column{Name: schemas.Extra, Type: schemas.JSON, Doc: "user fields the API added that have no column"},
	),
	Disposition: schemas.Merge,
	Key:         []string{"channel_id", "user_id"},
	Version:     "seen_at",
	Day:         "seen_at",
	Partition:   "created_at",
}

// MessagesTable: one row per transcript message. Messages have no id:
// message_key hashes user, channel, createdAt and the message's position
// among the user's messages sharing that createdAt, which does not depend
// on the window a message was pulled with.
var MessagesTable = &schemas.Table{
	Name: TableMessages,
	Doc:  "Transcript messages (POST /transcripts), one row per message.",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "message_key", Type: schemas.String, Doc: "stable key: hash of bot_user_id, channel_id, created_at, message_index"},
		schemas.Column{Name: "bot_user_id", Type: schemas.String, Doc: "botUserId the transcript was requested for (bot_users.user_id)"},
		schemas.Column{Name: "channel_id", Type: schemas.Int64, Doc: "channelId the transcript was requested for"},
		schemas.Column{Name: "channel_name", Type: schemas.String, Doc: "name of channel_id"},
		schemas.Column{Name: "message_index", Type: schemas.Int64, Doc: "0-based position among this user's messages with the same created_at, in API order (usually 0; a bot's burst shares one second)"},
		schemas.Column{Name: "from", Type: schemas.String, Doc: "User, Bot or Agent"},
		schemas.Column{Name: "type", Type: schemas.String, Doc: "text, card, carousel, form, list, reply, template, location, contact, image, ..."},
		schemas.Column{Name: "created_at", Type: schemas.Timestamp, Doc: "createdAt (UTC)"},
		schemas.Column{Name: "updated_at", Type: schemas.Timestamp, Doc: "updatedAt (createdAt when absent)"},
		schemas.Column{Name: "is_preview_user", Type: schemas.Bool, Doc: "isPreviewUser: 1 for a tester previewing the bot"},
		schemas.Column{Name: "text", Type: schemas.String, Nullable: true, Doc: "text.message of text messages"},
		schemas.Column{Name: "buttons", Type: schemas.StringList, Doc: "button labels shown with the message (text, card, carousel, reply, template, list...)"},
		schemas.Column{Name: "payload", Type: schemas.JSON, Doc: "the object named after the type, whole, keys exactly as received"},
		schemas.Column{Name: schemas.Extra, Type: schemas.JSON, Doc: "other top-level fields of the message (e.g. an attachment beside an image)"},
	),
	Disposition: schemas.Merge,
	Key:         []string{"message_key"},
	Version:     "updated_at",
	Day:         "created_at",
	Partition:   "created_at",
}

// CustomFieldsTable: a user's botUser.customFields, as current when fetched.
// seen_at (the user's last message in the window) places the row in a
// window and is its version: the row of the latest window the user was
// active in wins whatever order windows are loaded in. The extraction time
// would let a backfill of an old window, loaded last, replace the row with
// one whose seen_at is older. Unpartitioned: seen_at moves.
var CustomFieldsTable = &schemas.Table{
	Name: TableCustomFields,
	Doc:  "Bot user custom fields (botUser.customFields of POST /transcripts), newest fetch wins.",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "channel_id", Type: schemas.Int64, Doc: "channelId the transcript was requested for"},
		schemas.Column{Name: "channel_name", Type: schemas.String, Doc: "name of channel_id"},
		schemas.Column{Name: "bot_user_id", Type: schemas.String, Doc: "botUserId the transcript was requested for"},
		schemas.Column{Name: "custom_fields", Type: schemas.JSON, Doc: "botUser.customFields as JSON text: an object of field name to value"},
		schemas.Column{Name: "seen_at", Type: schemas.Timestamp, Doc: "the user's last message in the extracted window"},
	),
	Disposition: schemas.Merge,
	Key:         []string{"channel_id", "bot_user_id"},
	Version:     "seen_at",
	Day:         "seen_at",
}

// UsageTable: the platform's monthly totals per channel. The stream widens
// windows to whole months, so a load replaces whole months.
var UsageTable = &schemas.Table{
	Name: TableUsage,
	Doc:  "Monthly bot usage per channel (GET /usage).",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "month", Type: schemas.Date, Doc: "first day of the month"},
		schemas.Column{Name: "channel_id", Type: schemas.Int64, Doc: "channelId of the request"},
		schemas.Column{Name: "channel_name", Type: schemas.String, Doc: "name of channel_id"},
		schemas.Column{Name: "total_messages", Type: schemas.Int64, Doc: "totalMessages"},
		schemas.Column{Name: "total_users", Type: schemas.Int64, Doc: "totalUsers"},
	),
	Disposition: schemas.ReplaceWindow,
	Key:         []string{"month", "channel_id"},
	Day:         "month",
	Partition:   "month",
}
