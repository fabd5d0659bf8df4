package botfake

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
	"time"
)

// The types below are the fake's ground truth. Tests read them through the
// accessors on Fake (deep copies), so expected values come from the same
// records the handlers serve.

// User is one bot user of one channel.
type User struct {
	ID        string
	ChannelID int
	Name      string
	CreatedAt time.Time
	// FirstAt and LastAt are the user's first and last interaction over the
	// whole history, which is what the users list reports whatever the
	// requested range (the less convenient reading of the reference).
	FirstAt, LastAt time.Time
	CustomFields    map[string]any
	IsPreviewUser   bool
	// Messages are in transcript order: createdAt, then the order the
	// platform stored them (bots send bursts that share one second).
	Messages []Message
}

// Message is one transcript entry.
type Message struct {
	From      string // User, Bot or Agent
	Type      string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Payload is the object named after Type, exactly as served.
	Payload any
	// Extra holds other top-level objects some messages carry besides their
	// own (an image sent as an attachment carries both).
	Extra map[string]any
}

// Wire renders the message as the API sends it.
func (m Message) Wire(isPreview bool) map[string]any {
	out := map[string]any{
		"from":          m.From,
		"type":          m.Type,
		m.Type:          m.Payload,
		"createdAt":     m.CreatedAt.UTC().Format(time.RFC3339),
		"updatedAt":     m.UpdatedAt.UTC().Format(time.RFC3339),
		"isPreviewUser": isPreview,
	}
	for k, v := range m.Extra {
		out[k] = v
	}
	return out
}

// History is how far back the fake holds transcripts.
const History = 120 * 24 * time.Hour

type dataset struct {
	users []*User // sorted by channel, then id
}

var (
	firstNames = []string{"Aarav", "Priya", "Liam", "Sofia", "Kenji", "Amara", "Mateo", "Chloe", "Omar", "Ingrid",
		"Wei", "Fatima", "Lucas", "Zara", "Diego", "Hana", "Noah", "Leila", "Ivan", "Maya"}
	lastNames = []string{"Shah", "Iyer", "Murphy", "Rossi", "Tanaka", "Okafor", "Garcia", "Martin", "Haddad", "Berg",
		"Chen", "Khan", "Silva", "Ali", "Lopez", "Kim", "Smith", "Nasser", "Petrov", "Cohen"}
	cities = []string{"Mumbai", "Berlin", "Austin", "Lagos", "Osaka", "Lima", "Dubai", "Oslo"}
	plans  = []string{"free", "basic", "premium"}
)

// generate builds the history deterministically from seed, ending before now.
func generate(seed int64, now time.Time, scale float64, channels []int) *dataset {
	// Anchor to the day: two fakes started seconds apart (a rerun of the
	// demo) must serve the same history, as a real API would.
	now = floorDay(now)
	rng := rand.New(rand.NewSource(seed))
	perChannel := int(math.Round(60 * scale))
	if perChannel < 1 {
		perChannel = 1
	}
	d := &dataset{}
	start := now.Add(-History)
	for _, ch := range channels {
		seen := map[string]bool{}
		for i := 0; i < perChannel; i++ {
			u := &User{ChannelID: ch}
			for u.ID == "" || seen[u.ID] {
				u.ID = userID(rng, ch)
			}
			seen[u.ID] = true
			u.Name = firstNames[rng.Intn(len(firstNames))] + " " + lastNames[rng.Intn(len(lastNames))]
			u.IsPreviewUser = rng.Float64() < 0.05
			u.CustomFields = customFields(rng, u.Name)
			// Created up to 200 days ago, at least an hour before now.
			u.CreatedAt = now.Add(-time.Hour - time.Duration(rng.Int63n(int64(200*24*time.Hour)))).Truncate(time.Second)
			generateMessages(rng, u, start, now)
			d.users = append(d.users, u)
		}
	}
	sort.Slice(d.users, func(i, j int) bool {
		if d.users[i].ChannelID != d.users[j].ChannelID {
			return d.users[i].ChannelID < d.users[j].ChannelID
		}
		return d.users[i].ID < d.users[j].ID
	})
	return d
}

