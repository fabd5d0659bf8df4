package objectstore_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/objectstore"
)

func TestParseURL(t *testing.T) {
	cases := []struct {
		in      string
		want    objectstore.URL
		wantErr string
	}{
		{in: "s3://lake/etl", want: objectstore.URL{Bucket: "lake", Prefix: "etl"}},
		{in: "s3://lake/etl/", want: objectstore.URL{Bucket: "lake", Prefix: "etl"}},
		{in: "s3://lake/a/b/c", want: objectstore.URL{Bucket: "lake", Prefix: "a/b/c"}},
		{in: "s3://lake", want: objectstore.URL{Bucket: "lake"}},
		{in: "s3://lake/", want: objectstore.URL{Bucket: "lake"}},
		{in: "s3://my.lake-01/x", want: objectstore.URL{Bucket: "my.lake-01", Prefix: "x"}},
		{in: "s3:/lake/etl", wantErr: `"://" after the scheme`},
		{in: "s3:lake", wantErr: `"://" after the scheme`},
		{in: "S3://lake/etl", wantErr: "lower case"},
		{in: "gs://lake/etl", wantErr: `scheme "gs" is not supported, only s3://`},
		{in: "s3://", wantErr: "the bucket is missing"},
		{in: "s3:///etl", wantErr: "the bucket is missing"},
		{in: "s3://Lake/etl", wantErr: `"Lake" is not a bucket name`},
		{in: "s3://la/etl", wantErr: "is not a bucket name"},
		{in: "s3://lake_1/etl", wantErr: "is not a bucket name"},
		{in: "s3://192.168.1.1/etl", wantErr: "is not a bucket name"},
		{in: "s3://a..b/etl", wantErr: "is not a bucket name"},
		{in: "s3://lake//etl", wantErr: "no empty, '.' or '..' segments"},
		{in: "s3://lake/a/../b", wantErr: "no empty, '.' or '..' segments"},
		{in: "s3://lake/etl?x=1", wantErr: "no query or fragment"},
		{in: "/data/lake", wantErr: "want s3://BUCKET/PREFIX"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := objectstore.ParseURL(tc.in)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.Contains(t, err.Error(), tc.in, "the error names the input")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			again, err := objectstore.ParseURL(got.String())
			require.NoError(t, err)
			assert.Equal(t, got, again, "String parses back")
		})
	}
}

func TestIsURL(t *testing.T) {
	for in, want := range map[string]bool{
		"s3://lake/etl": true, "s3:/lake/etl": true, "gs://x": true, "s3:lake": true,
		"/data/lake": false, "./data": false, "data/lake": false, "C:\\data": false, "": false,
	} {
		assert.Equal(t, want, objectstore.IsURL(in), in)
	}
}

func TestURLKey(t *testing.T) {
	assert.Equal(t, "etl/_etl/state.json", objectstore.URL{Bucket: "lake", Prefix: "etl"}.Key("_etl/state.json"))
	assert.Equal(t, "_etl/state.json", objectstore.URL{Bucket: "lake"}.Key("_etl/state.json"))
}

func TestErrorMessage(t *testing.T) {
	cause := errors.New("operation error S3: PutObject, StatusCode: 403, api error AccessDenied: Access Denied.")
	err := error(&objectstore.Error{
		Op: "PutObject", Location: "s3://lake/etl", Key: "_etl/state.json", Kind: objectstore.ErrAccessDenied,
		Hint: "check the policy allows s3:PutObject on lake/etl/*", Err: cause,
	})
	assert.Equal(t, "s3://lake/etl key _etl/state.json: PutObject denied (check the policy allows s3:PutObject on lake/etl/*): "+cause.Error(), err.Error())
	assert.ErrorIs(t, err, objectstore.ErrAccessDenied)
	assert.ErrorIs(t, err, cause)
	assert.NotErrorIs(t, err, objectstore.ErrNotFound)
}
