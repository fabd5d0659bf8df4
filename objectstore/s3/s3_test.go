package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/objectstore"
	"github.com/adoptionlabs/etl/objectstore/objectstoretest"
	"github.com/adoptionlabs/etl/objectstore/s3"
	"github.com/adoptionlabs/etl/testsupport"
)

// storeFor opens a store on the test server with static credentials, as
// the SDK's chain would give them.
func storeFor(t *testing.T, srv testsupport.S3Server, creds testsupport.S3Credentials, u objectstore.URL, opts s3.Options) *s3.Store {
	t.Helper()
	opts.Config = &aws.Config{
		Region:       srv.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
		BaseEndpoint: aws.String(srv.Endpoint),
	}
	s, err := s3.Open(context.Background(), u, opts)
	require.NoError(t, err)
	return s
}

func TestContractOnMinIO(t *testing.T) {
	srv := testsupport.S3(t)
	objectstoretest.StoreContract(t, func(t *testing.T) objectstore.Store {
		u := objectstore.URL{Bucket: srv.Bucket, Prefix: srv.Prefix(t)}
		return storeFor(t, srv, srv.Root, u, s3.Options{PartSize: s3.MinPartSize, ListPage: 7})
	}, objectstoretest.Options{BigSize: 2*s3.MinPartSize + 1<<20, ListPage: 7})
}

// AWS_REQUEST_CHECKSUM_CALCULATION=when_required (for stores that reject
// the SDK's default checksums): multipart uploads then declare none.
func TestMultipartWithoutChecksums(t *testing.T) {
	srv := testsupport.S3(t)
	ctx := context.Background()
	u := objectstore.URL{Bucket: srv.Bucket, Prefix: srv.Prefix(t)}
	s, err := s3.Open(ctx, u, s3.Options{PartSize: s3.MinPartSize, Config: &aws.Config{
		Region:                     srv.Region,
		Credentials:                credentials.NewStaticCredentialsProvider(srv.Root.AccessKeyID, srv.Root.SecretAccessKey, ""),
		BaseEndpoint:               aws.String(srv.Endpoint),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	}})
	require.NoError(t, err)
	size := int64(2*s3.MinPartSize + 123)
	info, err := s.Put(ctx, "big", io.LimitReader(zeros{}, size), objectstore.PutOptions{IfNoneMatch: true})
	require.NoError(t, err)
	st, err := s.Stat(ctx, "big")
	require.NoError(t, err)
	assert.Equal(t, size, st.Size)
	assert.Equal(t, info.ETag, st.ETag)
	assert.True(t, strings.HasSuffix(strings.Trim(st.ETag, `"`), "-3"), "three parts: %s", st.ETag)
}

// The SDK's own settings are all a user gives: AWS_ENDPOINT_URL_S3 and
// keys in the environment, and a custom endpoint on an IP address works
// because it is addressed path-style.
func TestEndpointAndCredentialsFromEnvironment(t *testing.T) {
	srv := testsupport.S3(t)
	srv.SetEnv(t, srv.Root)
	u, err := objectstore.ParseURL(srv.URL(srv.Prefix(t)))
	require.NoError(t, err)
	ctx := context.Background()
	s, err := s3.Open(ctx, u, s3.Options{})
	require.NoError(t, err)
	assert.True(t, s.Client().Options().UsePathStyle, "a custom endpoint is addressed path-style")
	_, err = s.Put(ctx, "hello.txt", strings.NewReader("hello"), objectstore.PutOptions{})
	require.NoError(t, err)
	b, _, err := objectstore.ReadAll(ctx, s, "hello.txt")
	require.NoError(t, err)
	assert.Equal(t, "hello", string(b))
	require.NoError(t, objectstore.CheckAccess(ctx, s).Err())

	// Without an endpoint, AWS itself: virtual-hosted addressing.
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	aws, err := s3.Open(ctx, u, s3.Options{})
	require.NoError(t, err)
	assert.False(t, aws.Client().Options().UsePathStyle)
}

