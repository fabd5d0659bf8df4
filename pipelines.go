// Package etl embeds the default pipelines.yaml, so the binary runs with no
// file beside it (`etl demo`, a first try of `etl streams`).
package etl

import _ "embed"

// DefaultConfig is the repository's pipelines.yaml.
//
//go:embed pipelines.yaml
var DefaultConfig []byte
