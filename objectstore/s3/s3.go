// Package s3 is objectstore.Store on an S3 bucket under a prefix, for AWS S3
// and any S3-compatible store (MinIO, Cloudflare R2, GCS through its S3
// interoperability), on the AWS SDK for Go v2.
//
// Nothing of ours to learn for credentials or endpoints: the SDK's standard
// chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the shared
// config and credentials files with SSO, web identity, ECS/EC2 roles) and
// its endpoint settings (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, endpoint_url
// in a profile). A custom endpoint is addressed path-style
// (http://127.0.0.1:9000/bucket/key), which every S3-compatible store
// serves and which works on an IP address; AWS itself gets virtual-hosted
// addressing. With no region configured, us-east-1 is used (MinIO's default,
// and what R2 accepts).
//
// Retries are the SDK's standard retryer: up to 5 attempts (AWS_MAX_ATTEMPTS
// or max_attempts in the profile overrides it), exponential backoff with
// jitter capped at 20 s, for 5xx, SlowDown and other throttling, timeouts and
// dropped connections. A 4xx other than throttling (429) and RequestTimeout
// is never retried: a denied, missing or precondition-failed request fails
// at once. The client-side retry quota is off: a nightly batch should back off
// and finish, not give up because earlier requests were throttled.
//
// Conditional deletes (DeleteIf) send If-Match on DeleteObject, which AWS S3
// honours. A store that ignores the header deletes unconditionally, and
// nothing in the answer tells: the MinIO of the tests does (it deleted an
// object whose ETag did not match). So DeleteIf is on for AWS's own endpoints
// and off (ErrNotSupported) for a custom endpoint unless
// Options.ConditionalDelete says the store honours it; nothing in etl relies
// on it.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"

	"github.com/adoptionlabs/etl/objectstore"
)

const (
	// DefaultPartSize is the size of each part of a multipart upload, and
	// so the memory one Put holds: 8 MiB, the AWS CLI's default.
	DefaultPartSize = 8 << 20
	// MinPartSize is S3's minimum for every part but the last.
	MinPartSize = 5 << 20
	// maxParts is S3's limit on the parts of one upload.
	maxParts = 10000
	// deleteBatch is DeleteObjects' limit on keys per request.
	deleteBatch = 1000
	// DefaultMaxAttempts is how many times a request is tried in all.
	DefaultMaxAttempts = 5
	// maxBackoff caps the wait between two attempts.
	maxBackoff = 20 * time.Second
	// cleanupTimeout bounds an abort of a multipart upload after the
	// caller's context ended.
	cleanupTimeout = 30 * time.Second
)

// Options tune a Store. The zero value is the default.
type Options struct {
	// PartSize is the size of a multipart upload's parts and the largest
	// body sent in one PutObject (DefaultPartSize when 0; at least
	// MinPartSize).
	PartSize int64
	// Config replaces config.LoadDefaultConfig (tests: static credentials
	// and an endpoint of their own).
	Config *aws.Config
	// ClientOptions are applied to the S3 client last.
	ClientOptions []func(*awss3.Options)
	// ListPage is the number of keys List asks for per request (S3's
	// maximum of 1000 when 0); tests lower it to span pages.
	ListPage int32
	// ConditionalDelete says whether the store honours If-Match on
	// DeleteObject (nil: yes for AWS's endpoints, no for a custom one).
	ConditionalDelete *bool
}

// Store is objectstore.Store on s3://Bucket/Prefix.
type Store struct {
	client   *awss3.Client
	url      objectstore.URL
	partSize int64
	listPage int32
	// conditionalDelete: DeleteIf is supported (see the package doc).
	conditionalDelete bool
	// checksums: the client computes request checksums when supported
	// (the SDK's default), so multipart uploads declare CRC32 parts.
	checksums bool
	// bucketSeen: a request on the bucket succeeded, so a 404 without a
	// body (HEAD) is a missing key, not a missing bucket.
	bucketSeen atomic.Bool
	// counts are the requests sent (Open's clients only).
	counts *requestCounts
}

var _ objectstore.Store = (*Store)(nil)

