package api

import (
	"strconv"

	"github.com/trentkms/trent/internal/service"
	"github.com/trentkms/trent/internal/sigv4"
)

// wireError is an error as the client sees it.
type wireError struct {
	typ     string
	status  int
	message string
}

// kindErrors maps service error kinds to AWS KMS error names and the HTTP
// status real AWS KMS sends (400 for every client error; see DESIGN.md 1).
var kindErrors = map[service.Kind]wireError{
	service.KindValidation:             {"ValidationException", 400, ""},
	service.KindNotFound:               {"NotFoundException", 400, ""},
	service.KindAlreadyExists:          {"AlreadyExistsException", 400, ""},
	service.KindInvalidAliasName:       {"InvalidAliasNameException", 400, ""},
	service.KindInvalidArn:             {"InvalidArnException", 400, ""},
	service.KindInvalidMarker:          {"InvalidMarkerException", 400, ""},
	service.KindDisabled:               {"DisabledException", 400, ""},
	service.KindInvalidState:           {"KMSInvalidStateException", 400, ""},
	service.KindInvalidKeyUsage:        {"InvalidKeyUsageException", 400, ""},
	service.KindUnsupportedOperation:   {"UnsupportedOperationException", 400, ""},
	service.KindLimitExceeded:          {"LimitExceededException", 400, ""},
	service.KindTag:                    {"TagException", 400, ""},
	service.KindMalformedPolicy:        {"MalformedPolicyDocumentException", 400, ""},
	service.KindAccessDenied:           {"AccessDeniedException", 400, ""},
	service.KindDryRun:                 {"DryRunOperationException", 400, ""},
	service.KindIncorrectKey:           {"IncorrectKeyException", 400, ""},
	service.KindInvalidCiphertext:      {"InvalidCiphertextException", 400, ""},
	service.KindInvalidGrantToken:      {"InvalidGrantTokenException", 400, ""},
	service.KindInvalidGrantID:         {"InvalidGrantIdException", 400, ""},
	service.KindCustomKeyStoreNotFound: {"CustomKeyStoreNotFoundException", 400, ""},
	service.KindInternal:               {"KMSInternalException", 500, ""},
	service.KindUnavailable:            {"KMSInternalException", 500, ""},
	service.KindInvalidSignature:       {"KMSInvalidSignatureException", 400, ""},
	service.KindInvalidMac:             {"KMSInvalidMacException", 400, ""},
	service.KindInvalidImportToken:     {"InvalidImportTokenException", 400, ""},
	service.KindExpiredImportToken:     {"ExpiredImportTokenException", 400, ""},
	service.KindIncorrectKeyMaterial:   {"IncorrectKeyMaterialException", 400, ""},
	service.KindConflict:               {"ConflictException", 400, ""},
}

var sigErrors = map[sigv4.Kind]string{
	sigv4.KindMissingAuth:         "MissingAuthenticationTokenException",
	sigv4.KindIncompleteSignature: "IncompleteSignatureException",
	sigv4.KindInvalidSignature:    "InvalidSignatureException",
	sigv4.KindUnrecognizedClient:  "UnrecognizedClientException",
	sigv4.KindExpiredToken:        "ExpiredTokenException",
}

var errInternal = wireError{"KMSInternalException", 500, "An internal error occurred."}

// tooLarge answers a body over limit bytes.
func tooLarge(limit int64) wireError {
	return wireError{"SerializationException", 400, "Request body is larger than " + strconv.FormatInt(limit, 10) + " bytes."}
}

func serviceError(err error) wireError {
	if e, ok := err.(*service.Error); ok {
		if w, ok := kindErrors[e.Kind]; ok {
			w.message = e.Message
			return w
		}
	}
	return errInternal
}
