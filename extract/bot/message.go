package bot

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// messageFields are the top-level keys a message row consumes; the object
// named after the message's type is consumed as payload.
var messageFields = map[string]bool{"from": true, "type": true, "createdAt": true, "updatedAt": true, "isPreviewUser": true}

// MessageKey is the stable identity of a transcript message, which has no id
// of its own: user, channel, createdAt and the message's position among the
// user's messages sharing that createdAt. All of these are the same however
// the window is cut (messages sharing an instant fall in the same window),
// so reruns and overlapping windows replace rather than duplicate.
func MessageKey(botUserID string, channelID int, createdAt time.Time, index int) string {
	h := sha256.New()
	for _, part := range []string{botUserID, strconv.Itoa(channelID), createdAt.UTC().Format(time.RFC3339Nano), strconv.Itoa(index)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// messageRow flattens one transcript message. sameInstant counts the user's
// messages per createdAt so far; a non-empty reason rejects the message.
func (a *api) messageRow(u botUser, m map[string]json.RawMessage, sameInstant map[int64]int) (map[string]any, time.Time, string) {
	var createdRaw any
	_ = json.Unmarshal(m["createdAt"], &createdRaw)
	created, ok := parseTime(createdRaw)
	if !ok {
		return nil, time.Time{}, "message without a readable createdAt (" + string(m["createdAt"]) + "): it cannot be keyed"
	}
	index := sameInstant[created.UnixNano()]
	sameInstant[created.UnixNano()]++

	var from, typ string
	_ = json.Unmarshal(m["from"], &from)
	_ = json.Unmarshal(m["type"], &typ)
	var updated, preview any
	_ = json.Unmarshal(m["updatedAt"], &updated)
	if t, ok := parseTime(updated); ok {
		updated = t
	} else {
		updated = created
	}
	_ = json.Unmarshal(m["isPreviewUser"], &preview)

	row := map[string]any{
		"message_key":     MessageKey(u.ID, u.Channel, created, index),
		"bot_user_id":     u.ID,
		"channel_id":      u.Channel,
		"channel_name":    a.channelName(u.Channel),
		"message_index":   index,
		"from":            from,
		"type":            typ,
		"created_at":      created,
		"updated_at":      updated,
		"is_preview_user": preview,
		"buttons":         []string{},
	}
	payload, hasPayload := m[typ]
	if typ != "" && hasPayload {
		row["payload"] = payload
		var body any
		if json.Unmarshal(payload, &body) == nil {
			row["buttons"] = buttonLabels(typ, body)
			if typ == "text" {
				if t, ok := body.(map[string]any); ok {
					row["text"] = t["message"]
				}
			}
		}
	}
	for k, v := range m {
		if messageFields[k] || (k == typ && hasPayload) {
			continue
		}
		// Unknown keys land in _extra under their own name, unless a column
		// already has that name (a "text" object on a card message).
		if MessagesTable.Index(k) >= 0 {
			k = "message." + k
		}
		row[k] = v
	}
	return row, created, ""
}

// buttonLabels collects the labels of the buttons a message showed. Buttons
// are strings in text, card and carousel messages and objects elsewhere
// (title in reply buttons, text in template buttons); lists have one
// button that opens them.
func buttonLabels(typ string, body any) []string {
	labels := []string{}
	add := func(list any) {
		items, _ := list.([]any)
		for _, it := range items {
			switch b := it.(type) {
			case string:
				labels = append(labels, b)
			case map[string]any:
				for _, k := range []string{"title", "text"} {
					if s, ok := b[k].(string); ok && s != "" {
						labels = append(labels, s)
						break
					}
				}
			}
		}
	}
	obj, _ := body.(map[string]any)
	sub := func(key string) map[string]any { m, _ := obj[key].(map[string]any); return m }
	switch typ {
	case "text", "card", "template":
		add(obj["buttons"])
	case "carousel":
		items, _ := body.([]any)
		for _, it := range items {
			if card, ok := it.(map[string]any); ok {
				add(card["buttons"])
			}
		}
	case "reply":
		add(sub("action")["buttons"])
	case "dynamicReply":
		add(sub("actions")["buttons"])
	case "list", "dynamicList":
		if s, ok := sub("actions")["button_text"].(string); ok && s != "" {
			labels = append(labels, s)
		}
	}
	return labels
}
