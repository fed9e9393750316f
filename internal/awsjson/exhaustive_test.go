package awsjson

import (
	"strings"
	"testing"
)

// words calls f with every concatenation of up to n tokens (one fewer
// with -short).
func words(tokens []string, n int, f func(string)) {
	if testing.Short() {
		n--
	}
	var rec func(prefix string, left int)
	rec = func(prefix string, left int) {
		f(prefix)
		if left == 0 {
			return
		}
		for _, tok := range tokens {
			rec(prefix+tok, left-1)
		}
	}
	rec("", n)
}

// The exhaustive tests compare the Decoder with encoding/json on every
// short combination of the tokens that matter to one value type, so the
// corner cases do not depend on the fuzzer finding them.

func TestExhaustiveBlobs(t *testing.T) {
	tokens := []string{"A", "/", "g", "=", `\n`, `\r`, `\u0041`, `\u003d`, "!", " ", "\xff"}
	words(tokens, 5, func(s string) {
		checkDecode(t, []byte(`{"Plaintext":"`+s+`"}`))
		checkDecode(t, []byte(`{"Plaintext":"AAAAAAAAAAAAAAAA`+s+`"}`))
	})
}

func TestExhaustiveNumbers(t *testing.T) {
	tokens := []string{"-", "0", "1", "9", ".", "e", "E", "+", "x"}
	words(tokens, 5, func(s string) {
		checkDecode(t, []byte(`{"NumberOfBytes":`+s+`}`))
		checkDecode(t, []byte(`{"Plaintext":[`+s+`]}`))
	})
	for _, s := range []string{"255", "256", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
		"-9223372036854775809", "18446744073709551616", "1" + strings.Repeat("0", 30), "0.0000000001", "1e-400", "1e400"} {
		checkDecode(t, []byte(`{"NumberOfBytes":`+s+`}`))
		checkDecode(t, []byte(`{"Plaintext":[`+s+`]}`))
	}
}

func TestExhaustiveStrings(t *testing.T) {
	tokens := []string{"a", `\ud800`, `\udbff`, `\udc00`, `\u0000`, `\"`, `\\`, `\/`, `\b`, "\xff", "\xed\xa0", "\x80", "\xf0\x9f", "é", "\u2028", "\x1f", `\x`, `\'`, `\u00`}
	words(tokens, 4, func(s string) {
		checkDecode(t, []byte(`{"KeyId":"`+s+`"}`))
		checkDecode(t, []byte(`{"EncryptionContext":{"`+s+`":"`+s+`"}}`))
		checkDecode(t, []byte(`{"`+s+`":1,"GrantTokens":["`+s+`"]}`))
	})
}

func TestExhaustiveStructure(t *testing.T) {
	tokens := []string{"{", "}", "[", "]", ",", ":", `"KeyId"`, "1", "null", "\t", "\f"}
	words(tokens, 5, func(s string) {
		checkDecode(t, []byte(s))
		checkDecode(t, []byte(`{"Recipient":{`+s))
		checkDecode(t, []byte(`{"Recipient":{"KeyEncryptionAlgorithm":null`+s))
	})
}
