// Package schemas is the one place a table's shape is declared. The Arrow
// schema the transform builds, the ClickHouse DDL in sql/ and the Parquet
// schema the files carry are all derived from the same Table value, so they
// cannot drift apart.
package schemas

import (
	"fmt"
	"strings"
)

// StagingPrefix starts the name of every staging table a load creates. No
// declared or configured table may start with it: the ClickHouse sink drops
// leftover staging tables of a killed run by this prefix (and their exact
// form), and config validation refuses such names.
const StagingPrefix = "_stg_"

// Type is the logical type of a column, independent of any storage format.
type Type int

const (
	String Type = iota
	Int64
	Float64
	Bool       // UInt8 in ClickHouse: 18.16 has no Bool
	Timestamp  // second precision, always UTC
	Date       // a UTC calendar day
	StringList // Array(String); never nullable
	JSON       // JSON text kept whole in a String column
)

func (t Type) String() string {
	switch t {
	case String:
		return "string"
	case Int64:
		return "int64"
	case Float64:
		return "float64"
	case Bool:
		return "bool"
	case Timestamp:
		return "timestamp"
	case Date:
		return "date"
	case StringList:
		return "list<string>"
	case JSON:
		return "json"
	}
	return fmt.Sprintf("type(%d)", int(t))
}

// ParseType reads the names Type.String produces, so config files can
// declare columns (Whatfix reports) with the same vocabulary.
func ParseType(s string) (Type, error) {
	for t := String; t <= JSON; t++ {
		if t.String() == s {
			return t, nil
		}
	}
	switch s {
	case "number", "float", "double":
		return Float64, nil
	case "int", "integer":
		return Int64, nil
	case "datetime":
		return Timestamp, nil
	case "boolean":
		return Bool, nil
	case "array", "list":
		return StringList, nil
	}
	return 0, fmt.Errorf("unknown column type %q (want one of string, int64, float64, bool, timestamp, date, list<string>, json)", s)
}

// Column is one column of a table.
type Column struct {
	Name     string
	Type     Type
	Nullable bool
	Doc      string
	// Default, when set, is the SQL expression over the table's other
	// columns that a row stored before this column existed reads as (the
	// ClickHouse DEFAULT): adding the column to a live table is then exact
	// for its old rows without rewriting them.
	Default string
}

// Disposition says how a load of one window lands in the table, which is
// what keeps reruns idempotent.
type Disposition int

const (
	// Merge upserts by Key: the row with the greatest Version wins, whether
	// it is already loaded or arrives now (a tie goes to the new load), so
	// loads may come in any order. Rows may move between windows (a
	// session's last activity moves forward), so ClickHouse partitions by a
	// column that never changes for a key: a load rebuilds only the
	// partitions its keys live in.
	Merge Disposition = iota
	// ReplaceWindow replaces every row whose Day column falls in the loaded
	// window: aggregates reported per day.
	ReplaceWindow
	// ReplaceAll replaces the whole table: full snapshots of dimensions.
	ReplaceAll
)

func (d Disposition) String() string {
	switch d {
	case Merge:
		return "merge"
	case ReplaceWindow:
		return "replace-window"
	case ReplaceAll:
		return "replace-all"
	}
	return fmt.Sprintf("disposition(%d)", int(d))
}

// Names of the columns every table carries.
const (
	ExtractedAt = "_extracted_at"
	RunID       = "_run_id"
	Extra       = "_extra"
)

// Table declares one destination table.
type Table struct {
	Name        string
	Doc         string
	Columns     []Column
	Disposition Disposition
	// Key identifies a row for Merge (and documents the grain otherwise).
	Key []string
	// Version orders rows of one key for Merge; the greatest wins.
	Version string
	// Day is the column whose UTC day places a row in a window, names the
	// Parquet dt= partition of a ReplaceWindow table and decides which rows
	// a window replaces. Empty for ReplaceAll (files go under the
	// extraction day).
	Day string
	// Partition is the column whose month partitions the ClickHouse table,
	// and a Merge table's Parquet files (<partition>_month=YYYY-MM). For
	// Merge it must never change for a key: a load dedupes a key inside
	// the partition its new row falls in, so a key that moved would keep a
	// row in its old partition. Empty: unpartitioned (every load of the
	// table rebuilds it whole).
	Partition string
	// OrderBy is the ClickHouse sorting key; defaults to Key.
	OrderBy []string
}

