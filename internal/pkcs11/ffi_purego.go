//go:build !nopkcs11 && (linux || darwin) && (amd64 || arm64)

package pkcs11

import (
	"fmt"

	"github.com/ebitengine/purego"
)

// supported reports whether this build can load PKCS#11 modules.
const supported = true

// loadLibrary opens the shared library at path and returns its handle and
// the address of its C_GetFunctionList. RTLD_LOCAL keeps the module's
// symbols out of the global namespace, so that two modules (or a module
// and a library the process already uses) cannot bind to each other's
// symbols; RTLD_NOW fails at load time on an unresolved symbol rather than
// in the middle of a call.
func loadLibrary(path string) (lib uintptr, getFunctionList uintptr, err error) {
	lib, err = purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %s: %v", ErrModule, path, err)
	}
	fn, err := purego.Dlsym(lib, "C_GetFunctionList")
	if err != nil || fn == 0 {
		purego.Dlclose(lib)
		return 0, 0, fmt.Errorf("%w: %s exports no C_GetFunctionList: it is not a PKCS#11 module", ErrModule, path)
	}
	return lib, fn, nil
}

// closeLibrary releases a handle of loadLibrary.
func closeLibrary(lib uintptr) { purego.Dlclose(lib) }

// callC calls the C function at fn with integer and pointer arguments and
// returns its integer result (every PKCS#11 function returns a CK_RV).
// Every pointer in args must point to memory the caller keeps pinned
// (runtime.Pinner) for the duration of the call; go:uintptrescapes keeps
// the objects of pointers converted in the call expression alive as well.
//
//go:uintptrescapes
func callC(fn uintptr, args ...uintptr) uintptr {
	r1, _, _ := purego.SyscallN(fn, args...)
	return r1
}
