// Package pkcs11 uses keys that live in a PKCS#11 token (a hardware
// security module, a smart card, SoftHSM) without ever holding them: it
// loads the token's module (a C shared library) at run time, logs in with
// the user PIN, generates AES-256 secret keys inside the token (on the
// token, sensitive, never extractable), finds and destroys them by label,
// encrypts and decrypts with CKM_AES_GCM and draws random bytes from the
// token.
//
// The module is loaded with github.com/ebitengine/purego, which calls C
// without cgo: a build needs no C compiler, and the binary is linked
// dynamically so that the system's dynamic loader can load the module.
// Builds with the nopkcs11 tag, or for platforms other than linux and
// darwin on amd64 and arm64, leave the loader out (a CGO_ENABLED=0 build
// with the tag is fully static); there Open returns ErrNotSupported.
//
// Errors: every PKCS#11 failure is an *Error naming the function and its
// CK_RV, which errors.Is matches to this package's sentinels
// (ErrPINIncorrect, ErrTokenNotPresent, ErrDevice, ...). No error quotes a
// PIN or key bytes.
//
// Concurrency: Module and Token are safe for concurrent use. A Token keeps
// a pool of sessions (one per concurrent operation, up to
// TokenOptions.MaxSessions), all logged in through the one login that
// PKCS#11 shares between an application's sessions of a token.
package pkcs11

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// Supported reports whether this build can load PKCS#11 modules.
func Supported() bool { return supported }

// ckFunctionList mirrors CK_FUNCTION_LIST of a version 2.x module (a
// version 3 module's list starts the same way). It lives in the module's
// memory; Go only reads it.
type ckFunctionList struct {
	version [2]byte
	fns     [fnCount]uintptr
}

type ckInitializeArgs struct {
	createMutex, destroyMutex, lockMutex, unlockMutex uintptr
	flags                                             uint
	reserved                                          unsafe.Pointer
}

// The state of a module is per process, as PKCS#11's is: C_Initialize may
// run once per process until C_Finalize, and a token's login is shared by
// all the process's sessions of it. So loaded modules are kept in a
// process-wide registry, keyed by the module's resolved path, and counted;
// the last Close finalizes the module.
var registry struct {
	mu      sync.Mutex
	modules map[string]*moduleState // guarded by mu
}

type moduleState struct {
	path     string // resolved
	lib      uintptr
	fl       *ckFunctionList
	refs     int  // guarded by registry.mu
	finalize bool // this package initialised the module, so Close finalizes it

	mu     sync.Mutex           // guards tokens
	tokens map[uint]*tokenState // open tokens by slot
}

// Module is a loaded and initialised PKCS#11 module. Close releases it.
type Module struct {
	st     *moduleState
	mu     sync.Mutex // guards closed
	closed bool
}

// Open loads the PKCS#11 module at path and initialises it (C_Initialize,
// with the operating system's locking). Opening a module the process has
// open already shares it. A path that does not exist, a file that is not a
// shared library of this platform or exports no C_GetFunctionList, and a
// module whose C_Initialize fails are errors wrapping ErrModule; a build
// without PKCS#11 support returns ErrNotSupported.
func Open(path string) (*Module, error) {
	if !supported {
		return nil, fmt.Errorf("%w (module %s)", ErrNotSupported, path)
	}
	if path == "" {
		return nil, fmt.Errorf("%w: no module path given", ErrModule)
	}
	key := path
	if strings.ContainsRune(path, os.PathSeparator) {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrModule, err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%w: %s is not a regular file", ErrModule, path)
		}
		if r, err := filepath.EvalSymlinks(path); err == nil {
			if a, err := filepath.Abs(r); err == nil {
				key = a
			}
		}
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if st, ok := registry.modules[key]; ok {
		st.refs++
		return &Module{st: st}, nil
	}
	lib, getFunctionList, err := loadLibrary(key)
	if err != nil {
		return nil, err
	}
	st := &moduleState{path: key, lib: lib, tokens: map[uint]*tokenState{}}
	var fl *ckFunctionList
	var pin runtime.Pinner
	pin.Pin(&fl)
	rv := callC(getFunctionList, uintptr(unsafe.Pointer(&fl)))
	pin.Unpin()
	if rv != ckrOK || fl == nil {
		closeLibrary(lib)
		return nil, fmt.Errorf("%w: %s: C_GetFunctionList: %s", ErrModule, path, rvName(uint(rv)))
	}
	if fl.version[0] < 2 {
		closeLibrary(lib)
		return nil, fmt.Errorf("%w: %s implements PKCS#11 %d.%d; version 2 or later is needed", ErrModule, path, fl.version[0], fl.version[1])
	}
	for _, i := range []int{fnInitialize, fnFinalize, fnGetSlotList, fnGetTokenInfo, fnOpenSession,
		fnCloseSession, fnLogin, fnFindObjectsInit, fnFindObjects, fnFindObjectsFinal,
		fnGetAttributeValue, fnEncryptInit, fnEncrypt, fnDecryptInit, fnDecrypt, fnGenerateKey,
		fnDestroyObject, fnGenerateRandom, fnGetMechanismInfo} {
		if fl.fns[i] == 0 {
			closeLibrary(lib)
			return nil, fmt.Errorf("%w: %s has no %s", ErrModule, path, fnNames[i])
		}
	}
	st.fl = fl
	args := &ckInitializeArgs{flags: ckfOSLockingOK}
	pin.Pin(args)
	rv = callC(fl.fns[fnInitialize], uintptr(unsafe.Pointer(args)))
	pin.Unpin()
	switch rv {
	case ckrOK:
		st.finalize = true
	case ckrCryptokiAlreadyInitialized:
		// Another library of this process initialised it; it owns the
		// C_Finalize.
	default:
		closeLibrary(lib)
		return nil, fmt.Errorf("%w: %s: C_Initialize: %s", ErrModule, path, rvName(uint(rv)))
	}
	st.refs = 1
	if registry.modules == nil {
		registry.modules = map[string]*moduleState{}
	}
	registry.modules[key] = st
	return &Module{st: st}, nil
}

