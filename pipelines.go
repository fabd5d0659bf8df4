// Package etl embeds the default pipelines.yaml, so the binary runs with no
// file beside it (`etl demo`, a first try of `etl streams`). It sits at the
// module root because go:embed reaches only files in a package's own
// directory, and pipelines.yaml stays at the root, where users edit it and
// `etl` looks for it; any other home would need a second copy to keep in
// step.
package etl

import _ "embed"

// DefaultConfig is the repository's pipelines.yaml.
//
//go:embed pipelines.yaml
var DefaultConfig []byte
