package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
)

// internalPrefix is where etl's own tables live, so that a table etl adds
// tomorrow cannot collide with a report configured today.
const internalPrefix = "etl_"

// reservedName says why a stream may not use name as a table, or "" when
// it may: etl's rejects table, a name a sink keeps for itself or a prefix
// it makes and drops (every kind's, as --sink may pick any), or etl's own
// prefix.
func (s *SinkConfig) reservedName(name string) string {
	if name == schemas.Rejects.Name {
		return "it is etl's rejects table"
	}
	var named []load.ReservedNames
	for _, kind := range load.Names() {
		if rn, ok := s.Settings(kind).(load.ReservedNames); ok {
			named = append(named, rn)
		}
	}
	for _, rn := range named {
		if what, ok := rn.ReservedTables()[name]; ok {
			return "it is " + what
		}
	}
	for _, rn := range named {
		prefixes := rn.ReservedPrefixes()
		for _, p := range slices.Sorted(maps.Keys(prefixes)) {
			if strings.HasPrefix(name, p) {
				return fmt.Sprintf("the prefix %s is reserved for %s", p, prefixes[p])
			}
		}
	}
	if strings.HasPrefix(name, internalPrefix) {
		return fmt.Sprintf("the prefix %s is reserved for etl's own tables", internalPrefix)
	}
	return ""
}

// tableUser is one declared user of a table name.
type tableUser struct {
	source string
	what   string // e.g. "whatfix stream report_usage (table userflow_users)"
	table  *schemas.Table
}

// checkTableNames refuses two users of one table name across all sources,
// counting the <t>_raw storage tables of merge tables and etl's own tables:
// both would land in one table (or one Parquet dataset) with two schemas.
// Every stream of a source counts, selected by streams: or not, and so do
// the default streams of sources the file does not configure, because
// `etl migrate` creates all of their tables (sql/). So do the other names
// a sink stores a table under (load.ReservedNames.StoredAs: on a
// ClickHouse cluster the <t>_local table holding its rows).
func checkTableNames(path string, sources []*Source, nodes map[string]*yaml.Node, keyLines map[string]int, sink *SinkConfig) error {
	users := map[string]tableUser{}
	var all []*Source
	for _, name := range extract.Names() {
		if _, configured := nodes[name]; !configured {
			p, _ := extract.Lookup(name)
			all = append(all, &Source{Name: name, Plugin: p, Config: p.NewConfig()})
		}
	}
	all = append(all, sources...)
	for _, src := range all {
		streams, err := allStreams(src, nodes[src.Name])
		if err != nil {
			if !src.Enabled {
				continue // never opened, so it declares nothing
			}
			return errorf("%s: sources.%s: %v", path, src.Name, err)
		}
		for _, st := range streams {
			for _, t := range st.Tables {
				names := []load.StoredName{{Name: t.Name}}
				for _, kind := range load.Names() {
					if rn, ok := sink.Settings(kind).(load.ReservedNames); ok {
						names = append(names, rn.StoredAs(t)...)
					}
				}
				for _, stored := range names {
					name := stored.Name
					u := tableUser{source: src.Name, table: t, what: fmt.Sprintf("%s stream %s (table %s)", src.Name, st.Name, t.Name)}
					if stored.What != "" {
						u.what = fmt.Sprintf("%s stream %s (%s, %s)", src.Name, st.Name, name, stored.What)
					}
					if _, configured := nodes[src.Name]; !configured {
						u.what += fmt.Sprintf(" (%s is not configured here, but etl migrate creates its tables)", src.Name)
					}
					line := tableLine(nodes[src.Name], t.Name, keyLines[src.Name])
					if why := sink.reservedName(name); why != "" {
						return errorf("%s: line %d: sources.%s: %s cannot use the name %s: %s; set another table name", path, line, src.Name, u.what, name, why)
					}
					prev, taken := users[name]
					if !taken {
						users[name] = u
						continue
					}
					if prev.table == t {
						continue // one declaration shared by two streams of a source
					}
					if l, ok := explicitTableLine(nodes[prev.source], prev.table.Name); ok && !hasExplicitTable(nodes[src.Name], t.Name) {
						line = l
					}
					return errorf("%s: line %d: table name %s is used by both %s and %s: their rows would mix in one table with two schemas; set another table name for one of them",
						path, line, name, prev.what, u.what)
				}
			}
		}
	}
	return nil
}

// allStreams declares every stream of a source, ignoring its streams:
// selection, by decoding its block again without that key. Open makes no
// request.
func allStreams(src *Source, node *yaml.Node) ([]*engine.Stream, error) {
	sc := src.Config
	if node != nil {
		all := *node
		all.Content = nil
		for i := 0; i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value != "streams" {
				all.Content = append(all.Content, node.Content[i], node.Content[i+1])
			}
		}
		sc = src.Plugin.NewConfig()
		if err := strictDecode(&all, sc); err != nil {
			return nil, err
		}
	}
	return sc.Open(extract.Env{})
}

// explicitTableLine finds a `table: <name>` setting in a source's block.
func explicitTableLine(n *yaml.Node, name string) (int, bool) {
	if n == nil {
		return 0, false
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k, v := n.Content[i], n.Content[i+1]; k.Value == "table" && v.Kind == yaml.ScalarNode && v.Value == name {
				return v.Line, true
			}
		}
	}
	for _, c := range n.Content {
		if l, ok := explicitTableLine(c, name); ok {
			return l, true
		}
	}
	return 0, false
}

func hasExplicitTable(n *yaml.Node, name string) bool {
	_, ok := explicitTableLine(n, name)
	return ok
}

// tableLine is the line that sets a table's name, else the source's line.
func tableLine(n *yaml.Node, name string, fallback int) int {
	if l, ok := explicitTableLine(n, name); ok {
		return l
	}
	return fallback
}
