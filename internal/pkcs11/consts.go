package pkcs11

// Values of the PKCS#11 specification (OASIS PKCS #11 Cryptographic Token
// Interface Base Specification, versions 2.40 and 3.0) that this package
// uses. CK_ULONG is C's unsigned long: 64 bits on the LP64 platforms this
// package loads modules on (ffi_purego.go), which Go's uint matches.

// Return values (CK_RV).
const (
	ckrOK                         = 0x000
	ckrCancel                     = 0x001
	ckrHostMemory                 = 0x002
	ckrSlotIDInvalid              = 0x003
	ckrGeneralError               = 0x005
	ckrFunctionFailed             = 0x006
	ckrArgumentsBad               = 0x007
	ckrAttributeReadOnly          = 0x010
	ckrAttributeSensitive         = 0x011
	ckrAttributeTypeInvalid       = 0x012
	ckrAttributeValueInvalid      = 0x013
	ckrDataInvalid                = 0x020
	ckrDataLenRange               = 0x021
	ckrDeviceError                = 0x030
	ckrDeviceMemory               = 0x031
	ckrDeviceRemoved              = 0x032
	ckrEncryptedDataInvalid       = 0x040
	ckrEncryptedDataLenRange      = 0x041
	ckrAEADDecryptFailed          = 0x042
	ckrFunctionCanceled           = 0x050
	ckrFunctionNotSupported       = 0x054
	ckrKeyHandleInvalid           = 0x060
	ckrKeySizeRange               = 0x062
	ckrKeyTypeInconsistent        = 0x063
	ckrKeyFunctionNotPermitted    = 0x068
	ckrMechanismInvalid           = 0x070
	ckrMechanismParamInvalid      = 0x071
	ckrObjectHandleInvalid        = 0x082
	ckrOperationActive            = 0x090
	ckrOperationNotInitialized    = 0x091
	ckrPINIncorrect               = 0x0a0
	ckrPINInvalid                 = 0x0a1
	ckrPINLenRange                = 0x0a2
	ckrPINExpired                 = 0x0a3
	ckrPINLocked                  = 0x0a4
	ckrSessionClosed              = 0x0b0
	ckrSessionCount               = 0x0b1
	ckrSessionHandleInvalid       = 0x0b3
	ckrSessionReadOnly            = 0x0b5
	ckrTemplateIncomplete         = 0x0d0
	ckrTemplateInconsistent       = 0x0d1
	ckrTokenNotPresent            = 0x0e0
	ckrTokenNotRecognized         = 0x0e1
	ckrTokenWriteProtected        = 0x0e2
	ckrUserAlreadyLoggedIn        = 0x100
	ckrUserNotLoggedIn            = 0x101
	ckrUserPINNotInitialized      = 0x102
	ckrUserTypeInvalid            = 0x103
	ckrRandomNoRNG                = 0x121
	ckrBufferTooSmall             = 0x150
	ckrCryptokiNotInitialized     = 0x190
	ckrCryptokiAlreadyInitialized = 0x191
)

var rvNames = map[uint]string{
	ckrOK:                         "CKR_OK",
	ckrCancel:                     "CKR_CANCEL",
	ckrHostMemory:                 "CKR_HOST_MEMORY",
	ckrSlotIDInvalid:              "CKR_SLOT_ID_INVALID",
	ckrGeneralError:               "CKR_GENERAL_ERROR",
	ckrFunctionFailed:             "CKR_FUNCTION_FAILED",
	ckrArgumentsBad:               "CKR_ARGUMENTS_BAD",
	ckrAttributeReadOnly:          "CKR_ATTRIBUTE_READ_ONLY",
	ckrAttributeSensitive:         "CKR_ATTRIBUTE_SENSITIVE",
	ckrAttributeTypeInvalid:       "CKR_ATTRIBUTE_TYPE_INVALID",
	ckrAttributeValueInvalid:      "CKR_ATTRIBUTE_VALUE_INVALID",
	ckrDataInvalid:                "CKR_DATA_INVALID",
	ckrDataLenRange:               "CKR_DATA_LEN_RANGE",
	ckrDeviceError:                "CKR_DEVICE_ERROR",
	ckrDeviceMemory:               "CKR_DEVICE_MEMORY",
	ckrDeviceRemoved:              "CKR_DEVICE_REMOVED",
	ckrEncryptedDataInvalid:       "CKR_ENCRYPTED_DATA_INVALID",
	ckrEncryptedDataLenRange:      "CKR_ENCRYPTED_DATA_LEN_RANGE",
	ckrAEADDecryptFailed:          "CKR_AEAD_DECRYPT_FAILED",
	ckrFunctionCanceled:           "CKR_FUNCTION_CANCELED",
	ckrFunctionNotSupported:       "CKR_FUNCTION_NOT_SUPPORTED",
	ckrKeyHandleInvalid:           "CKR_KEY_HANDLE_INVALID",
	ckrKeySizeRange:               "CKR_KEY_SIZE_RANGE",
	ckrKeyTypeInconsistent:        "CKR_KEY_TYPE_INCONSISTENT",
	ckrKeyFunctionNotPermitted:    "CKR_KEY_FUNCTION_NOT_PERMITTED",
	ckrMechanismInvalid:           "CKR_MECHANISM_INVALID",
	ckrMechanismParamInvalid:      "CKR_MECHANISM_PARAM_INVALID",
	ckrObjectHandleInvalid:        "CKR_OBJECT_HANDLE_INVALID",
	ckrOperationActive:            "CKR_OPERATION_ACTIVE",
	ckrOperationNotInitialized:    "CKR_OPERATION_NOT_INITIALIZED",
	ckrPINIncorrect:               "CKR_PIN_INCORRECT",
	ckrPINInvalid:                 "CKR_PIN_INVALID",
	ckrPINLenRange:                "CKR_PIN_LEN_RANGE",
	ckrPINExpired:                 "CKR_PIN_EXPIRED",
	ckrPINLocked:                  "CKR_PIN_LOCKED",
	ckrSessionClosed:              "CKR_SESSION_CLOSED",
	ckrSessionCount:               "CKR_SESSION_COUNT",
	ckrSessionHandleInvalid:       "CKR_SESSION_HANDLE_INVALID",
	ckrSessionReadOnly:            "CKR_SESSION_READ_ONLY",
	ckrTemplateIncomplete:         "CKR_TEMPLATE_INCOMPLETE",
	ckrTemplateInconsistent:       "CKR_TEMPLATE_INCONSISTENT",
	ckrTokenNotPresent:            "CKR_TOKEN_NOT_PRESENT",
	ckrTokenNotRecognized:         "CKR_TOKEN_NOT_RECOGNIZED",
	ckrTokenWriteProtected:        "CKR_TOKEN_WRITE_PROTECTED",
	ckrUserAlreadyLoggedIn:        "CKR_USER_ALREADY_LOGGED_IN",
	ckrUserNotLoggedIn:            "CKR_USER_NOT_LOGGED_IN",
	ckrUserPINNotInitialized:      "CKR_USER_PIN_NOT_INITIALIZED",
	ckrUserTypeInvalid:            "CKR_USER_TYPE_INVALID",
	ckrRandomNoRNG:                "CKR_RANDOM_NO_RNG",
	ckrBufferTooSmall:             "CKR_BUFFER_TOO_SMALL",
	ckrCryptokiNotInitialized:     "CKR_CRYPTOKI_NOT_INITIALIZED",
	ckrCryptokiAlreadyInitialized: "CKR_CRYPTOKI_ALREADY_INITIALIZED",
}

