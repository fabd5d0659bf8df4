package httpclient

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlexInt(t *testing.T) {
	for in, want := range map[string]FlexInt{`3`: 3, `"3"`: 3, `3.0`: 3, `null`: 0, `""`: 0} {
		var got struct {
			N FlexInt `json:"n"`
		}
		require.NoError(t, json.Unmarshal([]byte(`{"n":`+in+`}`), &got), in)
		assert.Equal(t, want, got.N, in)
	}
	var bad struct {
		N FlexInt `json:"n"`
	}
	assert.ErrorContains(t, json.Unmarshal([]byte(`{"n":"three"}`), &bad), "want a number")
}
