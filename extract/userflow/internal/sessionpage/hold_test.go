package sessionpage

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAHoldReleasedMoreOftenThanRetainedPanics(t *testing.T) {
	h := newHold(func() {})
	h.Retain()
	h.Release()
	h.Release()
	assert.Panics(t, h.Release)
}