// Open returns a Store for u with the SDK's default configuration (see the
// package doc). It makes no request: a wrong bucket or credentials show at
// the first call (objectstore.CheckAccess reports them all).
func Open(ctx context.Context, u objectstore.URL, opts Options) (*Store, error) {
	var cfg aws.Config
	if opts.Config != nil {
		cfg = opts.Config.Copy()
	} else {
		var err error
		// The SDK's own log lines (a fallback to IMDSv1 while looking
		// for credentials) would land in the middle of etl's; what
		// matters reaches the caller as an error.
		cfg, err = config.LoadDefaultConfig(ctx, config.WithLogger(logging.Nop{}))
		if err != nil {
			// The SDK names the setting (a profile that does not exist, a
			// malformed config file); it never prints a secret.
			return nil, fmt.Errorf("%s: load AWS configuration: %w", u, err)
		}
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	counts := &requestCounts{}
	client := awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		o.APIOptions = append(o.APIOptions, counts.register)
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
		if o.RetryMaxAttempts == 0 {
			o.RetryMaxAttempts = DefaultMaxAttempts
		}
		if o.RetryMode != aws.RetryModeAdaptive {
			o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxBackoff = maxBackoff
				so.RateLimiter = ratelimit.None
			})
		}
		o.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			// A server that accepted the request but never answers is
			// retried instead of stalling the run until its deadline.
			tr.ResponseHeaderTimeout = 2 * time.Minute
		})
	}, func(o *awss3.Options) {
		for _, fn := range opts.ClientOptions {
			fn(o)
		}
	})
	s, err := New(client, u, opts)
	if err != nil {
		return nil, err
	}
	s.counts = counts
	return s, nil
}

// requestCounts counts the requests a client sends, by operation, each
// attempt of a retried one included: what a store's bill and its request
// rate limits count.
type requestCounts struct {
	mu sync.Mutex
	n  map[string]int64
}

// register adds the counting step to a client's middleware stack, after
// the retry step, so that it runs once per attempt.
func (c *requestCounts) register(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("etlCountRequests",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			if c.n == nil {
				c.n = map[string]int64{}
			}
			c.n[awsmiddleware.GetOperationName(ctx)]++
			c.mu.Unlock()
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

// Requests returns how many requests the store sent so far, by S3
// operation (PutObject, UploadPart, ...), every attempt counted; nil for a
// store made by New on a client of the caller's.
func (s *Store) Requests() map[string]int64 {
	if s.counts == nil {
		return nil
	}
	s.counts.mu.Lock()
	defer s.counts.mu.Unlock()
	out := make(map[string]int64, len(s.counts.n))
	for op, n := range s.counts.n {
		out[op] = n
	}
	return out
}

// New returns a Store on a client the caller configured.
func New(client *awss3.Client, u objectstore.URL, opts Options) (*Store, error) {
	part := opts.PartSize
	if part == 0 {
		part = DefaultPartSize
	}
	if part < MinPartSize {
		return nil, fmt.Errorf("%s: part size %d is below S3's minimum of %d bytes", u, part, MinPartSize)
	}
	o := client.Options()
	conditionalDelete := o.BaseEndpoint == nil
	if opts.ConditionalDelete != nil {
		conditionalDelete = *opts.ConditionalDelete
	}
	return &Store{
		client:            client,
		url:               u,
		partSize:          part,
		listPage:          opts.ListPage,
		conditionalDelete: conditionalDelete,
		checksums:         o.RequestChecksumCalculation != aws.RequestChecksumCalculationWhenRequired,
	}, nil
}

// Location implements objectstore.Store.
func (s *Store) Location() string { return s.url.String() }

// URL is the bucket and prefix of the store.
func (s *Store) URL() objectstore.URL { return s.url }

// Client is the S3 client, for what the interface does not cover.
func (s *Store) Client() *awss3.Client { return s.client }

func (s *Store) full(key string) string { return s.url.Key(key) }

// relative turns a bucket key back into a key under the prefix.
func (s *Store) relative(full string) string {
	if s.url.Prefix == "" {
		return full
	}
	return strings.TrimPrefix(full, s.url.Prefix+"/")
}

func (s *Store) checkKey(op, key string) error {
	if err := objectstore.CheckKey(key); err != nil {
		return &objectstore.Error{Op: op, Location: s.Location(), Key: key, Kind: objectstore.ErrInvalidKey, Err: err}
	}
	return nil
}

// Put implements objectstore.Store: one PutObject for a body up to the part
// size, a multipart upload above it.
func (s *Store) Put(ctx context.Context, key string, body io.Reader, opts objectstore.PutOptions) (objectstore.ObjectInfo, error) {
	if err := s.checkKey("PutObject", key); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	if err := opts.Check(); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	if ra, ok := body.(objectstore.SizedReaderAt); ok {
		// A file: each request sends a section of it, read (and read
		// again for the checksums and a retry) from the file itself.
		size := ra.Size()
		if size <= s.partSize {
			return s.putObject(ctx, key, io.NewSectionReader(ra, 0, size), size, opts)
		}
		off := int64(0)
		return s.putMultipart(ctx, key, func() (io.ReadSeeker, int64, bool, error) {
			n := min(s.partSize, size-off)
			part := io.NewSectionReader(ra, off, n)
			off += n
			return part, n, off < size, nil
		}, opts)
	}
	buf, full, err := readPart(ctx, body, nil, s.partSize)
	if err != nil {
		return objectstore.ObjectInfo{}, &objectstore.Error{Op: "PutObject", Location: s.Location(), Key: key, Err: fmt.Errorf("read the body: %w", err)}
	}
	if !full {
		return s.putObject(ctx, key, bytes.NewReader(buf), int64(len(buf)), opts)
	}
	first := true
	return s.putMultipart(ctx, key, func() (io.ReadSeeker, int64, bool, error) {
		if !first {
			var err error
			if buf, full, err = readPart(ctx, body, buf, s.partSize); err != nil {
				return nil, 0, false, err
			}
		}
		first = false
		return bytes.NewReader(buf), int64(len(buf)), full, nil
	}, opts)
}

// readPart reads up to max bytes into buf (reused when large enough; grown
// from small, so a small document never costs a whole part). full is true
// when max bytes were read and the body may hold more.
func readPart(ctx context.Context, r io.Reader, buf []byte, max int64) (out []byte, full bool, err error) {
	buf = buf[:0]
	if cap(buf) == 0 {
		buf = make([]byte, 0, min(max, 64<<10))
	}
	for int64(len(buf)) < max {
		if err := ctx.Err(); err != nil {
			return buf, false, err
		}
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(max, int64(cap(buf))*2))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, false, nil
		}
		if err != nil {
			return buf, false, err
		}
	}
	return buf, true, nil
}

