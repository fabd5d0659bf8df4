package userflow

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/userflow/internal/sessionpage"
	"github.com/adoptionlabs/etl/load/loadtest"
	"github.com/adoptionlabs/etl/window"
)

// Page bodies are reused once the engine has built their rows; a body that
// came back too early would be overwritten (poisoned, in tests) while rows
// still pointed into it, and the loaded text would differ from what the
// extractor emitted. Small batches and pages make many blocks and bodies
// in flight at once.
func TestPageBodiesAreReusedOnlyOnceTheirRowsAreBuilt(t *testing.T) {
	require.True(t, sessionpage.Poisoned(), "tests poison reused bodies")
	start := window.Floor(testNow).AddDate(0, 0, -20)
	w := window.New(start, window.Floor(testNow).AddDate(0, 0, 1))

	e := newEnv(t, 0.5, nil)
	e.cfg.PageSize = 25
	want, err := e.run(t, "content_sessions", w)
	require.NoError(t, err)

	for _, rows := range []int{7, 256, 20000} {
		t.Run(fmt.Sprintf("batches of %d rows", rows), func(t *testing.T) {
			e := newEnv(t, 0.5, nil)
			e.cfg.PageSize = 25
			reused := sessionpage.Reused()
			sink := loadtest.NewSink()
			r := engine.NewRunner(engine.Options{Sink: sink, RunID: "r1", BatchRows: rows, Now: func() time.Time { return testNow }})
			res := r.Run(context.Background(), e.stream(t, "content_sessions"), w)
			require.NoError(t, res.Err)
			assert.Greater(t, sessionpage.Reused(), reused, "bodies were reused")

			for _, table := range []string{SessionsTable.Name, AnswersTable.Name} {
				var emitted, loaded []string
				for _, row := range want.Rows(table) {
					emitted = append(emitted, textOf(row.Values))
				}
				for _, row := range sink.Rows(table) {
					loaded = append(loaded, textOf(row))
				}
				require.NotEmpty(t, emitted)
				assert.ElementsMatch(t, emitted, loaded, "%s: the loaded text is the emitted text", table)
			}
		})
	}
}

// textOf is a row's text columns, which are what point into the page.
func textOf(row map[string]any) string {
	var s string
	for _, c := range []string{"id", "session_id", "content_id", "user_id", "version_id", "question_cvid", "question_name", "answer_type", "answer_value", "group_id"} {
		if v, ok := row[c]; ok && v != nil {
			s += fmt.Sprintf("%s=%v;", c, v)
		}
	}
	return s
}
