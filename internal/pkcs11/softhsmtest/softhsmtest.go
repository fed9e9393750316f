// Package softhsmtest gives each test its own SoftHSM2 token directory, so
// that tests of PKCS#11 code run against a real PKCS#11 module.
//
// New writes a SoftHSM2 configuration in a temporary directory and points
// SOFTHSM2_CONF at it for the test (t.Setenv, so such tests cannot run in
// parallel; SoftHSM2 reads the variable when the module is initialised, so
// a test must close every pkcs11.Module it opens). Tests skip when
// SoftHSM2 is not installed, unless TRENT_REQUIRE_ALL=1, which fails them.
//
// Debian's packages: softhsm2 (the module, /usr/lib/softhsm/libsofthsm2.so,
// and softhsm2-util) and opensc (pkcs11-tool).
package softhsmtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/trentkms/trent/internal/atomicfile"
)

// DefaultModule is where Debian's softhsm2 package puts the module;
// TRENT_SOFTHSM2_MODULE overrides it.
const DefaultModule = "/usr/lib/softhsm/libsofthsm2.so"

// Env is one test's SoftHSM2: a configuration and a token directory.
type Env struct {
	t      testing.TB
	Module string // the module's path
	Conf   string // the SOFTHSM2_CONF file
	Dir    string // the token directory
}

// Require skips t (or fails it under TRENT_REQUIRE_ALL=1) when tool is not
// installed, and returns its path.
func Require(t testing.TB, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		missing(t, fmt.Sprintf("%s is not installed (Debian: apt-get install softhsm2 opensc)", tool))
	}
	return p
}

func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("TRENT_REQUIRE_ALL") == "1" {
		t.Fatalf("TRENT_REQUIRE_ALL=1: %s", why)
	}
	t.Skip(why)
}

// ModulePath returns the SoftHSM2 module's path, skipping t (or failing
// it under TRENT_REQUIRE_ALL=1) when it is not installed.
func ModulePath(t testing.TB) string {
	t.Helper()
	module := os.Getenv("TRENT_SOFTHSM2_MODULE")
	if module == "" {
		module = DefaultModule
	}
	if _, err := os.Stat(module); err != nil {
		missing(t, fmt.Sprintf("the SoftHSM2 module %s is not installed (Debian: apt-get install softhsm2): %v", module, err))
	}
	return module
}

// New returns a SoftHSM2 environment of its own for t, with no token yet.
func New(t testing.TB) *Env {
	t.Helper()
	module := ModulePath(t)
	Require(t, "softhsm2-util")
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	body := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens)
	if err := atomicfile.WriteNew(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	return &Env{t: t, Module: module, Conf: conf, Dir: tokens}
}

// Run runs a command with the environment's SOFTHSM2_CONF and returns
// its combined output, failing the test if it fails.
func (e *Env) Run(name string, args ...string) string {
	e.t.Helper()
	out, err := e.Try(name, args...)
	if err != nil {
		e.t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return out
}

// Try is Run that returns the error instead of failing.
func (e *Env) Try(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "SOFTHSM2_CONF="+e.Conf)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// InitToken initialises a new token labelled label in a free slot, with
// the user PIN pin and the security officer PIN "so-"+pin.
func (e *Env) InitToken(label, pin string) {
	e.t.Helper()
	e.Run("softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", "so-"+pin, "--pin", pin)
}

// DeleteToken deletes the token labelled label (its files), as a removed
// device would vanish.
func (e *Env) DeleteToken(label string) {
	e.t.Helper()
	e.Run("softhsm2-util", "--delete-token", "--token", label)
}
