//go:build !nopkcs11 && linux && (amd64 || arm64)

package pkcs11_test

import (
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/trentkms/trent/internal/pkcs11"
	"github.com/trentkms/trent/internal/pkcs11/softhsmtest"
)

// TestBuilds builds a small program on this package three ways and runs
// it: without cgo and with the nopkcs11 tag (a fully static binary that
// says it has no PKCS#11 support), without cgo and without the tag
// (purego's loader: dynamically linked, loads SoftHSM2 with no C
// compiler involved), and the default build.
func TestBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		t.Fatalf("the go command is not at %s: %v", goTool, err)
	}
	env := softhsmtest.New(t)
	env.InitToken("probe-token", pin)
	dir := t.TempDir()
	build := func(name string, cgo string, tags ...string) string {
		t.Helper()
		out := filepath.Join(dir, name)
		args := []string{"build", "-o", out}
		if len(tags) > 0 {
			args = append(args, "-tags", strings.Join(tags, ","))
		}
		cmd := exec.Command(goTool, append(args, "./testdata/probe")...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgo)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v with CGO_ENABLED=%s: %v\n%s", args, cgo, err, msg)
		}
		return out
	}
	run := func(bin string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "SOFTHSM2_CONF="+env.Conf)
		out, err := cmd.CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}

	t.Run("static without PKCS#11", func(t *testing.T) {
		bin := build("probe-static", "0", "nopkcs11")
		if interp, needed := dynamic(t, bin); interp || len(needed) > 0 {
			t.Errorf("the nopkcs11 build is dynamically linked (interpreter %t, needs %v)", interp, needed)
		}
		out, code := run(bin, env.Module)
		if code != 2 || !strings.Contains(out, "supported=false") || !strings.Contains(out, pkcs11.ErrNotSupported.Error()) {
			t.Errorf("exit %d, output:\n%s\nwant supported=false and %q", code, out, pkcs11.ErrNotSupported)
		}
	})
	t.Run("without cgo", func(t *testing.T) {
		bin := build("probe-nocgo", "0")
		if interp, _ := dynamic(t, bin); !interp {
			t.Error("the CGO_ENABLED=0 build with PKCS#11 has no dynamic loader: it cannot load a module")
		}
		out, code := run(bin, env.Module)
		if code != 0 || !strings.Contains(out, "supported=true") || !strings.Contains(out, `token "probe-token"`) {
			t.Errorf("exit %d, output:\n%s\nwant the token listed", code, out)
		}
	})
	t.Run("default", func(t *testing.T) {
		bin := build("probe-default", "1")
		out, code := run(bin, env.Module)
		if code != 0 || !strings.Contains(out, `token "probe-token"`) {
			t.Errorf("exit %d, output:\n%s\nwant the token listed", code, out)
		}
	})
}

// dynamic reports whether the ELF binary asks for a program interpreter
// (the dynamic loader) and which libraries it needs.
func dynamic(t *testing.T, path string) (bool, []string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	interp := false
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			interp = true
		}
	}
	needed, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	return interp, needed
}
