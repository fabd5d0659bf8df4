package config

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/load"
)

//go:generate go run ./genpipelines ../pipelines.yaml

// WithSamples replaces the `sink:` and `sources:` sections of a
// pipelines.yaml with SinkSection and SourcesSection, so that a new sink or
// source needs no hand edit outside its folder.
func WithSamples(pipelines []byte) ([]byte, error) {
	out, err := WithSink(pipelines)
	if err != nil {
		return nil, err
	}
	return WithSources(out)
}

// SinkSection is the `sink:` section of the default pipelines.yaml: the
// type line, then every registered sink's sample.yaml, indented, the
// default kind first and the others in name order.
func SinkSection() []byte {
	var kinds []load.Kind
	def, hasDefault := load.Default()
	if hasDefault {
		kinds = append(kinds, def)
	}
	for _, name := range load.Names() {
		if k, _ := load.Lookup(name); !k.Default {
			kinds = append(kinds, k)
		}
	}
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.Name
	}
	var b bytes.Buffer
	b.WriteString("sink:\n")
	fmt.Fprintf(&b, "  type: %-18s # %s (or --sink)\n", def.Name, strings.Join(names, " | "))
	for i, k := range kinds {
		if i > 0 {
			b.WriteString("\n")
		}
		indentSample(&b, k.Sample)
	}
	return b.Bytes()
}

// WithSink replaces a pipelines.yaml's `sink:` section, its line and the
// indented or blank lines under it (but the blank lines that end it), with
// SinkSection.
func WithSink(pipelines []byte) ([]byte, error) {
	i := bytes.Index(pipelines, []byte("\nsink:\n"))
	if i < 0 {
		return nil, fmt.Errorf("no top-level sink: line: the generated section starts there")
	}
	start := i + 1
	end := start + len("sink:\n")
	for next := end; next < len(pipelines); {
		n := bytes.IndexByte(pipelines[next:], '\n')
		if n < 0 {
			n = len(pipelines) - next - 1
		}
		line := pipelines[next : next+n+1]
		if len(bytes.TrimSpace(line)) > 0 && line[0] != ' ' {
			break
		}
		next += n + 1
		if len(bytes.TrimSpace(line)) > 0 {
			end = next
		}
	}
	out := append([]byte{}, pipelines[:start]...)
	out = append(out, SinkSection()...)
	return append(out, pipelines[end:]...), nil
}

// SourcesSection is the `sources:` section of the default pipelines.yaml:
// every registered source's sample.yaml, indented, in name order.
func SourcesSection() []byte {
	var b bytes.Buffer
	b.WriteString("sources:\n")
	for i, name := range extract.Names() {
		p, _ := extract.Lookup(name)
		if i > 0 {
			b.WriteString("\n")
		}
		indentSample(&b, p.Sample)
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

// indentSample writes a plugin's sample.yaml two spaces in, ending with a
// newline.
func indentSample(b *bytes.Buffer, sample []byte) {
	for _, line := range strings.SplitAfter(string(sample), "\n") {
		if strings.TrimSpace(line) != "" {
			b.WriteString("  ")
		}
		b.WriteString(line)
	}
	if len(sample) > 0 && !bytes.HasSuffix(sample, []byte("\n")) {
		b.WriteString("\n")
	}
}
