package testsupport

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const missingS3 = "ETL_TEST_S3_ENDPOINT not set: run tests with make test (it starts MinIO, scripts/with-minio.sh)"

// S3Server is the private MinIO server of make test (scripts/with-minio.sh).
type S3Server struct {
	// Endpoint is http://127.0.0.1:PORT.
	Endpoint string
	// Bucket exists and is shared by every test: use Prefix for a place of
	// the test's own.
	Bucket string
	Region string
	// Root may do anything.
	Root S3Credentials
	// ReadOnly may list the bucket and read its objects, nothing else.
	ReadOnly S3Credentials
}

// S3Credentials are an access key, its secret and, for temporary
// credentials, a session token.
type S3Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// S3 returns the test S3 server. Like ClickHouse, a test that needs it is
// skipped on a developer's machine without it and fails under CI.
func S3(t testing.TB) S3Server {
	t.Helper()
	s := S3Server{
		Endpoint: os.Getenv("ETL_TEST_S3_ENDPOINT"),
		Bucket:   os.Getenv("ETL_TEST_S3_BUCKET"),
		Region:   os.Getenv("ETL_TEST_S3_REGION"),
		Root: S3Credentials{
			AccessKeyID:     os.Getenv("ETL_TEST_S3_ACCESS_KEY_ID"),
			SecretAccessKey: os.Getenv("ETL_TEST_S3_SECRET_ACCESS_KEY"),
		},
		ReadOnly: S3Credentials{
			AccessKeyID:     os.Getenv("ETL_TEST_S3_RO_ACCESS_KEY_ID"),
			SecretAccessKey: os.Getenv("ETL_TEST_S3_RO_SECRET_ACCESS_KEY"),
			SessionToken:    os.Getenv("ETL_TEST_S3_RO_SESSION_TOKEN"),
		},
	}
	if s.Endpoint == "" {
		unavailable(t, missingS3)
	}
	if s.Bucket == "" || s.Root.AccessKeyID == "" || s.Root.SecretAccessKey == "" || s.ReadOnly.AccessKeyID == "" {
		t.Fatalf("testsupport: ETL_TEST_S3_ENDPOINT is set but ETL_TEST_S3_BUCKET or the credentials are not: start the server with scripts/with-minio.sh")
	}
	if s.Region == "" {
		s.Region = "us-east-1"
	}
	return s
}

// Prefix is a prefix no other test or run uses: "t/<test name>-<random>".
func (s S3Server) Prefix(t testing.TB) string {
	return "t/" + databaseName(t.Name())[2:]
}

// URL is s3://Bucket/prefix.
func (s S3Server) URL(prefix string) string {
	return "s3://" + s.Bucket + "/" + prefix
}

// Env is the environment a process needs to reach the server with creds
// through the AWS SDK's standard chain and AWS_ENDPOINT_URL_S3, and nothing
// of the developer's own AWS settings: the config and credentials files
// point at a directory that has none, and the profile and other endpoints
// are unset. Append it to os.Environ() minus AWS_* (EnvWithout does that).
func (s S3Server) Env(t testing.TB, creds S3Credentials) []string {
	t.Helper()
	none := filepath.Join(t.TempDir(), "no-aws-config")
	env := []string{
		"AWS_ENDPOINT_URL_S3=" + s.Endpoint,
		"AWS_REGION=" + s.Region,
		"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey,
		"AWS_CONFIG_FILE=" + none,
		"AWS_SHARED_CREDENTIALS_FILE=" + none,
		"AWS_EC2_METADATA_DISABLED=true",
	}
	if creds.SessionToken != "" {
		env = append(env, "AWS_SESSION_TOKEN="+creds.SessionToken)
	}
	return env
}

// SetEnv sets Env in this process for the test (t.Setenv: not with
// t.Parallel), after unsetting every other AWS_ variable.
func (s S3Server) SetEnv(t *testing.T, creds S3Credentials) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") {
			t.Setenv(name, "")
			_ = os.Unsetenv(name)
		}
	}
	for _, kv := range s.Env(t, creds) {
		name, value, _ := strings.Cut(kv, "=")
		t.Setenv(name, value)
	}
}

// EnvWithout returns env without the variables whose names start with
// prefix (e.g. os.Environ() without "AWS_").
func EnvWithout(env []string, prefix string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}
