package clickhouse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"

	"github.com/adoptionlabs/etl/schemas"
)

// stagingPrefix starts every staging table name; config validation reserves
// it, and DropStaleStaging drops only names of the exact stagingName form.
const stagingPrefix = schemas.StagingPrefix

// stagingName is a fresh staging table name for table:
// _stg_<table>_<12 lowercase hex>.
func stagingName(table string) string {
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	return stagingPrefix + table + "_" + hex.EncodeToString(suffix)
}

var stagingPattern = regexp.MustCompile(`^_stg_([A-Za-z0-9_]+)_([0-9a-f]{12})$`)

// stagingOf returns the table a staging name was made for, if the name has
// the exact stagingName form.
func stagingOf(name string) (string, bool) {
	m := stagingPattern.FindStringSubmatch(name)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// DropStaleStaging removes staging tables a killed run left behind. Call it
// only while holding the run lock: then no live load owns one. It drops
// only names of the exact stagingName form whose table (or its _raw
// storage) exists with the same columns: a user's table that merely starts
// with _stg_ is never touched.
func (s *Sink) DropStaleStaging(ctx context.Context) (int, error) {
	if s.cluster != nil {
		// Each node has its own staging tables (the DSN's node also the
		// Distributed ones); one that does not answer keeps them until the
		// next run that reaches it.
		total := 0
		for _, ns := range s.clusterNodes(ctx) {
			n, err := ns.DropStaleStaging(ctx)
			total += n
			if err != nil {
				return total, err
			}
		}
		return total, nil
	}
	names, err := s.strings(ctx, "SELECT name FROM system.tables WHERE database = ? AND startsWith(name, ?)", s.db, stagingPrefix)
	if err != nil {
		return 0, fmt.Errorf("list staging tables in %s: %w", s.db, err)
	}
	dropped := 0
	for _, n := range names {
		ok, err := s.isStaging(ctx, n)
		if err != nil {
			return dropped, err
		}
		if !ok {
			s.opts.Logger.Info("kept a table whose name starts with the staging prefix but is not an etl staging table", "table", n)
			continue
		}
		if err := s.exec(ctx, dropTable(s.qualified(n))); err != nil {
			return dropped, fmt.Errorf("drop staging table %s: %w", n, err)
		}
		dropped++
	}
	return dropped, nil
}

// isStaging reports whether name is a staging table of a live table: the
// exact name form, and the same columns as <table> or <table>_raw (CREATE
// TABLE ... AS copies them).
func (s *Sink) isStaging(ctx context.Context, name string) (bool, error) {
	table, ok := stagingOf(name)
	if !ok {
		return false, nil
	}
	have, err := s.columns(ctx, name)
	if err != nil {
		return false, err
	}
	for _, target := range []string{table + "_raw", table} {
		want, err := s.columns(ctx, target)
		if err != nil {
			return false, err
		}
		if len(want) > 0 && maps.Equal(have, want) {
			return true, nil
		}
	}
	return false, nil
}
