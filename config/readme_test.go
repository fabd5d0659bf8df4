package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/extract"
	_ "github.com/adoptionlabs/etl/extract/all"
	"github.com/adoptionlabs/etl/testsupport"
)

// The README's table of variables is the first thing a new user reads to
// point etl at an account: every variable a source declares must be in it,
// so a new source or setting cannot be left undocumented there.
func TestReadmeNamesEveryDeclaredVariable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testsupport.RepoRoot(t), "README.md"))
	require.NoError(t, err)
	readme := string(b)
	names := extract.EnvNames()
	require.NotEmpty(t, names)
	for _, name := range names {
		assert.True(t, strings.Contains(readme, "`"+name+"`"), "README.md's table of variables lacks `%s`", name)
	}
}
