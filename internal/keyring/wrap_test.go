package keyring

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
)

func TestDomainKey(t *testing.T) {
	dk, err := NewDomainKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(dk) != DomainKeySize {
		t.Fatalf("domain key is %d bytes", len(dk))
	}
	if _, err := NewDomainKey(bytes.NewReader(make([]byte, 31))); err == nil {
		t.Error("NewDomainKey from a short source succeeded")
	}

	// Known answer: HMAC-SHA256(key, "trent key check value v1")[:16],
	// computed independently of the package.
	fixed := bytes.Repeat([]byte{0x42}, DomainKeySize)
	mac := hmac.New(sha256.New, fixed)
	mac.Write([]byte("trent key check value v1"))
	want := mac.Sum(nil)[:16]
	kcv := KeyCheckValue(fixed)
	if !bytes.Equal(kcv, want) {
		t.Errorf("KeyCheckValue = %x, want %x", kcv, want)
	}

	other := bytes.Repeat([]byte{0x43}, DomainKeySize)
	tests := []struct {
		name string
		key  []byte
		kcv  []byte
		want error
	}{
		{"match", fixed, kcv, nil},
		{"other key", other, kcv, ErrKeyCheckMismatch},
		{"truncated kcv", fixed, kcv[:15], ErrKeyCheckMismatch},
		{"empty kcv", fixed, nil, ErrKeyCheckMismatch},
		{"short key", fixed[:16], kcv, ErrInvalidDomainKey},
		{"nil key", nil, kcv, ErrInvalidDomainKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckDomainKey(tt.key, tt.kcv); !errors.Is(err, tt.want) {
				t.Errorf("CheckDomainKey = %v, want %v", err, tt.want)
			}
		})
	}

	func() {
		defer func() {
			if recover() == nil {
				t.Error("KeyCheckValue of a short key did not panic")
			}
		}()
		KeyCheckValue(fixed[:31])
	}()

	for _, n := range []int{0, 16, 31, 33} {
		if _, err := Open(make([]byte, n), Options{}); !errors.Is(err, ErrInvalidDomainKey) {
			t.Errorf("Open with a %d-byte key: err = %v, want ErrInvalidDomainKey", n, err)
		}
	}
	if _, err := Open(fixed, Options{CacheSize: -1}); err == nil {
		t.Error("Open with a negative cache size succeeded")
	}
}

