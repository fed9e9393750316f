//go:build !nopkcs11 && (linux || darwin) && (amd64 || arm64)

package seal

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/trentkms/trent/internal/pkcs11"
	"github.com/trentkms/trent/internal/pkcs11/softhsmtest"
)

const testPIN = "4321"

func pkcs11Config(env *softhsmtest.Env, token string, create bool) PKCS11Config {
	return PKCS11Config{Module: env.Module, Token: token, PIN: []byte(testPIN), CreateKey: create}
}

func openTestPKCS11(t *testing.T, cfg PKCS11Config) *PKCS11 {
	t.Helper()
	p, err := OpenPKCS11(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// listSecretKeys lists the token's secret keys with OpenSC's pkcs11-tool.
func listSecretKeys(t *testing.T, env *softhsmtest.Env, token string) string {
	t.Helper()
	tool := softhsmtest.Require(t, "pkcs11-tool")
	return env.Run(tool, "--module", env.Module, "--token-label", token, "--login", "--pin", testPIN, "--list-objects", "--type", "secrkey")
}

func TestPKCS11SealRoundTrip(t *testing.T) {
	env := softhsmtest.New(t)
	env.InitToken("hsm", testPIN)
	p := openTestPKCS11(t, pkcs11Config(env, "hsm", true))
	if !p.Created() || p.KeyLabel() != DefaultPKCS11KeyLabel || p.TokenLabel() != "hsm" || p.Name() != "pkcs11" {
		t.Errorf("Created, KeyLabel, TokenLabel, Name = %t, %q, %q, %q", p.Created(), p.KeyLabel(), p.TokenLabel(), p.Name())
	}
	ctx := t.Context()
	dk := domainKey(t)
	w, err := p.Wrap(ctx, dk)
	if err != nil {
		t.Fatal(err)
	}
	if ProviderOf(w) != "pkcs11" {
		t.Errorf("ProviderOf = %q", ProviderOf(w))
	}
	if bytes.Contains(w, dk) {
		t.Error("the wrapped blob holds the domain key")
	}
	w2, _ := p.Wrap(ctx, dk)
	if bytes.Equal(w, w2) {
		t.Error("two wraps of one key are equal")
	}
	got, err := p.Unwrap(ctx, w)
	if err != nil || !bytes.Equal(got, dk) {
		t.Fatalf("Unwrap: %v", err)
	}

	// From outside: the key is in the token, sensitive, never extractable.
	out := listSecretKeys(t, env, "hsm")
	for _, want := range []string{"label:      trent-root", "sensitive", "never extractable", "Usage:      encrypt, decrypt"} {
		if !strings.Contains(out, want) {
			t.Errorf("pkcs11-tool does not show %q:\n%s", want, out)
		}
	}

	// A restart: the module finalized and initialised again, the key found
	// (not made) and the old blob unwrapped.
	p.Close()
	if _, err := p.Unwrap(ctx, w); !errors.Is(err, ErrClosed) {
		t.Errorf("Unwrap after Close: err = %v, want ErrClosed", err)
	}
	p2 := openTestPKCS11(t, pkcs11Config(env, "hsm", false))
	if p2.Created() {
		t.Error("the second open made a key")
	}
	if got, err := p2.Unwrap(ctx, w); err != nil || !bytes.Equal(got, dk) {
		t.Fatalf("Unwrap after a restart: %v", err)
	}
	if n := strings.Count(listSecretKeys(t, env, "hsm"), "Secret Key Object"); n != 1 {
		t.Errorf("the token holds %d secret keys, want 1", n)
	}
	p2.Close()

	// Another process.
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "TRENT_SEAL_PKCS11_HELPER=1", "SOFTHSM2_CONF="+env.Conf,
		"TRENT_SEAL_MODULE="+env.Module, "TRENT_SEAL_WRAPPED="+hex.EncodeToString(w))
	msg, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(msg), "domain key: "+hex.EncodeToString(dk)) {
		t.Fatalf("another process: %v\n%s", err, msg)
	}
}