func conditions(opts objectstore.PutOptions) (ifNoneMatch, ifMatch *string) {
	if opts.IfNoneMatch {
		ifNoneMatch = aws.String("*")
	}
	if opts.IfMatch != "" {
		ifMatch = aws.String(opts.IfMatch)
	}
	return ifNoneMatch, ifMatch
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Store) putObject(ctx context.Context, key string, body io.ReadSeeker, size int64, opts objectstore.PutOptions) (objectstore.ObjectInfo, error) {
	ifNoneMatch, ifMatch := conditions(opts)
	out, err := s.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket:        aws.String(s.url.Bucket),
		Key:           aws.String(s.full(key)),
		Body:          body,
		ContentLength: aws.Int64(size),
		ContentType:   optional(opts.ContentType),
		IfNoneMatch:   ifNoneMatch,
		IfMatch:       ifMatch,
	})
	if err != nil {
		return objectstore.ObjectInfo{}, ifMatchMissing(s.fail(ctx, "PutObject", key, err), opts)
	}
	s.bucketSeen.Store(true)
	now := serverTime(out.ResultMetadata)
	return objectstore.ObjectInfo{Key: key, Size: size, ETag: aws.ToString(out.ETag), LastModified: now, ServerTime: now}, nil
}

// nextPart returns the body of the next part of a multipart upload, its
// size, and whether more parts may follow.
type nextPart func() (body io.ReadSeeker, size int64, more bool, err error)

