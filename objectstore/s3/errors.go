package s3

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/adoptionlabs/etl/objectstore"
)

// fail turns an SDK error into an *objectstore.Error that says which
// operation failed on which key, of what kind, and what to change. The SDK's
// own message stays at the end (it carries the request ID support asks for);
// it never holds a secret.
func (s *Store) fail(ctx context.Context, op, key string, err error) error {
	e := &objectstore.Error{Op: op, Location: s.Location(), Key: key, Err: err}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return e
	}
	code, status := apiError(err)
	switch {
	case code == "NoSuchBucket":
		e.Kind = objectstore.ErrNoSuchBucket
		e.Hint = fmt.Sprintf("bucket %q does not exist at this endpoint: create it, or check the bucket name, AWS_REGION and AWS_ENDPOINT_URL_S3", s.url.Bucket)
	case code == "NoSuchKey" || code == "NoSuchUpload" || (status == 404 && (code == "NotFound" || code == "")):
		e.Kind = objectstore.ErrNotFound
		if op == "HeadObject" && !s.bucketSeen.Load() && s.bucketMissing(ctx) {
			e.Kind = objectstore.ErrNoSuchBucket
			e.Hint = fmt.Sprintf("bucket %q does not exist at this endpoint: create it, or check the bucket name, AWS_REGION and AWS_ENDPOINT_URL_S3", s.url.Bucket)
		}
	case code == "PreconditionFailed" || status == 412 || code == "ConditionalRequestConflict":
		// ConditionalRequestConflict (409) is AWS's answer to two
		// conditional writes of one key at once: one of them lost.
		e.Kind = objectstore.ErrPreconditionFailed
	case code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "ExpiredToken" ||
		code == "InvalidToken" || code == "TokenRefreshRequired" || code == "InvalidClientTokenId":
		e.Kind = objectstore.ErrCredentials
		e.Hint = fmt.Sprintf("the store rejected the credentials (%s): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the role, and that they belong to this endpoint", code)
	case code == "AccessDenied" || code == "AllAccessDisabled" || code == "Forbidden" || (status == 403 && code == ""):
		e.Kind = objectstore.ErrAccessDenied
		e.Hint = s.policyHint(op)
	case code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || code == "IllegalLocationConstraintException":
		e.Hint = fmt.Sprintf("bucket %q is in another region than %q: set AWS_REGION to the bucket's region", s.url.Bucket, s.client.Options().Region)
	case code == "" && status == 0 && isCredentialsFailure(err):
		e.Kind = objectstore.ErrCredentials
		e.Hint = "no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, a web identity token or an instance role"
	case code == "" && status == 0:
		// No answer at all, after the retries: a wrong endpoint is as
		// likely as an outage, so both are named.
		e.Hint = fmt.Sprintf("no answer from %s: check AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) and AWS_REGION, or rerun once the store answers", s.endpoint())
	}
	return e
}

// apiError returns the S3 error code and HTTP status of err ("" and 0 when
// the request got no answer).
func apiError(err error) (code string, status int) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

// isCredentialsFailure: the SDK could not get credentials to sign with.
func isCredentialsFailure(err error) bool {
	return strings.Contains(err.Error(), "get identity:")
}

// bucketMissing asks whether the bucket exists when a HEAD got a bare 404,
// which S3 gives alike for a missing key and a missing bucket.
func (s *Store) bucketMissing(ctx context.Context) bool {
	_, err := s.client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String(s.url.Bucket)})
	if err == nil {
		s.bucketSeen.Store(true)
		return false
	}
	_, status := apiError(err)
	return status == 404
}

// policyHint names the IAM action an operation needs and on what.
func (s *Store) policyHint(op string) string {
	objects := s.url.Bucket + "/*"
	if s.url.Prefix != "" {
		objects = s.url.Bucket + "/" + s.url.Prefix + "/*"
	}
	switch op {
	case "PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload":
		return "check the policy allows s3:PutObject on " + objects
	case "AbortMultipartUpload":
		return "check the policy allows s3:AbortMultipartUpload on " + objects
	case "GetObject":
		return "check the policy allows s3:GetObject on " + objects
	case "HeadObject":
		return "check the policy allows s3:GetObject on " + objects + "; without s3:ListBucket S3 also answers 403 for a key that does not exist"
	case "DeleteObject", "DeleteObjects":
		return "check the policy allows s3:DeleteObject on " + objects
	case "ListObjectsV2", "HeadBucket":
		if s.url.Prefix != "" {
			return fmt.Sprintf("check the policy allows s3:ListBucket on bucket %s for prefix %s/*", s.url.Bucket, s.url.Prefix)
		}
		return "check the policy allows s3:ListBucket on bucket " + s.url.Bucket
	}
	return ""
}

// endpoint is where requests go: the custom endpoint, or AWS's regional one.
func (s *Store) endpoint() string {
	o := s.client.Options()
	if o.BaseEndpoint != nil {
		return *o.BaseEndpoint
	}
	return fmt.Sprintf("https://s3.%s.amazonaws.com", o.Region)
}