// TestMain runs the helper process of TestPKCS11SealRoundTrip when asked
// to, instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("TRENT_SEAL_PKCS11_HELPER") == "1" {
		w, _ := hex.DecodeString(os.Getenv("TRENT_SEAL_WRAPPED"))
		p, err := OpenPKCS11(context.Background(), PKCS11Config{Module: os.Getenv("TRENT_SEAL_MODULE"), Token: "hsm", PIN: []byte(testPIN)})
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		dk, err := p.Unwrap(context.Background(), w)
		p.Close()
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("domain key: " + hex.EncodeToString(dk))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestPKCS11SealRefusesToStart: a wrong PIN, a missing token, a missing
// key and a module that will not load are each refused with an error
// that says which, and nothing is made in the token.
func TestPKCS11SealRefusesToStart(t *testing.T) {
	env := softhsmtest.New(t)
	env.InitToken("hsm", testPIN)
	notModule := t.TempDir() + "/libnot-pkcs11.so"
	os.WriteFile(notModule, []byte("not a library"), 0o644)
	tests := []struct {
		name string
		cfg  PKCS11Config
		want error
		says string
	}{
		{"wrong PIN", PKCS11Config{Module: env.Module, Token: "hsm", PIN: []byte("0000"), CreateKey: true}, pkcs11.ErrPINIncorrect, "CKR_PIN_INCORRECT"},
		{"missing token", PKCS11Config{Module: env.Module, Token: "nope", PIN: []byte(testPIN), CreateKey: true}, pkcs11.ErrTokenNotFound, `no token labelled "nope"`},
		{"missing key", PKCS11Config{Module: env.Module, Token: "hsm", PIN: []byte(testPIN)}, pkcs11.ErrKeyNotFound, `no secret key labelled "trent-root"`},
		{"missing module", PKCS11Config{Module: "/nonexistent/libpkcs11.so", Token: "hsm", PIN: []byte(testPIN), CreateKey: true}, pkcs11.ErrModule, "no such file"},
		{"not a module", PKCS11Config{Module: notModule, Token: "hsm", PIN: []byte(testPIN), CreateKey: true}, pkcs11.ErrModule, "libnot-pkcs11.so"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := OpenPKCS11(t.Context(), tt.cfg)
			if err == nil {
				p.Close()
				t.Fatal("OpenPKCS11 succeeded")
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("err = %v, want %v saying %q", err, tt.want, tt.says)
			}
			if strings.Contains(err.Error(), testPIN) || strings.Contains(err.Error(), "0000") {
				t.Errorf("error %q quotes a PIN", err)
			}
		})
	}
	if out := listSecretKeys(t, env, "hsm"); strings.Contains(out, "Secret Key Object") {
		t.Errorf("a refused start made a key:\n%s", out)
	}
}

// TestPKCS11SealWrongRootKey: a blob of another token's key, of a key of
// another label, or of a key that copies the label and the ID is
// ErrWrongRootKey, never ErrCorrupt; a damaged blob of the right key is
// ErrCorrupt.
func TestPKCS11SealWrongRootKey(t *testing.T) {
	env := softhsmtest.New(t)
	env.InitToken("hsm-a", testPIN)
	env.InitToken("hsm-b", testPIN)
	env.InitToken("hsm-c", testPIN) // before the module is initialised, which reads the slots
	ctx := t.Context()
	a := openTestPKCS11(t, pkcs11Config(env, "hsm-a", true))
	b := openTestPKCS11(t, pkcs11Config(env, "hsm-b", true))
	otherLabel := openTestPKCS11(t, PKCS11Config{Module: env.Module, Token: "hsm-a", PIN: []byte(testPIN), KeyLabel: "trent-root-2", CreateKey: true})
	dk := domainKey(t)
	wa, err := a.Wrap(ctx, dk)
	if err != nil {
		t.Fatal(err)
	}
	wb, _ := b.Wrap(ctx, dk)
	wOther, _ := otherLabel.Wrap(ctx, dk)

	// Token C's key copies token A's label and ID: only the key check
	// block tells them apart.
	env.Run(softhsmtest.Require(t, "pkcs11-tool"), "--module", env.Module, "--token-label", "hsm-c", "--login", "--pin", testPIN,
		"--keygen", "--key-type", "AES:32", "--sensitive", "--label", "trent-root", "--id", hex.EncodeToString(a.key.ID))
	c := openTestPKCS11(t, pkcs11Config(env, "hsm-c", false))
	if !bytes.Equal(c.key.ID, a.key.ID) {
		t.Fatalf("token C's key ID %x, want A's %x", c.key.ID, a.key.ID)
	}

	f := newTestFile(t, 1)
	fw, _ := f.Wrap(ctx, dk)
	s, _, _ := NewShamir(3, 2, nil)
	sw, _ := s.Wrap(ctx, dk)
	s.Close()

	flip := func(i int) []byte { x := bytes.Clone(wa); x[i] ^= 1; return x }
	h := 4 + len(a.key.Label) + len(a.key.ID)
	tests := []struct {
		name string
		p    *PKCS11
		blob []byte
		want error
	}{
		{"another token's key", a, wb, ErrWrongRootKey},
		{"the other token, this blob", b, wa, ErrWrongRootKey},
		{"another label in the same token", a, wOther, ErrWrongRootKey},
		{"a key that copies label and ID", c, wa, ErrWrongRootKey},
		{"file seal blob", a, fw, ErrWrongProvider},
		{"shamir seal blob", a, sw, ErrWrongProvider},
		{"edited label", a, flip(3), ErrWrongRootKey},
		{"edited ID", a, flip(h - 1), ErrWrongRootKey},
		{"edited check block", a, flip(h + 14), ErrWrongRootKey},
		{"edited IV", a, flip(h + pkcs11CheckBlock), ErrCorrupt},
		{"edited ciphertext", a, flip(h + pkcs11CheckBlock + 12), ErrCorrupt},
		{"edited tag", a, flip(len(wa) - 1), ErrCorrupt},
		{"unknown mechanism", a, flip(1), ErrMalformed},
		{"truncated", a, wa[:len(wa)-1], ErrMalformed},
		{"label length past the end", a, append([]byte{formatPKCS11, pkcs11MechGCM, 200}, wa[3:20]...), ErrMalformed},
		{"empty", a, nil, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.p.Unwrap(ctx, tt.blob)
			if !errors.Is(err, tt.want) || got != nil {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if tt.want == ErrWrongRootKey && errors.Is(err, ErrCorrupt) {
				t.Errorf("err = %v is ErrCorrupt as well", err)
			}
		})
	}
	// And the other providers say the same of a pkcs11 blob.
	if _, err := f.Unwrap(ctx, wa); !errors.Is(err, ErrWrongProvider) || !errors.Is(err, ErrWrongRootKey) {
		t.Errorf("file Unwrap of a pkcs11 blob: err = %v, want ErrWrongProvider", err)
	}
	if _, err := NewUnsealer(wa); !errors.Is(err, ErrWrongProvider) {
		t.Errorf("NewUnsealer of a pkcs11 blob: err = %v, want ErrWrongProvider", err)
	}
}

