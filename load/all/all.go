// Package all links every sink in, so each registers its load.Kind.
package all

import (
	_ "github.com/adoptionlabs/etl/load/clickhouse"
	_ "github.com/adoptionlabs/etl/load/parquet"
)