func TestReadOnlyKey(t *testing.T) {
	srv := testsupport.S3(t)
	ctx := context.Background()
	prefix := srv.Prefix(t)
	u := objectstore.URL{Bucket: srv.Bucket, Prefix: prefix}
	root := storeFor(t, srv, srv.Root, u, s3.Options{})
	_, err := root.Put(ctx, "data/existing.parquet", strings.NewReader("old"), objectstore.PutOptions{})
	require.NoError(t, err)
	ro := storeFor(t, srv, srv.ReadOnly, u, s3.Options{PartSize: s3.MinPartSize})

	keys, err := objectstore.Keys(ctx, ro, "")
	require.NoError(t, err, "the read-only key may list")
	assert.Equal(t, []string{"data/existing.parquet"}, keys)

	_, err = ro.Put(ctx, "data/new.parquet", strings.NewReader("new"), objectstore.PutOptions{})
	require.ErrorIs(t, err, objectstore.ErrAccessDenied)
	assert.Contains(t, err.Error(), "s3://"+srv.Bucket+"/"+prefix+" key data/new.parquet: PutObject denied (check the policy allows s3:PutObject on "+srv.Bucket+"/"+prefix+"/*)")

	// A body of several parts is refused before any part is sent.
	_, err = ro.Put(ctx, "data/big.parquet", io.LimitReader(zeros{}, 2*s3.MinPartSize), objectstore.PutOptions{})
	require.ErrorIs(t, err, objectstore.ErrAccessDenied)
	assert.Contains(t, err.Error(), "CreateMultipartUpload denied")

	err = ro.Delete(ctx, "data/existing.parquet")
	require.ErrorIs(t, err, objectstore.ErrAccessDenied)
	assert.Contains(t, err.Error(), "check the policy allows s3:DeleteObject on "+srv.Bucket+"/"+prefix+"/*")

	r := objectstore.CheckAccess(ctx, ro)
	assert.True(t, r.Reachable)
	require.Error(t, r.Err())
	assert.Contains(t, r.Err().Error(), "s3://"+srv.Bucket+"/"+prefix+": cannot put, delete:")

	keys, err = objectstore.Keys(ctx, root, "")
	require.NoError(t, err)
	assert.Equal(t, []string{"data/existing.parquet"}, keys, "nothing written, nothing deleted")
	uploads, err := root.Client().ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: aws.String(srv.Bucket), Prefix: aws.String(prefix + "/")})
	require.NoError(t, err)
	assert.Empty(t, uploads.Uploads)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestWrongCredentialsNeverShowTheSecret(t *testing.T) {
	srv := testsupport.S3(t)
	ctx := context.Background()
	u := objectstore.URL{Bucket: srv.Bucket, Prefix: srv.Prefix(t)}
	const secret = "wrong-secret-that-must-not-leak"
	for name, creds := range map[string]testsupport.S3Credentials{
		"unknown key":  {AccessKeyID: "no-such-key", SecretAccessKey: secret},
		"wrong secret": {AccessKeyID: srv.Root.AccessKeyID, SecretAccessKey: secret},
	} {
		t.Run(name, func(t *testing.T) {
			s := storeFor(t, srv, creds, u, s3.Options{})
			_, err := s.Put(ctx, "x", strings.NewReader("x"), objectstore.PutOptions{})
			require.ErrorIs(t, err, objectstore.ErrCredentials)
			assert.Contains(t, err.Error(), "rejected the credentials")
			assert.NotContains(t, err.Error(), secret)
			r := objectstore.CheckAccess(ctx, s)
			assert.False(t, r.Reachable)
			require.Error(t, r.Err())
			assert.NotContains(t, r.Err().Error(), secret)
		})
	}
}

func TestMissingBucket(t *testing.T) {
	srv := testsupport.S3(t)
	ctx := context.Background()
	s := storeFor(t, srv, srv.Root, objectstore.URL{Bucket: "etl-no-such-bucket", Prefix: "lake"}, s3.Options{})
	_, err := s.Put(ctx, "x", strings.NewReader("x"), objectstore.PutOptions{})
	require.ErrorIs(t, err, objectstore.ErrNoSuchBucket)
	assert.Contains(t, err.Error(), `bucket "etl-no-such-bucket" does not exist`)
	_, err = s.Stat(ctx, "x")
	require.ErrorIs(t, err, objectstore.ErrNoSuchBucket, "a HEAD's bare 404 is told apart from a missing key")
	_, err = objectstore.Keys(ctx, s, "")
	require.ErrorIs(t, err, objectstore.ErrNoSuchBucket)
	r := objectstore.CheckAccess(ctx, s)
	assert.False(t, r.Reachable)
	assert.ErrorIs(t, r.Err(), objectstore.ErrNoSuchBucket)
}

