package s3_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/objectstore"
	"github.com/adoptionlabs/etl/objectstore/s3"
)

// s3Error is S3's XML error body.
func s3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>r1</RequestId></Error>`, code, code)
}

// openStandIn opens a store on a stand-in server at endpoint, with static
// credentials. The attempts and what is retried are the store's own; only
// the waits are shortened, so that no test sleeps for seconds.
func openStandIn(t *testing.T, endpoint string) *s3.Store {
	t.Helper()
	s, err := s3.Open(context.Background(), objectstore.URL{Bucket: "lake", Prefix: "etl"}, s3.Options{
		Config: &aws.Config{
			Region:       "us-east-1",
			Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRETTEST", ""),
			BaseEndpoint: aws.String(endpoint),
		},
		ClientOptions: []func(*awss3.Options){func(o *awss3.Options) {
			o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, time.Millisecond)
		}},
	})
	require.NoError(t, err)
	return s
}

// TestRetries: 5xx and SlowDown are retried with backoff, up to 5 attempts
// in all; a 4xx is answered at once. A stand-in server answers PutObject
// with the failures scripted for each case.
func TestRetries(t *testing.T) {
	cases := []struct {
		name         string
		failures     int // answered with the failure before a success
		status       int
		code         string
		wantAttempts int64
		wantErr      error
	}{
		{name: "SlowDown twice, then success", failures: 2, status: 503, code: "SlowDown", wantAttempts: 3},
		{name: "500 four times, then success", failures: 4, status: 500, code: "InternalError", wantAttempts: 5},
		{name: "503 for ever: gives up after 5 attempts", failures: 100, status: 503, code: "ServiceUnavailable", wantAttempts: 5, wantErr: nil},
		{name: "403 is never retried", failures: 100, status: 403, code: "AccessDenied", wantAttempts: 1, wantErr: objectstore.ErrAccessDenied},
		{name: "404 bucket is never retried", failures: 100, status: 404, code: "NoSuchBucket", wantAttempts: 1, wantErr: objectstore.ErrNoSuchBucket},
		{name: "412 is never retried", failures: 100, status: 412, code: "PreconditionFailed", wantAttempts: 1, wantErr: objectstore.ErrPreconditionFailed},
		{name: "400 is never retried", failures: 100, status: 400, code: "InvalidArgument", wantAttempts: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var attempts atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := attempts.Add(1)
				if r.Method != http.MethodPut || r.URL.Path != "/lake/etl/k" {
					http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusTeapot)
					return
				}
				if int(n) <= tc.failures {
					s3Error(w, tc.status, tc.code)
					return
				}
				w.Header().Set("ETag", `"abc"`)
				w.WriteHeader(http.StatusOK)
			}))
			defer srv.Close()
			s := openStandIn(t, srv.URL)
			info, err := s.Put(context.Background(), "k", strings.NewReader("x"), objectstore.PutOptions{})
			assert.Equal(t, tc.wantAttempts, attempts.Load(), "attempts")
			if int64(tc.failures) < tc.wantAttempts {
				require.NoError(t, err)
				assert.Equal(t, `"abc"`, info.ETag)
				return
			}
			require.Error(t, err)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
			}
			assert.NotContains(t, err.Error(), "SECRETTEST")
		})
	}
}

// An endpoint that never answers (a typo in AWS_ENDPOINT_URL_S3, a store
// that is down) is named, with both things to change, after the retries.
func TestEndpointThatDoesNotAnswerIsNamed(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	endpoint := srv.URL
	srv.Close() // nothing listens there any more
	s := openStandIn(t, endpoint)
	_, err := s.Put(context.Background(), "k", strings.NewReader("x"), objectstore.PutOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "s3://lake/etl key k: PutObject (no answer from "+endpoint+": check AWS_ENDPOINT_URL_S3")
	assert.NotContains(t, err.Error(), "SECRETTEST")
	r := objectstore.CheckAccess(context.Background(), s)
	assert.False(t, r.Reachable, "nothing else is worth trying")
}

// A body read in sections of a file (objectstore.SizedReaderAt) is sent
// whole again by a retry, and Requests counts every attempt by operation.
func TestSectionsOfAFileAreResentWholeOnRetry(t *testing.T) {
	body := strings.Repeat("0123456789", 1000)
	var attempts atomic.Int64
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if attempts.Add(1) == 1 {
			s3Error(w, 503, "SlowDown")
			return
		}
		got.Store(string(b))
		w.Header().Set("ETag", `"abc"`)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	s := openStandIn(t, srv.URL)
	_, err := s.Put(context.Background(), "k", io.NewSectionReader(strings.NewReader(body), 0, int64(len(body))), objectstore.PutOptions{})
	require.NoError(t, err)
	assert.EqualValues(t, 2, attempts.Load())
	assert.Equal(t, body, got.Load(), "the retry sent the whole body again")
	assert.Equal(t, map[string]int64{"PutObject": 2}, s.Requests())
}
