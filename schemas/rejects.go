package schemas

// Rejects is where every source's rows that cannot load go, with the reason
// and the raw text, so bad data never stops good data and is never lost.
//
// A reject lives on its row's day (row_day) wherever the row has a day that
// reads, and only a load of its stream whose window covers that day replaces
// it: the load that loads the row, or that rejects it again. A row without
// such a day lives on the first day of the window that saw it, and its copy
// seen again by another window replaces it wherever it sits. So one source
// row is one reject per (source, stream, table_name, row_day, row_hash).
var Rejects = &Table{
	Name: "etl_rejects",
	Doc:  "Rows that could not be loaded, with the reason and the raw source text.",
	Columns: WithMeta(
		Column{Name: "source", Type: String},
		Column{Name: "stream", Type: String},
		Column{Name: "table_name", Type: String, Doc: "table the row was meant for"},
		Column{Name: "window_start", Type: Timestamp, Doc: "start of the window that last saw the row"},
		Column{Name: "window_end", Type: Timestamp},
		Column{Name: RowDay, Type: Date, Default: "toDate(window_start)",
			Doc: "the row's UTC day (its table's day column) or, when it has none that reads, the first day of the window that saw it; a load of the stream that covers this day replaces the reject"},
		Column{Name: RowDayFrom, Type: String, Default: "'" + RowDayFromWindow + "'",
			Doc: "row: row_day is the row's own day; window: the row has no day that reads, so row_day is its window's and the reject also goes when another window sees it again"},
		Column{Name: "location", Type: String, Doc: "page, line or user the row came from"},
		Column{Name: "reason", Type: String},
		Column{Name: "raw", Type: String, Doc: "the source text of the row (CSV line or JSON)"},
		Column{Name: "row_hash", Type: String, Doc: "hash of table, reason and raw: with source, stream, table_name and row_day, the key of a reject"},
	),
	Disposition: ReplaceWindow,
	// The ClickHouse sort key, and on a cluster the sharding key: every copy
	// of a row's reject shares a shard, where a load finds those it replaces.
	// row_day completes the grain.
	Key: []string{"source", "stream", "table_name", "row_hash"},
	Day: RowDay,
	// Tables made before row_day are partitioned by the month of the window
	// that saw a reject; a load rebuilds whichever months hold the rejects it
	// replaces.
	Partition: "window_start",
}

// The columns that place a reject on a day, and the values of RowDayFrom.
const (
	RowDay           = "row_day"
	RowDayFrom       = "row_day_from"
	RowDayFromRow    = "row"
	RowDayFromWindow = "window"
)
