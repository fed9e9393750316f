package keyring

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestEncryptDecryptRoundTrip(t *testing.T) {
	mrk := MaterialRef{Account: "999988887777", Region: strings.Repeat("r", maxRegionLen), KeyID: "mrk-1234abcd12ab34cd56ef1234567890ab", Version: 3}
	k, _ := newTestKeyring(t, Options{}, testRef, mrk)
	tests := []struct {
		name string
		ref  MaterialRef
		size int
		ec   map[string]string
	}{
		{"empty plaintext", testRef, 0, nil},
		{"one byte", testRef, 1, nil},
		{"32 bytes, context", testRef, 32, map[string]string{"purpose": "test"}},
		{"1 KiB, many pairs", testRef, 1024, map[string]string{"a": "1", "b": "2", "c": "3", "aws:x": "y", "": ""}},
		{"4 KiB", testRef, MaxPlaintextSize, map[string]string{"tenant": "ü"}},
		{"mrk, longest region", mrk, MaxPlaintextSize, map[string]string{"k": strings.Repeat("v", 1000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt := randBytes(t, tt.size)
			blob, err := k.Encrypt(t.Context(), tt.ref, pt, tt.ec)
			if err != nil {
				t.Fatal(err)
			}
			if want := headerSize(tt.ref) + bodyOverhead + tt.size; len(blob) != want {
				t.Errorf("blob length = %d, want %d", len(blob), want)
			}
			if len(blob) > MaxCiphertextSize {
				t.Errorf("blob length %d exceeds %d", len(blob), MaxCiphertextSize)
			}
			h, err := ParseHeader(blob)
			if err != nil || h.Ref() != tt.ref {
				t.Fatalf("ParseHeader = %+v, %v; want %+v", h, err, tt.ref)
			}
			// A copy of the context with the same pairs, built in another
			// order, decrypts.
			ec2 := map[string]string{}
			for k, v := range tt.ec {
				ec2[k] = v
			}
			h2, got, err := k.Decrypt(t.Context(), blob, ec2)
			if err != nil {
				t.Fatal(err)
			}
			if h2 != h {
				t.Errorf("Decrypt header = %+v, want %+v", h2, h)
			}
			if !bytes.Equal(got, pt) {
				t.Error("Decrypt(Encrypt(p)) != p")
			}
		})
	}
}

// TestMaxBlobSize: the largest blob, 4096 bytes of plaintext under the
// longest header, fits AWS's 6144-byte ciphertext limit.
func TestMaxBlobSize(t *testing.T) {
	if got := maxHeaderSize + bodyOverhead + MaxPlaintextSize; got > MaxCiphertextSize {
		t.Fatalf("largest blob is %d bytes, over %d", got, MaxCiphertextSize)
	}
	k, _ := newTestKeyring(t, Options{}, testRef)
	if _, err := k.Encrypt(t.Context(), testRef, make([]byte, MaxPlaintextSize+1), nil); !errors.Is(err, ErrInvalidSize) {
		t.Errorf("Encrypt of %d bytes: err = %v, want ErrInvalidSize", MaxPlaintextSize+1, err)
	}
}

func TestEncryptIsRandomised(t *testing.T) {
	k, _ := newTestKeyring(t, Options{}, testRef)
	a, _ := k.Encrypt(t.Context(), testRef, []byte("same"), nil)
	b, _ := k.Encrypt(t.Context(), testRef, []byte("same"), nil)
	hs := headerSize(testRef)
	if bytes.Equal(a[hs:hs+nonceSize], b[hs:hs+nonceSize]) || bytes.Equal(a, b) {
		t.Error("two encryptions share a nonce or a blob")
	}
}

func TestDecryptWrongContext(t *testing.T) {
	k, _ := newTestKeyring(t, Options{}, testRef)
	tests := []struct {
		name     string
		enc, dec map[string]string
	}{
		{"ab:c vs a:bc", map[string]string{"ab": "c"}, map[string]string{"a": "bc"}},
		{"a:bc vs ab:c", map[string]string{"a": "bc"}, map[string]string{"ab": "c"}},
		{"missing", map[string]string{"k": "v"}, nil},
		{"extra", nil, map[string]string{"k": "v"}},
		{"extra pair", map[string]string{"k": "v"}, map[string]string{"k": "v", "x": "y"}},
		{"other value", map[string]string{"k": "v"}, map[string]string{"k": "w"}},
		{"case", map[string]string{"k": "v"}, map[string]string{"K": "v"}},
		{"empty key vs missing", map[string]string{"": ""}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blob, err := k.Encrypt(t.Context(), testRef, []byte("secret"), tt.enc)
			if err != nil {
				t.Fatal(err)
			}
			h, pt, err := k.Decrypt(t.Context(), blob, tt.dec)
			if !errors.Is(err, ErrInvalidCiphertext) || pt != nil || h != (Header{}) {
				t.Errorf("Decrypt = %+v, %q, %v; want ErrInvalidCiphertext", h, pt, err)
			}
		})
	}
	// nil and empty are the same context.
	blob, _ := k.Encrypt(t.Context(), testRef, []byte("x"), map[string]string{})
	if _, _, err := k.Decrypt(t.Context(), blob, nil); err != nil {
		t.Errorf("encrypt with {} and decrypt with nil: %v", err)
	}
}