func userID(rng *rand.Rand, channel int) string {
	switch channel {
	case 1014, 1018: // whatsapp and sms identify users by phone number
		return fmt.Sprintf("+9198%08d", rng.Intn(100000000))
	case 1016:
		return fmt.Sprintf("%d", 100000000+rng.Int63n(900000000))
	case 1017:
		return fmt.Sprintf("%d", 1000000000000000+rng.Int63n(9000000000000000))
	}
	return fmt.Sprintf("wc_%012x", rng.Int63n(1<<48))
}

func customFields(rng *rand.Rand, name string) map[string]any {
	if rng.Float64() < 0.15 {
		return map[string]any{}
	}
	cf := map[string]any{
		"name": name,
		"city": cities[rng.Intn(len(cities))],
		"plan": plans[rng.Intn(len(plans))],
	}
	if rng.Float64() < 0.6 {
		cf["email"] = fmt.Sprintf("user%d@example.com", rng.Intn(100000))
	}
	if rng.Float64() < 0.5 {
		cf["optIn"] = rng.Float64() < 0.5
	}
	if rng.Float64() < 0.3 {
		cf["orders"] = rng.Intn(20)
		cf["tags"] = []any{"vip", "returning"}[:1+rng.Intn(2)]
	}
	return cf
}

// generateMessages fills the user's transcript: the first day always has a
// conversation, later days with some probability, each conversation a few
// exchanges where the bot answers in bursts sharing one createdAt.
func generateMessages(rng *rand.Rand, u *User, start, now time.Time) {
	first := u.CreatedAt.Add(time.Duration(2+rng.Intn(20)) * time.Second)
	day := floorDay(first)
	if day.Before(floorDay(start)) {
		day = floorDay(start)
	}
	for ; day.Before(now); day = day.Add(24 * time.Hour) {
		firstDay := day.Equal(floorDay(first))
		if !firstDay && rng.Float64() >= 0.22 {
			continue
		}
		at := day.Add(time.Duration(rng.Int63n(int64(20 * time.Hour))))
		if firstDay && at.Before(first) {
			at = first
		}
		at = at.Truncate(time.Second)
		conversation(rng, u, at, now)
	}
	if len(u.Messages) > 0 {
		u.FirstAt = u.Messages[0].CreatedAt
		u.LastAt = u.Messages[len(u.Messages)-1].CreatedAt
	} else {
		u.FirstAt, u.LastAt = u.CreatedAt, u.CreatedAt
	}
}

var (
	userTypes = []string{"text", "text", "text", "text", "location", "contact", "image", "audio", "video",
		"pdf", "doc", "xls", "ppt", "formResponse", "order", "attachment"}
	botTypes = []string{"text", "text", "text", "card", "carousel", "form", "list", "reply", "template",
		"productSingle", "productMulti", "dynamicList", "dynamicReply", "image", "video", "location"}
	agentTypes = []string{"text", "text", "image", "pdf", "contact"}
)

// AllTypes lists every message type the reference documents; the fake serves
// each of them.
var AllTypes = []string{"text", "card", "carousel", "form", "list", "reply", "template", "location",
	"contact", "image", "audio", "video", "pdf", "doc", "xls", "ppt", "order", "formResponse",
	"productSingle", "productMulti", "dynamicList", "dynamicReply", "attachment"}

func conversation(rng *rand.Rand, u *User, at, now time.Time) {
	rounds := 1 + rng.Intn(3)
	for r := 0; r < rounds && at.Before(now); r++ {
		u.add(rng, "User", userTypes[rng.Intn(len(userTypes))], at, now)
		// The bot answers 1-3 messages in the same second.
		at = at.Add(time.Duration(1+rng.Intn(3)) * time.Second)
		burst := 1 + rng.Intn(3)
		for b := 0; b < burst && at.Before(now); b++ {
			u.add(rng, "Bot", botTypes[rng.Intn(len(botTypes))], at, now)
		}
		if rng.Float64() < 0.1 {
			at = at.Add(time.Duration(20+rng.Intn(60)) * time.Second)
			if at.Before(now) {
				u.add(rng, "Agent", agentTypes[rng.Intn(len(agentTypes))], at, now)
			}
		}
		at = at.Add(time.Duration(10+rng.Intn(300)) * time.Second)
	}
}

