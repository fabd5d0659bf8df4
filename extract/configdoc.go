package extract

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// ConfigDoc renders docs/config.md: every key of every registered source's
// block in pipelines.yaml, read from the `yaml` and `doc` tags of its
// config struct, with the default its NewConfig sets. A key without a doc
// tag is an error, so a new setting cannot go undocumented.
func ConfigDoc() (string, error) {
	var b strings.Builder
	b.WriteString(`# Source settings

<!-- Generated from the config structs' doc tags by ` + "`make generate`" + `; do not edit. -->

Each source's block under ` + "`sources:`" + ` in ` + "`pipelines.yaml`" + `. A key left out keeps the
default shown (an empty default: none). Values may use ` + "`${VAR}`" + ` and ` + "`${VAR:-default}`" + `.
Durations are written like ` + "`30s`" + ` or ` + "`2h`" + `, sizes like ` + "`512KiB`" + `, ` + "`256MiB`" + ` or ` + "`4GiB`" + `.
` + "`key[].field`" + ` is a field of each item of the list ` + "`key`" + `.
`)
	for _, name := range Names() {
		p, _ := Lookup(name)
		var rows [][4]string
		if err := docRows(&rows, "", reflect.ValueOf(p.NewConfig())); err != nil {
			return "", fmt.Errorf("source %s: %w", name, err)
		}
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n| key | type | default | meaning |\n|---|---|---|---|\n", name, strings.TrimSuffix(p.Doc, "."))
		for _, r := range rows {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r[0], r[1], r[2], cell(r[3]))
		}
	}
	return b.String(), nil
}

var durationType = reflect.TypeFor[time.Duration]()

// docRows appends a row (key, type, default, meaning) per setting of the
// struct v, keys prefixed with prefix. Inline structs add their keys at the
// same level; a nested struct adds its keys under its own.
func docRows(rows *[][4]string, prefix string, v reflect.Value) error {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v = reflect.New(v.Type().Elem())
		}
		v = v.Elem()
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("yaml")
		if !ok || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		fv := v.Field(i)
		if strings.Contains(opts, "inline") {
			if err := docRows(rows, prefix, fv); err != nil {
				return err
			}
			continue
		}
		key, doc := prefix+name, f.Tag.Get("doc")
		ft := f.Type
		if ft.Kind() == reflect.Struct && ft != durationType {
			if doc != "" {
				*rows = append(*rows, [4]string{key, "group", "", doc})
			}
			if err := docRows(rows, key+".", fv); err != nil {
				return err
			}
			continue
		}
		if doc == "" {
			return fmt.Errorf("setting %s (%s.%s) has no doc tag", key, t.Name(), f.Name)
		}
		*rows = append(*rows, [4]string{key, typeName(ft), defaultValue(fv), doc})
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
			if err := docRows(rows, key+"[].", reflect.New(ft.Elem()).Elem()); err != nil {
				return err
			}
		}
	}
	return nil
}

func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "duration"
	case t.Name() == "ByteSize":
		return "size"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "integer"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return "list"
		}
		return "list of " + typeName(t.Elem())
	case reflect.Map:
		return "map of " + typeName(t.Key()) + " to " + typeName(t.Elem())
	}
	return t.Kind().String()
}

// defaultValue renders v as it would be written in pipelines.yaml; a zero
// value renders empty.
func defaultValue(v reflect.Value) string {
	if v.IsZero() || (v.Kind() == reflect.Slice || v.Kind() == reflect.Map) && v.Len() == 0 {
		return ""
	}
	return "`" + cell(yamlValue(v)) + "`"
}

func yamlValue(v reflect.Value) string {
	if d, ok := v.Interface().(time.Duration); ok {
		// 1m0s reads better as 1m, 24h0m0s as 24h.
		s := d.String()
		if strings.HasSuffix(s, "m0s") {
			s = strings.TrimSuffix(s, "0s")
		}
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
		return s
	}
	if s, ok := v.Interface().(fmt.Stringer); ok {
		return s.String()
	}
	switch v.Kind() {
	case reflect.Pointer:
		return yamlValue(v.Elem())
	case reflect.Slice:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = yamlValue(v.Index(i))
		}
		return "[" + strings.Join(items, ", ") + "]"
	case reflect.Struct:
		var items []string
		t := v.Type()
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if name != "" && name != "-" && t.Field(i).IsExported() && !v.Field(i).IsZero() {
				items = append(items, name+": "+yamlValue(v.Field(i)))
			}
		}
		return "{" + strings.Join(items, ", ") + "}"
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int {
			if a.CanInt() && b.CanInt() {
				return int(a.Int() - b.Int())
			}
			return strings.Compare(yamlValue(a), yamlValue(b))
		})
		items := make([]string, len(keys))
		for i, k := range keys {
			items[i] = yamlValue(k) + ": " + yamlValue(v.MapIndex(k))
		}
		return "{" + strings.Join(items, ", ") + "}"
	}
	return fmt.Sprint(v.Interface())
}

// cell keeps a value inside its Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
