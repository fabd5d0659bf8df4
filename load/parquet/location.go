package parquet

import (
	"context"
	"fmt"

	"github.com/adoptionlabs/etl/objectstore"
	"github.com/adoptionlabs/etl/objectstore/s3"
)

// out is where the sink writes: a local directory, or a prefix of an S3
// bucket (AWS S3 or any S3-compatible store).
type out struct {
	dir string // absolute; "" for S3
	url objectstore.URL
}

func (o out) isS3() bool { return o.dir == "" }

func (o out) String() string {
	if o.isS3() {
		return o.url.String()
	}
	return o.dir
}

// outForms says what --out and sink.parquet.dir take, for messages.
const outForms = "a local directory, or s3://BUCKET/PREFIX for S3 and S3-compatible stores"

// parseOut reads a directory or an s3:// URL. Anything with a scheme
// ("gs://", the mistyped "s3:/lake") that is not a valid s3:// URL is an
// error, never a local directory named "s3:".
func parseOut(s string) (out, error) {
	if objectstore.IsURL(s) {
		u, err := objectstore.ParseURL(s)
		if err != nil {
			return out{}, badOut{fmt.Errorf("%v; sink.parquet.dir and --out take %s", err, outForms)}
		}
		return out{url: u}, nil
	}
	abs, err := absDir(s)
	if err != nil {
		return out{}, err
	}
	return out{dir: abs}, nil
}

// badOut is a place that is neither: bad settings, however late it shows
// (etl views --data), so the CLI exits 2.
type badOut struct{ error }

func (badOut) BadSettings()    {}
func (e badOut) Unwrap() error { return e.error }

// openS3 opens the bucket's prefix with the AWS SDK's standard
// configuration (objectstore/s3). Nothing is requested yet.
func openS3(ctx context.Context, u objectstore.URL) (*s3.Store, error) {
	return s3.Open(ctx, u, s3.Options{})
}

// openStore opens the tables under a directory or an s3:// URL for
// reading; done releases it.
func openStore(ctx context.Context, where string) (st partStore, done func(), err error) {
	o, err := parseOut(where)
	if err != nil {
		return nil, nil, err
	}
	if !o.isS3() {
		return localStore{o.dir}, func() {}, nil
	}
	objs, err := openS3(ctx, o.url)
	if err != nil {
		return nil, nil, err
	}
	return objectStore{objs: objs}, func() {}, nil
}