// A failed or cancelled multipart upload is aborted: no unfinished upload
// stays stored (and billed) in the bucket.
func TestFailedMultipartUploadIsAborted(t *testing.T) {
	srv := testsupport.S3(t)
	ctx := context.Background()
	prefix := srv.Prefix(t)
	s := storeFor(t, srv, srv.Root, objectstore.URL{Bucket: srv.Bucket, Prefix: prefix}, s3.Options{PartSize: s3.MinPartSize})
	boom := errors.New("source went away")
	body := io.MultiReader(io.LimitReader(zeros{}, 2*s3.MinPartSize+10), errReader{boom})
	_, err := s.Put(ctx, "big", body, objectstore.PutOptions{})
	require.ErrorIs(t, err, boom)

	// Ctrl-C after the first part was sent.
	cctx, cancel := context.WithCancel(ctx)
	body = io.MultiReader(io.LimitReader(zeros{}, s3.MinPartSize+10), readerFunc(func(p []byte) (int, error) {
		cancel()
		return zeros{}.Read(p)
	}))
	_, err = s.Put(cctx, "big2", body, objectstore.PutOptions{})
	require.ErrorIs(t, err, context.Canceled)

	uploads, err := s.Client().ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: aws.String(srv.Bucket), Prefix: aws.String(prefix + "/")})
	require.NoError(t, err)
	assert.Empty(t, uploads.Uploads, "no unfinished upload left")
	keys, err := objectstore.Keys(ctx, s, "")
	require.NoError(t, err)
	assert.Empty(t, keys)
}

// MinIO ignores If-Match on DeleteObject (it deleted an object whose ETag
// did not match): on a custom endpoint DeleteIf refuses rather than delete
// unconditionally.
func TestConditionalDeleteOnCustomEndpoint(t *testing.T) {
	srv := testsupport.S3(t)
	ctx := context.Background()
	s := storeFor(t, srv, srv.Root, objectstore.URL{Bucket: srv.Bucket, Prefix: srv.Prefix(t)}, s3.Options{})
	v1, err := s.Put(ctx, "lock", strings.NewReader("v1"), objectstore.PutOptions{})
	require.NoError(t, err)
	err = s.DeleteIf(ctx, "lock", v1.ETag)
	require.ErrorIs(t, err, objectstore.ErrNotSupported)
	_, err = s.Stat(ctx, "lock")
	require.NoError(t, err, "nothing deleted")
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// A file is uploaded in sections of itself: multipart above the part size,
// the bytes read back equal, and the requests counted by operation.
func TestMultipartFromAFile(t *testing.T) {
	srv := testsupport.S3(t)
	ctx := context.Background()
	s := storeFor(t, srv, srv.Root, objectstore.URL{Bucket: srv.Bucket, Prefix: srv.Prefix(t)}, s3.Options{PartSize: s3.MinPartSize})
	path := filepath.Join(t.TempDir(), "big")
	want := make([]byte, 2*s3.MinPartSize+123)
	for i := range want {
		want[i] = byte(i * 7 % 251)
	}
	require.NoError(t, os.WriteFile(path, want, 0o644))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	info, err := s.Put(ctx, "big", io.NewSectionReader(f, 0, int64(len(want))), objectstore.PutOptions{IfNoneMatch: true})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(s3.MinPartSize/2), "no part is held in memory: %d bytes allocated", after.TotalAlloc-before.TotalAlloc)
	assert.EqualValues(t, len(want), info.Size)
	assert.True(t, strings.HasSuffix(strings.Trim(info.ETag, `"`), "-3"), "three parts: %s", info.ETag)
	got, _, err := objectstore.ReadAll(ctx, s, "big")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, got), "the object holds the file's bytes")
	n := s.Requests()
	assert.EqualValues(t, 1, n["CreateMultipartUpload"])
	assert.EqualValues(t, 3, n["UploadPart"])
	assert.EqualValues(t, 1, n["CompleteMultipartUpload"])
}
