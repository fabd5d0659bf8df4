package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	etl "github.com/adoptionlabs/etl"
	"github.com/adoptionlabs/etl/config"
	"github.com/adoptionlabs/etl/extract"
	_ "github.com/adoptionlabs/etl/extract/all"
	"github.com/adoptionlabs/etl/load"
	_ "github.com/adoptionlabs/etl/load/all"
)

// Each source's sample.yaml is its declarations written out: every setting
// with its default, the env vars it reads, a streams line naming its
// streams; the default pipelines.yaml carries the same block. A setting, a
// default, an env var or a stream changed in code and not in the sample (or
// the reverse) fails here.
func TestSamplesAgreeWithDeclarations(t *testing.T) {
	var pipelines struct {
		Sources map[string]any `yaml:"sources"`
	}
	require.NoError(t, yaml.Unmarshal(etl.DefaultConfig, &pipelines))
	require.ElementsMatch(t, extract.Names(), keys(pipelines.Sources), "pipelines.yaml has one block per registered source")

	generated, err := config.WithSources(etl.DefaultConfig)
	require.NoError(t, err)
	assert.Equal(t, string(generated), string(etl.DefaultConfig), "pipelines.yaml's sources: section is the samples, word for word: run make generate")

	for _, name := range extract.Names() {
		t.Run(name, func(t *testing.T) {
			p, _ := extract.Lookup(name)
			file := filepath.Join("..", "extract", name, "sample.yaml")
			text, err := os.ReadFile(file)
			require.NoError(t, err, "every source folder has a sample.yaml")

			var sample map[string]any
			require.NoError(t, yaml.Unmarshal(text, &sample))
			require.Equal(t, []string{name}, keys(sample), "%s holds the one block sources.%s", file, name)
			assert.Equal(t, sample[name], pipelines.Sources[name], "pipelines.yaml's sources.%s differs from %s: copy the sample's block", name, file)
			assert.Equal(t, string(text), string(p.Sample), "the plugin embeds %s", file)

			// Unknown keys fail the strict decode; with no env var set the
			// sample decodes to exactly the declared defaults.
			noEnv := func(string) (string, bool) { return "", false }
			cfg, err := config.Load(file, append([]byte("version: 1\nsources:\n"), indent(text)...), noEnv)
			require.NoError(t, err)
			got := cfg.Source(name).Config
			marked := markedNotDefault(t, text, name)
			defs, have := asMap(t, p.NewConfig()), asMap(t, got)
			for _, k := range keys(merge(defs, have)) {
				if assert.ObjectsAreEqual(defs[k], have[k]) {
					assert.False(t, marked[k], "%s: %s is marked \"not the default\" but holds the default", file, k)
					continue
				}
				assert.True(t, marked[k], "%s: %s is %v, not the declared default %v: make them agree (or say \"not the default\" in its comment)", file, k, have[k], defs[k])
			}

			// Every setting whose default is not empty is written out.
			defaults, err := yaml.Marshal(p.NewConfig())
			require.NoError(t, err)
			var declared map[string]any
			require.NoError(t, yaml.Unmarshal(defaults, &declared))
			for _, path := range nonEmptyPaths(declared, "") {
				assert.True(t, hasPath(sample[name], path), "%s lacks %s (declared with a default)", file, path)
			}

			// Env vars: each declared one fills its setting, and the sample
			// reads no other.
			block, err := yaml.Marshal(sample[name])
			require.NoError(t, err)
			var read []string
			for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(string(block), -1) {
				read = append(read, m[1])
			}
			var names []string
			for _, v := range p.Env {
				names = append(names, v.Name)
				val, ok := valueAt(sample[name], v.Setting)
				assert.True(t, ok && strings.Contains(fmt.Sprint(val), "${"+v.Name), "%s: %s is declared for %s, but that setting does not read it", file, v.Name, v.Setting)
			}
			assert.ElementsMatch(t, names, read, "%s reads exactly the env vars its plugin declares (extract.Plugin.Env)", file)

			// Streams: the sample opens the declared streams, and its
			// streams line names only declared ones.
			want, err := p.NewConfig().Open(extract.Env{})
			require.NoError(t, err)
			opened, err := got.Open(extract.Env{})
			require.NoError(t, err)
			if len(marked) == 0 {
				assert.Equal(t, extract.StreamNames(want), extract.StreamNames(opened), "%s opens the declared streams", file)
			} else {
				assert.Subset(t, extract.StreamNames(opened), extract.StreamNames(want), "%s opens every declared stream", file)
			}
			line := regexp.MustCompile(`(?m)^\s*#?\s*streams:\s*\[([^\]]*)\]`).FindSubmatch(text)
			require.NotNil(t, line, "%s has a (commented) streams: [...] line", file)
			for _, s := range strings.Split(string(line[1]), ",") {
				assert.Contains(t, extract.StreamNames(want), strings.TrimSpace(s), "%s's streams line", file)
			}
		})
	}
}

