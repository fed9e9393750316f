//go:build nopkcs11 || !(linux || darwin) || !(amd64 || arm64)

package pkcs11_test

import (
	"errors"
	"testing"

	"github.com/trentkms/trent/internal/pkcs11"
)

// TestNotSupported runs in builds without PKCS#11 support
// (go test -tags nopkcs11 ./internal/pkcs11/).
func TestNotSupported(t *testing.T) {
	if pkcs11.Supported() {
		t.Fatal("Supported() = true in a build without PKCS#11 support")
	}
	m, err := pkcs11.Open("/usr/lib/softhsm/libsofthsm2.so")
	if m != nil || !errors.Is(err, pkcs11.ErrNotSupported) {
		t.Fatalf("Open = %v, %v; want ErrNotSupported", m, err)
	}
}