// Object classes, key types, attributes, mechanisms, flags.
const (
	ckoSecretKey = 0x4
	ckkAES       = 0x1f

	ckaClass            = 0x000
	ckaToken            = 0x001
	ckaPrivate          = 0x002
	ckaLabel            = 0x003
	ckaValue            = 0x011
	ckaKeyType          = 0x100
	ckaID               = 0x102
	ckaSensitive        = 0x103
	ckaEncrypt          = 0x104
	ckaDecrypt          = 0x105
	ckaWrap             = 0x106
	ckaUnwrap           = 0x107
	ckaSign             = 0x108
	ckaVerify           = 0x10a
	ckaDerive           = 0x10c
	ckaValueLen         = 0x161
	ckaExtractable      = 0x162
	ckaLocal            = 0x163
	ckaNeverExtractable = 0x164
	ckaAlwaysSensitive  = 0x165
	ckaModifiable       = 0x170

	ckmAESKeyGen = 0x1080
	ckmAESGCM    = 0x1087

	ckuUser = 1

	ckfRWSession     = 0x2
	ckfSerialSession = 0x4
	ckfOSLockingOK   = 0x2 // CK_C_INITIALIZE_ARGS.flags

	ckfTokenInitialized   = 0x400 // CK_TOKEN_INFO.flags
	ckfUserPINInitialized = 0x008
	ckfUserPINLocked      = 0x40000

	ckfEncrypt = 0x100 // CK_MECHANISM_INFO.flags
	ckfDecrypt = 0x200
)

// Indexes of the functions in CK_FUNCTION_LIST, which follow its
// CK_VERSION in the order of the specification.
const (
	fnInitialize        = 0
	fnFinalize          = 1
	fnGetSlotList       = 4
	fnGetTokenInfo      = 6
	fnGetMechanismInfo  = 8
	fnOpenSession       = 12
	fnCloseSession      = 13
	fnGetSessionInfo    = 15
	fnLogin             = 18
	fnDestroyObject     = 22
	fnGetAttributeValue = 24
	fnFindObjectsInit   = 26
	fnFindObjects       = 27
	fnFindObjectsFinal  = 28
	fnEncryptInit       = 29
	fnEncrypt           = 30
	fnDecryptInit       = 33
	fnDecrypt           = 34
	fnGenerateKey       = 58
	fnGenerateRandom    = 64
	fnCount             = 68 // functions in a version 2.x list
)

var fnNames = map[int]string{
	fnInitialize:        "C_Initialize",
	fnFinalize:          "C_Finalize",
	fnGetSlotList:       "C_GetSlotList",
	fnGetTokenInfo:      "C_GetTokenInfo",
	fnGetMechanismInfo:  "C_GetMechanismInfo",
	fnOpenSession:       "C_OpenSession",
	fnCloseSession:      "C_CloseSession",
	fnGetSessionInfo:    "C_GetSessionInfo",
	fnLogin:             "C_Login",
	fnDestroyObject:     "C_DestroyObject",
	fnGetAttributeValue: "C_GetAttributeValue",
	fnFindObjectsInit:   "C_FindObjectsInit",
	fnFindObjects:       "C_FindObjects",
	fnFindObjectsFinal:  "C_FindObjectsFinal",
	fnEncryptInit:       "C_EncryptInit",
	fnEncrypt:           "C_Encrypt",
	fnDecryptInit:       "C_DecryptInit",
	fnDecrypt:           "C_Decrypt",
	fnGenerateKey:       "C_GenerateKey",
	fnGenerateRandom:    "C_GenerateRandom",
}
