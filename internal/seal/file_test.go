package seal

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// fixedRand returns a reader that yields b and then fails.
func fixedRand(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func testKey(fill byte) []byte { return bytes.Repeat([]byte{fill}, rootKeySize) }

func newTestFile(t *testing.T, fill byte) *File {
	t.Helper()
	f, err := CreateFile(filepath.Join(t.TempDir(), "seal.key"), fixedRand(testKey(fill)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func domainKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, DomainKeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestCreateOpenRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "seal.key")
	created, err := CreateFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer created.Close()
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("mode = %v, want 0600", got)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "trent-root-key-v1\n") || !strings.HasSuffix(string(data), "\n") {
		t.Errorf("file content %q lacks the header line or final newline", data)
	}

	opened, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()

	dk := domainKey(t)
	ctx := t.Context()
	w, err := created.Wrap(ctx, dk)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(w), wrapHeader+ivSize+DomainKeySize+tagSize; got != want {
		t.Errorf("wrapped length = %d, want %d", got, want)
	}
	if w[0] != wrapVersion {
		t.Errorf("version byte = %#x, want %#x", w[0], wrapVersion)
	}
	got, err := opened.Unwrap(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, dk) {
		t.Error("Unwrap(Wrap(k)) != k")
	}
	if opened.Name() != "file" {
		t.Errorf("Name() = %q, want file", opened.Name())
	}
}

func TestCreateFileNeverOverwrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seal.key")
	f, err := CreateFile(path, fixedRand(testKey(1)))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	before, _ := os.ReadFile(path)
	if _, err := CreateFile(path, fixedRand(testKey(2))); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second CreateFile: err = %v, want fs.ErrExist", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("second CreateFile changed the file")
	}
}

func TestCreateFileShortRandom(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seal.key")
	if _, err := CreateFile(path, fixedRand(make([]byte, 5))); err == nil {
		t.Fatal("CreateFile with a short random source succeeded")
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("file exists after a failed CreateFile: %v", err)
	}
}

func TestOpenFileErrors(t *testing.T) {
	good := string(encodeKeyFile(testKey(7)))
	b64 := base64.StdEncoding.EncodeToString(testKey(7))
	tests := []struct {
		name    string
		content string // "" with create=false: no file
		create  bool
		perm    fs.FileMode
		wantErr error
	}{
		{"missing", "", false, 0, fs.ErrNotExist},
		{"valid", good, true, 0o600, nil},
		{"valid read-only", good, true, 0o400, nil},
		{"crlf", "trent-root-key-v1\r\n" + b64 + "\r\n", true, 0o600, nil},
		{"no final newline", "trent-root-key-v1\n" + b64, true, 0o600, nil},
		{"empty", "", true, 0o600, ErrInvalidKeyFile},
		{"wrong header", "trent-root-key-v2\n" + b64 + "\n", true, 0o600, ErrInvalidKeyFile},
		{"no header", b64 + "\n", true, 0o600, ErrInvalidKeyFile},
		{"short key", "trent-root-key-v1\n" + base64.StdEncoding.EncodeToString(make([]byte, 16)) + "\n", true, 0o600, ErrInvalidKeyFile},
		{"long key", "trent-root-key-v1\n" + base64.StdEncoding.EncodeToString(make([]byte, 33)) + "\n", true, 0o600, ErrInvalidKeyFile},
		{"bad base64", "trent-root-key-v1\n" + strings.Repeat("!", 44) + "\n", true, 0o600, ErrInvalidKeyFile},
		{"trailing data", good + "more\n", true, 0o600, ErrInvalidKeyFile},
		{"huge", good + strings.Repeat("x", maxFileBytes), true, 0o600, ErrInvalidKeyFile},
		{"group readable", good, true, 0o640, ErrInsecurePermissions},
		{"world readable", good, true, 0o644, ErrInsecurePermissions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if runtime.GOOS == "windows" && tt.wantErr == ErrInsecurePermissions {
				t.Skip("no permission bits on Windows")
			}
			path := filepath.Join(t.TempDir(), "seal.key")
			if tt.create {
				if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.perm); err != nil {
					t.Fatal(err)
				}
			}
			f, err := OpenFile(path)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("OpenFile: %v", err)
				}
				f.Close()
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("OpenFile: err = %v, want %v", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), b64) {
				t.Errorf("error %q quotes the key", err)
			}
		})
	}
	t.Run("directory", func(t *testing.T) {
		if _, err := OpenFile(t.TempDir()); !errors.Is(err, ErrInvalidKeyFile) {
			t.Errorf("OpenFile(dir): err = %v, want ErrInvalidKeyFile", err)
		}
	})
}