// TestKDF checks the SP 800-108 counter-mode derivation against a direct
// computation of its definition, and pins one output.
func TestKDF(t *testing.T) {
	key := bytes.Repeat([]byte{0x01}, KeySize)
	nonce := bytes.Repeat([]byte{0x02}, nonceSize)
	in := []byte{0, 0, 0, 1}
	in = append(in, "trent msg v1"...)
	in = append(in, 0)
	in = append(in, nonce...)
	in = append(in, 0, 0, 1, 0)
	if len(in) != kdfInputSize {
		t.Fatalf("fixed input is %d bytes, want %d", len(in), kdfInputSize)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(in)
	want := mac.Sum(nil)

	m := newMaterial(testRef, func() secret { s := newSecret(); copy(s.bytes(), key); return s }())
	defer m.release()
	var sc scratch
	for i := range 3 { // the first pass clones, later ones reuse the spare
		p := m.getPRF()
		kdfCounter(&sc.mk, p.h, sc.kdfIn[:], msgLabel, nonce)
		m.putPRF(p)
		if !bytes.Equal(sc.mk[:], want) {
			t.Fatalf("pass %d: message key = %x, want %x", i, sc.mk, want)
		}
	}
	// Computed independently (Python hmac) from the definition above.
	const golden = "f52df86efc0df0f054e610f03e643152c77804fa7f5753e32ac7fcf79fc32576"
	if got := hex.EncodeToString(want); got != golden {
		t.Errorf("pinned KDF output = %s, want %s", got, golden)
	}
}

func TestMaterialWrapBindsRef(t *testing.T) {
	k, _ := newTestKeyring(t, Options{})
	w, err := k.NewSymmetricMaterial(testRef)
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 1+ivSize+KeySize+tagSize || w[0] != wrappedVersion {
		t.Fatalf("wrapped material: %d bytes, version %#x", len(w), w[0])
	}
	key, err := k.unwrapMaterial(testRef, w)
	if err != nil {
		t.Fatal(err)
	}
	key.zero()

	tests := []struct {
		name string
		edit func(*MaterialRef)
	}{
		{"account", func(r *MaterialRef) { r.Account = "111122223334" }},
		{"region", func(r *MaterialRef) { r.Region = "us-east-2" }},
		{"key ID", func(r *MaterialRef) { r.KeyID = "1234abcd-12ab-34cd-56ef-1234567890ac" }},
		{"version", func(r *MaterialRef) { r.Version = 2 }},
		// Shifting a character between fields must not collide.
		{"region/key boundary", func(r *MaterialRef) { r.Region = "us-east-11"; r.KeyID = "234abcd-12ab-34cd-56ef-1234567890ab" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testRef
			tt.edit(&r)
			if _, err := k.unwrapMaterial(r, w); !errors.Is(err, ErrUnwrap) {
				t.Errorf("unwrap for %v: err = %v, want ErrUnwrap", r, err)
			}
		})
	}

	// A secret wrapped with a label that spells the material's AAD cannot
	// pass for material, and vice versa.
	s, _ := k.WrapSecret(string(materialAAD(testRef)), make([]byte, KeySize))
	if _, err := k.unwrapMaterial(testRef, s); !errors.Is(err, ErrUnwrap) {
		t.Errorf("secret unwrapped as material: err = %v", err)
	}
	for i := range w {
		c := bytes.Clone(w)
		c[i] ^= 0x80
		if _, err := k.unwrapMaterial(testRef, c); !errors.Is(err, ErrUnwrap) {
			t.Errorf("byte %d edited: err = %v, want ErrUnwrap", i, err)
		}
	}
	if _, err := k.unwrapMaterial(testRef, w[:len(w)-1]); !errors.Is(err, ErrUnwrap) {
		t.Errorf("truncated: err = %v, want ErrUnwrap", err)
	}
}

func TestWrapSecret(t *testing.T) {
	k, _ := newTestKeyring(t, Options{})
	other, _ := newTestKeyring(t, Options{})
	secretKey := []byte("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
	const label = "access key AKIDEXAMPLE"
	w, err := k.WrapSecret(label, secretKey)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(w, secretKey) {
		t.Fatal("wrapped secret contains the plaintext")
	}
	got, err := k.UnwrapSecret(label, w)
	if err != nil || !bytes.Equal(got, secretKey) {
		t.Fatalf("UnwrapSecret = %q, %v", got, err)
	}
	empty, _ := k.WrapSecret(label, nil)
	if got, err := k.UnwrapSecret(label, empty); err != nil || len(got) != 0 {
		t.Errorf("empty secret: %q, %v", got, err)
	}

	edited := bytes.Clone(w)
	edited[len(edited)-1] ^= 1
	tests := []struct {
		name  string
		k     *Keyring
		label string
		w     []byte
	}{
		{"other label", k, "access key AKIDEXAMPLF", w},
		{"label prefix", k, "access key", w},
		{"other domain key", other, label, w},
		{"edited", k, label, edited},
		{"truncated", k, label, w[:10]},
		{"empty", k, label, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.k.UnwrapSecret(tt.label, tt.w)
			if !errors.Is(err, ErrUnwrap) || got != nil {
				t.Errorf("UnwrapSecret = %q, %v; want ErrUnwrap", got, err)
			}
		})
	}
	if _, err := k.WrapSecret("", secretKey); err == nil {
		t.Error("WrapSecret with an empty label succeeded")
	}
}
