package keyring

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"hash"
	"testing"
)

// rsaAESWrap makes RSA_AES_KEY_WRAP_* EncryptedKeyMaterial as AWS
// documents it: RSA-OAEP(h) of a fresh 32-byte AES key, then
// KWP(that key, raw).
func rsaAESWrap(t testing.TB, h hash.Hash, pub *rsa.PublicKey, raw []byte) []byte {
	t.Helper()
	eph := randBytes(t, 32)
	defer clear(eph)
	part2, err := kwpWrap(eph, raw)
	if err != nil {
		t.Fatalf("kwpWrap: %v", err)
	}
	return append(oaepWrap(t, h, pub, eph), part2...)
}

func TestImportRSAAESKeyWrap(t *testing.T) {
	for _, alg := range []struct {
		name string
		h    func() hash.Hash
	}{{"RSA_AES_KEY_WRAP_SHA_256", sha256.New}, {"RSA_AES_KEY_WRAP_SHA_1", sha1.New}} {
		t.Run(alg.name, func(t *testing.T) {
			k, src := newTestKeyring(t, Options{})
			// Symmetric: the imported key is the one sent, and its ID is
			// the one OAEP import of the same bytes gets.
			token, pub := importParams(t, k, testRef, alg.name)
			raw := randBytes(t, KeySize)
			w, id, err := k.ImportMaterial(testRef, "SYMMETRIC_DEFAULT", token, rsaAESWrap(t, alg.h(), pub, raw), importNow)
			if err != nil {
				t.Fatalf("ImportMaterial: %v", err)
			}
			got := make([]byte, 0, KeySize)
			if err := k.unwrap(got, materialAAD(testRef), w); err != nil {
				t.Fatal(err)
			}
			if got = got[:KeySize]; !bytes.Equal(got, raw) {
				t.Error("imported key is not the material sent")
			}
			oToken, oPub := importParams(t, k, testRef, "RSAES_OAEP_SHA_256")
			_, id2, err := k.ImportMaterial(testRef, "SYMMETRIC_DEFAULT", oToken, oaepWrap(t, sha256.New(), oPub, raw), importNow)
			if err != nil || id2 != id {
				t.Errorf("OAEP import of the same material: ID %s, %v; want %s", id2, err, id)
			}

			// HMAC: the MAC is crypto/hmac's under the material sent.
			ref := refN(2)
			token, pub = importParams(t, k, ref, alg.name)
			hk := randBytes(t, 64)
			w, _, err = k.ImportMaterial(ref, "HMAC_256", token, rsaAESWrap(t, alg.h(), pub, hk), importNow)
			if err != nil {
				t.Fatalf("ImportMaterial HMAC: %v", err)
			}
			src.put(ref, w)
			got, err = k.GenerateMac(t.Context(), ref, "HMAC_SHA_256", []byte("msg"))
			if err != nil {
				t.Fatalf("GenerateMac: %v", err)
			}
			mac := hmac.New(sha256.New, hk)
			mac.Write([]byte("msg"))
			if !bytes.Equal(got, mac.Sum(nil)) {
				t.Error("MAC of the imported HMAC key is not crypto/hmac's")
			}
		})
	}
}

