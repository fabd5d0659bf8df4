package testsupport

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestS3ServerIsUp(t *testing.T) {
	srv := S3(t)
	resp, err := http.Get(srv.Endpoint + "/minio/health/live")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotEqual(t, srv.Root.AccessKeyID, srv.ReadOnly.AccessKeyID)
	assert.NotEmpty(t, srv.ReadOnly.SessionToken, "the read-only credentials are STS session credentials")
	assert.True(t, strings.HasPrefix(srv.Prefix(t), "t/tests3serverisup_"), srv.Prefix(t))
	assert.NotEqual(t, srv.Prefix(t), srv.Prefix(t), "every call is a fresh prefix")
}

// A developer's own AWS settings never reach a test's store.
func TestS3SetEnvReplacesTheDevelopersAWSSettings(t *testing.T) {
	srv := S3Server{Endpoint: "http://127.0.0.1:1", Bucket: "b", Region: "us-east-1"}
	t.Setenv("AWS_PROFILE", "developer")
	t.Setenv("AWS_ENDPOINT_URL", "https://elsewhere.example")
	srv.SetEnv(t, S3Credentials{AccessKeyID: "k", SecretAccessKey: "s"})
	for name, want := range map[string]string{
		"AWS_PROFILE": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1",
		"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "", "AWS_REGION": "us-east-1",
	} {
		assert.Equal(t, want, os.Getenv(name), name)
	}
}
