//go:build nopkcs11 || !(linux || darwin) || !(amd64 || arm64)

package seal

import (
	"errors"
	"testing"

	"github.com/trentkms/trent/internal/pkcs11"
)

// TestPKCS11NotSupported runs in builds without PKCS#11
// (go test -tags nopkcs11 ./internal/seal/).
func TestPKCS11NotSupported(t *testing.T) {
	p, err := OpenPKCS11(t.Context(), PKCS11Config{Module: "/usr/lib/softhsm/libsofthsm2.so", Token: "t", PIN: []byte("1")})
	if p != nil || !errors.Is(err, pkcs11.ErrNotSupported) {
		t.Fatalf("OpenPKCS11 = %v, %v; want pkcs11.ErrNotSupported", p, err)
	}
}