func TestImportRSAPrivateKey(t *testing.T) {
	k, _ := newTestKeyring(t, Options{})
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	token, pub := importParams(t, k, testRef, "RSA_AES_KEY_WRAP_SHA_256")
	w, id, err := k.ImportMaterial(testRef, "RSA_2048", token, rsaAESWrap(t, sha256.New(), pub, p8), importNow)
	if err != nil {
		t.Fatalf("ImportMaterial RSA_2048: %v", err)
	}
	if len(id) != 64 {
		t.Errorf("material ID %q", id)
	}
	m, err := k.unwrapTypedMaterial(testRef, w)
	if err != nil {
		t.Fatal(err)
	}
	defer m.release()
	if m.asym == nil || m.asym.rsa == nil || !m.asym.rsa.Equal(priv) {
		t.Fatal("imported RSA key differs from the one sent")
	}

	// Refusals: OAEP for an RSA key (as AWS), the wrong size, not RSA,
	// not PKCS #8.
	oToken, oPub := importParams(t, k, testRef, "RSAES_OAEP_SHA_256")
	if _, _, err := k.ImportMaterial(testRef, "RSA_2048", oToken, oaepWrap(t, sha256.New(), oPub, randBytes(t, 32)), importNow); !errors.Is(err, ErrAlgorithmMismatch) {
		t.Errorf("RSA key with RSAES_OAEP: %v, want ErrAlgorithmMismatch", err)
	}
	if _, _, err := k.ImportMaterial(testRef, "RSA_3072", token, rsaAESWrap(t, sha256.New(), pub, p8), importNow); !errors.Is(err, ErrInvalidKeyMaterial) {
		t.Errorf("2048-bit key for RSA_3072: %v, want ErrInvalidKeyMaterial", err)
	}
	if _, _, err := k.ImportMaterial(testRef, "RSA_2048", token, rsaAESWrap(t, sha256.New(), pub, x509.MarshalPKCS1PrivateKey(priv)), importNow); !errors.Is(err, ErrInvalidKeyMaterial) {
		t.Errorf("PKCS #1 material: %v, want ErrInvalidKeyMaterial", err)
	}
}

func TestImportRSAAESKeyWrapErrors(t *testing.T) {
	k, _ := newTestKeyring(t, Options{})
	token, pub := importParams(t, k, testRef, "RSA_AES_KEY_WRAP_SHA_256")
	raw := randBytes(t, KeySize)
	good := rsaAESWrap(t, sha256.New(), pub, raw)
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 1; return b }
	eph := randBytes(t, 32)
	kw, _ := kwpWrap(eph, raw)
	short := randBytes(t, 16)
	kwShort, _ := kwpWrap(short, raw)
	for _, tt := range []struct {
		name string
		ct   []byte
		want error
	}{
		{"RSA part only", good[:256], ErrImportDecrypt},
		{"truncated KWP part", good[:len(good)-8], ErrImportDecrypt},
		{"RSA part altered", flip(10), ErrImportDecrypt},
		{"KWP part altered", flip(260), ErrImportDecrypt},
		{"SHA-1 RSA part", append(oaepWrap(t, sha1.New(), pub, eph), kw...), ErrImportDecrypt},
		{"16-byte ephemeral key", append(oaepWrap(t, sha256.New(), pub, short), kwShort...), ErrImportDecrypt},
		{"plain OAEP material", oaepWrap(t, sha256.New(), pub, raw), ErrImportDecrypt},
		{"16-byte symmetric material", rsaAESWrap(t, sha256.New(), pub, raw[:16]), ErrInvalidKeyMaterial},
	} {
		if _, _, err := k.ImportMaterial(testRef, "SYMMETRIC_DEFAULT", token, tt.ct, importNow); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, _, err := k.ImportMaterial(testRef, "SYMMETRIC_DEFAULT", token, good, importNow); err != nil {
		t.Errorf("good: %v", err)
	}
}

// FuzzImportKeyWrap: hostile RSA_AES_KEY_WRAP_* material never panics.
func FuzzImportKeyWrap(f *testing.F) {
	k, _ := newTestKeyring(f, Options{})
	token, pub := importParams(f, k, testRef, "RSA_AES_KEY_WRAP_SHA_256")
	f.Add(rsaAESWrap(f, sha256.New(), pub, randBytes(f, KeySize)))
	f.Add(make([]byte, 300))
	f.Fuzz(func(t *testing.T, ct []byte) {
		k.ImportMaterial(testRef, "SYMMETRIC_DEFAULT", token, ct, importNow)
		k.ImportMaterial(testRef, "RSA_2048", token, ct, importNow)
	})
}