// Path returns the module's resolved path.
func (m *Module) Path() string { return m.st.path }

// Close releases the module. The last Close of a module in the process
// closes its tokens' sessions and finalizes it (C_Finalize). Close is
// idempotent; Tokens opened from the module should be closed first.
func (m *Module) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	registry.mu.Lock()
	defer registry.mu.Unlock()
	st := m.st
	st.refs--
	if st.refs > 0 {
		return nil
	}
	delete(registry.modules, st.path)
	st.mu.Lock()
	for _, ts := range st.tokens {
		ts.closeAll()
	}
	st.tokens = map[uint]*tokenState{}
	st.mu.Unlock()
	var err error
	if st.finalize {
		err = check(fnFinalize, callC(st.fl.fns[fnFinalize], 0))
	}
	// The library stays mapped: a module may leave threads or atexit
	// handlers behind, and unmapping code they run would crash the process.
	return err
}

func (m *Module) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// call runs the module function fn with args and returns its CK_RV as an
// error. The caller keeps every pointer in args pinned.
func (st *moduleState) call(fn int, args ...uintptr) error {
	return check(fn, callC(st.fl.fns[fn], args...))
}

// TokenInfo describes a token in a slot.
type TokenInfo struct {
	Slot         uint
	Label        string
	Manufacturer string
	Model        string
	Serial       string
	Initialized  bool // CKF_TOKEN_INITIALIZED
	PINLocked    bool // CKF_USER_PIN_LOCKED
}

type ckTokenInfo struct {
	label                                                                                  [32]byte
	manufacturerID                                                                         [32]byte
	model                                                                                  [16]byte
	serialNumber                                                                           [16]byte
	flags                                                                                  uint
	maxSessionCount, sessionCount, maxRWSessionCount, rwSessionCount, maxPinLen, minPinLen uint
	totalPublicMemory, freePublicMemory, totalPrivateMemory, freePrivateMemory             uint
	hardwareVersion, firmwareVersion                                                       [2]byte
	utcTime                                                                                [16]byte
}

func padded(b []byte) string { return strings.TrimRight(string(b), " \x00") }

// Tokens lists the tokens present in the module's slots.
func (m *Module) Tokens() ([]TokenInfo, error) {
	if m.isClosed() {
		return nil, ErrClosed
	}
	st := m.st
	var pin runtime.Pinner
	defer pin.Unpin()
	var n uint
	pin.Pin(&n)
	if err := st.call(fnGetSlotList, 1, 0, uintptr(unsafe.Pointer(&n))); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	slots := make([]uint, n)
	pin.Pin(&slots[0])
	if err := st.call(fnGetSlotList, 1, uintptr(unsafe.Pointer(&slots[0])), uintptr(unsafe.Pointer(&n))); err != nil {
		return nil, err
	}
	var out []TokenInfo
	for _, s := range slots[:min(n, uint(len(slots)))] {
		ti := new(ckTokenInfo)
		pin.Pin(ti)
		if err := st.call(fnGetTokenInfo, uintptr(s), uintptr(unsafe.Pointer(ti))); err != nil {
			// Removed since the slot list was read, or broken (SoftHSM2
			// answers CKR_GENERAL_ERROR for a token whose files were
			// deleted): not a token to use, and no reason to hide the
			// others.
			continue
		}
		out = append(out, TokenInfo{
			Slot: s, Label: padded(ti.label[:]), Manufacturer: padded(ti.manufacturerID[:]),
			Model: padded(ti.model[:]), Serial: padded(ti.serialNumber[:]),
			Initialized: ti.flags&ckfTokenInitialized != 0, PINLocked: ti.flags&ckfUserPINLocked != 0,
		})
	}
	return out, nil
}

// findToken returns the slot of the one initialised token labelled label.
func (m *Module) findToken(label string) (TokenInfo, error) {
	if label == "" || len(label) > 32 {
		return TokenInfo{}, fmt.Errorf("%w: a token label is 1 to 32 bytes, not %d", ErrTokenNotFound, len(label))
	}
	tokens, err := m.Tokens()
	if err != nil {
		return TokenInfo{}, err
	}
	var found []TokenInfo
	var labels []string
	for _, t := range tokens {
		if !t.Initialized {
			continue
		}
		labels = append(labels, fmt.Sprintf("%q", t.Label))
		if t.Label == label {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		if len(labels) == 0 {
			return TokenInfo{}, fmt.Errorf("%w: no token labelled %q: module %s has no initialised token", ErrTokenNotFound, label, m.st.path)
		}
		return TokenInfo{}, fmt.Errorf("%w: no token labelled %q in module %s (its tokens: %s)", ErrTokenNotFound, label, m.st.path, strings.Join(labels, ", "))
	case 1:
		return found[0], nil
	}
	return TokenInfo{}, fmt.Errorf("%w: %d tokens are labelled %q in module %s; give them distinct labels", ErrTokenAmbiguous, len(found), label, m.st.path)
}
