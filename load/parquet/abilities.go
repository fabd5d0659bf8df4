package parquet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/objectstore"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/state/objectstate"
	"github.com/adoptionlabs/etl/views"
)

// What the Parquet sink does for etl's commands besides loading: the
// abilities of package load, on Config.

var (
	_ load.StateKeeper   = (*Config)(nil)
	_ load.Migrator      = (*Config)(nil)
	_ load.RowCounter    = (*Config)(nil)
	_ load.ReservedNames = (*Config)(nil)
	_ load.QueryHinter   = (*Config)(nil)
	_ load.Viewable      = (*Config)(nil)
	_ load.ViewFiles     = (*Config)(nil)
	_ load.Prober        = (*Config)(nil)
)

// StateHome keeps the state beside the tables, under StateDir: progress
// belongs to the place it describes. A directory's is file state; a
// bucket's lives in the bucket (state/objectstate), so that a job in a
// fresh container continues where the last stopped, and only there: the
// run lock it holds is what keeps two hosts from committing into the
// prefix at once, and the commits a killed run left are resolved under it.
func (c *Config) StateHome() (load.StateHome, error) {
	o, err := c.out()
	if err != nil {
		return load.StateHome{}, err
	}
	if !o.isS3() {
		return load.StateHome{Dir: filepath.Join(o.dir, StateDir)}, nil
	}
	return load.StateHome{
		Open: func(ctx context.Context, _ load.Env) (state.Store, error) {
			objs, err := openS3(ctx, o.url)
			if err != nil {
				return nil, err
			}
			return objectstate.Open(ctx, objs)
		},
		Where: o.String() + "/" + StateDir,
		Only:  true,
	}, nil
}

// Migrate converts the merge tables an earlier release laid out by the day
// of a column that moves (Sink.Migrate), naming them; a directory that does
// not exist yet, or whose tables are all in today's layout, is left as it
// is. Earlier releases wrote local directories only: on S3 there is
// nothing to convert.
func (c *Config) Migrate(ctx context.Context, env load.MigrateEnv) error {
	o, err := c.out()
	if err != nil {
		return err
	}
	var convert []*schemas.Table
	for _, t := range env.Tables {
		if t.Disposition != schemas.Merge || o.isS3() {
			continue
		}
		ok, err := inLayout(filepath.Join(o.dir, t.Name), layoutOf(t))
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
// lock (on S3, a ranged read of each footer).
func (c *Config) CountRows(ctx context.Context, _ load.Env, table string) (int64, error) {
	return CountRows(ctx, c.Dir, table)
}

// ReservedTables is the state directory, which sits beside the tables.
func (c *Config) ReservedTables() map[string]string {
	return map[string]string{StateDir: "the directory of etl's state (watermarks, backfill plans, run lock, the intents of commits on S3) beside the Parquet tables"}
}

// ReservedPrefixes is none: the private directories start with a dot,
// which no table name does.
func (c *Config) ReservedPrefixes() map[string]string { return nil }

// StoredAs is nothing: a table is its own directory.
func (c *Config) StoredAs(*schemas.Table) []load.StoredName { return nil }

// ViewDialect is DuckDB's, which reads the files.
func (c *Config) ViewDialect() views.Dialect { return views.DuckDB }

// ViewPlace is the directory or s3:// URL DuckDB's views read.
func (c *Config) ViewPlace() string { return c.Dir }

// HasFiles says whether a table under place (a directory or an s3:// URL)
// has a file a reader's glob finds, its schema-only file included.
func (c *Config) HasFiles(ctx context.Context, place, table string) (bool, error) {
	st, done, err := openStore(ctx, place)
	if err != nil {
		return false, err
	}
	defer done()
	files, err := st.files(ctx, table, false)
	if err != nil {
		return false, fmt.Errorf("list table %s under %s: %w", table, st.where(), err)
	}
	return len(files) > 0, nil
}

// Probe tries what a load does, leaving nothing behind: on S3, that the
// bucket answers and the credentials may list, put and delete under the
// prefix (objectstore.CheckAccess); on a local disk, that the directory
// can be written (or created).
func (c *Config) Probe(ctx context.Context, _ load.Env) ([]load.Probe, error) {
	o, err := c.out()
	if err != nil {
		return nil, err
	}
	if !o.isS3() {
		return []load.Probe{{What: "write under " + o.dir, Err: probeDir(o.dir)}}, nil
	}
	objs, err := openS3(ctx, o.url)
	if err != nil {
		return nil, err
	}
	r := objectstore.CheckAccess(ctx, objs)
	if !r.Reachable {
		return []load.Probe{{What: "reach " + o.String(), Err: r.Checks[0].Err}}, nil
	}
	var out []load.Probe
	for _, ch := range r.Checks {
		out = append(out, load.Probe{What: ch.Right + " under " + o.String() + "/", Err: ch.Err})
	}
	return out, nil
}

// probeDir creates and removes a file in dir, or, when dir does not exist
// yet, in the nearest directory above it that does (a load creates the
// rest).
func probeDir(dir string) error {
	at := dir
	for {
		st, err := os.Stat(at)
		if err == nil {
			if !st.IsDir() {
				return fmt.Errorf("%s is not a directory", at)
			}
			break
		}
		if filepath.Dir(at) == at {
			return err
		}
		at = filepath.Dir(at) // missing, or below a file: the parent tells
	}
	f, err := os.CreateTemp(at, ".etl-check-*")
	if err != nil {
		return fmt.Errorf("cannot create a file in %s (%w): check its permissions", at, err)
	}
	name := f.Name()
	_ = f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("cannot delete %s (%w): check the permissions of %s", name, err, at)
	}
	return nil
}
