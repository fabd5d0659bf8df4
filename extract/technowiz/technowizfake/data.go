package technowizfake

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
	"time"
)

// User is a Technowiz end user. Attribute values are strings, as the users
// API matches them (attribute_value is a String parameter).
type User struct {
	ID         string
	Name       string
	Channel    string
	Attributes map[string]any
	CreatedAt  time.Time
	// Messages are in timestamp order.
	Messages []Message
}

// Message is one conversation message.
type Message struct {
	ID        string
	From      string // user, bot or agent
	Type      string
	Text      *string // null for non-text messages
	Timestamp time.Time
	Payload   map[string]any
}

// Filter is one attribute filter of the users API.
type Filter struct{ Name, Value string }

// DemoFilters overlap (a user can have a low rating and an enterprise plan)
// and together match 80 to 95 users at Scale 1; sample.yaml lists them.
var DemoFilters = []Filter{{"feedback_rating", "1"}, {"feedback_rating", "2"}, {"plan", "enterprise"}}

// Matches reports whether the user has attribute f.Name equal to f.Value.
func (u User) Matches(f Filter) bool {
	v, ok := u.Attributes[f.Name]
	return ok && fmt.Sprint(v) == f.Value
}

// History is how far back conversations go.
const History = 120 * 24 * time.Hour

var (
	names    = []string{"Ana", "Bilal", "Chen", "Dara", "Emeka", "Farah", "Goran", "Hiro", "Isla", "Jonas", "Kavya", "Luca", "Mina", "Nils", "Olu", "Pia"}
	channels = []string{"whatsapp", "web", "messenger", "instagram"}
	plans    = []string{"free", "free", "pro", "pro", "enterprise", "enterprise"}
	regions  = []string{"emea", "apac", "amer"}
	texts    = []string{"Hello", "I want to return an item", "Where is my order?", "Thanks", "Agent please",
		"Your order #4411 ships today", "How would you rate us?", "Please choose an option"}
)

func generate(seed int64, now time.Time, scale float64) []*User {
	// Anchor to the day: two fakes started seconds apart (a rerun of the
	// demo) must serve the same history, as a real API would.
	now = now.UTC().Truncate(24 * time.Hour)
	rng := rand.New(rand.NewSource(seed))
	n := int(math.Round(150 * scale))
	if n < 1 {
		n = 1
	}
	users := make([]*User, 0, n)
	seq := 0
	for i := 0; i < n; i++ {
		rating := []string{"1", "1", "1", "1", "2", "2", "2", "3", "3", "3", "3", "4", "4", "4", "4", "4", "5", "5", "5", "5"}[rng.Intn(20)]
		u := &User{
			ID:      fmt.Sprintf("tw_%05x%03d", rng.Intn(1<<20), i),
			Name:    names[rng.Intn(len(names))] + " " + string(rune('A'+rng.Intn(26))) + ".",
			Channel: channels[rng.Intn(len(channels))],
			Attributes: map[string]any{
				"feedback_rating": rating,
				"plan":            plans[rng.Intn(len(plans))],
				"region":          regions[rng.Intn(len(regions))],
			},
			CreatedAt: now.Add(-time.Hour - time.Duration(rng.Int63n(int64(200*24*time.Hour)))).Truncate(time.Millisecond),
		}
		if rng.Float64() < 0.3 {
			u.Attributes["language"] = "en"
		}
		start := now.Add(-History)
		if u.CreatedAt.After(start) {
			start = u.CreatedAt
		}
		for day := start.Truncate(24 * time.Hour); day.Before(now); day = day.Add(24 * time.Hour) {
			if rng.Float64() >= 0.2 {
				continue
			}
			at := day.Add(time.Duration(rng.Int63n(int64(22 * time.Hour)))).Truncate(time.Millisecond)
			for k := 2 + rng.Intn(5); k > 0 && at.Before(now); k-- {
				if at.Before(u.CreatedAt) {
					at = u.CreatedAt.Add(time.Second)
					continue
				}
				seq++
				u.Messages = append(u.Messages, message(rng, seq, at))
				at = at.Add(time.Duration(1000+rng.Intn(120000)) * time.Millisecond)
			}
		}
		users = append(users, u)
	}
	sort.Slice(users, func(i, j int) bool { return users[i].ID < users[j].ID })
	return users
}

func message(rng *rand.Rand, seq int, at time.Time) Message {
	m := Message{ID: fmt.Sprintf("msg_%08x%06d", rng.Uint32(), seq), Timestamp: at}
	m.From = []string{"user", "bot", "bot", "agent"}[rng.Intn(4)]
	switch r := rng.Intn(10); {
	case r < 5:
		m.Type = "text"
		t := texts[rng.Intn(len(texts))]
		m.Text = &t
		m.Payload = map[string]any{"language": "en"}
	case r < 6:
		m.Type = "image"
		m.Payload = map[string]any{"url": fmt.Sprintf("https://media.technowiz.example/%08x.jpg", rng.Uint32()), "caption": nil}
	case r < 7:
		m.Type = "button"
		m.Payload = map[string]any{"buttons": []any{map[string]any{"title": "Yes", "value": "yes"}, map[string]any{"title": "No", "value": "no"}}}
	case r < 8:
		m.Type = "template"
		m.Payload = map[string]any{"name": "order_shipped", "language": "en", "params": []any{"4411", "today"}}
	case r < 9:
		m.Type = "location"
		m.Payload = map[string]any{"lat": math.Round(rng.Float64()*18000-9000) / 100, "lng": math.Round(rng.Float64()*36000-18000) / 100}
	default:
		m.Type = "quick_reply"
		m.Payload = map[string]any{"options": []any{"1 star", "2 stars", "3 stars", "4 stars", "5 stars"}, "selected": nil}
	}
	return m
}
