package idset

import "strings"

// Set holds the sessions a walk has loaded. A backfill of a million
// sessions keeps a million ids: as strings in a map that was a large part
// of the run's memory budget. Session ids are UUIDs, kept as their 16 bytes
// (uuidSet); an id of another shape is kept as text, so nothing is ever
// taken for another.
type Set struct {
	uuids *uuidSet
	other map[string]struct{}
}

// New returns an empty set.
func New() Set {
	return Set{uuids: newUUIDSet(), other: map[string]struct{}{}}
}

// Has says whether id was added.
func (s Set) Has(id string) bool {
	if u, ok := parseUUID(id); ok {
		return s.uuids.contains(u)
	}
	_, found := s.other[id]
	return found
}

// Add marks id seen and says whether it was new.
func (s Set) Add(id string) bool {
	if u, ok := parseUUID(id); ok {
		return s.uuids.add(u)
	}
	if _, found := s.other[id]; found {
		return false
	}
	// Its own copy: the id's bytes belong to the page, which must not be
	// kept alive for the whole walk.
	s.other[strings.Clone(id)] = struct{}{}
	return true
}

// parseUUID reads the canonical lowercase form
// xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx; anything else (uppercase included,
// which would make two spellings of one id) is not taken.
func parseUUID(s string) (u [16]byte, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	// One table lookup per digit; bad ORs in 0x10 wherever a digit is not
	// lowercase hex, so the whole id is checked once at the end.
	var bad byte
	for j, i := range uuidDigits {
		hi, lo := hexValues[s[i]], hexValues[s[i+1]]
		bad |= hi | lo
		u[j] = hi<<4 | lo&0x0f
	}
	return u, bad&0x10 == 0
}

// uuidDigits are the offsets of the 16 digit pairs of a canonical UUID.
var uuidDigits = [16]int{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

// hexValues maps a lowercase hex digit to its value and every other byte
// to 0x10.
var hexValues = func() (t [256]byte) {
	for i := range t {
		t[i] = 0x10
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c - '0'
	}
	for c := byte('a'); c <= 'f'; c++ {
		t[c] = c - 'a' + 10
	}
	return t
}()