func (u *User) add(rng *rand.Rand, from, typ string, at, now time.Time) {
	m := Message{From: from, Type: typ, CreatedAt: at, UpdatedAt: at, Payload: payload(rng, typ)}
	// Forms and templates get edited after they were sent.
	if (typ == "form" || typ == "template") && rng.Float64() < 0.5 {
		if up := at.Add(time.Duration(1+rng.Intn(90)) * time.Minute); up.Before(now) {
			m.UpdatedAt = up
		}
	}
	if typ == "image" && from == "User" && rng.Float64() < 0.3 {
		m.Extra = map[string]any{"attachment": map[string]any{"contentType": "image/jpeg", "contentUrl": mediaURL(rng, "jpg")}}
	}
	u.Messages = append(u.Messages, m)
}

func floorDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func mediaURL(rng *rand.Rand, ext string) string {
	return fmt.Sprintf("https://cdn.example-bot.io/media/%08x.%s", rng.Uint32(), ext)
}

var phrases = []string{"Hi", "I need help with my order", "What are your opening hours?", "Talk to an agent",
	"Track my delivery", "Thanks!", "Can I change my address?", "Show me the catalogue", "Yes", "No, thanks"}

// payload builds the object named after typ, with every key the reference shows
// for it (and its oddities: a list row's key is " description").
func payload(rng *rand.Rand, typ string) any {
	str := func(prefix string) string { return fmt.Sprintf("%s %d", prefix, rng.Intn(1000)) }
	buttons := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = []string{"Yes", "No", "Maybe later", "Talk to agent", "Main menu"}[(i+rng.Intn(5))%5]
		}
		return out
	}
	media := func(ext string) map[string]any { return map[string]any{"url": mediaURL(rng, ext)} }
	switch typ {
	case "text":
		t := map[string]any{"message": phrases[rng.Intn(len(phrases))]}
		if rng.Float64() < 0.4 {
			t["buttons"] = buttons(1 + rng.Intn(3))
		}
		if rng.Float64() < 0.2 {
			t["isRating"] = true
		} else {
			t["isRating"] = false
		}
		return t
	case "card":
		return map[string]any{"title": str("Offer"), "type": "basic", "subtitle": str("Save"),
			"image_url": map[string]any{"url": mediaURL(rng, "png")}, "buttons": buttons(2)}
	case "carousel":
		n := 2 + rng.Intn(3)
		items := make([]any, n)
		for i := range items {
			items[i] = map[string]any{"title": str("Product"), "subtitle": str("From $"), "image_url": mediaURL(rng, "png"), "buttons": buttons(1 + rng.Intn(2))}
		}
		return items
	case "audio":
		return media("mp3")
	case "video":
		return media("mp4")
	case "image":
		return media("jpg")
	case "pdf":
		return media("pdf")
	case "doc":
		return media("docx")
	case "xls":
		return media("xlsx")
	case "ppt":
		return media("pptx")
	case "location":
		return map[string]any{"longitude": fmt.Sprintf("%.5f", rng.Float64()*360-180), "latitude": fmt.Sprintf("%.5f", rng.Float64()*180-90),
			"label": str("Store"), "address": str("Main Street")}
	case "contact":
		return map[string]any{"phoneNumber": fmt.Sprintf("+4477%08d", rng.Intn(100000000)), "firstName": firstNames[rng.Intn(len(firstNames))],
			"lastName": lastNames[rng.Intn(len(lastNames))], "vcard": "BEGIN:VCARD\nVERSION:3.0\nEND:VCARD"}
	case "form":
		return map[string]any{"botId": fmt.Sprintf("bot_%04d", rng.Intn(10000)), "name": "lead_form", "isArchived": false,
			"title": "Tell us about you", "description": "We will call you back", "createdBy": "designer@example.com",
			"formElements": []any{
				map[string]any{"type": "textInput", "label": "Your name", "required": true, "inputMapping": "name", "answerMapping": nil,
					"textInput": map[string]any{"validation": "none", "placeholder": "Jane Doe"}},
				map[string]any{"type": "dropdown", "label": "Topic", "required": false, "inputMapping": "topic", "answerMapping": nil,
					"dropdown": map[string]any{"items": []any{"Billing", "Delivery", "Other"}}},
				map[string]any{"type": "radioButtons", "label": "Contact by", "required": true, "inputMapping": "channel", "answerMapping": nil,
					"radioButtons": map[string]any{"items": []any{"Phone", "Email"}}},
				map[string]any{"type": "checkBox", "label": "Interests", "required": false, "inputMapping": "interests", "answerMapping": nil,
					"checkBox": map[string]any{"items": []any{"News", "Offers"}}},
			}}
	case "list":
		return map[string]any{"header": map[string]any{"type": "text", "text": "Our menu"}, "body": "Pick a section", "footer": str("Page"),
			"actions": map[string]any{"button_text": "View options", "sections": []any{
				map[string]any{"title": "Orders", "row": []any{
					map[string]any{"title": "Track order", " description": "Where is my parcel?"},
					map[string]any{"title": "Return", " description": "Send something back"},
				}},
				map[string]any{"title": "Account", "row": []any{
					map[string]any{"title": "Profile", " description": "Change your details"},
				}},
			}}}
	case "dynamicList":
		return map[string]any{"header": map[string]any{"type": "text", "text": "Nearby stores"}, "body": "Choose one", "footer": "Updated hourly",
			"actions": map[string]any{"button_text": "Stores", "sections": []any{
				map[string]any{"title": "Open now", "row": []any{
					map[string]any{"title": str("Store"), "description": str("km away")},
					map[string]any{"title": str("Store"), "description": str("km away")},
				}},
			}}}
	case "reply":
		return map[string]any{"header": map[string]any{"type": "image", "text": "", "url": mediaURL(rng, "png")}, "body": "Did this help?", "footer": "",
			"action": map[string]any{"buttons": []any{
				map[string]any{"type": "reply", "title": "Yes", "id": "yes"},
				map[string]any{"type": "reply", "title": "No", "id": "no"},
			}}}
	case "dynamicReply":
		return map[string]any{"header": map[string]any{"type": "text", "text": "Slots", "url": ""}, "body": "Pick a time", "footer": "",
			"actions": map[string]any{"buttons": []any{
				map[string]any{"type": "reply", "title": "10:00"},
				map[string]any{"type": "reply", "title": "14:30"},
			}}}
	case "template":
		return map[string]any{"name": "order_update", "campaignId": fmt.Sprintf("cmp_%d", rng.Intn(1000)),
			"header": map[string]any{"type": "TEXT", "url": "", "text": "Order update", "fileName": "", "caption": ""},
			"body":   "Your order has shipped", "footer": "Reply STOP to opt out",
			"buttons": []any{
				map[string]any{"type": "QUICK_REPLY", "text": "Track", "phoneNumber": "", "url": "", "payload": "track"},
				map[string]any{"type": "URL", "text": "Open site", "phoneNumber": "", "url": "https://example.com", "payload": ""},
			}}
	case "order":
		return map[string]any{"catalogId": "cat_1", "text": "Please confirm", "items": []any{
			map[string]any{"retailerId": "sku_12", "quantity": "2", "price": "9.99", "currency": "USD", "title": "Socks", "subTitle": "Wool", "image": mediaURL(rng, "png")},
		}}
	case "formResponse":
		var answers any
		if rng.Float64() < 0.7 {
			answers = map[string]any{"name": firstNames[rng.Intn(len(firstNames))], "topic": "Delivery"}
		}
		return map[string]any{"formTranscriptId": fmt.Sprintf("ft_%06d", rng.Intn(1000000)), "answerMapping": answers}
	case "productSingle":
		return map[string]any{"isDynamicProduct": rng.Float64() < 0.5, "body": "Best seller", "footer": "Free shipping",
			"action": map[string]any{"catalogId": "cat_1", "retailerId": "sku_7", "title": "Mug", "subTitle": "Ceramic", "image": mediaURL(rng, "png"), "price": "12.50"}}
	case "productMulti":
		return map[string]any{"isDynamicProduct": false, "header": map[string]any{"type": "text", "text": "New in"}, "body": "This week", "footer": "",
			"action": map[string]any{"catalogId": "cat_1", "sections": []any{
				map[string]any{"title": "Kitchen", "items": []any{
					map[string]any{"retailerId": "sku_7", "title": "Mug", "subTitle": "Ceramic", "image": mediaURL(rng, "png"), "price": "12.50"},
					map[string]any{"retailerId": "sku_9", "title": "Plate", "subTitle": "Stoneware", "image": mediaURL(rng, "png"), "price": "18.00"},
				}},
			}}}
	case "attachment":
		return map[string]any{"contentType": "application/zip", "contentUrl": mediaURL(rng, "zip")}
	}
	return map[string]any{}
}
