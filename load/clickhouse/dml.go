package clickhouse

import (
	"fmt"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// liveKeysTouchedQuery returns, per partition p among parts, the rows of
// target (a qualified name) whose key staging carries in p; a partition
// without such rows has no row. The same on 18.16 and current releases.
func liveKeysTouchedQuery(t *schemas.Table, target, staging string, parts []string) string {
	part, in := partitionID(t), "1"
	if t.Partition != "" {
		in = fmt.Sprintf("toYYYYMM(%s) IN (%s)", quoteIdent(t.Partition), strings.Join(parts, ", "))
	}
	keys := identList(t.Key)
	return fmt.Sprintf("SELECT %s AS p, count() AS touched FROM %s WHERE %s AND (%s) IN (SELECT %s FROM %s WHERE %s) GROUP BY p",
		part, target, in, keys, keys, staging, in)
}

// partitionID is the expression of a row's partition as system.parts
// names it.
func partitionID(t *schemas.Table) string {
	if t.Partition == "" {
		return "'tuple()'"
	}
	return fmt.Sprintf("toString(toYYYYMM(%s))", quoteIdent(t.Partition))
}

// oneRowPerKeyQuery returns, per partition p of staging (a qualified
// name), one_row_per_key 1 when its rows have one row per key. The same
// on 18.16 and current releases.
func oneRowPerKeyQuery(t *schemas.Table, staging string) string {
	return fmt.Sprintf("SELECT %s AS p, toUInt64(count() = uniqExact(cityHash64(%s))) AS one_row_per_key FROM %s GROUP BY p", partitionID(t), identList(t.Key), staging)
}

// mergeRebuild returns the statement that fills partition p of rebuilt
// (qualified names): the live rows of keys the staged rows do not touch
// (none when the target has no such partition, live false), then each
// touched key's newest row among the live and the staged ones, the staged
// row winning a tie. One INSERT, so the partition is swapped in as one part
// where it fits one block: readers do not pay for a part per load. The same
// on 18.16 and current releases.
func mergeRebuild(t *schemas.Table, target, staging, rebuilt, p string, live bool) string {
	cols, keys := identList(columnNames(t)), identList(t.Key)
	order := keys + ", " + quoteIdent(t.Version) + " DESC, _etl_new DESC"
	if t.Version != schemas.ExtractedAt {
		order += ", " + quoteIdent(schemas.ExtractedAt) + " DESC"
	}
	in := partitionFilter(t, p)
	touched := fmt.Sprintf("(%s) IN (SELECT %s FROM %s WHERE %s)", keys, keys, staging, in)
	candidates := fmt.Sprintf("SELECT %s, 1 AS _etl_new FROM %s WHERE %s", cols, staging, in)
	keep := ""
	if live {
		keep = fmt.Sprintf("SELECT %s FROM %s WHERE %s AND NOT (%s) UNION ALL ", cols, target, in, touched)
		candidates = fmt.Sprintf("SELECT %s, 0 AS _etl_new FROM %s WHERE %s AND %s UNION ALL %s", cols, target, in, touched, candidates)
	}
	return fmt.Sprintf("INSERT INTO %s (%s) %sSELECT %s FROM (SELECT %s FROM (%s) ORDER BY %s LIMIT 1 BY %s)",
		rebuilt, cols, keep, cols, cols, candidates, order, keys)
}

// partitionFilter selects the rows of t in partition p (as system.parts
// names it).
func partitionFilter(t *schemas.Table, p string) string {
	if t.Partition == "" {
		return "1"
	}
	return fmt.Sprintf("toYYYYMM(%s) = %s", quoteIdent(t.Partition), p)
}

// literal is v as a value of t's day column.
func literal(t *schemas.Table, v time.Time) string {
	if c, _ := t.Column(t.Day); c.Type == schemas.Date {
		return fmt.Sprintf("toDate('%s')", v.UTC().Format(time.DateOnly))
	}
	return fmt.Sprintf("toDateTime('%s', 'UTC')", v.UTC().Format(time.DateTime))
}

// legacyCopy copies the newest row per key, by the declared version, of the
// rows of raw that filter selects into tmp (qualified names); cols are the
// columns both have. The same on 18.16 and current releases.
func legacyCopy(t *schemas.Table, raw, tmp, cols, filter string) string {
	keys := identList(t.Key)
	order := keys + ", " + quoteIdent(t.Version) + " DESC"
	if t.Version != schemas.ExtractedAt && strings.Contains(cols, quoteIdent(schemas.ExtractedAt)) {
		order += ", " + quoteIdent(schemas.ExtractedAt) + " DESC"
	}
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s WHERE %s ORDER BY %s LIMIT 1 BY %s", tmp, cols, cols, raw, filter, order, keys)
}

// monthOf is the month (toYYYYMM) of t's partition column: its day column
// but for etl_rejects, whose months are those of the window that saw a
// reject.
func monthOf(t *schemas.Table) string {
	col := t.Partition
	if col == "" {
		col = t.Day
	}
	return fmt.Sprintf("toYYYYMM(%s)", quoteIdent(col))
}

// insertInto starts the INSERT of a load's rows into table (a qualified
// name): every INSERT names its columns.
func insertInto(table string, columns []string) string {
	return fmt.Sprintf("INSERT INTO %s (%s)", table, identList(columns))
}

// countRows counts the rows of table (a qualified name) that filter
// selects; "tuple()", a whole partition's filter, selects them all.
func countRows(table, filter string) string {
	if filter == "tuple()" {
		return fmt.Sprintf("SELECT count() FROM %s", table)
	}
	return fmt.Sprintf("SELECT count() FROM %s WHERE %s", table, filter)
}

// keepOutsideWindow copies into staging the rows of target (qualified
// names) in month (a toYYYYMM partition id) whose day lies outside w: a
// replace-window load rebuilds each month it touches from them and its own
// rows.
func keepOutsideWindow(t *schemas.Table, target, staging string, w window.Window, month string) string {
	day := quoteIdent(t.Day)
	lo, hi := literal(t, w.Start), literal(t, w.End)
	return fmt.Sprintf("INSERT INTO %s SELECT * FROM %s WHERE toYYYYMM(%s) = %s AND NOT (%s >= %s AND %s < %s)",
		staging, target, day, month, day, lo, day, hi)
}

// rejectsGoing selects the live rejects of stream ("source.name") that a
// load of window w replaces: those on the days w covers (every day when
// whole), and those whose day is their window's that the load saw again
// (its rejects are in staging, a qualified name). prepareRejects says why.
func rejectsGoing(t *schemas.Table, stream, staging string, w window.Window, whole bool) string {
	day := quoteIdent(t.Day)
	lo, hi := literal(t, w.Start), literal(t, w.End)
	source, name, _ := strings.Cut(stream, ".")
	mine := fmt.Sprintf("source = %s AND stream = %s", quoteString(source), quoteString(name))
	seenAgain := fmt.Sprintf("(%s = %s AND (source, stream, table_name, row_hash) IN (SELECT source, stream, table_name, row_hash FROM %s))",
		quoteIdent(schemas.RowDayFrom), quoteString(schemas.RowDayFromWindow), staging)
	inWindow := fmt.Sprintf("(%s >= %s AND %s < %s)", day, lo, day, hi)
	if whole {
		inWindow = "1"
	}
	return fmt.Sprintf("%s AND (%s OR %s)", mine, inWindow, seenAgain)
}

// rejectsMonths lists the months of the live rejects that go (rejectsGoing)
// and those of the staged ones, a month once per side.
func rejectsMonths(t *schemas.Table, target, staging, goes string) string {
	month := monthOf(t)
	return fmt.Sprintf("SELECT DISTINCT toString(%s) FROM %s WHERE %s UNION ALL SELECT DISTINCT toString(%s) FROM %s",
		month, target, goes, month, staging)
}

// keepRejects copies into staging the live rejects of months that stay:
// the other streams' and this stream's that do not go.
func keepRejects(t *schemas.Table, target, staging string, months []string, goes string) string {
	return fmt.Sprintf("INSERT INTO %s SELECT * FROM %s WHERE %s IN (%s) AND NOT (%s)",
		staging, target, monthOf(t), strings.Join(months, ", "), goes)
}

// monthCounts counts the rows of staging (a qualified name) per month of
// t's partition column.
func monthCounts(t *schemas.Table, staging string) string {
	return fmt.Sprintf("SELECT toString(%s) AS m, count() FROM %s GROUP BY m", monthOf(t), staging)
}

// replacePartition makes partition p of target hold exactly the rows of
// from's (qualified names).
func replacePartition(target, p, from string) string {
	return fmt.Sprintf("ALTER TABLE %s REPLACE PARTITION %s FROM %s", target, p, from)
}

// attachPartition adds the rows of from's partition p to target's.
func attachPartition(target, p, from string) string {
	return fmt.Sprintf("ALTER TABLE %s ATTACH PARTITION %s FROM %s", target, p, from)
}

// dropPartition empties partition p of target.
func dropPartition(target, p string) string {
	return fmt.Sprintf("ALTER TABLE %s DROP PARTITION %s", target, p)
}

// syncReplica waits until this replica of table (a qualified name) has
// every part its shard's replicas were sent.
func syncReplica(table string) string { return "SYSTEM SYNC REPLICA " + table }

// recordMigration records m, applied at at, in table (a qualified name,
// MigrationsTable).
func recordMigration(table string, m Migration, at time.Time) string {
	return fmt.Sprintf("INSERT INTO %s (name, version, applied_at) SELECT %s, %s, toDateTime(%d, 'UTC')",
		table, quoteString(m.Name), quoteString(m.Version), at.Unix())
}

// appliedMigrations lists the (name, version) pairs table (a qualified
// name, MigrationsTable) records, those whose name starts with prefix.
func appliedMigrations(table, prefix string) string {
	if prefix == "" {
		return fmt.Sprintf("SELECT name, version FROM %s", table)
	}
	return fmt.Sprintf("SELECT name, version FROM %s WHERE name LIKE %s", table, quoteString(prefix+"%"))
}

// partitionMonths lists the months (toYYYYMM) of t's partition column in
// table (a qualified name).
func partitionMonths(t *schemas.Table, table string) string {
	return fmt.Sprintf("SELECT DISTINCT toString(toYYYYMM(%s)) FROM %s", quoteIdent(t.Partition), table)
}

// countKeys counts the distinct keys of t in table (a qualified name).
func countKeys(t *schemas.Table, table string) string {
	return fmt.Sprintf("SELECT uniqExact(%s) FROM %s", identList(t.Key), table)
}

// keysMissingQuery counts the keys of t in raw that table lacks (qualified
// names).
func keysMissingQuery(t *schemas.Table, raw, table string) string {
	keys := identList(t.Key)
	return fmt.Sprintf("SELECT count() FROM (SELECT DISTINCT %s FROM %s) WHERE (%s) NOT IN (SELECT %s FROM %s)",
		keys, raw, keys, keys, table)
}

// legacyRejectsCopy copies the rejects of the old etl_rejects_raw (raw)
// into the rejects table (qualified names), one row per key, the latest
// window's; columns are those both have.
func legacyRejectsCopy(table, raw string, columns []string) string {
	cols := identList(columns)
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s FINAL ORDER BY window_start DESC LIMIT 1 BY source, stream, table_name, row_hash",
		table, cols, cols, raw)
}
