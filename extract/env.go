package extract

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/adoptionlabs/etl/engine"
)

// EnvVar is an environment variable a source's sample.yaml reads into one of
// its settings (`${NAME}` or `${NAME:-default}`). A source declares the list
// once (Plugin.Env): Missing, the sandbox's Env, the tests' clean environment
// and the sample.yaml agreement test all read it, so no list of names is kept
// anywhere else.
type EnvVar struct {
	Name string
	// Setting is the YAML path the variable fills, e.g. "base_url" or
	// "v1.base_url".
	Setting string
	// Required: the source is skipped, with one line naming the variable,
	// while the setting is blank.
	Required bool
}

// EnvNames lists the variables every registered source reads, sorted by
// source.
func EnvNames() []string {
	var out []string
	for _, name := range Names() {
		p, _ := Lookup(name)
		for _, v := range p.Env {
			out = append(out, v.Name)
		}
	}
	return out
}

// Missing names the required variables whose setting is blank in cfg (a
// config struct or a pointer to one, read by its yaml tags).
func Missing(cfg any, vars []EnvVar) []string {
	var out []string
	for _, v := range vars {
		if !v.Required {
			continue
		}
		val, ok := Setting(cfg, v.Setting)
		if !ok {
			panic(fmt.Sprintf("extract: env var %s names setting %q, which the config does not have", v.Name, v.Setting))
		}
		if strings.TrimSpace(val) == "" {
			out = append(out, v.Name)
		}
	}
	return out
}

// SandboxEnv turns a fake's values, keyed by setting, into the variables
// that carry them. A setting no variable is declared for panics: the fake
// would set a variable sample.yaml never reads.
func SandboxEnv(vars []EnvVar, values map[string]string) map[string]string {
	out := make(map[string]string, len(values))
	for setting, val := range values {
		found := false
		for _, v := range vars {
			if v.Setting == setting {
				out[v.Name] = val
				found = true
			}
		}
		if !found {
			panic(fmt.Sprintf("extract: the sandbox sets %q, for which no env var is declared", setting))
		}
	}
	return out
}

// Setting returns the string form of the setting at a dotted YAML path of
// cfg (inline structs are followed); ok is false when there is none.
func Setting(cfg any, path string) (string, bool) {
	v := reflect.ValueOf(cfg)
	for _, key := range strings.Split(path, ".") {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return "", false
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return "", false
		}
		f, ok := fieldByYAML(v, key)
		if !ok {
			return "", false
		}
		v = f
	}
	if v.Kind() == reflect.String {
		return v.String(), true
	}
	return fmt.Sprint(v.Interface()), true
}

func fieldByYAML(v reflect.Value, key string) (reflect.Value, bool) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if strings.Contains(opts, "inline") {
			if got, ok := fieldByYAML(v.Field(i), key); ok {
				return got, true
			}
			continue
		}
		if name == key {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// StreamNames lists the names of declared streams, in order.
func StreamNames(streams []*engine.Stream) []string {
	out := make([]string, len(streams))
	for i, s := range streams {
		out[i] = s.Name
	}
	return out
}

// Pick keeps the streams named in a source's `streams:` setting, in
// declaration order; an empty setting keeps them all.
func Pick(streams []*engine.Stream, names []string) []*engine.Stream {
	if len(names) == 0 {
		return streams
	}
	var out []*engine.Stream
	for _, s := range streams {
		for _, n := range names {
			if s.Name == n {
				out = append(out, s)
				break
			}
		}
	}
	return out
}
