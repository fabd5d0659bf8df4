package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/adoptionlabs/etl/extract/httpclient"
)

// api is the bot platform client shared by the streams of one source.
type api struct {
	http *httpclient.Client
	cfg  *Config
	now  func() time.Time
	log  *slog.Logger
}

// call performs one request with the token bookkeeping Invalidate needs.
func (a *api) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	err := a.http.JSON(withUsedToken(ctx), httpclient.Request{Method: method, Path: path, Query: query, JSON: body}, out)
	if httpclient.IsStatus(err, http.StatusUnauthorized) {
		// The client already fetched a fresh token and retried once.
		return fmt.Errorf("the API refused a freshly issued token (401 twice) sent as \"Authorization: %s <token>\": wrong scheme? the reference does not name it: set bot auth_scheme (e.g. none for the token alone); credentials? check that BOT_APP_ID may use the Open API: %w", a.cfg.AuthScheme, err)
	}
	return err
}

func (a *api) channelName(id int) string { return a.cfg.ChannelNames[id] }

// channelID maps a channel name the API returned back to its code.
func (a *api) channelID(name string) (int, bool) {
	for id, n := range a.cfg.ChannelNames {
		if strings.EqualFold(n, name) {
			return id, true
		}
	}
	return 0, false
}

// isoUTC is the reference's date format ("2021-10-01T00:00:00.000Z").
func isoUTC(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// flexBool reads hasNextPage, documented as 0/1, also as true/false.
type flexBool bool

func (v *flexBool) UnmarshalJSON(b []byte) error {
	switch strings.Trim(strings.TrimSpace(string(b)), `"`) {
	case "1", "true":
		*v = true
	case "0", "false", "null", "":
		*v = false
	default:
		return fmt.Errorf("hasNextPage: want 0 or 1, got %s", b)
	}
	return nil
}

// apiMessage pulls the human part out of an error body.
func apiMessage(err error) string {
	var se *httpclient.StatusError
	if !errors.As(err, &se) || se.Body == "" {
		return ""
	}
	var body struct {
		Message json.RawMessage `json:"message"`
	}
	if json.Unmarshal([]byte(se.Body), &body) != nil || len(body.Message) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(body.Message, &s) == nil {
		return s
	}
	return string(body.Message)
}