// putMultipart uploads the parts next gives, one at a time, and aborts the
// upload on any failure so that no unfinished upload (invisible, but
// stored and billed) stays behind.
func (s *Store) putMultipart(ctx context.Context, key string, next nextPart, opts objectstore.PutOptions) (info objectstore.ObjectInfo, err error) {
	in := &awss3.CreateMultipartUploadInput{
		Bucket:      aws.String(s.url.Bucket),
		Key:         aws.String(s.full(key)),
		ContentType: optional(opts.ContentType),
	}
	if s.checksums {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
	}
	created, err := s.client.CreateMultipartUpload(ctx, in)
	if err != nil {
		return info, s.fail(ctx, "CreateMultipartUpload", key, err)
	}
	s.bucketSeen.Store(true)
	uploadID := created.UploadId
	defer func() {
		if err == nil {
			return
		}
		// The caller's context may be what ended: abort on a context of
		// our own so that the upload does not stay behind.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if _, aerr := s.client.AbortMultipartUpload(actx, &awss3.AbortMultipartUploadInput{
			Bucket: aws.String(s.url.Bucket), Key: aws.String(s.full(key)), UploadId: uploadID,
		}); aerr != nil {
			err = errors.Join(err, s.fail(actx, "AbortMultipartUpload", key, aerr))
		}
	}()

	var (
		parts []types.CompletedPart
		size  int64
	)
	for n := int32(1); ; n++ {
		if n > maxParts {
			return info, &objectstore.Error{Op: "UploadPart", Location: s.Location(), Key: key,
				Err: fmt.Errorf("the body needs more than %d parts of %d bytes: raise the part size", maxParts, s.partSize)}
		}
		body, n64, more, err := next()
		if err != nil {
			return info, &objectstore.Error{Op: "UploadPart", Location: s.Location(), Key: key, Err: fmt.Errorf("read the body: %w", err)}
		}
		if n64 == 0 && n > 1 {
			break // the body ended with the previous part
		}
		part := &awss3.UploadPartInput{
			Bucket: aws.String(s.url.Bucket), Key: aws.String(s.full(key)), UploadId: uploadID,
			PartNumber: aws.Int32(n), Body: body, ContentLength: aws.Int64(n64),
		}
		if s.checksums {
			part.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
		}
		out, err := s.client.UploadPart(ctx, part)
		if err != nil {
			return info, s.fail(ctx, "UploadPart", key, err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
		size += n64
		if !more {
			break
		}
	}
	ifNoneMatch, ifMatch := conditions(opts)
	done, err := s.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
		Bucket: aws.String(s.url.Bucket), Key: aws.String(s.full(key)), UploadId: uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		IfNoneMatch:     ifNoneMatch,
		IfMatch:         ifMatch,
	})
	if err != nil {
		return info, ifMatchMissing(s.fail(ctx, "CompleteMultipartUpload", key, err), opts)
	}
	now := serverTime(done.ResultMetadata)
	return objectstore.ObjectInfo{Key: key, Size: size, ETag: aws.ToString(done.ETag), LastModified: now, ServerTime: now}, nil
}

// ifMatchMissing: S3 answers If-Match on a key that does not exist with
// 404; for the caller it is the same as any other version: not the one it
// expected.
func ifMatchMissing(err error, opts objectstore.PutOptions) error {
	var e *objectstore.Error
	if opts.IfMatch != "" && errors.As(err, &e) && e.Kind == objectstore.ErrNotFound {
		e.Kind = objectstore.ErrPreconditionFailed
	}
	return err
}

// serverTime is the Date of the store's response, or this machine's clock
// when the response had none.
func serverTime(md middleware.Metadata) time.Time {
	if t, ok := awsmiddleware.GetServerTime(md); ok && !t.IsZero() {
		return t.UTC()
	}
	return time.Now().UTC()
}

// Get implements objectstore.Store.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, objectstore.ObjectInfo, error) {
	if err := s.checkKey("GetObject", key); err != nil {
		return nil, objectstore.ObjectInfo{}, err
	}
	out, err := s.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(s.url.Bucket), Key: aws.String(s.full(key))})
	if err != nil {
		return nil, objectstore.ObjectInfo{}, s.fail(ctx, "GetObject", key, err)
	}
	s.bucketSeen.Store(true)
	info := objectstore.ObjectInfo{
		Key: key, Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag),
		LastModified: aws.ToTime(out.LastModified).UTC(), ServerTime: serverTime(out.ResultMetadata),
	}
	return out.Body, info, nil
}

// Stat implements objectstore.Store.
func (s *Store) Stat(ctx context.Context, key string) (objectstore.ObjectInfo, error) {
	if err := s.checkKey("HeadObject", key); err != nil {
		return objectstore.ObjectInfo{}, err
	}
	out, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(s.url.Bucket), Key: aws.String(s.full(key))})
	if err != nil {
		return objectstore.ObjectInfo{}, s.fail(ctx, "HeadObject", key, err)
	}
	s.bucketSeen.Store(true)
	return objectstore.ObjectInfo{
		Key: key, Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag),
		LastModified: aws.ToTime(out.LastModified).UTC(), ServerTime: serverTime(out.ResultMetadata),
	}, nil
}

// Open implements objectstore.Store: a HEAD, then one ranged GET per ReadAt,
// each with If-Match on the ETag the HEAD saw.
func (s *Store) Open(ctx context.Context, key string) (objectstore.Object, error) {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	return &object{ctx: ctx, store: s, info: info}, nil
}

type object struct {
	ctx   context.Context
	store *Store
	info  objectstore.ObjectInfo
}

func (o *object) Info() objectstore.ObjectInfo { return o.info }
func (o *object) Size() int64                  { return o.info.Size }
func (o *object) Close() error                 { return nil }

