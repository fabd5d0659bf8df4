package whatfix

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/schemas"
)

func TestTablesValidate(t *testing.T) {
	names := map[string]bool{}
	for _, tb := range Tables() {
		require.NoError(t, tb.Validate(), tb.Name)
		assert.False(t, names[tb.Name], "table %s declared twice", tb.Name)
		names[tb.Name] = true
		assert.True(t, tb.HasExtra(), "%s keeps unknown fields in _extra", tb.Name)
	}
	assert.Len(t, Reports, 37, "every report of the API reference is known")
}

func TestReportTableShape(t *testing.T) {
	perFlow, ok := LookupReport("flow/history")
	require.True(t, ok)
	tb := perFlow.Declaration()
	assert.Equal(t, []string{"report_date", "account_id", "flow_id"}, names(tb.Columns[:3]))
	assert.Equal(t, schemas.ReplaceWindow, tb.Disposition)
	assert.Equal(t, "report_date", tb.Day)
	assert.Equal(t, []string{"report_date", "flow_id"}, tb.SortKey())

	wide, ok := LookupReport("summary/mostPopularFlows")
	require.True(t, ok)
	tb = wide.Declaration()
	assert.Equal(t, "whatfix_report_most_popular_flows", tb.Name)
	assert.Equal(t, []string{"report_date", "account_id", "flow_id", "flow_name"}, names(tb.Columns[:4]),
		"an account-wide report's own Flow ID column is not the per-flow meta column")
	for _, c := range wide.Columns {
		assert.True(t, c.Nullable, "report column %s is nullable: an empty cell is a missing figure", c.Name)
	}
	c, _ := tb.Column("views")
	assert.Equal(t, schemas.Int64, c.Type)
	assert.Equal(t, []string{schemas.Extra, schemas.ExtractedAt, schemas.RunID}, names(tb.Columns[len(tb.Columns)-3:]))
}

func TestReportColumnsAvoidReservedNames(t *testing.T) {
	for _, r := range Reports {
		for _, res := range ReservedReportColumns(r.PerFlow) {
			for _, c := range r.Columns {
				assert.NotEqual(t, res, c.Name, "report %s", r.Name)
			}
		}
	}
}

func names(cols []schemas.Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}
