package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// A window's tables become visible together or not at all: a failure
// staging the second table leaves the merge table, the report and the
// rejects as they were.
func TestWindowIsInvisibleWhenAnyTableFailsToStage(t *testing.T) {
	s, dsn := openSink(t)
	db := s.Database()
	w := window.New(day("2026-11-01"), day("2026-11-02"))
	st := &engine.Stream{Source: "test", Name: "two", Windowed: true, Tables: []*schemas.Table{sessions, report},
		Extract: func(ctx context.Context, w window.Window, out engine.Emitter) error {
			for i := 0; i < 3; i++ {
				if err := out.Emit(ctx, sessions.Name, engine.Row{Values: session(fmt.Sprintf("s%d", i), w.Start, w.Start.Add(time.Hour), 0.5)}); err != nil {
					return err
				}
			}
			if err := out.Emit(ctx, report.Name, engine.Row{Values: map[string]any{"report_date": w.Start, "flow": "a", "views": 1}}); err != nil {
				return err
			}
			return out.Reject(ctx, report.Name, "bad", engine.Row{Raw: "x,y", Where: "line 2"})
		}}
	r := engine.NewRunner(engine.Options{Sink: s, RunID: "run1"})
	s.failPrepare = func(table string) error {
		if table == report.Name {
			return errors.New("injected: no space left on device")
		}
		return nil
	}
	res := r.Run(context.Background(), st, w)
	require.Error(t, res.Err)
	assert.Contains(t, res.Err.Error(), "nothing of it is visible")
	for _, q := range []string{"t_sessions", "t_report", "etl_rejects"} {
		assert.Equal(t, 0.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.`%s`", db, q)), q)
	}
	assert.Equal(t, 0.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM system.tables WHERE database = '%s' AND startsWith(name, '_stg_')", db)), "staging dropped")

	s.failPrepare = nil
	res = r.Run(context.Background(), st, w)
	require.NoError(t, res.Err)
	assert.Equal(t, 3.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_sessions", db)))
	assert.Equal(t, 1.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_report", db)))
	assert.Equal(t, 1.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.etl_rejects", db)))
	res = r.Run(context.Background(), st, w)
	require.NoError(t, res.Err)
	assert.Equal(t, 3.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.t_sessions", db)), "a rerun stays exact")
	assert.Equal(t, 1.0, count(t, dsn, fmt.Sprintf("SELECT count() FROM `%s`.etl_rejects", db)))
}