// Each sink's sample.yaml is its settings written out: every setting with
// a default shows it, and with no env var set the sample decodes to exactly
// what the kind declares. The default pipelines.yaml's sink: section is the
// samples, word for word, under a type line naming the default kind.
func TestSinkSamplesAgreeWithDeclarations(t *testing.T) {
	var pipelines struct {
		Sink map[string]any `yaml:"sink"`
	}
	require.NoError(t, yaml.Unmarshal(etl.DefaultConfig, &pipelines))
	def, ok := load.Default()
	require.True(t, ok)
	assert.Equal(t, def.Name, pipelines.Sink["type"])
	assert.ElementsMatch(t, append(load.Names(), "type"), keys(pipelines.Sink), "pipelines.yaml has one block per registered sink")
	generated, err := config.WithSink(etl.DefaultConfig)
	require.NoError(t, err)
	assert.Equal(t, string(generated), string(etl.DefaultConfig), "pipelines.yaml's sink: section is the samples, word for word: run make generate")

	noEnv := func(string) (string, bool) { return "", false }
	for _, name := range load.Names() {
		t.Run(name, func(t *testing.T) {
			k, _ := load.Lookup(name)
			file := filepath.Join("..", "load", name, "sample.yaml")
			text, err := os.ReadFile(file)
			require.NoError(t, err, "every sink folder has a sample.yaml")
			assert.Equal(t, string(text), string(k.Sample), "the kind embeds %s", file)
			var sample map[string]any
			require.NoError(t, yaml.Unmarshal(text, &sample))
			require.Equal(t, []string{name}, keys(sample), "%s holds the one block sink.%s", file, name)
			assert.Equal(t, sample[name], pipelines.Sink[name], "pipelines.yaml's sink.%s differs from %s: run make generate", name, file)

			cfg, err := config.Load(file, append([]byte("version: 1\nsink:\n"), indent(text)...), noEnv)
			require.NoError(t, err)
			want := k.NewConfig()
			if d, ok := want.(load.Defaulter); ok {
				d.ApplyDefaults(noEnv)
			}
			assert.Equal(t, asMap(t, want), asMap(t, cfg.Sink.Settings(name)), "%s decodes to the declared defaults", file)
			for _, path := range nonEmptyPaths(asMap(t, k.NewConfig()), "") {
				assert.True(t, hasPath(sample[name], path), "%s lacks %s (declared with a default)", file, path)
			}
		})
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func indent(b []byte) []byte {
	lines := strings.SplitAfter(string(b), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			lines[i] = "  " + l
		}
	}
	return []byte(strings.Join(lines, ""))
}

// nonEmptyPaths lists the dotted paths of the leaves that hold a value.
func nonEmptyPaths(v any, prefix string) []string {
	switch v := v.(type) {
	case map[string]any:
		var out []string
		for k, sub := range v {
			out = append(out, nonEmptyPaths(sub, strings.TrimPrefix(prefix+"."+k, "."))...)
		}
		return out
	case []any:
		if len(v) == 0 {
			return nil
		}
	case nil:
		return nil
	}
	if v == "" || v == 0 || v == false {
		return nil
	}
	return []string{prefix}
}

func valueAt(v any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

func hasPath(v any, path string) bool {
	_, ok := valueAt(v, path)
	return ok
}

// markedNotDefault lists the top-level keys of the source's block whose
// comment says "not the default": a sample may show an example (technowiz's
// required filters) or the project's choice where it differs from the
// declared default, but must say so.
func markedNotDefault(t *testing.T, text []byte, source string) map[string]bool {
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(text, &doc))
	block, ok := child(doc.Content[0], source)
	require.True(t, ok)
	out := map[string]bool{}
	for i := 0; i+1 < len(block.Content); i += 2 {
		k, v := block.Content[i], block.Content[i+1]
		if strings.Contains(k.HeadComment+k.LineComment+v.LineComment, "not the default") {
			out[k.Value] = true
		}
	}
	return out
}

func child(n *yaml.Node, key string) (*yaml.Node, bool) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1], true
		}
	}
	return nil, false
}

// asMap is a config as its YAML settings.
func asMap(t *testing.T, cfg any) map[string]any {
	b, err := yaml.Marshal(cfg)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, yaml.Unmarshal(b, &out))
	return out
}

func merge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
