package technowiz

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract/technowiz/technowizfake"
)

// total_records counting the current page only used to end the walk after
// page 1 with status ok (measured: 1,429 of 3,172 messages). Every message
// loads now, and the disagreement is a notice.
func TestVariantPerPageTotalRecords(t *testing.T) {
	for _, n := range []int{15, 14} {
		t.Run(fmt.Sprint(n, " messages"), func(t *testing.T) {
			h := newHarness(t, technowizfake.Options{PerPageTotal: true}, nil, func(c *Config) {
				c.UserFilters = []UserFilter{{"segment", "test"}}
				c.PageSize = 7
			})
			h.fake.AddUser(testUser("tw_test", n))
			rec, err := h.run(t, StreamMessages, lastDays(1))
			require.NoError(t, err)
			assert.Len(t, rec.Values(TableMessages), n, "every message, not the first page")
			require.Len(t, rec.Notices(), 1)
			assert.Contains(t, rec.Notices()[0], fmt.Sprintf("total_records said %d but %d were read", map[int]int{15: 1, 14: 7}[n], n))
		})
	}
}

// A misspelt page-size parameter used to be ignored by the fake (its
// default served), so a typo passed every test; the fake refuses it now, as
// strictly as the documented error codes allow, and the run fails loud.
func TestMisspeltPageSizeParamFailsLoud(t *testing.T) {
	h := newHarness(t, technowizfake.Options{}, nil, func(c *Config) {
		c.UserFilters = []UserFilter{{"segment", "test"}}
		c.PageSizeParam = "page_size"
	})
	h.fake.AddUser(testUser("tw_test", 3))
	_, err := h.run(t, StreamMessages, lastDays(1))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown parameter \"page_size\"`)
}
