package technowiz

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/window"
)

// checkPageSize is the page size etl check asks for: small, and enough to
// see whether page_size_param is obeyed.
const checkPageSize = 2

var _ extract.Checker = (*Config)(nil)

// Check tests the guessed paths, response shapes and page-size parameter
// against the live API (etl check): one users request for the first
// filter, one conversation page of its first user.
func (c *Config) Check(ctx context.Context, env extract.Env) ([]extract.Finding, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("technowiz: %w", err)
	}
	a, err := c.newAPI(env)
	if err != nil {
		return nil, err
	}
	users := extract.Finding{Endpoint: "users", URL: strings.TrimSuffix(c.BaseURL, "/") + c.Paths.Users}
	filters := c.filters()
	if len(filters) == 0 {
		users.Unknown = append(users.Unknown, "no user_filters: nothing to ask for")
		return []extract.Finding{users}, nil
	}
	var resp struct {
		ResponseObject json.RawMessage `json:"responseObject"`
	}
	f := filters[0]
	if err := a.get(ctx, c.Paths.Users, url.Values{"attribute_name": {f.AttributeName}, "attribute_value": {f.AttributeValue}}, &resp); err != nil {
		users.Wrong = append(users.Wrong, "request failed: "+err.Error()+": wrong path? check paths.users")
		return []extract.Finding{users}, nil
	}
	users.Held = append(users.Held, "reachable, auth key accepted (Authorization: Basic)")
	var list []map[string]any
	if json.Unmarshal(resp.ResponseObject, &list) != nil {
		users.Wrong = append(users.Wrong, fmt.Sprintf("responseObject is not a list of users (got %.80s): check paths.users", resp.ResponseObject))
		return []extract.Finding{users}, nil
	}
	users.Held = append(users.Held, "response keys: responseObject list found")
	conv := extract.Finding{Endpoint: "conversation", URL: strings.TrimSuffix(c.BaseURL, "/") + c.Paths.Conversation}
	if len(list) == 0 {
		users.Unknown = append(users.Unknown, fmt.Sprintf("filter %s matched no users: userId not seen", f))
		conv.Unknown = append(conv.Unknown, "no user to ask for")
		return []extract.Finding{users, conv}, nil
	}
	id := idString(list[0]["userId"])
	if id == "" {
		users.Wrong = append(users.Wrong, fmt.Sprintf("user items have no userId (keys: %s)", strings.Join(sortedKeys(list[0]), ", ")))
		return []extract.Finding{users}, nil
	}
	users.Held = append(users.Held, "item keys: userId found")
	return []extract.Finding{users, a.checkConversation(ctx, id, env, conv)}, nil
}

func (a *api) checkConversation(ctx context.Context, id string, env extract.Env, f extract.Finding) extract.Finding {
	end := window.Floor(env.Clock())
	start := end.AddDate(0, 0, -30)
	q := url.Values{"start_date": {strconv.FormatInt(start.UnixMilli(), 10)}, "end_date": {strconv.FormatInt(end.UnixMilli(), 10)},
		"page_number": {"1"}, a.cfg.PageSizeParam: {strconv.Itoa(checkPageSize)}}
	var resp conversationResponse
	path := strings.ReplaceAll(a.cfg.Paths.Conversation, "{userId}", url.PathEscape(id))
	if err := a.get(ctx, path, q, &resp); err != nil {
		hint := "wrong path? check paths.conversation"
		if ae, ok := parseAPIError(err); ok && ae.Code != codeInvalidID && ae.Code != codeInvalidDates && ae.Code != codeInvalidPage {
			hint = "a parameter was refused: check page_size_param (" + a.cfg.PageSizeParam + ")"
		}
		f.Wrong = append(f.Wrong, "request failed: "+err.Error()+": "+hint)
		return f
	}
	f.Held = append(f.Held, "reachable, auth key accepted")
	msgs := resp.ResponseObject.Messages
	if msgs == nil {
		f.Wrong = append(f.Wrong, "responseObject has no messages list: check paths.conversation")
		return f
	}
	f.Held = append(f.Held, "response keys: responseObject.messages found")
	switch n := len(msgs); {
	case n > checkPageSize:
		f.Wrong = append(f.Wrong, fmt.Sprintf("%s=%d was ignored (%d messages came back): set technowiz page_size_param to the name the API reads", a.cfg.PageSizeParam, checkPageSize, n))
	case n == checkPageSize:
		f.Held = append(f.Held, fmt.Sprintf("%s obeyed (%d messages)", a.cfg.PageSizeParam, n))
	default:
		f.Unknown = append(f.Unknown, fmt.Sprintf("%s: fewer than %d messages in the last 30 days, cannot tell whether it is obeyed", a.cfg.PageSizeParam, checkPageSize))
	}
	switch t := resp.ResponseObject.TotalRecords; {
	case t == nil:
		f.Unknown = append(f.Unknown, "paging: no total_records; the walk reads on to a short page")
	case len(msgs) == checkPageSize && int(*t) <= len(msgs):
		f.Unknown = append(f.Unknown, fmt.Sprintf("paging: total_records %d on a full page may count this page only; the walk reads on to a short page either way", int(*t)))
	default:
		f.Held = append(f.Held, fmt.Sprintf("paging: total_records found (%d)", int(*t)))
	}
	if len(msgs) > 0 {
		var missing []string
		for _, k := range []string{"messageId", "timestamp"} {
			if _, ok := msgs[0][k]; !ok {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			f.Wrong = append(f.Wrong, fmt.Sprintf("message items lack %s: the response shape differs from the assumed one (set paths.conversation if it points elsewhere)", strings.Join(missing, ", ")))
		} else {
			f.Held = append(f.Held, "item keys: messageId, timestamp found")
		}
	}
	return f
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
