package objectstore

import (
	"fmt"
	"net"
	"regexp"
	"strings"
)

// URL is an s3://BUCKET/PREFIX location. Prefix has no leading or trailing
// '/' and is "" for the whole bucket.
type URL struct {
	Bucket string
	Prefix string
}

func (u URL) String() string {
	if u.Prefix == "" {
		return "s3://" + u.Bucket
	}
	return "s3://" + u.Bucket + "/" + u.Prefix
}

// Key is the full key in the bucket of a key under the prefix.
func (u URL) Key(key string) string {
	if u.Prefix == "" {
		return key
	}
	return u.Prefix + "/" + key
}

// IsURL says whether s names a location by a scheme ("s3://…", and also the
// mistyped "s3:/…" or "gs://…") rather than a local path, so that a caller
// never writes a local directory named "s3:" for a URL it could not parse.
func IsURL(s string) bool {
	return urlScheme.MatchString(s)
}

// "s3:", "gs:", "https:"… at the start; a Windows drive letter ("C:") is
// a single letter, so two letters at least.
var urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]+:`)

// bucketName follows S3's rules for new buckets (3-63 characters of
// lowercase letters, digits, '.' and '-', starting and ending with a letter
// or digit), which MinIO, R2 and GCS share.
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// ParseURL parses s3://BUCKET[/PREFIX]. Errors are one line that says what
// is wrong and the shape expected; nothing is requested from a server.
func ParseURL(s string) (URL, error) {
	const shape = "want s3://BUCKET/PREFIX"
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		if IsURL(s) {
			return URL{}, fmt.Errorf("object storage URL %q: %s (\"://\" after the scheme)", s, shape)
		}
		return URL{}, fmt.Errorf("object storage URL %q: %s", s, shape)
	}
	if scheme != "s3" {
		if strings.EqualFold(scheme, "s3") {
			return URL{}, fmt.Errorf("object storage URL %q: write the scheme in lower case: s3://", s)
		}
		return URL{}, fmt.Errorf("object storage URL %q: scheme %q is not supported, only s3:// (any S3-compatible store: set AWS_ENDPOINT_URL_S3 for MinIO, R2 or GCS)", s, scheme)
	}
	if strings.ContainsAny(rest, "?#") {
		return URL{}, fmt.Errorf("object storage URL %q: no query or fragment (%s)", s, shape)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return URL{}, fmt.Errorf("object storage URL %q: the bucket is missing (%s)", s, shape)
	}
	if !bucketName.MatchString(bucket) || strings.Contains(bucket, "..") || net.ParseIP(bucket) != nil {
		return URL{}, fmt.Errorf("object storage URL %q: %q is not a bucket name (3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit)", s, bucket)
	}
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix != "" {
		if err := CheckKey(prefix); err != nil {
			return URL{}, fmt.Errorf("object storage URL %q: prefix %q: no empty, '.' or '..' segments, no backslash", s, prefix)
		}
	}
	return URL{Bucket: bucket, Prefix: prefix}, nil
}
