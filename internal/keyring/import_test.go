package keyring

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"hash"
	"testing"
	"time"
)

var importNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// importParams makes wrapping parameters for ref valid for 24 hours from
// importNow and returns the token and the parsed public key.
func importParams(t testing.TB, k *Keyring, ref MaterialRef, alg string) ([]byte, *rsa.PublicKey) {
	t.Helper()
	token, spki, err := k.ImportParameters(ref, "RSA_2048", alg, importNow.Add(24*time.Hour))
	if err != nil {
		t.Fatalf("ImportParameters: %v", err)
	}
	pub, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		t.Fatalf("parse wrapping key: %v", err)
	}
	return token, pub.(*rsa.PublicKey)
}

func oaepWrap(t testing.TB, h hash.Hash, pub *rsa.PublicKey, raw []byte) []byte {
	t.Helper()
	w, err := rsa.EncryptOAEP(h, rand.Reader, pub, raw, nil)
	if err != nil {
		t.Fatalf("EncryptOAEP: %v", err)
	}
	return w
}

// TestImportSymmetric: imported symmetric material encrypts and decrypts
// as generated material does, and is the key the client sent.
func TestImportSymmetric(t *testing.T) {
	for _, alg := range []struct {
		name string
		h    func() hash.Hash
	}{{"RSAES_OAEP_SHA_256", sha256.New}, {"RSAES_OAEP_SHA_1", sha1.New}} {
		t.Run(alg.name, func(t *testing.T) {
			k, src := newTestKeyring(t, Options{})
			token, pub := importParams(t, k, testRef, alg.name)
			raw := randBytes(t, KeySize)
			w, id, err := k.ImportMaterial(testRef, "SYMMETRIC_DEFAULT", token, oaepWrap(t, alg.h(), pub, raw), importNow)
			if err != nil {
				t.Fatalf("ImportMaterial: %v", err)
			}
			if len(id) != 64 {
				t.Errorf("material ID %q is not 64 hex digits", id)
			}
			key, err := k.unwrapMaterial(testRef, w)
			if err != nil {
				t.Fatalf("imported material does not unwrap as symmetric material: %v", err)
			}
			if !bytes.Equal(key.bytes(), raw) {
				t.Errorf("unwrapped material differs from the imported key")
			}
			key.zero()
			src.put(testRef, w)
			blob, err := k.Encrypt(t.Context(), testRef, []byte("pt"), nil)
			if err != nil {
				t.Fatalf("Encrypt: %v", err)
			}
			if _, pt, err := k.Decrypt(t.Context(), blob, nil); err != nil || string(pt) != "pt" {
				t.Errorf("Decrypt = %q, %v; want %q", pt, err, "pt")
			}
		})
	}
}

// TestImportHMAC: an imported HMAC key's MAC is crypto/hmac's, at both
// ends of the accepted key sizes.
func TestImportHMAC(t *testing.T) {
	for _, n := range []int{32, 64} {
		k, src := newTestKeyring(t, Options{})
		token, pub := importParams(t, k, testRef, "RSAES_OAEP_SHA_256")
		raw := randBytes(t, n)
		w, _, err := k.ImportMaterial(testRef, "HMAC_256", token, oaepWrap(t, sha256.New(), pub, raw), importNow)
		if err != nil {
			t.Fatalf("ImportMaterial of %d bytes: %v", n, err)
		}
		src.put(testRef, w)
		got, err := k.GenerateMac(t.Context(), testRef, "HMAC_SHA_256", []byte("msg"))
		if err != nil {
			t.Fatalf("GenerateMac: %v", err)
		}
		h := hmac.New(sha256.New, raw)
		h.Write([]byte("msg"))
		if want := h.Sum(nil); !bytes.Equal(got, want) {
			t.Errorf("%d-byte key: GenerateMac = %x, want %x", n, got, want)
		}
	}
}

