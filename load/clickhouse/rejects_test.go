package clickhouse

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/sql"
	"github.com/adoptionlabs/etl/testsupport"
	"github.com/adoptionlabs/etl/transform"
	"github.com/adoptionlabs/etl/window"
)

// dayReject is a reject as the engine makes it: raw (its hash too) on day,
// which is the row's own (from "row") or the window's first ("window").
type dayReject struct {
	raw, day, from string
}

func loadDayRejects(t *testing.T, s *Sink, w window.Window, stream string, rejects ...dayReject) {
	t.Helper()
	ctx := context.Background()
	wr, err := s.Begin(ctx, schemas.Rejects, w, "src."+stream, "run")
	require.NoError(t, err)
	b := transform.NewBatcher(memory.NewGoAllocator(), schemas.Rejects, transform.Meta{RunID: "run", ExtractedAt: time.Now()}, 100, nil)
	defer b.Release()
	for _, r := range rejects {
		require.NoError(t, b.Append(map[string]any{"source": "src", "stream": stream, "table_name": "t", "window_start": w.Start, "window_end": w.End,
			schemas.RowDay: day(r.day), schemas.RowDayFrom: r.from, "location": "line 2", "reason": "bad", "raw": r.raw, "row_hash": r.raw}))
	}
	if rec := b.Flush(); rec != nil {
		require.NoError(t, wr.Write(ctx, rec))
		rec.Release()
	}
	require.NoError(t, wr.Commit(ctx))
}

// liveRejects lists a stream's rejects as "row_day row_day_from raw".
func liveRejects(t *testing.T, dsn, db, stream string) []string {
	t.Helper()
	rows := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT concat(toString(row_day), ' ', row_day_from, ' ', raw) AS r FROM `%s`.etl_rejects WHERE stream = '%s' ORDER BY r", db, stream))
	out := []string{}
	for _, r := range rows {
		out = append(out, r["r"].(string))
	}
	return out
}