// ReadAt implements io.ReaderAt.
func (o *object) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%s key %s: negative offset %d", o.store.Location(), o.info.Key, off)
	}
	if off >= o.info.Size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	end := min(off+int64(len(p)), o.info.Size) - 1
	out, err := o.store.client.GetObject(o.ctx, &awss3.GetObjectInput{
		Bucket:  aws.String(o.store.url.Bucket),
		Key:     aws.String(o.store.full(o.info.Key)),
		Range:   aws.String(fmt.Sprintf("bytes=%d-%d", off, end)),
		IfMatch: optional(o.info.ETag),
	})
	if err != nil {
		return 0, o.store.fail(o.ctx, "GetObject", o.info.Key, err)
	}
	defer out.Body.Close()
	want := int(end - off + 1)
	n, err := io.ReadFull(out.Body, p[:want])
	if err != nil {
		return n, &objectstore.Error{Op: "GetObject", Location: o.store.Location(), Key: o.info.Key, Err: fmt.Errorf("read bytes %d-%d: %w", off, end, err)}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// List implements objectstore.Store with ListObjectsV2, a page of up to
// 1000 keys per request.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[objectstore.ObjectInfo, error] {
	return func(yield func(objectstore.ObjectInfo, error) bool) {
		full := s.url.Prefix + "/" + prefix
		if s.url.Prefix == "" {
			full = prefix
		}
		p := awss3.NewListObjectsV2Paginator(s.client, &awss3.ListObjectsV2Input{
			Bucket: aws.String(s.url.Bucket),
			Prefix: optional(full),
		}, func(o *awss3.ListObjectsV2PaginatorOptions) {
			if s.listPage > 0 {
				o.Limit = s.listPage
			}
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				yield(objectstore.ObjectInfo{}, s.fail(ctx, "ListObjectsV2", prefix, err))
				return
			}
			s.bucketSeen.Store(true)
			for _, o := range page.Contents {
				info := objectstore.ObjectInfo{
					Key: s.relative(aws.ToString(o.Key)), Size: aws.ToInt64(o.Size),
					ETag: aws.ToString(o.ETag), LastModified: aws.ToTime(o.LastModified).UTC(),
				}
				if !yield(info, nil) {
					return
				}
			}
		}
	}
}

// Delete implements objectstore.Store with DeleteObjects, 1000 keys per
// request.
func (s *Store) Delete(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if err := s.checkKey("DeleteObjects", k); err != nil {
			return err
		}
	}
	for start := 0; start < len(keys); start += deleteBatch {
		batch := keys[start:min(start+deleteBatch, len(keys))]
		ids := make([]types.ObjectIdentifier, len(batch))
		for i, k := range batch {
			ids[i] = types.ObjectIdentifier{Key: aws.String(s.full(k))}
		}
		out, err := s.client.DeleteObjects(ctx, &awss3.DeleteObjectsInput{
			Bucket: aws.String(s.url.Bucket),
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return s.fail(ctx, "DeleteObjects", batch[0], err)
		}
		s.bucketSeen.Store(true)
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return s.fail(ctx, "DeleteObjects", s.relative(aws.ToString(e.Key)), &keyError{code: aws.ToString(e.Code), msg: aws.ToString(e.Message), more: len(out.Errors) - 1})
		}
	}
	return nil
}

// keyError is one key's failure inside a DeleteObjects answer.
type keyError struct {
	code, msg string
	more      int
}

func (e *keyError) Error() string {
	s := fmt.Sprintf("api error %s: %s", e.code, e.msg)
	if e.more > 0 {
		s += fmt.Sprintf(" (and %d more keys failed)", e.more)
	}
	return s
}
func (e *keyError) ErrorCode() string             { return e.code }
func (e *keyError) ErrorMessage() string          { return e.msg }
func (e *keyError) ErrorFault() smithy.ErrorFault { return smithy.FaultUnknown }

// DeleteIf implements objectstore.Store with If-Match on DeleteObject.
func (s *Store) DeleteIf(ctx context.Context, key, etag string) error {
	if err := s.checkKey("DeleteObject", key); err != nil {
		return err
	}
	if etag == "" {
		return &objectstore.Error{Op: "DeleteObject", Location: s.Location(), Key: key, Err: errors.New("DeleteIf needs an ETag")}
	}
	if !s.conditionalDelete {
		return &objectstore.Error{Op: "DeleteObject", Location: s.Location(), Key: key, Kind: objectstore.ErrNotSupported,
			Hint: "this endpoint is not known to honour If-Match on DeleteObject"}
	}
	_, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{
		Bucket: aws.String(s.url.Bucket), Key: aws.String(s.full(key)), IfMatch: aws.String(etag),
	})
	if err != nil {
		return s.fail(ctx, "DeleteObject", key, err)
	}
	s.bucketSeen.Store(true)
	return nil
}
