// Package config loads pipelines.yaml: ${VAR} and ${VAR:-default} taken from
// the environment, strict decoding (an unknown key is an error with its
// line), and each source's block decoded into that source's own settings.
package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/window"
)

// File is pipelines.yaml.
type File struct {
	Version int `yaml:"version"`
	// Sink holds sink.type and each sink kind's block, decoded by the kind.
	Sink  yaml.Node `yaml:"sink"`
	Run   RunConfig `yaml:"run"`
	State State     `yaml:"state"`
	// Sources holds each source's block, decoded by the source.
	Sources map[string]yaml.Node `yaml:"sources"`
}

// RunConfig tunes runs.
type RunConfig struct {
	BatchRows int `yaml:"batch_rows"`
	Parallel  int `yaml:"parallel"`
	// Nightly runs: how far back to re-pull and how long to wait for a day
	// to settle at the vendor, and the first run's period.
	Lookback      Duration `yaml:"lookback"`
	SettleLag     Duration `yaml:"settle_lag"`
	InitialPeriod Duration `yaml:"initial_period"`
	ReportPath    string   `yaml:"report_path"`
	MetricsFile   string   `yaml:"metrics_file"`
}

// State configures where watermarks and locks live.
type State struct {
	// Dir, when set (or ETL_STATE_DIR), keeps file state there instead of
	// beside the data, one directory per destination under it; empty:
	// the sink's own place (<out>/_etl for Parquet).
	Dir     string   `yaml:"dir"`
	LockTTL Duration `yaml:"lock_ttl"`
	// Location is auto (the sink's own store when it keeps one, else
	// file), file, or the name of the sink kind whose store keeps it.
	Location string `yaml:"location"`
}

// Duration is a whole number of days (0d, 2d, 7d), or for lock_ttl any Go
// duration (6h).
type Duration struct{ time.Duration }

// UnmarshalYAML accepts "3d" as well as "72h".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimSpace(n.Value)
	if v, err := window.ParseDayCount(s); err == nil {
		d.Duration = v
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration (use 0d, 1d, 7d or 12h)", n.Line, s)
	}
	d.Duration = v
	return nil
}

// Source is one configured source.
type Source struct {
	Name    string
	Enabled bool
	Plugin  extract.Plugin
	Config  extract.Config
}

// Config is the loaded, validated configuration.
type Config struct {
	Path    string
	Sink    SinkConfig
	Run     RunConfig
	State   State
	Sources []*Source
	// refs are the variables each setting reads, by dotted path
	// ("sources.userflow.api_key": [USERFLOW_API_KEY]).
	refs map[string][]string
}