// WithMeta appends the bookkeeping columns every table carries.
func WithMeta(cols ...Column) []Column {
	return append(cols,
		Column{Name: ExtractedAt, Type: Timestamp, Doc: "when etl fetched the row (UTC)"},
		Column{Name: RunID, Type: String, Doc: "id of the etl run that loaded the row"},
	)
}

// Index returns the position of the named column, or -1.
func (t *Table) Index(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Column returns the named column.
func (t *Table) Column(name string) (Column, bool) {
	if i := t.Index(name); i >= 0 {
		return t.Columns[i], true
	}
	return Column{}, false
}

// HasExtra reports whether unknown source fields are kept in an _extra column.
func (t *Table) HasExtra() bool { return t.Index(Extra) >= 0 }

// SortKey is the ClickHouse ORDER BY.
func (t *Table) SortKey() []string {
	if len(t.OrderBy) > 0 {
		return t.OrderBy
	}
	return t.Key
}

// Validate checks the declaration is internally consistent; a mistake here is
// a programming error caught by tests, not by users.
func (t *Table) Validate() error {
	if t.Name == "" {
		return fmt.Errorf("table without a name")
	}
	seen := map[string]bool{}
	for _, c := range t.Columns {
		if c.Name == "" || strings.ToLower(c.Name) != c.Name || strings.ContainsAny(c.Name, " -.`\"") {
			return fmt.Errorf("table %s: column %q must be lower snake_case", t.Name, c.Name)
		}
		if seen[c.Name] {
			return fmt.Errorf("table %s: duplicate column %q", t.Name, c.Name)
		}
		seen[c.Name] = true
		if c.Type == StringList && c.Nullable {
			return fmt.Errorf("table %s: list column %q cannot be nullable", t.Name, c.Name)
		}
	}
	need := func(what, name string, types ...Type) error {
		c, ok := t.Column(name)
		if !ok {
			return fmt.Errorf("table %s: %s column %q is not declared", t.Name, what, name)
		}
		if c.Nullable && what != "key" {
			return fmt.Errorf("table %s: %s column %q cannot be nullable", t.Name, what, name)
		}
		if len(types) == 0 {
			return nil
		}
		for _, ty := range types {
			if c.Type == ty {
				return nil
			}
		}
		return fmt.Errorf("table %s: %s column %q has type %s", t.Name, what, name, c.Type)
	}
	for _, k := range t.Key {
		if err := need("key", k); err != nil {
			return err
		}
	}
	for _, k := range t.OrderBy {
		if err := need("order-by", k); err != nil {
			return err
		}
	}
	switch t.Disposition {
	case Merge:
		if len(t.Key) == 0 || t.Version == "" || t.Day == "" {
			return fmt.Errorf("table %s: merge needs key, version and day", t.Name)
		}
		if err := need("version", t.Version, Timestamp, Int64, Date); err != nil {
			return err
		}
	case ReplaceWindow:
		if t.Day == "" {
			return fmt.Errorf("table %s: replace-window needs a day column", t.Name)
		}
		// etl_rejects is replaced per stream by a rule of its own (both
		// sinks special-case it): its ClickHouse months stay those of the
		// window that saw a reject, which tables made before it had a day
		// column of its own are partitioned by.
		if t.Partition != "" && t.Partition != t.Day && t.Name != Rejects.Name {
			return fmt.Errorf("table %s: replace-window partitions by its day column", t.Name)
		}
	case ReplaceAll:
		if t.Partition != "" {
			return fmt.Errorf("table %s: replace-all tables are not partitioned", t.Name)
		}
	}
	if t.Day != "" {
		if err := need("day", t.Day, Timestamp, Date); err != nil {
			return err
		}
	}
	if t.Partition != "" {
		if err := need("partition", t.Partition, Timestamp, Date); err != nil {
			return err
		}
	}
	return nil
}