// TestEveryByteFlip flips every byte of a blob with every nonzero XOR mask.
// Whatever a flip does — break the header, name another key or version
// (which exists: the source mints material for any ref), or edit the body —
// Decrypt never returns plaintext, and for a blob whose header still names
// the original key the error is ErrInvalidCiphertext.
func TestEveryByteFlip(t *testing.T) {
	k, src := newTestKeyring(t, Options{}, testRef)
	src.mint = k
	ec := map[string]string{"purpose": "flip"}
	blob, err := k.Encrypt(t.Context(), testRef, []byte("attack at dawn, attack at dawn!!"), ec)
	if err != nil {
		t.Fatal(err)
	}
	otherKey := 0
	mutated := make([]byte, len(blob))
	for i := range blob {
		for mask := 1; mask < 256; mask++ {
			copy(mutated, blob)
			mutated[i] ^= byte(mask)
			h, err := ParseHeader(mutated)
			if err != nil {
				continue
			}
			_, pt, err := k.Decrypt(t.Context(), mutated, ec)
			if err == nil || pt != nil {
				t.Fatalf("byte %d ^ %#x: Decrypt returned plaintext", i, mask)
			}
			if h.Ref() != testRef {
				otherKey++
			}
			if !errors.Is(err, ErrInvalidCiphertext) {
				t.Fatalf("byte %d ^ %#x: err = %v, want ErrInvalidCiphertext", i, mask, err)
			}
		}
	}
	if otherKey == 0 {
		t.Error("no flip named another key; the test lost its teeth")
	}
	t.Logf("%d flips named another existing key or version", otherKey)
}

func TestDecryptTruncatedAndExtended(t *testing.T) {
	k, _ := newTestKeyring(t, Options{}, testRef)
	blob, _ := k.Encrypt(t.Context(), testRef, []byte("0123456789"), nil)
	for n := range len(blob) {
		if _, pt, err := k.Decrypt(t.Context(), blob[:n], nil); !errors.Is(err, ErrInvalidCiphertext) || pt != nil {
			t.Fatalf("truncated to %d: err = %v", n, err)
		}
	}
	if _, _, err := k.Decrypt(t.Context(), append(bytes.Clone(blob), 0), nil); !errors.Is(err, ErrInvalidCiphertext) {
		t.Errorf("extended blob: err = %v, want ErrInvalidCiphertext", err)
	}
}

