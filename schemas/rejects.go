package schemas

// Rejects is where every source's rows that cannot load go, with the reason
// and the raw text, so bad data never stops good data and is never lost.
var Rejects = &Table{
	Name: "etl_rejects",
	Doc:  "Rows that could not be loaded, with the reason and the raw source text.",
	Columns: WithMeta(
		Column{Name: "source", Type: String},
		Column{Name: "stream", Type: String},
		Column{Name: "table_name", Type: String, Doc: "table the row was meant for"},
		Column{Name: "window_start", Type: Timestamp, Doc: "start of the window that last saw the row; the day its rejects are replaced by"},
		Column{Name: "window_end", Type: Timestamp},
		Column{Name: "location", Type: String, Doc: "page, line or user the row came from"},
		Column{Name: "reason", Type: String},
		Column{Name: "raw", Type: String, Doc: "the source text of the row (CSV line or JSON)"},
		Column{Name: "row_hash", Type: String, Doc: "hash of table, reason and raw: with source, stream and table_name, the key of a reject"},
	),
	Disposition: ReplaceWindow,
	Key:         []string{"source", "stream", "table_name", "row_hash"},
	Day:         "window_start",
	Partition:   "window_start",
}
