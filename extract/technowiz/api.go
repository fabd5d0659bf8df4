package technowiz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract/httpclient"
)

// api is the Technowiz client shared by the streams of one source.
type api struct {
	http *httpclient.Client
	cfg  *Config
	log  *slog.Logger
}

func (a *api) get(ctx context.Context, path string, q url.Values, out any) error {
	err := a.http.JSON(ctx, httpclient.Request{Method: http.MethodGet, Path: path, Query: q}, out)
	switch {
	case httpclient.IsStatus(err, http.StatusUnauthorized):
		return engine.NeedsFix("check TECHNOWIZ_AUTH_KEY (Technowiz refused the key)", err)
	case httpclient.IsStatus(err, http.StatusForbidden):
		return engine.NeedsFix("the auth key may not use this API: ask Technowiz to enable it for the key", err)
	}
	return err
}

// Technowiz's documented error codes.
const (
	codeInvalidID    = 1002
	codeInvalidDates = 1003
	codeInvalidPage  = 1004
)

// apiError is a 400 with Technowiz's {"errorCode","errorMessage","errorDetails"}.
type apiError struct {
	Code    int
	Message string
	Details string
}

var codeInBody = regexp.MustCompile(`"errorCode"\s*:\s*"?(\d+)`)

// parseAPIError reads the error body of a 400. The body in a StatusError is
// a bounded snippet, so a cut-off body still yields its code.
func parseAPIError(err error) (apiError, bool) {
	var se *httpclient.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusBadRequest {
		return apiError{}, false
	}
	var body struct {
		Code    json.RawMessage `json:"errorCode"`
		Message string          `json:"errorMessage"`
		Details string          `json:"errorDetails"`
	}
	if json.Unmarshal([]byte(se.Body), &body) == nil && len(body.Code) > 0 {
		code, cerr := strconv.Atoi(strings.Trim(string(body.Code), `"`))
		if cerr == nil {
			return apiError{Code: code, Message: body.Message, Details: body.Details}, true
		}
	}
	if m := codeInBody.FindStringSubmatch(se.Body); m != nil {
		code, _ := strconv.Atoi(m[1])
		return apiError{Code: code}, true
	}
	return apiError{}, false
}

// label is "INVALID_PAGE_NUMBER (1004)".
func (e apiError) label() string {
	names := map[int]string{codeInvalidID: "INVALID_BOT_OR_CUSTOMER_ID", codeInvalidDates: "INVALID_INPUT_DATE_VALUE", codeInvalidPage: "INVALID_PAGE_NUMBER"}
	name := e.Message
	if name == "" {
		name = names[e.Code]
	}
	return fmt.Sprintf("%s (%d)", name, e.Code)
}