// Secrets lists every credential value so logs and errors can redact them.
func (c *Config) Secrets() []string {
	var out []string
	for _, s := range c.Sources {
		for _, v := range s.Config.Secrets() {
			if v != "" {
				out = append(out, v)
			}
		}
	}
	for _, kind := range load.Names() {
		if sl, ok := c.Sink.Settings(kind).(load.SecretLister); ok {
			for _, v := range sl.Secrets() {
				if v != "" {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// Source returns the named source.
func (c *Config) Source(name string) *Source {
	for _, s := range c.Sources {
		if s.Name == name {
			return s
		}
	}
	return nil
}

var envRef = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// Interpolate replaces ${VAR} and ${VAR:-default}; $$ is a literal $.
func Interpolate(s string, lookup func(string) (string, bool)) string {
	return envRef.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		g := envRef.FindStringSubmatch(m)
		if v, ok := lookup(g[1]); ok && v != "" {
			return v
		}
		return g[3]
	})
}

// badRef returns the first ${ of s that is not a whole ${VAR} or
// ${VAR:-default} ("" when there is none). Left alone, an unclosed
// ${USERFLOW_API_KEY would be sent to the API as the key itself.
func badRef(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			continue
		}
		switch s[i+1] {
		case '$':
			i++
		case '{':
			loc := envRef.FindStringIndex(s[i:])
			if loc == nil || loc[0] != 0 {
				ref := s[i:]
				// Only the name is shown: what follows may be a literal secret.
				if n := strings.IndexFunc(ref[2:], func(r rune) bool { return !isNameRune(r) }); n >= 0 {
					if ref[2+n] == '}' {
						n++
					}
					ref = ref[:2+n]
				}
				return ref
			}
			i += loc[1] - 1
		}
	}
	return ""
}

func isNameRune(r rune) bool {
	return r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
}

// interpolateNode fills every scalar's ${...} references, recording in
// refs the variables each setting (by its dotted path) reads; a malformed
// reference is an error naming its line.
func interpolateNode(n *yaml.Node, path string, lookup func(string) (string, bool), refs map[string][]string) error {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!binary" {
		if ref := badRef(n.Value); ref != "" {
			at := ""
			if i := strings.LastIndexByte(path, '.'); path != "" {
				at = path[i+1:] + ": "
			}
			what := "is not a reference (a NAME is letters, digits and _, not starting with a digit)"
			if !strings.Contains(n.Value[strings.Index(n.Value, ref):], "}") {
				what = "has no closing }"
			}
			return fmt.Errorf("line %d: %s%s %s: write ${NAME} or ${NAME:-default} ($$ for a literal $)", n.Line, at, ref, what)
		}
		for _, m := range envRef.FindAllStringSubmatch(n.Value, -1) {
			if m[1] != "" {
				refs[path] = append(refs[path], m[1])
			}
		}
		if v := Interpolate(n.Value, lookup); v != n.Value {
			n.Value = v
			// An env value is data: never let it turn into another YAML type
			// than the field asks for (decode will convert as needed).
			if n.Tag == "!!null" {
				n.Tag = "!!str"
			}
		}
	}
	for i, c := range n.Content {
		p := path
		if n.Kind == yaml.MappingNode && i%2 == 1 {
			p = strings.TrimPrefix(path+"."+n.Content[i-1].Value, ".")
		}
		if err := interpolateNode(c, p, lookup, refs); err != nil {
			return err
		}
	}
	return nil
}

// Error is a configuration problem: the CLI exits 2 on it.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// errorf builds a one-line message: yaml's multi-line "unmarshal errors"
// become "; "-separated so a scheduler's log keeps them on one line.
func errorf(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	msg = strings.ReplaceAll(msg, "yaml: unmarshal errors:\n  ", "")
	msg = strings.ReplaceAll(msg, "\n  ", "; ")
	return &Error{Msg: strings.TrimSpace(strings.ReplaceAll(msg, "\n", " "))}
}

// IsConfigError reports whether err is a configuration problem.
func IsConfigError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// Load reads and validates a pipelines.yaml. path is used in messages.
func Load(path string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, errorf("%s: %v", path, err)
	}
	if len(root.Content) == 0 {
		return nil, errorf("%s: empty file", path)
	}
	refs := map[string][]string{}
	if err := interpolateNode(&root, "", lookup, refs); err != nil {
		return nil, errorf("%s: %v", path, err)
	}
	var f File
	if err := strictDecode(&root, &f); err != nil {
		return nil, errorf("%s: %v", path, err)
	}
	if f.Version != 1 {
		return nil, errorf("%s: version: want 1, got %d", path, f.Version)
	}
	sink, err := decodeSink(&f.Sink, lookup)
	if err != nil {
		return nil, errorf("%s: %v", path, err)
	}
	cfg := &Config{Path: path, Sink: sink, Run: f.Run, State: f.State, refs: refs}
	if cfg.State.Dir == "" {
		cfg.State.Dir, _ = lookup("ETL_STATE_DIR")
	}
	cfg.applyDefaults()
	if err := cfg.validate(); err != nil {
		return nil, errorf("%s: %v", path, err)
	}
	names := make([]string, 0, len(f.Sources))
	for n := range f.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	nodes, lines := map[string]*yaml.Node{}, map[string]int{}
	for _, name := range names {
		node := f.Sources[name]
		lines[name] = node.Line
		p, ok := extract.Lookup(name)
		if !ok {
			return nil, errorf("%s: line %d: sources.%s: unknown source (known: %s)", path, node.Line, name, strings.Join(extract.Names(), ", "))
		}
		enabled, err := popEnabled(&node)
		if err != nil {
			return nil, errorf("%s: sources.%s: %v", path, name, err)
		}
		sc := p.NewConfig()
		if err := strictDecode(&node, sc); err != nil {
			return nil, errorf("%s: sources.%s: %v", path, name, err)
		}
		if enabled {
			if err := sc.Validate(); err != nil {
				return nil, errorf("%s: sources.%s: %v", path, name, err)
			}
		}
		cfg.Sources = append(cfg.Sources, &Source{Name: name, Enabled: enabled, Plugin: p, Config: sc})
		nodes[name] = &node
	}
	if err := checkTableNames(path, cfg.Sources, nodes, lines, &cfg.Sink); err != nil {
		return nil, err
	}
	return cfg, nil
}

