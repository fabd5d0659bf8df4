package clickhouse

import (
	"fmt"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/schemas"
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