// TestImportMaterialID: the same material gets the same ID in the same
// key, another in another key or under another domain key.
func TestImportMaterialID(t *testing.T) {
	dk := testDomainKey(t)
	k, _ := newTestKeyringWithKey(t, dk, Options{})
	k2, _ := newTestKeyring(t, Options{})
	raw := randBytes(t, KeySize)
	importID := func(k *Keyring, ref MaterialRef) string {
		t.Helper()
		token, pub := importParams(t, k, ref, "RSAES_OAEP_SHA_256")
		_, id, err := k.ImportMaterial(ref, "SYMMETRIC_DEFAULT", token, oaepWrap(t, sha256.New(), pub, raw), importNow)
		if err != nil {
			t.Fatalf("ImportMaterial: %v", err)
		}
		return id
	}
	first := importID(k, testRef)
	if again := importID(k, testRef); again != first {
		t.Errorf("re-import: ID %s, want %s", again, first)
	}
	if other := importID(k, refN(1)); other == first {
		t.Errorf("another key got the same material ID")
	}
	if other := importID(k2, testRef); other == first {
		t.Errorf("another domain key gave the same material ID")
	}
	plain := sha256.Sum256(raw)
	if first == hex.EncodeToString(plain[:]) {
		t.Errorf("material ID is the plain hash of the material")
	}
}

