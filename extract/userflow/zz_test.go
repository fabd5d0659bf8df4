package userflow

import (
	"encoding/json"
	"testing"
	"os"
	gojson "github.com/goccy/go-json"
)

func BenchmarkZZLoop(b *testing.B) {
	body, _ := os.ReadFile("/tmp/page100.json")
	b.SetBytes(int64(len(body)))
	n := 0
	for i := 0; i < b.N; i++ {
		for _, c := range body {
			if c == '"' { n++ }
		}
	}
	_ = n
}
func BenchmarkZZValid(b *testing.B) {
	body, _ := os.ReadFile("/tmp/page100.json")
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		json.Valid(body)
	}
}
func BenchmarkZZScanner(b *testing.B) {
	body, _ := os.ReadFile("/tmp/page100.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		decodeSessionsList(body)
	}
}

func BenchmarkZZGoccy(b *testing.B) {
	body, _ := os.ReadFile("/tmp/page100.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var l sessionsList
		gojson.Unmarshal(body, &l)
	}
}
