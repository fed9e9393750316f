package keyring

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Project Wycheproof vectors (testdata/wycheproof, Apache-2.0).

type wycheproofFile[G any] struct {
	Algorithm     string `json:"algorithm"`
	NumberOfTests int    `json:"numberOfTests"`
	TestGroups    []G    `json:"testGroups"`
}

type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	*h = v
	return err
}

func loadWycheproof[G any](t *testing.T, name string) wycheproofFile[G] {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "wycheproof", name))
	if err != nil {
		t.Fatal(err)
	}
	var f wycheproofFile[G]
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

type aeadGroup struct {
	KeySize int `json:"keySize"`
	IVSize  int `json:"ivSize"`
	TagSize int `json:"tagSize"`
	Tests   []struct {
		TcID    int      `json:"tcId"`
		Comment string   `json:"comment"`
		Key     hexBytes `json:"key"`
		IV      hexBytes `json:"iv"`
		AAD     hexBytes `json:"aad"`
		Msg     hexBytes `json:"msg"`
		CT      hexBytes `json:"ct"`
		Tag     hexBytes `json:"tag"`
		Result  string   `json:"result"`
	} `json:"tests"`
}

// TestWycheproofAESGCM runs the AES-256-GCM vectors with 96-bit IVs and
// 128-bit tags — the parameters of every blob — through newGCM, the AEAD
// constructor Encrypt and Decrypt use (whose input is IV || ciphertext ||
// tag).
func TestWycheproofAESGCM(t *testing.T) {
	f := loadWycheproof[aeadGroup](t, "aes_gcm_test.json")
	ran := 0
	for _, g := range f.TestGroups {
		if g.KeySize != 256 || g.IVSize != 96 || g.TagSize != 128 {
			continue
		}
		for _, tc := range g.Tests {
			var key [KeySize]byte
			copy(key[:], tc.Key)
			aead, err := newGCM(&key)
			if err != nil {
				t.Fatalf("tc %d: %v", tc.TcID, err)
			}
			sealed := append(append(bytes.Clone(tc.IV), tc.CT...), tc.Tag...)
			got, err := aead.Open(nil, nil, sealed, tc.AAD)
			switch tc.Result {
			case "valid":
				if err != nil || !bytes.Equal(got, tc.Msg) {
					t.Errorf("tc %d (%s): Open = %x, %v; want %x", tc.TcID, tc.Comment, got, err, tc.Msg)
				}
				// Our Seal, with its random IV, opens with a standard GCM.
				out := aead.Seal(nil, nil, tc.Msg, tc.AAD)
				block, _ := aes.NewCipher(tc.Key)
				std, _ := cipher.NewGCM(block)
				pt, err := std.Open(nil, out[:ivSize], out[ivSize:], tc.AAD)
				if err != nil || !bytes.Equal(pt, tc.Msg) {
					t.Errorf("tc %d: standard GCM cannot open our Seal: %v", tc.TcID, err)
				}
			case "invalid":
				if err == nil {
					t.Errorf("tc %d (%s): Open accepted an invalid ciphertext", tc.TcID, tc.Comment)
				}
			default:
				continue
			}
			ran++
		}
	}
	if ran < 50 {
		t.Fatalf("ran %d AES-256-GCM vectors; the file or the filter is wrong", ran)
	}
}

type macGroup struct {
	KeySize int `json:"keySize"`
	TagSize int `json:"tagSize"`
	Tests   []struct {
		TcID    int      `json:"tcId"`
		Comment string   `json:"comment"`
		Key     hexBytes `json:"key"`
		Msg     hexBytes `json:"msg"`
		Tag     hexBytes `json:"tag"`
		Result  string   `json:"result"`
	} `json:"tests"`
}

// TestWycheproofHMAC runs the HMAC-SHA256 vectors with 256-bit keys (the
// size of backing keys) through the cached material's keyed HMAC state,
// twice per key: the first pass clones the precomputed state, the second
// reuses the clone after Reset — the two paths of the message-key KDF.
func TestWycheproofHMAC(t *testing.T) {
	f := loadWycheproof[macGroup](t, "hmac_sha256_test.json")
	ran := 0
	for _, g := range f.TestGroups {
		if g.KeySize != 8*KeySize {
			continue
		}
		for _, tc := range g.Tests {
			key := newSecret()
			copy(key.bytes(), tc.Key)
			m := newMaterial(testRef, key)
			for pass := range 2 {
				p := m.getPRF()
				p.h.Write(tc.Msg)
				sum := p.h.Sum(nil)[:g.TagSize/8]
				m.putPRF(p)
				match := bytes.Equal(sum, tc.Tag)
				if want := tc.Result == "valid"; match != want {
					t.Errorf("tc %d (%s) pass %d: tag match = %v, want %v", tc.TcID, tc.Comment, pass, match, want)
				}
			}
			m.release()
			ran++
		}
	}
	if ran < 100 {
		t.Fatalf("ran %d HMAC vectors; the file or the filter is wrong", ran)
	}
}
