package config

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/adoptionlabs/etl/load"
)

// SinkConfig names the sink that loads and holds every registered sink
// kind's settings, each decoded by its kind from its block sink.<name> (its
// defaults when the file has none): --sink may pick another kind than
// sink.type, and the table names every kind keeps are checked whichever
// loads.
type SinkConfig struct {
	// Type is the kind that loads (sink.type, --sink).
	Type  string
	kinds map[string]load.Config
}

// Settings returns a kind's settings; nil when no kind has that name.
func (s *SinkConfig) Settings(kind string) load.Config { return s.kinds[kind] }

// decodeSink reads the sink: block. Each kind decodes its own block
// strictly, so an unknown key is an error with its line, as in a source's
// block; then its defaults that depend on the block or the environment are
// applied.
func decodeSink(n *yaml.Node, lookup func(string) (string, bool)) (SinkConfig, error) {
	s := SinkConfig{kinds: map[string]load.Config{}}
	nodes := map[string]*yaml.Node{}
	switch {
	case n.Kind == 0, n.Kind == yaml.ScalarNode && n.Tag == "!!null":
	case n.Kind != yaml.MappingNode:
		return s, fmt.Errorf("line %d: sink: want a mapping of settings (type and each sink's block)", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "type" {
			if v.Kind != yaml.ScalarNode {
				return s, fmt.Errorf("line %d: sink.type: want the name of a sink (%s)", v.Line, strings.Join(load.Names(), " or "))
			}
			s.Type = v.Value
			continue
		}
		if _, err := load.Lookup(k.Value); err != nil {
			return s, fmt.Errorf("line %d: sink.%s: unknown sink (known: %s)", k.Line, k.Value, strings.Join(load.Names(), ", "))
		}
		nodes[k.Value] = v
	}
	for _, name := range load.Names() {
		kind, _ := load.Lookup(name)
		cfg := kind.NewConfig()
		if node := nodes[name]; node != nil && !(node.Kind == yaml.ScalarNode && node.Tag == "!!null") {
			if err := strictDecode(node, cfg); err != nil {
				return s, fmt.Errorf("sink.%s: %v", name, err)
			}
		}
		if d, ok := cfg.(load.Defaulter); ok {
			d.ApplyDefaults(lookup)
		}
		s.kinds[name] = cfg
	}
	return s, nil
}
