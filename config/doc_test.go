package config_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/config"
	"github.com/adoptionlabs/etl/extract"
	_ "github.com/adoptionlabs/etl/extract/all"
	"github.com/adoptionlabs/etl/load"
	_ "github.com/adoptionlabs/etl/load/all"
)

// docs/config.md is what the config structs say: a setting added, renamed or
// re-documented without `make generate` fails here.
func TestConfigDocIsCurrent(t *testing.T) {
	want, err := config.Doc()
	require.NoError(t, err)
	got, err := os.ReadFile("../docs/config.md")
	require.NoError(t, err)
	assert.Equal(t, want, string(got), "docs/config.md is stale: run make generate")
	for _, name := range load.Names() {
		assert.Contains(t, want, "\n### sink."+name+"\n", "every registered sink has a section")
	}
	for _, name := range extract.Names() {
		assert.Contains(t, want, "\n### "+name+"\n", "every registered source has a section")
	}
}
