package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/extract/httpclient"
	"github.com/adoptionlabs/etl/window"
)

var _ extract.Checker = (*Config)(nil)

// Check tests the guessed paths, auth scheme and paging keys against the
// live API (etl check): one token call and one small users page.
func (c *Config) Check(ctx context.Context, env extract.Env) ([]extract.Finding, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	a, err := c.newAPI(env)
	if err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(c.BaseURL, "/")
	f := extract.Finding{Endpoint: "users", URL: base + c.Paths.Users}
	end := window.Floor(a.now())
	ch := c.Channels[0]
	body := map[string]any{"channelIds": []int{ch}, "startDate": isoUTC(end.AddDate(0, 0, -7)), "endDate": isoUTC(end)}
	var raw json.RawMessage
	err = a.call(ctx, http.MethodPost, c.Paths.Users, url.Values{"page": {"1"}, "limit": {"25"}}, body, &raw)
	switch {
	case err != nil && httpclient.IsStatus(err, http.StatusNotFound):
		f.Wrong = append(f.Wrong, "request failed: "+err.Error()+": wrong path? check paths.token and paths.users")
		return []extract.Finding{f}, nil
	case err != nil:
		f.Wrong = append(f.Wrong, "request failed: "+err.Error())
		return []extract.Finding{f}, nil
	}
	f.Held = append(f.Held, fmt.Sprintf("token call (%s) and users reachable, %q scheme accepted", c.Paths.Token, c.AuthScheme))
	keys := httpclient.Keys(raw)
	for _, k := range []string{"users", "hasNextPage"} {
		if !slices.Contains(keys, k) {
			f.Wrong = append(f.Wrong, fmt.Sprintf("response keys %s lack %q: the response shape differs from the reference's sample", httpclient.JoinKeys(keys), k))
		}
	}
	if f.OK() {
		f.Held = append(f.Held, "response keys: users, hasNextPage found")
	}
	return []extract.Finding{f}, nil
}
