package config

import (
	"fmt"
	"strings"

	"github.com/adoptionlabs/etl/configdoc"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/load"
)

//go:generate go run ./gendoc ../docs/config.md

// Doc renders docs/config.md: every key of every registered sink's and
// source's block in pipelines.yaml, read from the tags of its config
// struct, with the default its NewConfig sets.
func Doc() (string, error) {
	var b strings.Builder
	b.WriteString(`# Settings

<!-- Generated from the config structs' doc tags by ` + "`make generate`" + `; do not edit. -->

The blocks of ` + "`pipelines.yaml`" + ` that plugins own: each sink's under ` + "`sink:`" + `, each source's
under ` + "`sources:`" + `. A key left out keeps the default shown (an empty default: none). Values may
use ` + "`${VAR}`" + ` and ` + "`${VAR:-default}`" + `. Durations are written like ` + "`30s`" + ` or ` + "`2h`" + `, sizes like ` + "`512KiB`" + `,
` + "`256MiB`" + ` or ` + "`4GiB`" + `. ` + "`key[].field`" + ` is a field of each item of the list ` + "`key`" + `.

## Sinks

`)
	names := load.Names()
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "`" + n + "`"
	}
	fmt.Fprintf(&b, "`sink.type` (or `--sink`) names the sink that loads: %s", strings.Join(quoted, " or "))
	if k, ok := load.Default(); ok {
		fmt.Fprintf(&b, " (default `%s`)", k.Name)
	}
	b.WriteString(". Every sink's block is read, so that `--sink` can pick another one.\n")
	for _, name := range names {
		k, _ := load.Lookup(name)
		if err := section(&b, "sink."+name, k.Doc, k.NewConfig()); err != nil {
			return "", fmt.Errorf("sink %s: %w", name, err)
		}
	}
	b.WriteString("\n## Sources\n")
	for _, name := range extract.Names() {
		p, _ := extract.Lookup(name)
		if err := section(&b, name, p.Doc, p.NewConfig()); err != nil {
			return "", fmt.Errorf("source %s: %w", name, err)
		}
	}
	return b.String(), nil
}

// section renders one plugin's block: its heading, what it is, its table.
func section(b *strings.Builder, heading, doc string, cfg any) error {
	rows, err := configdoc.Rows(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "\n### %s\n\n%s\n\n%s", heading, strings.TrimSuffix(doc, "."), configdoc.Table(rows))
	return nil
}