// TestPKCS11SealTokenVanishes: once the token is gone, Unwrap fails with
// the token's error, not with ErrWrongRootKey or ErrCorrupt (the blob is
// fine).
func TestPKCS11SealTokenVanishes(t *testing.T) {
	env := softhsmtest.New(t)
	env.InitToken("hsm", testPIN)
	p := openTestPKCS11(t, pkcs11Config(env, "hsm", true))
	ctx := t.Context()
	w, err := p.Wrap(ctx, domainKey(t))
	if err != nil {
		t.Fatal(err)
	}
	env.DeleteToken("hsm")
	_, err = p.Unwrap(ctx, w)
	if err == nil || errors.Is(err, ErrWrongRootKey) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("Unwrap with the token gone: err = %v, want a token error", err)
	}
	if !errors.Is(err, pkcs11.ErrKeyNotFound) && !errors.Is(err, pkcs11.ErrTokenNotPresent) && !errors.Is(err, pkcs11.ErrDevice) {
		t.Errorf("err = %v, want it to wrap a pkcs11 sentinel", err)
	}
	if _, err := p.Wrap(ctx, domainKey(t)); err == nil {
		t.Error("Wrap with the token gone succeeded")
	}
}

func TestPKCS11SealDestroyKey(t *testing.T) {
	env := softhsmtest.New(t)
	env.InitToken("hsm", testPIN)
	p := openTestPKCS11(t, pkcs11Config(env, "hsm", true))
	if err := p.DestroyKey(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wrap(t.Context(), domainKey(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("Wrap after DestroyKey: err = %v, want ErrClosed", err)
	}
	if _, err := OpenPKCS11(t.Context(), pkcs11Config(env, "hsm", false)); !errors.Is(err, pkcs11.ErrKeyNotFound) {
		t.Errorf("open after DestroyKey: err = %v, want ErrKeyNotFound", err)
	}
	if out := listSecretKeys(t, env, "hsm"); strings.Contains(out, "Secret Key Object") {
		t.Errorf("the key is still in the token:\n%s", out)
	}
}

// TestPKCS11SealRefusesUnfitKeys: a key of the label made by hand that
// could leave the token, or has no CKA_ID, is refused, not used.
func TestPKCS11SealRefusesUnfitKeys(t *testing.T) {
	env := softhsmtest.New(t)
	tool := softhsmtest.Require(t, "pkcs11-tool")
	for _, tt := range []struct {
		token string
		flags []string
	}{
		{"plain", []string{"--id", "01"}},
		{"extractable", []string{"--id", "01", "--sensitive", "--extractable"}},
		{"no-id", []string{"--sensitive"}},
	} {
		env.InitToken(tt.token, testPIN)
		env.Run(tool, append([]string{"--module", env.Module, "--token-label", tt.token, "--login", "--pin", testPIN,
			"--keygen", "--key-type", "AES:32", "--label", "trent-root"}, tt.flags...)...)
	}
	for _, tt := range []struct{ token, says string }{
		{"plain", "is not sensitive"}, {"extractable", "is extractable"}, {"no-id", "CKA_ID of 0 bytes"},
	} {
		p, err := OpenPKCS11(t.Context(), pkcs11Config(env, tt.token, true))
		if err == nil {
			p.Close()
			t.Errorf("%s: OpenPKCS11 succeeded", tt.token)
			continue
		}
		if !errors.Is(err, ErrUnsuitableRootKey) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: err = %v, want ErrUnsuitableRootKey saying %q", tt.token, err, tt.says)
		}
	}
}

func TestPKCS11SealNeverPrintsPIN(t *testing.T) {
	env := softhsmtest.New(t)
	env.InitToken("hsm", testPIN)
	p := openTestPKCS11(t, pkcs11Config(env, "hsm", true))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out := fmt.Sprintf(verb, p)
		if strings.Contains(out, testPIN) || !strings.Contains(out, `"hsm"`) {
			t.Errorf("Sprintf(%q) = %q", verb, out)
		}
	}
}
