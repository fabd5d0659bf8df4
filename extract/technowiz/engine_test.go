package technowiz

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/technowiz/technowizfake"
	"github.com/adoptionlabs/etl/load/loadtest"
	"github.com/adoptionlabs/etl/schemas"
)

// Through the engine: an unknown user becomes one row of the rejects table,
// the stream still succeeds and every other message is loaded.
func TestEngineLoadsTheOthersWhenOneUserIsUnknown(t *testing.T) {
	h := newHarness(t, technowizfake.Options{}, nil, nil)
	users := h.fake.UsersMatching(technowizfake.DemoFilters...)
	h.fake.MarkUnknown(users[0].ID)
	w := lastDays(30)
	want := int64(0)
	for _, u := range users[1:] {
		for _, m := range u.Messages {
			if w.Contains(m.Timestamp) {
				want++
			}
		}
	}
	sink := loadtest.NewSink()
	res := engine.NewRunner(engine.Options{Sink: sink, RunID: "r1"}).Run(context.Background(), h.streams[StreamMessages], w)
	require.NoError(t, res.Err)
	assert.Equal(t, engine.StatusOK, res.Status)
	assert.Equal(t, int64(1), res.Rejects)
	assert.Equal(t, int64(1), sink.Count(schemas.Rejects.Name))
	assert.Equal(t, want, sink.Count(TableMessages))
	require.Len(t, res.Notices, 1)
	assert.Contains(t, res.Notices[0], "unknown to the conversation API (1002)")
}
