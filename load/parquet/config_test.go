package parquet

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/load"
	"github.com/adoptionlabs/etl/objectstore"
	"github.com/adoptionlabs/etl/objectstore/s3"
	"github.com/adoptionlabs/etl/schemas"
	"github.com/adoptionlabs/etl/testsupport"
)

// dir takes a local directory or an s3:// URL; anything else with a scheme
// is bad configuration, said before any request, and never a local
// directory named "s3:".
func TestConfigCheckTakesADirectoryOrAnS3URL(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		want string // "" = accepted
	}{
		{dir: "./data"},
		{dir: "/var/lake"},
		{dir: "s3://lake/etl"},
		{dir: "s3://lake"},
		{dir: "s3:/lake/etl", want: `object storage URL "s3:/lake/etl": want s3://BUCKET/PREFIX ("://" after the scheme)`},
		{dir: "gs://lake/etl", want: `scheme "gs" is not supported, only s3://`},
		{dir: "https://lake.example.com/etl", want: `scheme "https" is not supported`},
		{dir: "S3://lake/etl", want: "write the scheme in lower case"},
		{dir: "s3://Lake/etl", want: `"Lake" is not a bucket name`},
		{dir: "s3:///etl", want: "the bucket is missing"},
		{dir: "s3://lake/a//b", want: "no empty, '.' or '..' segments"},
		{dir: " ", want: "sink parquet needs a place to write"},
	} {
		c := NewConfig()
		c.SetOut(tc.dir)
		err := c.Check()
		if tc.want == "" {
			assert.NoError(t, err, tc.dir)
			continue
		}
		require.Error(t, err, tc.dir)
		assert.Contains(t, err.Error(), tc.want, tc.dir)
		if tc.dir != " " {
			assert.Contains(t, err.Error(), "take a local directory, or s3://BUCKET/PREFIX", "the error names the forms: %s", tc.dir)
		}
	}
	c := NewConfig()
	c.SetOut("s3://lake/etl")
	c.Scratch = "s3://lake/tmp"
	assert.ErrorContains(t, c.Check(), "scratch")
}

// An S3 destination is its URL; its state lives in the bucket, and only
// there.
func TestConfigOnS3(t *testing.T) {
	c := NewConfig()
	c.SetOut("s3://lake/etl/")
	require.NoError(t, c.Check())
	dest, err := c.Destination()
	require.NoError(t, err)
	assert.Equal(t, "parquet:s3://lake/etl", dest)
	assert.Equal(t, "Parquet under s3://lake/etl", c.Place())
	home, err := c.StateHome()
	require.NoError(t, err)
	assert.NotNil(t, home.Open)
	assert.True(t, home.Only)
	assert.Equal(t, "s3://lake/etl/_etl", home.Where)
	assert.Empty(t, home.Dir)

	var out bytes.Buffer
	require.NoError(t, c.Migrate(context.Background(), load.MigrateEnv{Out: &out, Tables: []*schemas.Table{sessions}}))
	assert.Equal(t, "Parquet under s3://lake/etl: nothing to migrate\n", out.String(), "earlier releases wrote local directories only")
}

// etl check on a local directory: it (or the directory it would be created
// in) can be written.
func TestProbeOfALocalDirectory(t *testing.T) {
	ctx := context.Background()
	c := NewConfig()
	c.SetOut(filepath.Join(t.TempDir(), "not", "yet"))
	probes, err := c.Probe(ctx, load.Env{})
	require.NoError(t, err)
	require.Len(t, probes, 1)
	assert.NoError(t, probes[0].Err)
	assert.NoDirExists(t, c.Dir, "the check creates nothing")

	file := filepath.Join(t.TempDir(), "a-file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	c.SetOut(filepath.Join(file, "data"))
	probes, err = c.Probe(ctx, load.Env{})
	require.NoError(t, err)
	assert.ErrorContains(t, probes[0].Err, file+" is not a directory")
}

// etl check on S3 says what the credentials may do under the prefix, and
// names the bucket, the prefix and what is missing; opening the sink with
// a key that may not write fails the same way before anything is written.
func TestProbeAndOpenOnMinIO(t *testing.T) {
	srv := testsupport.S3(t)
	ctx := context.Background()
	prefix := srv.Prefix(t)
	c := NewConfig()
	c.SetOut(srv.URL(prefix))
	c.Scratch = t.TempDir()

	srv.SetEnv(t, srv.Root)
	probes, err := c.Probe(ctx, load.Env{})
	require.NoError(t, err)
	var what []string
	for _, p := range probes {
		what = append(what, p.What)
		assert.NoError(t, p.Err, p.What)
	}
	assert.Equal(t, []string{"list under " + srv.URL(prefix) + "/", "put under " + srv.URL(prefix) + "/", "delete under " + srv.URL(prefix) + "/"}, what)

	srv.SetEnv(t, srv.ReadOnly)
	probes, err = c.Probe(ctx, load.Env{})
	require.NoError(t, err)
	require.Len(t, probes, 3)
	assert.NoError(t, probes[0].Err, "the read-only key may list")
	assert.ErrorContains(t, probes[1].Err, srv.URL(prefix)+" key _etl/access-check/")
	assert.ErrorContains(t, probes[1].Err, "PutObject denied")
	assert.ErrorContains(t, probes[2].Err, "DeleteObjects denied")
	_, err = c.Open(ctx, load.Env{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), srv.URL(prefix)+": cannot put, delete")
	assert.Contains(t, err.Error(), "s3:PutObject on "+srv.Bucket+"/"+prefix+"/*")

	srv.SetEnv(t, srv.Root)
	missing := NewConfig()
	missing.SetOut("s3://no-such-bucket-here/etl")
	probes, err = missing.Probe(ctx, load.Env{})
	require.NoError(t, err)
	require.Len(t, probes, 1)
	assert.Equal(t, "reach s3://no-such-bucket-here/etl", probes[0].What)
	assert.ErrorIs(t, probes[0].Err, objectstore.ErrNoSuchBucket)
	assert.ErrorContains(t, probes[0].Err, `bucket "no-such-bucket-here" does not exist at this endpoint`)

	keys, err := objectstore.Keys(ctx, minioStore(t, srv.Root, prefix, s3.Options{}), "")
	require.NoError(t, err)
	assert.Empty(t, keys, "the probes and the refused open wrote nothing")
}
