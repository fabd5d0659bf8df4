package config

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/adoptionlabs/etl/extract"
)

//go:generate go run ./gensources ../pipelines.yaml

// SourcesSection is the `sources:` section of the default pipelines.yaml:
// every registered source's sample.yaml, indented, in name order. It is
// generated so that a new source needs no hand edit outside its folder.
func SourcesSection() []byte {
	var b bytes.Buffer
	b.WriteString("sources:\n")
	for i, name := range extract.Names() {
		p, _ := extract.Lookup(name)
		if i > 0 {
			b.WriteString("\n")
		}
		for _, line := range strings.SplitAfter(string(p.Sample), "\n") {
			if strings.TrimSpace(line) != "" {
				b.WriteString("  ")
			}
			b.WriteString(line)
		}
		if len(p.Sample) > 0 && !bytes.HasSuffix(p.Sample, []byte("\n")) {
			b.WriteString("\n")
		}
	}
	return b.Bytes()
}

// WithSources replaces a pipelines.yaml's `sources:` section, from its line
// to the end of the file, with SourcesSection.
func WithSources(pipelines []byte) ([]byte, error) {
	i := bytes.Index(pipelines, []byte("\nsources:\n"))
	if i < 0 {
		return nil, fmt.Errorf("no top-level sources: line: the generated section goes from that line to the end of the file")
	}
	return append(append([]byte{}, pipelines[:i+1]...), SourcesSection()...), nil
}
