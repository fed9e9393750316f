package pkcs11

import (
	"errors"
	"fmt"
)

var (
	// ErrNotSupported means this build cannot load PKCS#11 modules: it was
	// built with the nopkcs11 tag (a fully static binary), or for a
	// platform this package does not load modules on.
	ErrNotSupported = errors.New("pkcs11: this build has no PKCS#11 support (built with the nopkcs11 tag, or for a platform without it); use a build without the tag on linux or darwin, amd64 or arm64")

	// ErrModule means the module could not be loaded or initialised: the
	// file is missing, is not a shared library for this platform, exports
	// no C_GetFunctionList (not a PKCS#11 module), or its C_Initialize
	// failed.
	ErrModule = errors.New("pkcs11: cannot load the PKCS#11 module")

	// ErrTokenNotFound means no slot holds an initialised token with the
	// requested label.
	ErrTokenNotFound = errors.New("pkcs11: token not found")

	// ErrTokenAmbiguous means several tokens share the requested label.
	ErrTokenAmbiguous = errors.New("pkcs11: several tokens have the label")

	// ErrTokenNotPresent means the token went away while in use (the
	// device was removed, its slot emptied, its session invalidated).
	ErrTokenNotPresent = errors.New("pkcs11: token not present")

	// ErrPINIncorrect means the token refused the user PIN
	// (CKR_PIN_INCORRECT, CKR_PIN_INVALID, CKR_PIN_LEN_RANGE). Tokens count
	// failed logins and may lock the PIN after a few.
	ErrPINIncorrect = errors.New("pkcs11: incorrect PIN")

	// ErrPINLocked means the user PIN is locked (CKR_PIN_LOCKED), expired
	// (CKR_PIN_EXPIRED) or was never set (CKR_USER_PIN_NOT_INITIALIZED):
	// the token's security officer must reset it.
	ErrPINLocked = errors.New("pkcs11: PIN locked, expired or not initialised")

	// ErrKeyNotFound means the token holds no secret key with the label.
	ErrKeyNotFound = errors.New("pkcs11: key not found")

	// ErrKeyAmbiguous means several secret keys share the label, so the
	// label does not name one key.
	ErrKeyAmbiguous = errors.New("pkcs11: several keys have the label")

	// ErrKeyExists means GenerateKey was asked for a label that a secret
	// key in the token already has.
	ErrKeyExists = errors.New("pkcs11: a key with the label exists")

	// ErrDecrypt means an authenticated decryption failed: the ciphertext,
	// IV or additional data were altered, or another key made them.
	ErrDecrypt = errors.New("pkcs11: decryption failed (message not authentic)")

	// ErrMechanism means the token does not offer, or the key does not
	// allow, the mechanism asked for (CKR_MECHANISM_INVALID,
	// CKR_MECHANISM_PARAM_INVALID, CKR_KEY_FUNCTION_NOT_PERMITTED,
	// CKR_KEY_TYPE_INCONSISTENT, CKR_FUNCTION_NOT_SUPPORTED).
	ErrMechanism = errors.New("pkcs11: mechanism not supported by the token or not permitted for the key")

	// ErrDevice means the token reported a failure of its own
	// (CKR_DEVICE_ERROR, CKR_DEVICE_MEMORY, CKR_GENERAL_ERROR,
	// CKR_FUNCTION_FAILED, CKR_HOST_MEMORY).
	ErrDevice = errors.New("pkcs11: device error")

	// ErrClosed means the Module or Token was closed.
	ErrClosed = errors.New("pkcs11: closed")
)

// Error is a PKCS#11 function's failure: the function and its CK_RV.
// errors.Is matches it against the sentinel its return value means
// (ErrPINIncorrect for CKR_PIN_INCORRECT, and so on); a return value with
// no sentinel matches none.
type Error struct {
	Func string // "C_Login"
	Code uint   // CK_RV
}

func (e *Error) Error() string {
	return fmt.Sprintf("pkcs11: %s: %s", e.Func, rvName(e.Code))
}

// Is reports whether target is the sentinel of e's return value.
func (e *Error) Is(target error) bool {
	s := sentinelOf(e.Code)
	return s != nil && s == target
}

func rvName(rv uint) string {
	if n, ok := rvNames[rv]; ok {
		return fmt.Sprintf("%s (%#x)", n, rv)
	}
	if rv&0x80000000 != 0 {
		return fmt.Sprintf("vendor-defined error %#x", rv)
	}
	return fmt.Sprintf("CK_RV %#x", rv)
}

func sentinelOf(rv uint) error {
	switch rv {
	case ckrPINIncorrect, ckrPINInvalid, ckrPINLenRange:
		return ErrPINIncorrect
	case ckrPINLocked, ckrPINExpired, ckrUserPINNotInitialized:
		return ErrPINLocked
	case ckrTokenNotPresent, ckrTokenNotRecognized, ckrDeviceRemoved,
		ckrSessionHandleInvalid, ckrSessionClosed, ckrSlotIDInvalid:
		return ErrTokenNotPresent
	case ckrEncryptedDataInvalid, ckrEncryptedDataLenRange, ckrAEADDecryptFailed:
		return ErrDecrypt
	case ckrMechanismInvalid, ckrMechanismParamInvalid, ckrKeyFunctionNotPermitted,
		ckrKeyTypeInconsistent, ckrFunctionNotSupported:
		return ErrMechanism
	case ckrDeviceError, ckrDeviceMemory, ckrGeneralError, ckrFunctionFailed, ckrHostMemory:
		return ErrDevice
	case ckrKeyHandleInvalid, ckrObjectHandleInvalid:
		return ErrKeyNotFound
	}
	return nil
}

// check returns nil for CKR_OK and an *Error otherwise.
func check(fn int, rv uintptr) error {
	if rv == ckrOK {
		return nil
	}
	return &Error{Func: fnNames[fn], Code: uint(rv)}
}

// sessionLost reports whether err means the session can no longer be used
// (it must be dropped from the pool, not returned to it).
func sessionLost(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case ckrSessionHandleInvalid, ckrSessionClosed, ckrDeviceRemoved, ckrTokenNotPresent,
		ckrDeviceError, ckrCryptokiNotInitialized, ckrUserNotLoggedIn, ckrOperationActive,
		ckrBufferTooSmall: // leaves the operation active on the session
		return true
	}
	return false
}
