//go:build nopkcs11 || !(linux || darwin) || !(amd64 || arm64)

package pkcs11

import "fmt"

// supported reports whether this build can load PKCS#11 modules.
const supported = false

func loadLibrary(path string) (uintptr, uintptr, error) {
	return 0, 0, fmt.Errorf("%w (module %s)", ErrNotSupported, path)
}

func closeLibrary(uintptr) {}

func callC(uintptr, ...uintptr) uintptr { panic("pkcs11: callC in a build without PKCS#11 support") }
