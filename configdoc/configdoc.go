// Package configdoc renders the reference of a plugin's settings from its
// config struct: every key of its block in pipelines.yaml, read from the
// struct's `yaml` and `doc` tags, with the default its constructor sets.
// Sources and sinks alike are documented this way (docs/config.md).
package configdoc

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Row is one setting: its key in the block (dotted under a nested
// group, key[].field in the items of a list), its type, its default as
// written in pipelines.yaml ("" when empty) and what it means.
type Row struct{ Key, Type, Default, Doc string }

// Rows reads the settings of a config struct (or a pointer to one) from its
// `yaml` and `doc` tags, with the values cfg holds as their defaults. A
// setting without a doc tag is an error, so a new setting cannot go
// undocumented.
func Rows(cfg any) ([]Row, error) {
	var rows []Row
	err := docRows(&rows, "", reflect.ValueOf(cfg))
	return rows, err
}

// Table renders rows as a Markdown table.
func Table(rows []Row) string {
	var b strings.Builder
	b.WriteString("| key | type | default | meaning |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.Key, r.Type, r.Default, cell(r.Doc))
	}
	return b.String()
}

var durationType = reflect.TypeFor[time.Duration]()

// docRows appends a row (key, type, default, meaning) per setting of the
// struct v, keys prefixed with prefix. Inline structs add their keys at the
// same level; a nested struct adds its keys under its own.
func docRows(rows *[]Row, prefix string, v reflect.Value) error {
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
				*rows = append(*rows, Row{key, "group", "", doc})
			}
			if err := docRows(rows, key+".", fv); err != nil {
				return err
			}
			continue
		}
		if doc == "" {
			return fmt.Errorf("setting %s (%s.%s) has no doc tag", key, t.Name(), f.Name)
		}
		*rows = append(*rows, Row{key, typeName(ft), defaultValue(fv), doc})
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
