package whatfix

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ColumnName turns a report's own column name ("Completion Rate (%)",
// "flowName", "# of Users") into the warehouse column name
// (completion_rate_pct, flow_name, num_of_users). CSV headers and JSON keys
// of the same report name the same column this way, whichever style the
// vendor used. The result may be "" (a name with no letters or digits);
// ColumnNames replaces those by position.
func ColumnName(s string) string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	runes := []rune(strings.TrimSpace(s))
	for i, r := range runes {
		if sym, ok := symbolWords[r]; ok {
			flush()
			words = append(words, sym)
			continue
		}
		if folded, ok := latinFold[r]; ok {
			// Folded letters keep the case of the original for word splits.
			if unicode.IsUpper(r) && len(cur) > 0 && startsWord(runes, i) {
				flush()
			}
			cur = append(cur, []rune(folded)...)
			continue
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if len(cur) > 0 && startsWord(runes, i) {
			flush()
		}
		cur = append(cur, unicode.ToLower(r))
	}
	flush()
	name := strings.Join(words, "_")
	if name != "" {
		if r, _ := utf8.DecodeRuneInString(name); unicode.IsDigit(r) {
			// Unquoted SQL identifiers cannot start with a digit.
			name = "c_" + name
		}
	}
	return name
}

// startsWord reports a camelCase boundary before runes[i]: "flowName" splits
// before N, "HTTPStatus" before S, "userID" not inside ID, "top10Flows"
// before F and between p and 1.
func startsWord(runes []rune, i int) bool {
	if i == 0 {
		return false
	}
	prev, r := runes[i-1], runes[i]
	switch {
	case unicode.IsUpper(r):
		if unicode.IsLower(prev) || unicode.IsDigit(prev) {
			return true
		}
		if unicode.IsUpper(prev) && i+1 < len(runes) && unicode.IsLower(runes[i+1]) {
			return true
		}
	case unicode.IsDigit(r):
		return unicode.IsLetter(prev)
	}
	return false
}

// symbolWords are the symbols report headers use as words.
var symbolWords = map[rune]string{
	'%': "pct",
	'#': "num",
	'&': "and",
	'+': "plus",
	'@': "at",
}

// latinFold spells accented Latin letters in ASCII, so "Durée" and "Duree"
// land in one column. Other scripts are kept (lower-cased) rather than lost.
var latinFold = map[rune]string{}

func init() {
	for _, pair := range []struct{ from, to string }{
		{"àáâãäåāăą", "a"}, {"ÀÁÂÃÄÅĀĂĄ", "a"}, {"æ", "ae"}, {"Æ", "ae"},
		{"çćĉċč", "c"}, {"ÇĆĈĊČ", "c"}, {"ďđ", "d"}, {"ĎĐ", "d"},
		{"èéêëēĕėęě", "e"}, {"ÈÉÊËĒĔĖĘĚ", "e"}, {"ĝğġģ", "g"}, {"ĜĞĠĢ", "g"},
		{"ìíîïĩīĭįı", "i"}, {"ÌÍÎÏĨĪĬĮİ", "i"}, {"ñńņňŉ", "n"}, {"ÑŃŅŇ", "n"},
		{"òóôõöøōŏő", "o"}, {"ÒÓÔÕÖØŌŎŐ", "o"}, {"œ", "oe"}, {"Œ", "oe"},
		{"ŕŗř", "r"}, {"ŔŖŘ", "r"}, {"śŝşš", "s"}, {"ŚŜŞŠ", "s"}, {"ß", "ss"},
		{"ţťŧ", "t"}, {"ŢŤŦ", "t"}, {"ùúûüũūŭůűų", "u"}, {"ÙÚÛÜŨŪŬŮŰŲ", "u"},
		{"ýÿŷ", "y"}, {"ÝŸŶ", "y"}, {"źżž", "z"}, {"ŹŻŽ", "z"}, {"łľĺļ", "l"}, {"ŁĽĹĻ", "l"},
	} {
		for _, r := range pair.from {
			latinFold[r] = pair.to
		}
	}
}

// ColumnNames names every column of a report: ColumnName of each, a
// positional name for those with none, and _2, _3, … for repeats and for
// names that would shadow a column etl adds itself (reserved).
func ColumnNames(headers []string, reserved ...string) []string {
	taken := make(map[string]bool, len(headers)+len(reserved))
	for _, r := range reserved {
		taken[r] = true
	}
	base := make([]string, len(headers))
	for i, h := range headers {
		base[i] = ColumnName(h)
		if base[i] == "" {
			base[i] = "column_" + strconv.Itoa(i+1)
		}
	}
	// Plain names first, so that a later duplicate never steals the name of
	// a column that has it outright ("views", "views_2" then "views").
	plain := make(map[string]int, len(base))
	for _, b := range base {
		plain[b]++
	}
	out := make([]string, len(headers))
	for i, b := range base {
		name := b
		if taken[name] {
			for n := 2; ; n++ {
				name = b + "_" + strconv.Itoa(n)
				if !taken[name] && plain[name] == 0 {
					break
				}
			}
		}
		taken[name] = true
		out[i] = name
	}
	return out
}
