package parquet

import (
	"fmt"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/schemas"
)

// layout is how a table's files are split into partitions, each a directory
// <table>/<key>=<value> that a load replaces whole (or, unpartitioned, the
// table directory itself). A partition is numbered by part: days since
// 1970-01-01 for dt=, months since 1970-01 for a merge table's month.
//
//   - Replace-window and replace-all tables: dt=YYYY-MM-DD, the UTC day of
//     the Day column (of the load, for replace-all). A load replaces days.
//   - Merge tables: <partition>_month=YYYY-MM, the UTC month of the
//     Partition column, which never changes for a key, so that every
//     version of a key lands in the same partition and a load rewrites only
//     the partitions its keys live in. Partitioning by the Day column (a
//     session's last activity, which moves) left a key's old row in its old
//     day. A merge table without Partition is unpartitioned: its files sit
//     in the table directory.
type layout struct {
	// key is the Hive partition key ("dt", "created_at_month"); empty for
	// an unpartitioned table.
	key string
	// column names the partition: the Day column (dt=) or the Partition
	// column (a month); empty for replace-all (the load day) and
	// unpartitioned tables.
	column  string
	monthly bool
}

// dayKey is the partition key of replace-window and replace-all tables.
const dayKey = "dt"

// monthSuffix makes a merge table's partition key from its Partition
// column. DuckDB, Spark, Trino and ClickHouse add the key as a column, so
// it must differ from every declared column (Begin checks it).
const monthSuffix = "_month"

func layoutOf(t *schemas.Table) layout {
	switch {
	case t.Disposition == schemas.Merge && t.Partition == "":
		return layout{}
	case t.Disposition == schemas.Merge:
		return layout{key: t.Partition + monthSuffix, column: t.Partition, monthly: true}
	case t.Disposition == schemas.ReplaceAll:
		return layout{key: dayKey}
	}
	return layout{key: dayKey, column: t.Day}
}

// PartitionKey is the Hive partition key of a table's directories ("dt",
// "created_at_month"), the column a reader with hive_partitioning gets
// besides the table's own; empty for an unpartitioned table.
func PartitionKey(t *schemas.Table) string { return layoutOf(t).key }

// checkLayout refuses a table whose partition key is one of its columns: a
// reader adding the key as a column would find it twice.
func checkLayout(t *schemas.Table) error {
	l := layoutOf(t)
	if l.key != "" && t.Index(l.key) >= 0 {
		return fmt.Errorf("table %s declares a column %s, the name of its Parquet partition key (readers add the key as a column): rename the column", t.Name, l.key)
	}
	if t.Disposition == schemas.Merge {
		for _, k := range t.Key {
			if c, _ := t.Column(k); c.Type == schemas.StringList {
				return fmt.Errorf("table %s: key column %s is a list; a merge table's key columns must be single values", t.Name, k)
			}
		}
	}
	return nil
}

// dir is the directory name of partition p, relative to the table
// directory: "" for an unpartitioned table.
func (l layout) dir(p int32) string {
	switch {
	case l.key == "":
		return ""
	case l.monthly:
		y, m := monthOf(p)
		return fmt.Sprintf("%s=%04d-%02d", l.key, y, m)
	}
	return l.key + "=" + dayString(p)
}

// parse reads a partition directory name of this layout.
func (l layout) parse(name string) (int32, bool) {
	if l.key == "" {
		return 0, false
	}
	v, ok := strings.CutPrefix(name, l.key+"=")
	if !ok {
		return 0, false
	}
	if l.monthly {
		t, err := time.Parse("2006-01", v)
		if err != nil {
			return 0, false
		}
		return monthIndex(t), true
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return 0, false
	}
	return dayOf(t), true
}

// emptyPart is the partition of a table's schema-only file: the one of
// Unix time 0, which adds no value to any query.
const emptyPart = int32(0)

// isPartitionDir reports whether name is a Hive partition directory of any
// layout (key=value), as readers take it.
func isPartitionDir(name string) bool {
	k, _, ok := strings.Cut(name, "=")
	return ok && k != "" && !strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "_")
}

// monthIndex counts months from 1970-01.
func monthIndex(t time.Time) int32 {
	t = t.UTC()
	return int32((t.Year()-1970)*12 + int(t.Month()) - 1)
}

func monthOf(p int32) (year, month int) {
	y := floorDiv(int64(p), 12)
	return 1970 + int(y), int(int64(p)-y*12) + 1
}

// monthOfDay is the month index of a day (days since 1970-01-01).
func monthOfDay(d int32) int32 { return monthIndex(dayTime(d)) }