// A reject lives on its row's day: a load replaces its stream's rejects of
// the days it covers and no other, whichever month of the window that saw
// them holds them. A reject whose day is its window's (the row had none)
// also goes when another window sees it again. The same text on two days
// is two rejects.
func TestRejectsAreReplacedByTheLoadOfTheirDay(t *testing.T) {
	s, dsn := openSink(t)
	db := s.Database()
	row := func(raw, d string) dayReject { return dayReject{raw, d, schemas.RowDayFromRow} }
	torn := func(d string) dayReject { return dayReject{"torn", d, schemas.RowDayFromWindow} }

	loadDayRejects(t, s, window.New(day("2026-11-17"), day("2026-11-20")), "a",
		row("g", "2026-11-17"), row("g", "2026-11-18"), row("g", "2026-11-19"), torn("2026-11-17"))
	loadDayRejects(t, s, window.New(day("2026-11-01"), day("2026-11-30")), "other", row("g", "2026-11-18"))
	loadDayRejects(t, s, window.New(day("2026-11-19"), day("2026-11-22")), "a",
		row("g", "2026-11-19"), row("g", "2026-11-20"), row("g", "2026-11-21"), torn("2026-11-19"))
	assert.Equal(t, []string{"2026-11-17 row g", "2026-11-18 row g", "2026-11-19 row g", "2026-11-19 window torn", "2026-11-20 row g", "2026-11-21 row g"},
		liveRejects(t, dsn, db, "a"), "the torn line seen again moved to the later window's day")

	// The rows of 18 and 19 load now: their rejects go; 17, 20 and 21
	// were not pulled again, and their rows are still bad.
	loadDayRejects(t, s, window.New(day("2026-11-18"), day("2026-11-20")), "a", torn("2026-11-18"))
	assert.Equal(t, []string{"2026-11-17 row g", "2026-11-18 window torn", "2026-11-20 row g", "2026-11-21 row g"}, liveRejects(t, dsn, db, "a"))
	assert.Equal(t, []string{"2026-11-18 row g"}, liveRejects(t, dsn, db, "other"), "another stream's rejects are its own")

	// A reject seen by a window that began in October lives in October's
	// partition; the load of its day in November still replaces it.
	loadDayRejects(t, s, window.New(day("2026-10-30"), day("2026-11-03")), "b", row("h", "2026-10-31"), row("h", "2026-11-01"))
	loadDayRejects(t, s, window.New(day("2026-11-01"), day("2026-11-02")), "b")
	assert.Equal(t, []string{"2026-10-31 row h"}, liveRejects(t, dsn, db, "b"))
	assert.Equal(t, 0.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM system.tables WHERE database = '%s' AND startsWith(name, '_stg_')", db)))
}

// etl_rejects as the release before row_day made it is upgraded in place,
// by `etl migrate` or by the first load: row_day and row_day_from are added
// where a new table has them, and the rejects stored before read as their
// window's day, so they keep the rule they were written under. Doing it
// again changes nothing.
func TestRejectsTableFromBeforeRowDaysIsUpgraded(t *testing.T) {
	// The legacy release's etl_rejects is the one row_day was added to.
	before, err := os.ReadFile("testdata/legacy/00_etl.sql")
	require.NoError(t, err)
	for _, by := range []string{"migrate", "first load"} {
		t.Run(by, func(t *testing.T) {
			s, dsn := openSink(t)
			ctx := context.Background()
			db := s.Database()
			_, err := s.Migrate(ctx, fstest.MapFS{"00_etl.sql": {Data: before}})
			require.NoError(t, err)
			require.NoError(t, s.exec(ctx, fmt.Sprintf("INSERT INTO `%s`.etl_rejects (source, stream, table_name, window_start, window_end, raw, row_hash) "+
				"SELECT 'src', 'a', 't', toDateTime('2026-11-17 00:00:00', 'UTC'), toDateTime('2026-11-20 00:00:00', 'UTC'), arrayJoin(['seen again', 'not seen']) AS r, r", db)))

			upgraded, err := Open(ctx, dsn, Options{QueryTimeout: time.Minute})
			require.NoError(t, err)
			defer upgraded.Close()
			upgrade := func() {
				if by == "migrate" {
					_, err := upgraded.Migrate(ctx, sql.Files)
					require.NoError(t, err)
				} else {
					require.NoError(t, upgraded.Ensure(ctx, schemas.Rejects))
				}
			}
			upgrade()
			columns := func() string {
				rows := testsupport.ClickHouseQuery(t, dsn, fmt.Sprintf("SELECT name, type, default_expression FROM system.columns WHERE database = '%s' AND table = 'etl_rejects'", db))
				var out []string
				for _, r := range rows {
					out = append(out, strings.TrimSpace(fmt.Sprint(r["name"], " ", r["type"], " ", r["default_expression"])))
				}
				return strings.Join(out, ", ")
			}
			got := columns()
			assert.Equal(t, "source String, stream String, table_name String, window_start DateTime('UTC'), window_end DateTime('UTC'), "+
				"row_day Date toDate(window_start), row_day_from String 'window', location String, reason String, raw String, row_hash String, "+
				"_extracted_at DateTime('UTC'), _run_id String", got, "the columns where a new table has them")
			assert.Equal(t, []string{"2026-11-17 window not seen", "2026-11-17 window seen again"}, liveRejects(t, dsn, db, "a"))

			again, err := Open(ctx, dsn, Options{QueryTimeout: time.Minute})
			require.NoError(t, err)
			defer again.Close()
			upgraded = again
			upgrade()
			assert.Equal(t, got, columns(), "a second upgrade changes nothing")

			// The old reject seen again by another window goes, as it did;
			// the other stays until a load covers its window's day.
			loadDayRejects(t, again, window.New(day("2026-11-20"), day("2026-11-21")), "a", dayReject{"seen again", "2026-11-20", schemas.RowDayFromRow})
			assert.Equal(t, []string{"2026-11-17 window not seen", "2026-11-20 row seen again"}, liveRejects(t, dsn, db, "a"))
			loadDayRejects(t, again, window.New(day("2026-11-17"), day("2026-11-18")), "a")
			assert.Equal(t, []string{"2026-11-20 row seen again"}, liveRejects(t, dsn, db, "a"))
		})
	}
}
