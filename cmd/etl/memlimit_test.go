package main

import (
	"io"
	"math"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRunKeepsTheHeapUnderASoftLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOMEMLIMIT", "")
	debug.SetMemoryLimit(math.MaxInt64)
	run([]string{"etl", "--version"}, io.Discard, io.Discard)
	assert.EqualValues(t, softMemoryLimit, debug.SetMemoryLimit(-1))

	// GOMEMLIMIT is the operator's: left as the runtime read it.
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(math.MaxInt64)
	run([]string{"etl", "--version"}, io.Discard, io.Discard)
	assert.EqualValues(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1))
}
