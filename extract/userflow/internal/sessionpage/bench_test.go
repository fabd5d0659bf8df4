package sessionpage

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/adoptionlabs/etl/extract/userflow/userflowfake"
)

// BenchmarkDecodeSessionsPage decodes one page of 100 sessions with their
// answers into the typed items: item by item, whole with encoding/json,
// and with the decoder the extractor uses.
func BenchmarkDecodeSessionsPage(b *testing.B) {
	fake := userflowfake.New(userflowfake.Options{Seed: 11, Now: testNow, Scale: 4})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/content_sessions?expand=answers&limit=100&order_by=-last_activity_at", nil)
	req.Header.Set("Authorization", "Bearer "+fake.APIKey())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	var page rawList
	if err := json.Unmarshal(body, &page); err != nil || len(page.Data) != 100 {
		b.Fatalf("page: %v, %d items", err, len(page.Data))
	}
	run := func(b *testing.B, session func(json.RawMessage) (RawItem, error), answer func(json.RawMessage) (Answer, error)) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var page rawList
			if err := json.Unmarshal(body, &page); err != nil {
				b.Fatal(err)
			}
			for _, raw := range page.Data {
				it, err := session(raw)
				if err != nil {
					b.Fatal(err)
				}
				for _, a := range it.Answers {
					if _, err := answer(a); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	}
	// Item by item, as a page that does not decode whole is.
	b.Run("items-encoding-json", func(b *testing.B) { run(b, decodeItem[RawItem], decodeItem[Answer]) })
	// What the walk reads before asking for the next page: the cursor and
	// where the page ends.
	b.Run("cursor", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var p Page
			if err := p.DecodeJSONBody(body); err != nil || p.oldest == "" {
				b.Fatalf("%v, oldest %q", err, p.oldest)
			}
		}
	})
	// Then the whole page in one pass, off the walk: with encoding/json
	// (the general path, which the pages the specialised decoder refuses
	// take), and as Decode does it, with the decoder specialised to the
	// page's shape. Both include the cursor read above.
	b.Run("page", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var p Page
			if err := p.DecodeJSONBody(body); err != nil {
				b.Fatal(err)
			}
			whole := p.body
			p.body = nil
			if err := p.decodeGeneral(whole); err != nil || len(p.Items) != 100 {
				b.Fatalf("%v, %d items", err, len(p.Items))
			}
		}
	})
	// "reused" decodes as the walk does: into the arrays of a page already
	// emitted.
	for _, reuse := range []bool{false, true} {
		name := "page-scanner"
		if reuse {
			name += "-reused"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				var p Page
				if err := p.DecodeJSONBody(body); err != nil {
					b.Fatal(err)
				}
				if err := p.Decode(); err != nil || len(p.Items) != 100 {
					b.Fatalf("%v, %d items", err, len(p.Items))
				}
				if reuse {
					pageArrayPool.put(p.arrays)
				}
			}
		})
	}
}

// decodeItem decodes one list item, as the walk does on a page that did
// not decode whole.
func decodeItem[T any](raw json.RawMessage) (T, error) {
	var v T
	err := json.Unmarshal(raw, &v)
	return v, err
}
