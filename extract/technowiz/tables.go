package technowiz

import "github.com/adoptionlabs/etl/schemas"

// Table names.
const (
	TableUsers    = "technowiz_users"
	TableMessages = "technowiz_messages"
)

// UsersTable is a snapshot of the users the configured filters match: each
// run replaces it whole, so a user who no longer matches disappears.
var UsersTable = &schemas.Table{
	Name: TableUsers,
	Doc:  "Technowiz users matched by the configured attribute filters (GET /users), full snapshot.",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "user_id", Type: schemas.String, Doc: "userId"},
		schemas.Column{Name: "user_name", Type: schemas.String, Nullable: true, Doc: "userName"},
		schemas.Column{Name: "channel", Type: schemas.String, Nullable: true, Doc: "channel"},
		schemas.Column{Name: "attributes", Type: schemas.JSON, Doc: "attributes as JSON text: an object of attribute name to value"},
		schemas.Column{Name: "created_at", Type: schemas.Timestamp, Nullable: true, Doc: "createdAt (epoch ms)"},
		schemas.Column{Name: "matched_filters", Type: schemas.StringList, Doc: "the configured filters that matched, as name=value"},
		schemas.Column{Name: schemas.Extra, Type: schemas.JSON, Doc: "user fields the API added that have no column"},
	),
	Disposition: schemas.ReplaceAll,
	Key:         []string{"user_id"},
}

// MessagesTable: one row per conversation message, keyed by messageId.
// Version is _extracted_at: a message carries no updated-at, and with the
// timestamp as version every re-pull would tie, leaving the winner to the
// order ClickHouse happens to merge parts in; the latest fetch is the best
// knowledge of a message.
var MessagesTable = &schemas.Table{
	Name: TableMessages,
	Doc:  "Technowiz conversation messages of the matched users (GET /users/{userId}/conversation).",
	Columns: schemas.WithMeta(
		schemas.Column{Name: "message_id", Type: schemas.String, Doc: "id of the message"},
		schemas.Column{Name: "user_id", Type: schemas.String, Doc: "userId of the conversation (technowiz_users.user_id)"},
		schemas.Column{Name: "from", Type: schemas.String, Doc: "user, bot or agent"},
		schemas.Column{Name: "type", Type: schemas.String, Doc: "type"},
		schemas.Column{Name: "text", Type: schemas.String, Nullable: true, Doc: "text"},
		schemas.Column{Name: "timestamp", Type: schemas.Timestamp, Doc: "epoch ms, stored to the second"},
		schemas.Column{Name: "payload", Type: schemas.JSON, Doc: "the message payload as JSON text, keys as received"},
		schemas.Column{Name: schemas.Extra, Type: schemas.JSON, Doc: "message fields the API added that have no column"},
	),
	Disposition: schemas.Merge,
	Key:         []string{"message_id"},
	Version:     schemas.ExtractedAt,
	Day:         "timestamp",
	Partition:   "timestamp",
}
