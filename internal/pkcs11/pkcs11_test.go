//go:build !nopkcs11 && (linux || darwin) && (amd64 || arm64)

package pkcs11_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/pkcs11"
	"github.com/trentkms/trent/internal/pkcs11/softhsmtest"
)

const pin = "1234"

// openToken opens the module of env and logs in to token label.
func openToken(t *testing.T, env *softhsmtest.Env, label, pin string) (*pkcs11.Module, *pkcs11.Token) {
	t.Helper()
	m, err := pkcs11.Open(env.Module)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	tok, err := m.OpenToken(label, []byte(pin), pkcs11.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tok.Close() })
	return m, tok
}

func newToken(t *testing.T) (*softhsmtest.Env, *pkcs11.Module, *pkcs11.Token) {
	t.Helper()
	env := softhsmtest.New(t)
	env.InitToken("trent", pin)
	m, tok := openToken(t, env, "trent", pin)
	return env, m, tok
}

func TestSupported(t *testing.T) {
	if !pkcs11.Supported() {
		t.Fatal("Supported() = false in a build without the nopkcs11 tag")
	}
}

func TestOpenModuleErrors(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "not-a-library.so")
	if err := os.WriteFile(text, []byte("this is not an ELF file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"empty path", "", "no module path"},
		{"missing file", filepath.Join(dir, "missing.so"), "no such file"},
		{"directory", dir, "not a regular file"},
		{"not a shared library", text, "not-a-library.so"},
	}
	if runtime.GOOS == "linux" {
		// A real shared library, already loaded, without PKCS#11 in it.
		tests = append(tests, struct{ name, path, want string }{"shared library that is not PKCS#11", "libc.so.6", "not a PKCS#11 module"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := pkcs11.Open(tt.path)
			if err == nil {
				m.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, pkcs11.ErrModule) {
				t.Errorf("err = %v, want ErrModule", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestOpenTokenErrors(t *testing.T) {
	env := softhsmtest.New(t)
	env.InitToken("alpha", pin)
	env.InitToken("beta", pin)
	m, err := pkcs11.Open(env.Module)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	_, err = m.OpenToken("gamma", []byte(pin), pkcs11.TokenOptions{})
	if !errors.Is(err, pkcs11.ErrTokenNotFound) {
		t.Fatalf("missing token: err = %v, want ErrTokenNotFound", err)
	}
	if !strings.Contains(err.Error(), `"alpha"`) || !strings.Contains(err.Error(), `"beta"`) {
		t.Errorf("missing token: %q does not list the tokens there are", err)
	}
	if _, err := m.OpenToken(strings.Repeat("x", 33), []byte(pin), pkcs11.TokenOptions{}); !errors.Is(err, pkcs11.ErrTokenNotFound) {
		t.Errorf("33-byte label: err = %v, want ErrTokenNotFound", err)
	}

	_, err = m.OpenToken("alpha", []byte("9999"), pkcs11.TokenOptions{})
	if !errors.Is(err, pkcs11.ErrPINIncorrect) {
		t.Fatalf("wrong PIN: err = %v, want ErrPINIncorrect", err)
	}
	var pe *pkcs11.Error
	if !errors.As(err, &pe) || pe.Func != "C_Login" || !strings.Contains(err.Error(), "CKR_PIN_INCORRECT") {
		t.Errorf("wrong PIN: err = %v, want a C_Login CKR_PIN_INCORRECT *Error", err)
	}
	if strings.Contains(err.Error(), "9999") {
		t.Errorf("wrong PIN: error %q quotes the PIN", err)
	}
	if _, err := m.OpenToken("alpha", nil, pkcs11.TokenOptions{}); !errors.Is(err, pkcs11.ErrPINIncorrect) {
		t.Errorf("empty PIN: err = %v, want ErrPINIncorrect", err)
	}

	// After a wrong PIN the right one still logs in.
	tok, err := m.OpenToken("alpha", []byte(pin), pkcs11.TokenOptions{})
	if err != nil {
		t.Fatalf("right PIN after a wrong one: %v", err)
	}
	defer tok.Close()
	// The process is logged in: a second open must still know the PIN.
	if _, err := m.OpenToken("alpha", []byte("9999"), pkcs11.TokenOptions{}); !errors.Is(err, pkcs11.ErrPINIncorrect) {
		t.Errorf("wrong PIN while logged in: err = %v, want ErrPINIncorrect", err)
	}
	tok2, err := m.OpenToken("alpha", []byte(pin), pkcs11.TokenOptions{})
	if err != nil {
		t.Fatalf("second open with the PIN: %v", err)
	}
	if _, err := tok2.GenerateRandom(t.Context(), 8); err != nil {
		t.Fatal(err)
	}
	tok2.Close()
	if _, err := tok2.GenerateRandom(t.Context(), 8); !errors.Is(err, pkcs11.ErrClosed) {
		t.Errorf("closed Token: err = %v, want ErrClosed", err)
	}
	if _, err := tok.GenerateRandom(t.Context(), 8); err != nil {
		t.Errorf("the first Token after the second closed: %v", err)
	}
}

func TestKeyLifecycle(t *testing.T) {
	env, _, tok := newToken(t)
	ctx := t.Context()
	if _, err := tok.FindKey(ctx, "trent-root"); !errors.Is(err, pkcs11.ErrKeyNotFound) {
		t.Fatalf("FindKey before GenerateKey: err = %v, want ErrKeyNotFound", err)
	}
	k, err := tok.GenerateKey(ctx, "trent-root", []byte("id-1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tok.GenerateKey(ctx, "trent-root", nil); !errors.Is(err, pkcs11.ErrKeyExists) {
		t.Errorf("second GenerateKey: err = %v, want ErrKeyExists", err)
	}
	found, err := tok.FindKey(ctx, "trent-root")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(found.ID, []byte("id-1")) || found.Label != "trent-root" {
		t.Errorf("FindKey = %q %q, want trent-root id-1", found.Label, found.ID)
	}
	a, err := tok.Attributes(ctx, found)
	if err != nil {
		t.Fatal(err)
	}
	want := pkcs11.KeyAttributes{Token: true, Private: true, Sensitive: true, AlwaysSensitive: true,
		NeverExtractable: true, Local: true, Encrypt: true, Decrypt: true, KeyType: 0x1f, ValueLen: 32}
	if a != want {
		t.Errorf("Attributes = %+v, want %+v", a, want)
	}

	// A key without CKA_ID gets a random one.
	k2, err := tok.GenerateKey(ctx, "other", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(k2.ID) != 16 {
		t.Errorf("generated ID of %d bytes, want 16", len(k2.ID))
	}

	if err := tok.DestroyKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.FindKey(ctx, "trent-root"); !errors.Is(err, pkcs11.ErrKeyNotFound) {
		t.Errorf("FindKey after DestroyKey: err = %v, want ErrKeyNotFound", err)
	}
	if _, err := tok.EncryptGCM(ctx, k, []byte("x"), nil); !errors.Is(err, pkcs11.ErrKeyNotFound) {
		t.Errorf("EncryptGCM with a destroyed key: err = %v, want ErrKeyNotFound", err)
	}

	// Two keys with one label, made from outside: the label names no key.
	for range 2 {
		env.Run("pkcs11-tool", "--module", env.Module, "--token-label", "trent", "--login", "--pin", pin,
			"--keygen", "--key-type", "AES:32", "--label", "dup")
	}
	if _, err := tok.FindKey(ctx, "dup"); !errors.Is(err, pkcs11.ErrKeyAmbiguous) {
		t.Errorf("FindKey of a label two keys share: err = %v, want ErrKeyAmbiguous", err)
	}
	for _, l := range []string{"", strings.Repeat("l", 256)} {
		if _, err := tok.GenerateKey(ctx, l, nil); err == nil {
			t.Errorf("GenerateKey with a %d-byte label succeeded", len(l))
		}
	}
}

// TestKeyStaysInToken checks from outside, with OpenSC's pkcs11-tool,
// that the key GenerateKey made is in the token, sensitive and not
// extractable, and that its value cannot be read.
func TestKeyStaysInToken(t *testing.T) {
	env, _, tok := newToken(t)
	tool := softhsmtest.Require(t, "pkcs11-tool")
	if _, err := tok.GenerateKey(t.Context(), "trent-root", []byte{0xab, 0xcd}); err != nil {
		t.Fatal(err)
	}
	out := env.Run(tool, "--module", env.Module, "--token-label", "trent", "--login", "--pin", pin, "--list-objects", "--type", "secrkey")
	for _, want := range []string{"Secret Key Object; AES length 32", "label:      trent-root", "ID:         abcd",
		"Usage:      encrypt, decrypt", "sensitive", "always sensitive", "never extractable", "local"} {
		if !strings.Contains(out, want) {
			t.Errorf("pkcs11-tool --list-objects does not show %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "Access:") {
			for _, f := range strings.Split(strings.TrimPrefix(strings.TrimSpace(line), "Access:"), ",") {
				if strings.TrimSpace(f) == "extractable" {
					t.Errorf("pkcs11-tool shows the key extractable: %s", line)
				}
			}
		}
	}
	if out, err := env.Try(tool, "--module", env.Module, "--token-label", "trent", "--login", "--pin", pin,
		"--read-object", "--type", "secrkey", "--label", "trent-root"); err == nil {
		t.Errorf("pkcs11-tool read the key's value:\n%s", out)
	}
}

func TestGCM(t *testing.T) {
	_, _, tok := newToken(t)
	ctx := t.Context()
	k, err := tok.GenerateKey(ctx, "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := tok.GenerateKey(ctx, "other", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{0, 1, 16, 32, 1000} {
		pt := bytes.Repeat([]byte{byte(size)}, size)
		aad := []byte("aad")
		sealed, err := tok.EncryptGCM(ctx, k, pt, aad)
		if err != nil {
			t.Fatalf("EncryptGCM of %d bytes: %v", size, err)
		}
		if got, want := len(sealed), pkcs11.GCMIVSize+size+pkcs11.GCMTagSize; got != want {
			t.Errorf("sealed %d bytes: %d, want %d", size, got, want)
		}
		got, err := tok.DecryptGCM(ctx, k, sealed, aad)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("DecryptGCM of %d bytes: %x, %v", size, got, err)
		}
	}
	pt := []byte("a domain key, 32 bytes long.....")
	sealed, err := tok.EncryptGCM(ctx, k, pt, []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := tok.EncryptGCM(ctx, k, pt, []byte("aad"))
	if bytes.Equal(sealed[:pkcs11.GCMIVSize], again[:pkcs11.GCMIVSize]) {
		t.Error("two encryptions used the same IV")
	}
	flip := func(i int) []byte { c := bytes.Clone(sealed); c[i] ^= 1; return c }
	for name, tc := range map[string]struct {
		key    pkcs11.Key
		sealed []byte
		aad    string
	}{
		"edited IV":         {k, flip(0), "aad"},
		"edited ciphertext": {k, flip(pkcs11.GCMIVSize), "aad"},
		"edited tag":        {k, flip(len(sealed) - 1), "aad"},
		"other aad":         {k, sealed, "aae"},
		"no aad":            {k, sealed, ""},
		"other key":         {other, sealed, "aad"},
		"truncated":         {k, sealed[:len(sealed)-1], "aad"},
		"too short":         {k, sealed[:pkcs11.GCMIVSize+pkcs11.GCMTagSize-1], "aad"},
	} {
		got, err := tok.DecryptGCM(ctx, tc.key, tc.sealed, []byte(tc.aad))
		if !errors.Is(err, pkcs11.ErrDecrypt) {
			t.Errorf("%s: err = %v, want ErrDecrypt", name, err)
		}
		if got != nil {
			t.Errorf("%s: plaintext returned with an error", name)
		}
	}
	if err := tok.SupportsGCM(); err != nil {
		t.Errorf("SupportsGCM: %v", err)
	}
}

func TestGenerateRandom(t *testing.T) {
	_, _, tok := newToken(t)
	ctx := t.Context()
	a, err := tok.GenerateRandom(ctx, 32)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := tok.GenerateRandom(ctx, 32)
	if len(a) != 32 || bytes.Equal(a, b) || bytes.Equal(a, make([]byte, 32)) {
		t.Errorf("GenerateRandom: %x then %x", a, b)
	}
	for _, n := range []int{0, -1, pkcs11.MaxRandom + 1} {
		if _, err := tok.GenerateRandom(ctx, n); err == nil {
			t.Errorf("GenerateRandom(%d) succeeded", n)
		}
	}
}

// TestRestart: a key made before the module is finalized is found again,
// and decrypts what it encrypted, after the module is loaded and
// initialised anew, and in another process.
func TestRestart(t *testing.T) {
	env := softhsmtest.New(t)
	env.InitToken("trent", pin)
	m, err := pkcs11.Open(env.Module)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := m.OpenToken("trent", []byte(pin), pkcs11.TokenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	k, err := tok.GenerateKey(ctx, "trent-root", nil)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := tok.EncryptGCM(ctx, k, []byte("survives restarts"), []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}
	tok.Close()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	_, tok = openToken(t, env, "trent", pin)
	k2, err := tok.FindKey(ctx, "trent-root")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k2.ID, k.ID) {
		t.Errorf("ID after restart %x, want %x", k2.ID, k.ID)
	}
	if got, err := tok.DecryptGCM(ctx, k2, sealed, []byte("aad")); err != nil || string(got) != "survives restarts" {
		t.Fatalf("DecryptGCM after restart: %q, %v", got, err)
	}

	// Another process: this test binary, told what to decrypt.
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "TRENT_PKCS11_HELPER=1", "SOFTHSM2_CONF="+env.Conf,
		"TRENT_PKCS11_MODULE="+env.Module, "TRENT_PKCS11_SEALED="+hex.EncodeToString(sealed))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "plaintext: survives restarts") {
		t.Fatalf("another process: %v\n%s", err, out)
	}
}

// TestMain runs the helper process of TestRestart when asked to, instead
// of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("TRENT_PKCS11_HELPER") == "1" {
		if err := helperDecrypt(); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperDecrypt decrypts TRENT_PKCS11_SEALED (hex) with the key
// trent-root of token trent and prints the plaintext.
func helperDecrypt() error {
	sealed, err := hex.DecodeString(os.Getenv("TRENT_PKCS11_SEALED"))
	if err != nil {
		return err
	}
	m, err := pkcs11.Open(os.Getenv("TRENT_PKCS11_MODULE"))
	if err != nil {
		return err
	}
	defer m.Close()
	tok, err := m.OpenToken("trent", []byte(pin), pkcs11.TokenOptions{})
	if err != nil {
		return err
	}
	defer tok.Close()
	ctx := context.Background()
	k, err := tok.FindKey(ctx, "trent-root")
	if err != nil {
		return err
	}
	pt, err := tok.DecryptGCM(ctx, k, sealed, []byte("aad"))
	if err != nil {
		return err
	}
	os.Stdout.WriteString("plaintext: " + string(pt) + "\n")
	return nil
}

// TestTokenVanishes deletes the token's files while a Token uses it:
// every operation fails with a typed error, nothing panics, and opening
// the token again says it is not there.
func TestTokenVanishes(t *testing.T) {
	env, m, tok := newToken(t)
	ctx := t.Context()
	k, err := tok.GenerateKey(ctx, "trent-root", nil)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := tok.EncryptGCM(ctx, k, []byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	env.DeleteToken("trent")
	gone := func(err error) bool {
		return errors.Is(err, pkcs11.ErrKeyNotFound) || errors.Is(err, pkcs11.ErrTokenNotPresent) || errors.Is(err, pkcs11.ErrDevice)
	}
	if _, err := tok.DecryptGCM(ctx, k, sealed, nil); !gone(err) {
		t.Errorf("DecryptGCM: err = %v, want ErrKeyNotFound, ErrTokenNotPresent or ErrDevice", err)
	}
	if _, err := tok.EncryptGCM(ctx, k, []byte("x"), nil); !gone(err) {
		t.Errorf("EncryptGCM: err = %v, want ErrKeyNotFound, ErrTokenNotPresent or ErrDevice", err)
	}
	if _, err := tok.FindKey(ctx, "trent-root"); !gone(err) {
		t.Errorf("FindKey: err = %v, want ErrKeyNotFound, ErrTokenNotPresent or ErrDevice", err)
	}
	tok.Close()
	m.Close()
	m2, err := pkcs11.Open(env.Module)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if _, err := m2.OpenToken("trent", []byte(pin), pkcs11.TokenOptions{}); !errors.Is(err, pkcs11.ErrTokenNotFound) {
		t.Errorf("OpenToken of the deleted token: err = %v, want ErrTokenNotFound", err)
	}
}

// TestConcurrentUse runs more operations at once than the pool has
// sessions (run it with -race).
func TestConcurrentUse(t *testing.T) {
	env := softhsmtest.New(t)
	env.InitToken("trent", pin)
	m, err := pkcs11.Open(env.Module)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tok, err := m.OpenToken("trent", []byte(pin), pkcs11.TokenOptions{MaxSessions: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	ctx := t.Context()
	k, err := tok.GenerateKey(ctx, "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				pt := []byte{byte(i), byte(j)}
				sealed, err := tok.EncryptGCM(ctx, k, pt, nil)
				if err != nil {
					errs <- err
					return
				}
				got, err := tok.DecryptGCM(ctx, k, sealed, nil)
				if err != nil || !bytes.Equal(got, pt) {
					errs <- errors.Join(err, errors.New("round trip differs"))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestContextWhileWaitingForASession(t *testing.T) {
	env := softhsmtest.New(t)
	env.InitToken("trent", pin)
	m, err := pkcs11.Open(env.Module)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tok, err := m.OpenToken("trent", []byte(pin), pkcs11.TokenOptions{MaxSessions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	// A canceled context still gets an idle session, but with none idle
	// and none to open it must give up, not wait.
	release := pkcs11.HoldSession(tok)
	defer release()
	if _, err := tok.GenerateRandom(ctx, 8); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
}

func TestModuleCloseClosesTokens(t *testing.T) {
	_, m, tok := newToken(t)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.GenerateRandom(t.Context(), 8); !errors.Is(err, pkcs11.ErrClosed) {
		t.Errorf("after Module.Close: err = %v, want ErrClosed", err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := m.OpenToken("trent", []byte(pin), pkcs11.TokenOptions{}); !errors.Is(err, pkcs11.ErrClosed) {
		t.Errorf("OpenToken after Close: err = %v, want ErrClosed", err)
	}
}