func TestUnwrapErrors(t *testing.T) {
	f := newTestFile(t, 1)
	other := newTestFile(t, 2)
	ctx := t.Context()
	w, err := f.Wrap(ctx, domainKey(t))
	if err != nil {
		t.Fatal(err)
	}
	fromOther, err := other.Wrap(ctx, domainKey(t))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		c := bytes.Clone(w)
		c[i] ^= 0x01
		return c
	}
	tests := []struct {
		name    string
		blob    []byte
		wantErr error
	}{
		{"other root key", fromOther, ErrWrongRootKey},
		{"empty", nil, ErrMalformed},
		{"truncated", w[:wrapHeader+ivSize+tagSize-1], ErrMalformed},
		{"unknown version", flip(0), ErrMalformed},
		{"edited identifier", flip(1), ErrWrongRootKey},
		{"edited IV", flip(wrapHeader), ErrCorrupt},
		{"edited ciphertext", flip(wrapHeader + ivSize), ErrCorrupt},
		{"edited tag", flip(len(w) - 1), ErrCorrupt},
		{"truncated tag", w[:len(w)-1], ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.Unwrap(ctx, tt.blob)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if got != nil {
				t.Error("Unwrap returned bytes with an error")
			}
		})
	}
}

func TestWrapRejectsWrongSize(t *testing.T) {
	f := newTestFile(t, 1)
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := f.Wrap(t.Context(), make([]byte, n)); err == nil {
			t.Errorf("Wrap of %d bytes succeeded", n)
		}
	}
}

func TestWrapIsRandomised(t *testing.T) {
	f := newTestFile(t, 1)
	dk := domainKey(t)
	a, _ := f.Wrap(t.Context(), dk)
	b, _ := f.Wrap(t.Context(), dk)
	if bytes.Equal(a, b) {
		t.Error("two wraps of one key are equal")
	}
}

func TestClose(t *testing.T) {
	f := newTestFile(t, 1)
	w, err := f.Wrap(t.Context(), domainKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if *f.wrapKey != [32]byte{} {
		t.Error("Close left the key in memory")
	}
	if _, err := f.Wrap(t.Context(), domainKey(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("Wrap after Close: err = %v, want ErrClosed", err)
	}
	if _, err := f.Unwrap(t.Context(), w); !errors.Is(err, ErrClosed) {
		t.Errorf("Unwrap after Close: err = %v, want ErrClosed", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestNeverPrintsKey(t *testing.T) {
	key := testKey(0xab)
	f, err := CreateFile(filepath.Join(t.TempDir(), "seal.key"), fixedRand(bytes.Clone(key)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	secrets := []string{
		base64.StdEncoding.EncodeToString(key), hex.EncodeToString(key), fmt.Sprint(key),
		hex.EncodeToString(f.wrapKey[:]), fmt.Sprint(f.wrapKey[:]), string(f.wrapKey[:]),
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		for _, v := range []any{f, struct{ F *File }{f}, []*File{f}} {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("Sprintf(%q, %T) = %q contains key material", verb, v, out)
				}
			}
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	f := newTestFile(t, 3)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				dk := make([]byte, DomainKeySize)
				rand.Read(dk)
				w, err := f.Wrap(t.Context(), dk)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := f.Unwrap(t.Context(), w)
				if err != nil || !bytes.Equal(got, dk) {
					t.Errorf("round trip failed: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestKnownAnswer unwraps a blob made independently (Python's cryptography
// package) from the format in docs/ciphertext-format.md §4: root key
// 32 × 0x11, domain key 00..1f, IV 12 × 0x22.
func TestKnownAnswer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seal.key")
	content := "trent-root-key-v1\nERERERERERERERERERERERERERERERERERERERERERE=\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, _ := hex.DecodeString("01869481670513d1bd2222222222222222222222229d875e0fca2b7ceb496d7a6f4d1080c35cc69aee0d2b5f3a8dfc2723fc35798560bae85f258afa2fb2b12ff1ec82311b")
	got, err := f.Unwrap(t.Context(), w)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 32)
	for i := range want {
		want[i] = byte(i)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Unwrap = %x, want %x", got, want)
	}
	if string(encodeKeyFile(bytes.Repeat([]byte{0x11}, 32))) != content {
		t.Error("encodeKeyFile does not match the documented file format")
	}
}