// TestImportErrors: every failure ImportMaterial documents.
func TestImportErrors(t *testing.T) {
	k, _ := newTestKeyring(t, Options{})
	other, _ := newTestKeyring(t, Options{})
	token, pub := importParams(t, k, testRef, "RSAES_OAEP_SHA_256")
	otherToken, _ := importParams(t, k, refN(1), "RSAES_OAEP_SHA_256")
	foreignToken, _ := importParams(t, other, testRef, "RSAES_OAEP_SHA_256")
	good := oaepWrap(t, sha256.New(), pub, randBytes(t, KeySize))
	altered := bytes.Clone(token)
	altered[40] ^= 1

	tests := []struct {
		name      string
		spec      string
		token, ct []byte
		now       time.Time
		want      error
	}{
		{"token of another key", "SYMMETRIC_DEFAULT", otherToken, good, importNow, ErrInvalidImportToken},
		{"token of another domain key", "SYMMETRIC_DEFAULT", foreignToken, good, importNow, ErrInvalidImportToken},
		{"altered token", "SYMMETRIC_DEFAULT", altered, good, importNow, ErrInvalidImportToken},
		{"truncated token", "SYMMETRIC_DEFAULT", token[:30], good, importNow, ErrInvalidImportToken},
		{"no token", "SYMMETRIC_DEFAULT", nil, good, importNow, ErrInvalidImportToken},
		{"expired token", "SYMMETRIC_DEFAULT", token, good, importNow.Add(24 * time.Hour), ErrExpiredImportToken},
		{"SHA-1 wrapped for a SHA-256 token", "SYMMETRIC_DEFAULT", token, oaepWrap(t, sha1.New(), pub, randBytes(t, KeySize)), importNow, ErrImportDecrypt},
		{"random ciphertext", "SYMMETRIC_DEFAULT", token, randBytes(t, 256), importNow, ErrImportDecrypt},
		{"16-byte symmetric key", "SYMMETRIC_DEFAULT", token, oaepWrap(t, sha256.New(), pub, randBytes(t, 16)), importNow, ErrInvalidKeyMaterial},
		{"33-byte symmetric key", "SYMMETRIC_DEFAULT", token, oaepWrap(t, sha256.New(), pub, randBytes(t, 33)), importNow, ErrInvalidKeyMaterial},
		{"27-byte HMAC_224 key", "HMAC_224", token, oaepWrap(t, sha256.New(), pub, randBytes(t, 27)), importNow, ErrInvalidKeyMaterial},
		{"65-byte HMAC_256 key", "HMAC_256", token, oaepWrap(t, sha256.New(), pub, randBytes(t, 65)), importNow, ErrInvalidKeyMaterial},
		{"47-byte HMAC_384 key", "HMAC_384", token, oaepWrap(t, sha256.New(), pub, randBytes(t, 47)), importNow, ErrInvalidKeyMaterial},
		{"Ed25519 key spec", "ECC_NIST_EDWARDS25519", token, good, importNow, ErrUnsupportedSpec},
		{"ML-DSA key spec", "ML_DSA_44", token, good, importNow, ErrUnsupportedSpec},
		{"RSA key with an RSAES_OAEP token", "RSA_2048", token, good, importNow, ErrAlgorithmMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := k.ImportMaterial(testRef, tt.spec, tt.token, tt.ct, tt.now)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if _, _, err := k.ImportMaterial(testRef, "SYMMETRIC_DEFAULT", token, good, importNow.Add(24*time.Hour-time.Second)); err != nil {
		t.Errorf("import a second before expiry: %v", err)
	}
}

func TestImportParametersErrors(t *testing.T) {
	k, _ := newTestKeyring(t, Options{})
	for _, tt := range []struct {
		spec, alg string
		want      error
	}{
		{"RSA_1024", "RSAES_OAEP_SHA_256", ErrUnsupportedSpec},
		{"SM2", "RSAES_OAEP_SHA_256", ErrUnsupportedSpec},
		{"RSA_2048", "RSAES_PKCS1_V1_5", ErrAlgorithmMismatch},
		{"RSA_2048", "RSA_AES_KEY_WRAP_SHA_512", ErrAlgorithmMismatch},
	} {
		if _, _, err := k.ImportParameters(testRef, tt.spec, tt.alg, importNow); !errors.Is(err, tt.want) {
			t.Errorf("ImportParameters(%s, %s): got %v, want %v", tt.spec, tt.alg, err, tt.want)
		}
	}
	if _, _, err := k.ImportParameters(MaterialRef{}, "RSA_2048", "RSAES_OAEP_SHA_256", importNow); !errors.Is(err, ErrInvalidRef) {
		t.Errorf("ImportParameters of an invalid ref: got %v, want ErrInvalidRef", err)
	}
}

// FuzzImportMaterial feeds hostile tokens and ciphertexts: ImportMaterial
// must fail cleanly, never panic.
func FuzzImportMaterial(f *testing.F) {
	k, _ := newTestKeyring(f, Options{})
	token, pub := importParams(f, k, testRef, "RSAES_OAEP_SHA_256")
	f.Add(token, oaepWrap(f, sha256.New(), pub, randBytes(f, KeySize)))
	f.Add([]byte{importTokenVersion}, []byte{})
	f.Fuzz(func(t *testing.T, token, ct []byte) {
		k.ImportMaterial(testRef, "HMAC_256", token, ct, importNow)
	})
}

// TestImportMaterialPlaced: the material is wrapped for the version that
// place chooses once it knows the material ID, which is the ID
// ImportMaterial reports; place's error stops the import.
func TestImportMaterialPlaced(t *testing.T) {
	k, _ := newTestKeyring(t, Options{})
	token, pub := importParams(t, k, testRef, "RSAES_OAEP_SHA_256")
	raw := randBytes(t, KeySize)
	enc := oaepWrap(t, sha256.New(), pub, raw)
	_, wantID, err := k.ImportMaterial(testRef, "SYMMETRIC_DEFAULT", token, enc, importNow)
	if err != nil {
		t.Fatalf("ImportMaterial: %v", err)
	}
	var seen string
	w, id, err := k.ImportMaterialPlaced(testRef, "SYMMETRIC_DEFAULT", token, enc, importNow, func(id string) (uint32, error) {
		seen = id
		return 7, nil
	})
	if err != nil || id != wantID || seen != wantID {
		t.Fatalf("ImportMaterialPlaced = %q, %v (place saw %q); want %q", id, err, seen, wantID)
	}
	v7 := testRef
	v7.Version = 7
	key, err := k.unwrapMaterial(v7, w)
	if err != nil {
		t.Fatalf("placed material does not unwrap as version 7: %v", err)
	}
	if !bytes.Equal(key.bytes(), raw) {
		t.Errorf("placed material differs from the imported key")
	}
	key.zero()
	if _, err := k.unwrapMaterial(testRef, w); err == nil {
		t.Errorf("placed material unwraps as version %d too", testRef.Version)
	}
	errPlace := errors.New("refused")
	if _, _, err := k.ImportMaterialPlaced(testRef, "SYMMETRIC_DEFAULT", token, enc, importNow, func(string) (uint32, error) { return 0, errPlace }); !errors.Is(err, errPlace) {
		t.Errorf("ImportMaterialPlaced with a refusing place: %v, want %v", err, errPlace)
	}
	if _, _, err := k.ImportMaterialPlaced(testRef, "SYMMETRIC_DEFAULT", token, enc, importNow, func(string) (uint32, error) { return 0, nil }); !errors.Is(err, ErrInvalidRef) {
		t.Errorf("ImportMaterialPlaced to version 0: %v, want ErrInvalidRef", err)
	}
}
