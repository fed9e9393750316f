package keyring

import (
	"bytes"
	"crypto/hmac"
	"crypto/mlkem"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"hash"
	"testing"

	"github.com/cloudflare/circl/kem/mlkem/mlkem1024"
	"github.com/cloudflare/circl/kem/mlkem/mlkem512"
	"github.com/cloudflare/circl/kem/mlkem/mlkem768"
)

func TestHMAC(t *testing.T) {
	k, src := newTestKeyring(t, Options{})
	ctx := t.Context()
	tests := []struct {
		spec, alg string
		newHash   func() hash.Hash
		keyLen    int
	}{
		{"HMAC_224", "HMAC_SHA_224", sha256.New224, 28},
		{"HMAC_256", "HMAC_SHA_256", sha256.New, 32},
		{"HMAC_384", "HMAC_SHA_384", sha512.New384, 48},
		{"HMAC_512", "HMAC_SHA_512", sha512.New, 64},
	}
	algs := []string{"HMAC_SHA_224", "HMAC_SHA_256", "HMAC_SHA_384", "HMAC_SHA_512"}
	for i, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			// Known material through the test-only constructor, so that
			// crypto/hmac can compute the same tag.
			key := randBytes(t, tt.keyLen)
			ref := refN(200 + i)
			if err := putRaw(t, k, src, ref, tt.spec, key); err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{0, 1, 55, 64, 1000, MaxMessageSize} {
				msg := randBytes(t, n)
				for pass := range 3 { // clone, then the spare, then the spare again
					tag, err := k.GenerateMac(ctx, ref, tt.alg, msg)
					if err != nil {
						t.Fatal(err)
					}
					want := hmac.New(tt.newHash, key)
					want.Write(msg)
					if !bytes.Equal(tag, want.Sum(nil)) {
						t.Fatalf("%d bytes, pass %d: tag differs from crypto/hmac's", n, pass)
					}
					if err := k.VerifyMac(ctx, ref, tt.alg, msg, tag); err != nil {
						t.Errorf("VerifyMac(own tag) = %v", err)
					}
					bad := bytes.Clone(tag)
					bad[len(bad)-1] ^= 1
					for name, m := range map[string][]byte{"flipped": bad, "truncated": tag[:len(tag)/2], "empty": nil, "long": append(bytes.Clone(tag), 0)} {
						if err := k.VerifyMac(ctx, ref, tt.alg, msg, m); !errors.Is(err, ErrInvalidMac) {
							t.Errorf("VerifyMac(%s) = %v, want ErrInvalidMac", name, err)
						}
					}
				}
			}
			for _, alg := range append(algs, "INVALID", "") {
				if alg == tt.alg {
					continue
				}
				if _, err := k.GenerateMac(ctx, ref, alg, []byte("m")); !errors.Is(err, ErrAlgorithmMismatch) {
					t.Errorf("GenerateMac(%s) = %v, want ErrAlgorithmMismatch", alg, err)
				}
				if err := k.VerifyMac(ctx, ref, alg, []byte("m"), make([]byte, 32)); !errors.Is(err, ErrAlgorithmMismatch) {
					t.Errorf("VerifyMac(%s) = %v, want ErrAlgorithmMismatch", alg, err)
				}
			}
			if _, err := k.GenerateMac(ctx, ref, tt.alg, make([]byte, MaxMessageSize+1)); !errors.Is(err, ErrInvalidSize) {
				t.Errorf("GenerateMac(4097 bytes) = %v, want ErrInvalidSize", err)
			}
		})
	}
	fx := keysFixture(t)
	for _, spec := range []string{"SYMMETRIC_DEFAULT", "RSA_2048", "ECC_NIST_P256", "ML_KEM_768"} {
		if _, err := fx.k.GenerateMac(ctx, fx.refs[spec], "HMAC_SHA_256", []byte("m")); !errors.Is(err, ErrWrongKeyType) {
			t.Errorf("GenerateMac with %s = %v, want ErrWrongKeyType", spec, err)
		}
	}
	// Generated keys are the spec's size, and symmetric operations refuse them.
	for _, tt := range tests {
		m := mustAcquire(t, fx.k, fx.refs[tt.spec])
		if len(m.macKey) != tt.keyLen {
			t.Errorf("%s key is %d bytes, want %d", tt.spec, len(m.macKey), tt.keyLen)
		}
		m.release()
		if _, err := fx.k.Encrypt(ctx, fx.refs[tt.spec], []byte("x"), nil); !errors.Is(err, ErrWrongKeyType) {
			t.Errorf("Encrypt with %s = %v, want ErrWrongKeyType", tt.spec, err)
		}
	}
	// Key sizes outside hash size..block size are refused.
	for _, n := range []int{27, 65} {
		if err := putRaw(t, k, src, refN(300), "HMAC_224", make([]byte, n)); !errors.Is(err, ErrInvalidKeyMaterial) {
			t.Errorf("HMAC_224 key of %d bytes: %v, want ErrInvalidKeyMaterial", n, err)
		}
	}
}

