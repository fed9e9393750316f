package keyring

import (
	"bytes"
	"context"
	"crypto/fips140"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const fipsChildEnv = "TRENT_KEYRING_FIPS_CHILD"

// TestFIPSMode re-runs itself with GODEBUG=fips140=on and =only, where the
// child performs every keyring operation. Go's FIPS 140-3 mode panics or
// fails on algorithms outside the module, so this proves the symmetric
// path uses only approved ones; fipsAsymmetric says what holds for the
// other key types.
func TestFIPSMode(t *testing.T) {
	if mode := os.Getenv(fipsChildEnv); mode != "" {
		fipsRoundTrip(t, mode)
		return
	}
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"on", "only"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), exe, "-test.run=^TestFIPSMode$", "-test.count=1", "-test.v")
			godebug := "fips140=" + mode
			if old := os.Getenv("GODEBUG"); old != "" {
				godebug = old + "," + godebug
			}
			cmd.Env = append(os.Environ(), "GODEBUG="+godebug, fipsChildEnv+"="+mode)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child with GODEBUG=%s failed: %v\n%s", godebug, err, out)
			}
			if !strings.Contains(string(out), "FIPS round trip passed") {
				t.Fatalf("child did not run the round trip:\n%s", out)
			}
		})
	}
}

func fipsRoundTrip(t *testing.T, mode string) {
	if !fips140.Enabled() {
		t.Fatalf("GODEBUG=fips140=%s but fips140.Enabled() is false", mode)
	}
	if mode == "only" && !fips140.Enforced() {
		t.Fatal("GODEBUG=fips140=only but fips140.Enforced() is false")
	}
	ctx := context.Background()
	dk, err := NewDomainKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckDomainKey(dk, KeyCheckValue(dk)); err != nil {
		t.Fatal(err)
	}
	src := newMemSource()
	k, err := Open(dk, Options{Source: src.get})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	for _, ref := range []MaterialRef{testRef, refN(1)} {
		w, err := k.NewSymmetricMaterial(ref)
		if err != nil {
			t.Fatal(err)
		}
		src.put(ref, w)
	}
	ec := map[string]string{"mode": mode}
	pt := []byte("FIPS 140-3 round trip")
	blob, err := k.Encrypt(ctx, testRef, pt, ec)
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := k.Decrypt(ctx, blob, ec)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Decrypt = %q, %v", got, err)
	}
	_, re, err := k.ReEncrypt(ctx, blob, ec, refN(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, got, err = k.Decrypt(ctx, re, nil); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Decrypt(ReEncrypt) = %q, %v", got, err)
	}
	dkp, dkb, err := k.GenerateDataKey(ctx, testRef, 32, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, got, err = k.Decrypt(ctx, dkb, nil); err != nil || !bytes.Equal(got, dkp) {
		t.Fatalf("data key round trip: %v", err)
	}
	ws, err := k.WrapSecret("label", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := k.UnwrapSecret("label", ws); err != nil || string(s) != "secret" {
		t.Fatalf("UnwrapSecret = %q, %v", s, err)
	}
	if _, err := k.Random(16); err != nil {
		t.Fatal(err)
	}
	fipsAsymmetric(t, mode)
	t.Logf("FIPS round trip passed (fips140=%s, module %s)", mode, fips140.Version())
}
