package keyring

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden_v1.json")

// golden is a set of values made by this package once and stored, so that
// a change that would make existing databases or ciphertexts unreadable
// fails the tests.
type golden struct {
	DomainKey       hexBytes          `json:"domain_key"`
	KeyCheckValue   hexBytes          `json:"key_check_value"`
	Ref             MaterialRef       `json:"ref"`
	WrappedMaterial hexBytes          `json:"wrapped_material"`
	Context         map[string]string `json:"context"`
	Plaintext       hexBytes          `json:"plaintext"`
	Blob            hexBytes          `json:"blob"`
	SecretLabel     string            `json:"secret_label"`
	Secret          hexBytes          `json:"secret"`
	WrappedSecret   hexBytes          `json:"wrapped_secret"`
}

type hexOut []byte

func (h hexOut) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(h)) }

func TestGoldenV1(t *testing.T) {
	path := filepath.Join("testdata", "golden_v1.json")
	if *update {
		writeGolden(t, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if err := CheckDomainKey(g.DomainKey, g.KeyCheckValue); err != nil {
		t.Fatalf("CheckDomainKey: %v", err)
	}
	src := newMemSource()
	src.put(g.Ref, g.WrappedMaterial)
	k, err := Open(g.DomainKey, Options{Source: src.get})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	h, pt, err := k.Decrypt(t.Context(), g.Blob, g.Context)
	if err != nil {
		t.Fatalf("Decrypt of the stored blob: %v", err)
	}
	if h.Ref() != g.Ref || !bytes.Equal(pt, g.Plaintext) {
		t.Errorf("Decrypt = %+v, %x; want %+v, %x", h, pt, g.Ref, []byte(g.Plaintext))
	}
	s, err := k.UnwrapSecret(g.SecretLabel, g.WrappedSecret)
	if err != nil || !bytes.Equal(s, g.Secret) {
		t.Errorf("UnwrapSecret = %x, %v", s, err)
	}
}

func writeGolden(t *testing.T, path string) {
	dk := bytes.Repeat([]byte{0x5a}, DomainKeySize)
	ref := MaterialRef{Account: "111122223333", Region: "us-west-2", KeyID: "mrk-0123456789abcdef0123456789abcdef", Version: 2}
	src := newMemSource()
	k, err := Open(dk, Options{Source: src.get})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	w, err := k.NewSymmetricMaterial(ref)
	if err != nil {
		t.Fatal(err)
	}
	src.put(ref, w)
	ec := map[string]string{"purpose": "golden", "ab": "c"}
	pt := []byte("Trent ciphertext format v1")
	blob, err := k.Encrypt(context.Background(), ref, pt, ec)
	if err != nil {
		t.Fatal(err)
	}
	secretBytes := []byte("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
	label := "iam access key AKIDEXAMPLE"
	ws, err := k.WrapSecret(label, secretBytes)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{
		"domain_key": hexOut(dk), "key_check_value": hexOut(KeyCheckValue(dk)), "ref": ref,
		"wrapped_material": hexOut(w), "context": ec, "plaintext": hexOut(pt), "blob": hexOut(blob),
		"secret_label": label, "secret": hexOut(secretBytes), "wrapped_secret": hexOut(ws),
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
