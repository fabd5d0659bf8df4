package idset

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSeenSetTellsEveryIDApart(t *testing.T) {
	s := New()
	ids := []string{
		"a13466e8-05cb-4401-beff-f6819a3dd4af", "a13466e8-05cb-4401-beff-f6819a3dd4ae",
		"A13466E8-05CB-4401-BEFF-F6819A3DD4AF", // another spelling is another id to the API
		"a13466e805cb4401bęff-f6819a3dd4af", "s1", "", "a13466e8-05cb-4401-beff-f6819a3dd4a", "g13466e8-05cb-4401-beff-f6819a3dd4af",
	}
	for i, id := range ids {
		assert.False(t, s.Has(id), "%q before it is added", id)
		assert.True(t, s.Add(id), "%q is new", id)
		assert.False(t, s.Add(id), "%q is seen once added", id)
		for _, earlier := range ids[:i+1] {
			assert.True(t, s.Has(earlier), "%q after %q is added", earlier, id)
		}
		for _, later := range ids[i+1:] {
			assert.False(t, s.Has(later), "%q is not %q", later, id)
		}
	}
	assert.Equal(t, 2, s.uuids.len(), "canonical UUIDs are kept as 16 bytes")
}

func TestParseUUID(t *testing.T) {
	u, ok := parseUUID("a13466e8-05cb-4401-beff-f6819a3dd4af")
	require.True(t, ok)
	assert.Equal(t, [16]byte{0xa1, 0x34, 0x66, 0xe8, 0x05, 0xcb, 0x44, 0x01, 0xbe, 0xff, 0xf6, 0x81, 0x9a, 0x3d, 0xd4, 0xaf}, u)
	for _, bad := range []string{
		"A13466e8-05cb-4401-beff-f6819a3dd4af", "a13466e8-05cb-4401-beff-f6819a3dd4aG", "a13466e8-05cb-4401-beff-f6819a3dd4a",
		"a13466e8_05cb-4401-beff-f6819a3dd4af", "a13466e8-05cb-4401-beff-f6819a3dd4a\x00", "a13466e8-05cb-4401-beff-f6819a3dd4a/",
		"a13466e8-05cb-4401-beff-f6819a3dd4a:", "a13466e8-05cb-4401-beff-f6819a3dd4a`",
	} {
		_, ok := parseUUID(bad)
		assert.False(t, ok, bad)
	}
}
