package pipeline

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/window"
)

// heldWriterForwards are the optional writer interfaces of package load,
// which the engine and load.CommitWindow find on a writer by type
// assertion: an early run's heldWriter must forward each to the writer it
// begins, or the ability silently stops working in early runs.
var heldWriterForwards = map[string]reflect.Type{
	"Staged":      reflect.TypeFor[load.Staged](),
	"Sealer":      reflect.TypeFor[load.Sealer](),
	"WholeStream": reflect.TypeFor[load.WholeStream](),
}

// notWriterInterfaces are load's other interfaces: no writer implements
// them (abilities.go holds the Config abilities, all of them so).
var notWriterInterfaces = map[string]string{
	"Sink":           "what Begin returns writers from; heldSink embeds it",
	"Writer":         "every writer; heldWriter is one",
	"Config":         "a sink kind's settings",
	"StagingCleaner": "a Sink's: the pipeline asks the real sink, under the lock",
}

// Every exported interface package load declares is either forwarded by
// heldWriter (and the test below proves each method reaches the real
// writer) or listed as no writer's. A new optional writer interface fails
// here until heldWriter forwards it and it joins heldWriterForwards.
func TestHeldWriterForwardsEveryOptionalWriterInterfaceOfLoad(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "load", "*.go"))
	require.NoError(t, err)
	fset := token.NewFileSet()
	var declared []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || filepath.Base(f) == "abilities.go" {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, decl := range file.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.TYPE {
				continue
			}
			for _, spec := range gen.Specs {
				ts := spec.(*ast.TypeSpec)
				if _, isInterface := ts.Type.(*ast.InterfaceType); isInterface && ts.Name.IsExported() {
					declared = append(declared, ts.Name.Name)
				}
			}
		}
	}
	sort.Strings(declared)
	require.Contains(t, declared, "Staged", "the scan reads load's declarations")
	for _, name := range declared {
		if _, ok := notWriterInterfaces[name]; ok {
			continue
		}
		iface, ok := heldWriterForwards[name]
		if !assert.True(t, ok, "load.%s is new: if a writer may implement it, forward it in heldWriter (pipeline/early.go) and add it to heldWriterForwards; if not, add it to notWriterInterfaces", name) {
			continue
		}
		assert.True(t, reflect.TypeFor[*heldWriter]().Implements(iface), "heldWriter does not implement load.%s", name)
	}
	for name := range heldWriterForwards {
		assert.Contains(t, declared, name, "heldWriterForwards lists load.%s, which load no longer declares", name)
	}
}

// Once the gate is open, every method of every forwarded interface called on
// a heldWriter reaches the writer begun on the sink.
func TestHeldWriterForwardsEachMethodToTheRealWriter(t *testing.T) {
	ctx := context.Background()
	for name, iface := range heldWriterForwards {
		require.True(t, reflect.TypeFor[*recordingWriter]().Implements(iface), "recordingWriter must implement load.%s too", name)
		for i := range iface.NumMethod() {
			m := iface.Method(i)
			t.Run(name+"."+m.Name, func(t *testing.T) {
				real := &recordingWriter{}
				g := newGate()
				g.open()
				held, err := (&heldSink{Sink: &beginsWith{w: real}, gate: g}).Begin(ctx, heldTable, window.Window{}, "s.t", "run")
				require.NoError(t, err)
				// As in a run once the lock is won: the real writer begun.
				_, err = held.(*heldWriter).started(ctx)
				require.NoError(t, err)
				fn := reflect.ValueOf(held).MethodByName(m.Name)
				require.True(t, fn.IsValid(), "heldWriter lacks %s", m.Name)
				args := make([]reflect.Value, fn.Type().NumIn())
				for a := range args {
					switch at := fn.Type().In(a); at {
					case reflect.TypeFor[context.Context]():
						args[a] = reflect.ValueOf(ctx)
					case reflect.TypeFor[arrow.Record]():
						rec := idRecord(memory.NewGoAllocator(), "a")
						defer rec.Release()
						args[a] = reflect.ValueOf(rec)
					default:
						args[a] = reflect.Zero(at)
					}
				}
				fn.Call(args)
				assert.Contains(t, real.calls(), m.Name, "heldWriter.%s did not reach the real writer", m.Name)
			})
		}
	}
}

// beginsWith is a sink whose Begin returns w.
type beginsWith struct {
	load.Sink
	w load.Writer
}

func (s *beginsWith) Begin(context.Context, *schemas.Table, window.Window, string, string) (load.Writer, error) {
	return s.w, nil
}

// recordingWriter implements every forwarded interface and records which
// of its methods were called.
type recordingWriter struct {
	mu  sync.Mutex
	got []string
}

func (w *recordingWriter) record(m string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, m)
}

func (w *recordingWriter) calls() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.got...)
}

func (w *recordingWriter) Write(context.Context, arrow.Record) error { w.record("Write"); return nil }
func (w *recordingWriter) Commit(context.Context) error              { w.record("Commit"); return nil }
func (w *recordingWriter) Abort(context.Context) error               { w.record("Abort"); return nil }
func (w *recordingWriter) Prepare(context.Context) error             { w.record("Prepare"); return nil }
func (w *recordingWriter) Swap(context.Context) error                { w.record("Swap"); return nil }
func (w *recordingWriter) Seal(context.Context) error                { w.record("Seal"); return nil }
func (w *recordingWriter) ReplaceWholeStream()                       { w.record("ReplaceWholeStream") }
