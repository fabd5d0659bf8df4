package parquet

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/views"
)

// Config is the sink's block of pipelines.yaml, sink.parquet.
type Config struct {
	Dir         string `yaml:"dir" doc:"directory the tables are written under, in the Hive layout DIR/TABLE/dt=YYYY-MM-DD/part-*.parquet, with their state in DIR/_etl (--out)"`
	Compression string `yaml:"compression" doc:"the files' codec: zstd-fast, zstd (1-4% smaller files, 10-45% more writer CPU), snappy (~40% larger files, less CPU) or none"`
}

// NewConfig returns the defaults.
func NewConfig() *Config { return &Config{Dir: defaultDir, Compression: "zstd-fast"} }

// defaultDir is where the files go unless dir or --out says otherwise.
const defaultDir = "./data"

var (
	_ load.Config        = (*Config)(nil)
	_ load.Defaulter     = (*Config)(nil)
	_ load.OutSetter     = (*Config)(nil)
	_ load.StateKeeper   = (*Config)(nil)
	_ load.Migrator      = (*Config)(nil)
	_ load.RowCounter    = (*Config)(nil)
	_ load.ReservedNames = (*Config)(nil)
	_ load.QueryHinter   = (*Config)(nil)
	_ load.Viewable      = (*Config)(nil)
)

// ApplyDefaults keeps an empty dir (dir: ${VAR:-} with VAR unset) on the
// default directory.
func (c *Config) ApplyDefaults(func(string) (string, bool)) {
	if c.Dir == "" {
		c.Dir = defaultDir
	}
}

// Check needs a directory and a codec it knows.
func (c *Config) Check() error {
	if strings.TrimSpace(c.Dir) == "" {
		return fmt.Errorf("sink parquet needs a directory: --out DIR or sink.parquet.dir")
	}
	_, err := Codec(c.Compression)
	return err
}

// Destination is the directory's absolute path: the same range into
// another directory is another backfill plan, with watermarks of its own.
func (c *Config) Destination() (string, error) {
	abs, err := absDir(c.Dir)
	if err != nil {
		return "", err
	}
	return "parquet:" + abs, nil
}

// Place names the directory as the settings do.
func (c *Config) Place() string { return "Parquet under " + c.Dir }

// Open opens the sink on the directory.
func (c *Config) Open(_ context.Context, env load.Env) (load.Sink, error) {
	codec, err := Codec(c.Compression)
	if err != nil {
		return nil, err
	}
	s, err := New(c.Dir, Options{Logger: env.Logger, Compression: codec})
	if err != nil {
		return nil, fmt.Errorf("parquet sink at %s: %w", c.Dir, err)
	}
	return s, nil
}

// SetOut sets the directory.
func (c *Config) SetOut(out string) { c.Dir = out }

// OutUsage is --out's help.
func (c *Config) OutUsage() string { return "Parquet output directory (default: sink.parquet.dir)" }

// StateHome is StateDir beside the tables: progress belongs to the
// directory it describes.
func (c *Config) StateHome() (load.StateHome, error) {
	abs, err := absDir(c.Dir)
	if err != nil {
		return load.StateHome{}, err
	}
	return load.StateHome{Dir: filepath.Join(abs, StateDir)}, nil
}

// Migrate converts the merge tables an earlier release laid out by the day
// of a column that moves (Sink.Migrate), naming them; a directory that does
// not exist yet, or whose tables are all in today's layout, is left as it is.
func (c *Config) Migrate(ctx context.Context, env load.MigrateEnv) error {
	abs, err := absDir(c.Dir)
	if err != nil {
		return err
	}
	var convert []*schemas.Table
	for _, t := range env.Tables {
		if t.Disposition != schemas.Merge {
			continue
		}
		ok, err := inLayout(filepath.Join(abs, t.Name), layoutOf(t))
		if err != nil {
			return fmt.Errorf("table %s: %w", t.Name, err)
		}
		if !ok {
			convert = append(convert, t)
		}
	}
	if len(convert) == 0 {
		_, err := fmt.Fprintf(env.Out, "%s: nothing to migrate\n", c.Place())
		return err
	}
	sink, err := c.Open(ctx, env.Env)
	if err != nil {
		return err
	}
	s := sink.(*Sink)
	defer s.Close()
	if err := s.Migrate(ctx, convert); err != nil {
		return err
	}
	for _, t := range convert {
		where := "one set of files"
		if l := layoutOf(t); l.key != "" {
			where = l.key + "= partitions"
		}
		if _, err := fmt.Fprintf(env.Out, "%s: %s converted to one row per key, in %s\n", c.Place(), t.Name, where); err != nil {
			return err
		}
	}
	return nil
}

// CountRows reads the files' footers as they are, without the directory's
// lock.
func (c *Config) CountRows(_ context.Context, _ load.Env, table string) (int64, error) {
	return CountRows(c.Dir, table)
}

// ReservedTables is the state directory, which sits beside the tables.
func (c *Config) ReservedTables() map[string]string {
	return map[string]string{StateDir: "the directory of etl's state (watermarks, backfill plans, run lock) beside the Parquet tables"}
}

// ReservedPrefixes is none: the private directories start with a dot,
// which no table name does.
func (c *Config) ReservedPrefixes() map[string]string { return nil }

// StoredAs is nothing: a table is its own directory.
func (c *Config) StoredAs(*schemas.Table) []load.StoredName { return nil }

// ViewDialect is DuckDB's, which reads the files.
func (c *Config) ViewDialect() views.Dialect { return views.DuckDB }

// ViewPlace is the directory DuckDB's views read.
func (c *Config) ViewPlace() string { return c.Dir }

func absDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("parquet directory %s: %w", dir, err)
	}
	return filepath.Clean(abs), nil
}
