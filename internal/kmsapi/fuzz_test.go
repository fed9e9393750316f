package kmsapi

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// decodeSeeds returns, for every operation, request bodies that
// encoding/json writes for its request type filled at random, plus the
// request bodies of internal/awsjson's tests and fuzz corpus.
func decodeSeeds(tb testing.TB, ops []*Operation) [][]byte {
	tb.Helper()
	var out [][]byte
	f := filler{rand.New(rand.NewPCG(5, 6))}
	for _, op := range ops {
		for range 20 {
			v := reflect.ValueOf(op.NewInput())
			f.fill(v.Elem(), nil, 0)
			b, err := json.Marshal(v.Interface())
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, b)
		}
	}
	for _, pattern := range []string{"../awsjson/testdata/bodies/*.json", "../awsjson/testdata/fuzz/FuzzDecode/*", "testdata/bodies/*.json"} {
		files, err := filepath.Glob(pattern)
		if err != nil || len(files) == 0 {
			tb.Fatalf("no seed files match %s (%v)", pattern, err)
		}
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, corpusBody(b))
		}
	}
	return out
}

// corpusBody returns the []byte of a Go fuzz corpus file ("go test fuzz
// v1" then one []byte("...") line), or b itself.
func corpusBody(b []byte) []byte {
	const head = "go test fuzz v1\n[]byte("
	s := string(b)
	if len(s) < len(head) || s[:len(head)] != head {
		return b
	}
	var q string
	rest := s[len(head):]
	if i := len(rest) - 1; i >= 0 {
		for i >= 0 && rest[i] != ')' {
			i--
		}
		if i >= 0 {
			rest = rest[:i]
		}
	}
	if err := json.Unmarshal([]byte(rest), &q); err != nil {
		return b // not a plain quoted string: use the file as it is
	}
	return []byte(q)
}

// TestDecodeMatchesEncodingJSON runs every seed through every
// operation's decoder (checkDecode).
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	ops := Operations()
	for _, body := range decodeSeeds(t, ops) {
		for _, op := range ops {
			checkDecode(t, op, body)
		}
	}
}

// FuzzDecodeMatchesEncodingJSON is the differential fuzz test of the
// generated decoders against encoding/json into the generated types.
func FuzzDecodeMatchesEncodingJSON(f *testing.F) {
	ops := Operations()
	for i, body := range decodeSeeds(f, ops) {
		f.Add(uint8(i), body)
	}
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		checkDecode(t, ops[int(op)%len(ops)], body)
	})
}
