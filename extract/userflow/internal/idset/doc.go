// Package idset is the set of session ids a Userflow session walk has
// loaded: exact, and small enough for a backfill of millions of sessions
// (a canonical UUID is kept as its 16 bytes, behind a Bloom filter).
package idset