func TestDecryptUnknownMaterialVersion(t *testing.T) {
	k, _ := newTestKeyring(t, Options{}, testRef)
	other := testRef
	other.Version = 2
	blob := blobFor(other, bodyOverhead+8)
	if _, _, err := k.Decrypt(t.Context(), blob, nil); !errors.Is(err, ErrInvalidCiphertext) {
		t.Errorf("unknown version: err = %v, want ErrInvalidCiphertext", err)
	}
	// Encrypt under it reports the missing material.
	if _, err := k.Encrypt(t.Context(), other, nil, nil); !errors.Is(err, ErrMaterialNotFound) {
		t.Errorf("Encrypt under unknown version: err = %v, want ErrMaterialNotFound", err)
	}
}

func TestWrongDomainKey(t *testing.T) {
	a, srcA := newTestKeyring(t, Options{}, testRef)
	blob, err := a.Encrypt(t.Context(), testRef, []byte("secret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// b reads a's database with another domain key.
	b, _ := newTestKeyring(t, Options{Source: srcA.get})
	if _, pt, err := b.Decrypt(t.Context(), blob, nil); !errors.Is(err, ErrUnwrap) || pt != nil {
		t.Errorf("Decrypt under another domain key: err = %v, want ErrUnwrap", err)
	}
	if _, err := b.Encrypt(t.Context(), testRef, []byte("x"), nil); !errors.Is(err, ErrUnwrap) {
		t.Errorf("Encrypt under another domain key: err = %v, want ErrUnwrap", err)
	}
}

func TestReEncrypt(t *testing.T) {
	dst := refN(2)
	rotated := testRef
	rotated.Version = 2
	k, _ := newTestKeyring(t, Options{}, testRef, dst, rotated)
	srcCtx := map[string]string{"from": "a"}
	dstCtx := map[string]string{"to": "b"}
	pt := []byte("re-encrypt me")
	blob, _ := k.Encrypt(t.Context(), testRef, pt, srcCtx)

	tests := []struct {
		name   string
		dstRef MaterialRef
		dstCtx map[string]string
	}{
		{"other key, other context", dst, dstCtx},
		{"same key, new version", rotated, nil},
		{"same key and version", testRef, srcCtx},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, out, err := k.ReEncrypt(t.Context(), blob, srcCtx, tt.dstRef, tt.dstCtx)
			if err != nil {
				t.Fatal(err)
			}
			if h.Ref() != testRef {
				t.Errorf("source header = %+v, want %+v", h, testRef)
			}
			h2, got, err := k.Decrypt(t.Context(), out, tt.dstCtx)
			if err != nil || !bytes.Equal(got, pt) || h2.Ref() != tt.dstRef {
				t.Errorf("Decrypt(ReEncrypt) = %+v, %q, %v", h2, got, err)
			}
		})
	}

	if _, _, err := k.ReEncrypt(t.Context(), blob, nil, dst, nil); !errors.Is(err, ErrInvalidCiphertext) {
		t.Errorf("wrong source context: err = %v, want ErrInvalidCiphertext", err)
	}
	missing := refN(99)
	if _, _, err := k.ReEncrypt(t.Context(), blob, srcCtx, missing, nil); !errors.Is(err, ErrMaterialNotFound) {
		t.Errorf("missing destination: err = %v, want ErrMaterialNotFound", err)
	}
	bad := dst
	bad.Region = "BAD"
	if _, _, err := k.ReEncrypt(t.Context(), blob, srcCtx, bad, nil); !errors.Is(err, ErrInvalidRef) {
		t.Errorf("invalid destination: err = %v, want ErrInvalidRef", err)
	}
}