// popEnabled removes the generic `enabled` key so the source's own settings
// decode strictly.
func popEnabled(n *yaml.Node) (bool, error) {
	if n.Kind != yaml.MappingNode {
		if n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
			*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			return true, nil
		}
		return false, fmt.Errorf("line %d: want a mapping of settings", n.Line)
	}
	enabled := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "enabled" {
			if err := n.Content[i+1].Decode(&enabled); err != nil {
				return false, fmt.Errorf("line %d: enabled: want true or false", n.Content[i+1].Line)
			}
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
			break
		}
	}
	return enabled, nil
}

// strictDecode decodes a node, rejecting keys the target does not declare.
// It checks keys on the node tree itself (not on a re-marshalled copy) so
// that every line it reports is the file's own.
func strictDecode(n *yaml.Node, out any) error {
	if err := unknownKeys(n, reflect.TypeOf(out)); err != nil {
		return err
	}
	return n.Decode(out)
}

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

func unknownKeys(n *yaml.Node, t reflect.Type) error {
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			if err := unknownKeys(c, t); err != nil {
				return err
			}
		}
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeOf(yaml.Node{}) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil // a type mismatch: Decode reports it with its line
		}
		fields := map[string]reflect.Type{}
		collectFields(t, fields)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				return fmt.Errorf("line %d: field %s not found in %s", k.Line, k.Value, t.Name())
			}
			if err := unknownKeys(v, ft); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 1; i < len(n.Content); i += 2 {
				if err := unknownKeys(n.Content[i], t.Elem()); err != nil {
					return err
				}
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				if err := unknownKeys(c, t.Elem()); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// collectFields maps yaml keys to field types, flattening `,inline` structs.
func collectFields(t reflect.Type, into map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collectFields(ft, into)
				continue
			}
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		into[name] = f.Type
	}
}

func (c *Config) applyDefaults() {
	if k, ok := load.Default(); ok && c.Sink.Type == "" {
		c.Sink.Type = k.Name
	}
	if c.Run.BatchRows == 0 {
		c.Run.BatchRows = engine.DefaultBatchRows
	}
	if c.Run.Parallel == 0 {
		c.Run.Parallel = 4
	}
	if c.Run.InitialPeriod.Duration == 0 {
		c.Run.InitialPeriod.Duration = 24 * time.Hour
	}
	if c.State.LockTTL.Duration == 0 {
		c.State.LockTTL.Duration = 6 * time.Hour
	}
	if c.State.Location == "" {
		c.State.Location = "auto"
	}
}

func (c *Config) validate() error {
	// Unset with no default kind linked (a program that only reads the
	// sources' blocks) is not an error until something opens the sink.
	if c.Sink.Type != "" && c.Sink.Settings(c.Sink.Type) == nil {
		return fmt.Errorf("sink.type: %q is not a sink (want %s)", c.Sink.Type, strings.Join(load.Names(), " or "))
	}
	if c.Run.BatchRows < 100 || c.Run.BatchRows > 1_000_000 {
		return fmt.Errorf("run.batch_rows: %d is outside 100..1000000", c.Run.BatchRows)
	}
	if c.Run.Parallel < 1 || c.Run.Parallel > 64 {
		return fmt.Errorf("run.parallel: %d is outside 1..64", c.Run.Parallel)
	}
	if loc := c.State.Location; loc != "auto" && loc != "file" && c.Sink.Settings(loc) == nil {
		return fmt.Errorf("state.location: %q (want auto, file or a sink: %s)", loc, strings.Join(load.Names(), ", "))
	}
	return nil
}
