package userflow

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/adoptionlabs/etl/extract/httpclient"
)

// fixFor says what to change for the statuses a rerun cannot cure; the
// failed window's error puts it first.
func fixFor(err error) string {
	var se *httpclient.StatusError
	if !errors.As(err, &se) {
		return ""
	}
	switch se.Status {
	case http.StatusUnauthorized:
		return "check " + EnvAPIKey + " (the API refused the key)"
	case http.StatusForbidden:
		return "use an API key whose plan and environment allow this endpoint"
	case http.StatusNotFound:
		return "check base_url and paths in the userflow settings"
	case http.StatusBadRequest:
		return "check api_version, page_size, expand_form and paths in the userflow settings (the API rejected the request)"
	}
	return ""
}

// hint adds advice to a transient failure, which a rerun retries.
func hint(err error) string {
	if httpclient.IsStatus(err, http.StatusTooManyRequests) {
		return ": still rate limited after retries; lower rate_limit in the userflow settings"
	}
	return ""
}

// decodeItem decodes one list item; a failure is reported as a reject of
// the raw item rather than failing the whole walk.
func decodeItem[T any](raw json.RawMessage) (T, error) {
	var v T
	err := json.Unmarshal(raw, &v)
	return v, err
}

// optional turns an absent or null JSON string into a nil value, so
// nullable columns get NULL and not "".
func optional(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