func TestGenerateDataKey(t *testing.T) {
	k, _ := newTestKeyring(t, Options{}, testRef)
	ec := map[string]string{"dk": "1"}
	for _, n := range []int{1, 16, 32, 64, MaxRandomSize} {
		pt, blob, err := k.GenerateDataKey(t.Context(), testRef, n, ec)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if len(pt) != n {
			t.Errorf("n=%d: plaintext is %d bytes", n, len(pt))
		}
		_, got, err := k.Decrypt(t.Context(), blob, ec)
		if err != nil || !bytes.Equal(got, pt) {
			t.Errorf("n=%d: Decrypt = %v", n, err)
		}
	}
	for _, n := range []int{-1, 0, MaxRandomSize + 1} {
		if _, _, err := k.GenerateDataKey(t.Context(), testRef, n, nil); !errors.Is(err, ErrInvalidSize) {
			t.Errorf("n=%d: err = %v, want ErrInvalidSize", n, err)
		}
	}
}

func TestRandom(t *testing.T) {
	k, _ := newTestKeyring(t, Options{Rand: bytes.NewReader(bytes.Repeat([]byte{7}, 64))})
	b, err := k.Random(64)
	if err != nil || !bytes.Equal(b, bytes.Repeat([]byte{7}, 64)) {
		t.Errorf("Random did not read the injected source: %x, %v", b, err)
	}
	if _, err := k.Random(1); err == nil {
		t.Error("Random from an exhausted source succeeded")
	}
	for _, n := range []int{0, -3, MaxRandomSize + 1} {
		if _, err := k.Random(n); !errors.Is(err, ErrInvalidSize) {
			t.Errorf("Random(%d): err = %v, want ErrInvalidSize", n, err)
		}
	}
}

func TestEncryptInvalidRef(t *testing.T) {
	k, _ := newTestKeyring(t, Options{})
	bad := testRef
	bad.KeyID = "alias/nope"
	if _, err := k.Encrypt(t.Context(), bad, nil, nil); !errors.Is(err, ErrInvalidRef) {
		t.Errorf("err = %v, want ErrInvalidRef", err)
	}
	if _, err := k.NewSymmetricMaterial(bad); !errors.Is(err, ErrInvalidRef) {
		t.Errorf("NewSymmetricMaterial: err = %v, want ErrInvalidRef", err)
	}
}

func TestNoSource(t *testing.T) {
	k, err := Open(testDomainKey(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if _, err := k.Encrypt(t.Context(), testRef, nil, nil); !errors.Is(err, ErrMaterialNotFound) {
		t.Errorf("Encrypt without a source: err = %v, want ErrMaterialNotFound", err)
	}
	if _, _, err := k.Decrypt(t.Context(), blobFor(testRef, bodyOverhead), nil); !errors.Is(err, ErrInvalidCiphertext) {
		t.Errorf("Decrypt without a source: err = %v, want ErrInvalidCiphertext", err)
	}
}

func TestClosed(t *testing.T) {
	k, _ := newTestKeyring(t, Options{}, testRef)
	blob, _ := k.Encrypt(t.Context(), testRef, []byte("x"), nil)
	w, _ := k.WrapSecret("l", []byte("s"))
	m, err := k.acquire(t.Context(), testRef)
	if err != nil {
		t.Fatal(err)
	}
	m.release()
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if !k.wrapKey.isZero() {
		t.Error("Close left the wrapping key")
	}
	if !m.key.isZero() {
		t.Error("Close left cached material")
	}
	checks := map[string]error{}
	_, checks["Encrypt"] = k.Encrypt(t.Context(), testRef, nil, nil)
	_, _, checks["Decrypt"] = k.Decrypt(t.Context(), blob, nil)
	_, _, checks["ReEncrypt"] = k.ReEncrypt(t.Context(), blob, nil, testRef, nil)
	_, _, checks["GenerateDataKey"] = k.GenerateDataKey(t.Context(), testRef, 32, nil)
	_, checks["Random"] = k.Random(8)
	_, checks["NewSymmetricMaterial"] = k.NewSymmetricMaterial(testRef)
	_, checks["WrapSecret"] = k.WrapSecret("l", []byte("s"))
	_, checks["UnwrapSecret"] = k.UnwrapSecret("l", w)
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: err = %v, want ErrClosed", name, err)
		}
	}
	if err := k.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
