// Package sql embeds the ClickHouse DDL that `etl migrate` applies. The
// files are generated from the table declarations (`make generate`) and a
// golden test fails when they fall behind.
package sql

import "embed"

// Files holds the *.sql files, applied in name order.
//
//go:embed *.sql
var Files embed.FS