func TestMLKEM(t *testing.T) {
	k, src := newTestKeyring(t, Options{})
	ctx := t.Context()
	tests := []struct {
		spec   string
		ctSize int
		// Second implementation: circl for 768/1024 (Trent uses
		// crypto/mlkem), crypto/mlkem cannot do 512 (Trent uses circl; the
		// Wycheproof vectors check it).
		derive func(seed []byte) (ek []byte, decaps func(ct []byte) []byte, encaps func() (ct, ss []byte))
	}{
		{"ML_KEM_512", 768, func(seed []byte) ([]byte, func([]byte) []byte, func() ([]byte, []byte)) {
			pk, sk := mlkem512.Scheme().DeriveKeyPair(seed)
			ek, _ := pk.MarshalBinary()
			return ek, func(ct []byte) []byte { ss, _ := mlkem512.Scheme().Decapsulate(sk, ct); return ss },
				func() ([]byte, []byte) { ct, ss, _ := mlkem512.Scheme().Encapsulate(pk); return ct, ss }
		}},
		{"ML_KEM_768", 1088, func(seed []byte) ([]byte, func([]byte) []byte, func() ([]byte, []byte)) {
			pk, sk := mlkem768.Scheme().DeriveKeyPair(seed)
			ek, _ := pk.MarshalBinary()
			return ek, func(ct []byte) []byte { ss, _ := mlkem768.Scheme().Decapsulate(sk, ct); return ss },
				func() ([]byte, []byte) { ct, ss, _ := mlkem768.Scheme().Encapsulate(pk); return ct, ss }
		}},
		{"ML_KEM_1024", 1568, func(seed []byte) ([]byte, func([]byte) []byte, func() ([]byte, []byte)) {
			dk, _ := mlkem.NewDecapsulationKey1024(seed)
			pk, sk := mlkem1024.Scheme().DeriveKeyPair(seed)
			ek, _ := pk.MarshalBinary()
			if !bytes.Equal(ek, dk.EncapsulationKey().Bytes()) {
				panic("circl and crypto/mlkem disagree")
			}
			return ek, func(ct []byte) []byte { ss, _ := mlkem1024.Scheme().Decapsulate(sk, ct); return ss },
				func() ([]byte, []byte) { ct, ss, _ := mlkem1024.Scheme().Encapsulate(pk); return ct, ss }
		}},
	}
	for i, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			seed := randBytes(t, 64)
			ref := refN(400 + i)
			if err := putRaw(t, k, src, ref, tt.spec, seed); err != nil {
				t.Fatal(err)
			}
			ek, otherDecaps, otherEncaps := tt.derive(seed)
			spki, err := k.PublicKey(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(spki, ek) {
				t.Error("SPKI does not end with the encapsulation key the other implementation derives")
			}
			ct, ss, err := k.Encapsulate(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			if len(ct) != tt.ctSize || len(ss) != SharedSecretSize {
				t.Errorf("Encapsulate = %d-byte ciphertext, %d-byte secret; want %d, 32", len(ct), len(ss), tt.ctSize)
			}
			if got, err := k.Decapsulate(ctx, ref, ct); err != nil || !bytes.Equal(got, ss) {
				t.Errorf("Decapsulate(Encapsulate) = %x, %v; want %x", got, err, ss)
			}
			if got := otherDecaps(ct); !bytes.Equal(got, ss) {
				t.Error("the other implementation decapsulates another secret")
			}
			oct, oss := otherEncaps()
			if got, err := k.Decapsulate(ctx, ref, oct); err != nil || !bytes.Equal(got, oss) {
				t.Error("Decapsulate of the other implementation's ciphertext gives another secret")
			}
			// Implicit rejection: an altered ciphertext yields 32 other bytes.
			bad := bytes.Clone(ct)
			bad[0] ^= 1
			got, err := k.Decapsulate(ctx, ref, bad)
			if err != nil || len(got) != SharedSecretSize || bytes.Equal(got, ss) {
				t.Errorf("Decapsulate(altered) = %x, %v; want 32 other bytes", got, err)
			}
			if again, _ := k.Decapsulate(ctx, ref, bad); !bytes.Equal(again, got) {
				t.Error("implicit rejection is not deterministic")
			}
			for _, c := range [][]byte{nil, ct[1:], append(bytes.Clone(ct), 0)} {
				if _, err := k.Decapsulate(ctx, ref, c); !errors.Is(err, ErrInvalidCiphertext) {
					t.Errorf("Decapsulate(%d bytes) = %v, want ErrInvalidCiphertext", len(c), err)
				}
			}
		})
	}
	fx := keysFixture(t)
	for _, spec := range []string{"SYMMETRIC_DEFAULT", "RSA_2048", "ECC_NIST_P256", "HMAC_256", "ML_DSA_44"} {
		if _, _, err := fx.k.Encapsulate(ctx, fx.refs[spec]); !errors.Is(err, ErrWrongKeyType) {
			t.Errorf("Encapsulate with %s = %v, want ErrWrongKeyType", spec, err)
		}
		if _, err := fx.k.Decapsulate(ctx, fx.refs[spec], make([]byte, 1088)); !errors.Is(err, ErrWrongKeyType) {
			t.Errorf("Decapsulate with %s = %v, want ErrWrongKeyType", spec, err)
		}
	}
}
