package service

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"testing"
	"time"

	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/store"
)

// This file checks AWS's key-state table (kms-api.md 8.1, notes [1]-[15])
// cell by cell, for every state Trent can reach (Enabled, Disabled,
// PendingDeletion, PendingImport) and every operation the service has.
//
// Cells left out, and why:
//   - Unavailable, Creating, Updating, PendingReplicaDeletion columns: Trent
//     has no custom key stores and no multi-Region keys, so no key reaches
//     these states.
//   - Encapsulate and Decapsulate in PendingImport: ML-KEM keys cannot have
//     Origin EXTERNAL (CreateKey refuses it), so no such key exists.
//   - Rotation rows for a key with imported material (note [7], Enabled or
//     Disabled EXTERNAL key): Trent has no ImportKeyMaterial yet, so an
//     EXTERNAL key is always PendingImport (or PendingDeletion).
//   - GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial
//     (imports_test.go covers their states), ReplicateKey,
//     UpdatePrimaryRegion, GetKeyLastUsage: not in this table (the last
//     three are not implemented).

// ksKind is the kind of key a row needs.
type ksKind struct {
	spec, usage string
	external    bool
}

var (
	ksSym      = ksKind{"SYMMETRIC_DEFAULT", UsageEncryptDecrypt, false}
	ksSign     = ksKind{"ECC_NIST_P256", UsageSignVerify, false}
	ksMac      = ksKind{"HMAC_256", UsageMac, false}
	ksAgree    = ksKind{"ECC_NIST_P256", UsageKeyAgreement, false}
	ksKem      = ksKind{"ML_KEM_768", UsageEncapsulate, false}
	ksExtSym   = ksKind{"SYMMETRIC_DEFAULT", UsageEncryptDecrypt, true}
	ksExtSign  = ksKind{"RSA_2048", UsageSignVerify, true}
	ksExtMac   = ksKind{"HMAC_256", UsageMac, true}
	ksExtAgree = ksKind{"ECC_NIST_P256", UsageKeyAgreement, true}
)

func (k ksKind) signingAlgorithm() string {
	if k.spec == "RSA_2048" {
		return "RSASSA_PSS_SHA_256"
	}
	return "ECDSA_SHA_256"
}

// ksEnv is what a row's operation works on: the key in the row's state and
// what was made with it while it was still Enabled.
type ksEnv struct {
	ctx     context.Context
	svc     *Service
	kind    ksKind
	id, arn string
	alias   string // an alias of the key, made before the state change

	blob, sig, mac, kemCT []byte // made while Enabled; nil for PendingImport

	other     string // an Enabled symmetric key
	otherBlob []byte // a ciphertext of other
	peer      []byte // a P-256 public key (DER SPKI) for DeriveSharedSecret
	n         int    // the row's index, for unique names
	grant     string // a grant on the key, made while it was Enabled (or, for PendingImport, at once)
}

// ksWant is a row's expected outcome: success (Kind 0), or a service error
// of Kind whose message is msg with the key ARN in place of %s.
type ksWant struct {
	kind Kind
	msg  string
}

var (
	ksOK           = ksWant{}
	ksDisabled     = ksWant{KindDisabled, "%s is disabled."}                                                          // note [1]
	ksPendDel      = ksWant{KindInvalidState, "%s is pending deletion."}                                              // note [2/3]
	ksPendImport   = ksWant{KindInvalidState, "%s is pending import."}                                                // note [5]
	ksNotPendDel   = ksWant{KindInvalidState, "%s is not pending deletion"}                                           // note [4]
	ksOriginExtern = ksWant{KindUnsupportedOperation, "%s origin is EXTERNAL which is not valid for this operation."} // note [6]
)

var ksOps = map[string]func(e *ksEnv) error{
	"Encrypt": func(e *ksEnv) error {
		_, err := e.svc.Encrypt(e.ctx, caller(), &kmsapi.EncryptRequest{KeyId: &e.id, Plaintext: []byte("x")})
		return err
	},
	"Decrypt": func(e *ksEnv) error {
		if e.blob == nil { // PendingImport: the key never had material
			_, err := e.svc.Decrypt(e.ctx, caller(), &kmsapi.DecryptRequest{CiphertextBlob: e.otherBlob, KeyId: &e.id})
			return err
		}
		_, err := e.svc.Decrypt(e.ctx, caller(), &kmsapi.DecryptRequest{CiphertextBlob: e.blob})
		return err
	},
	"ReEncrypt(source)": func(e *ksEnv) error {
		if e.blob == nil {
			_, err := e.svc.ReEncrypt(e.ctx, caller(), &kmsapi.ReEncryptRequest{CiphertextBlob: e.otherBlob, SourceKeyId: &e.id, DestinationKeyId: &e.other})
			return err
		}
		_, err := e.svc.ReEncrypt(e.ctx, caller(), &kmsapi.ReEncryptRequest{CiphertextBlob: e.blob, DestinationKeyId: &e.other})
		return err
	},
	"ReEncrypt(destination)": func(e *ksEnv) error {
		_, err := e.svc.ReEncrypt(e.ctx, caller(), &kmsapi.ReEncryptRequest{CiphertextBlob: e.otherBlob, DestinationKeyId: &e.id})
		return err
	},
	"GenerateDataKey": func(e *ksEnv) error {
		_, err := e.svc.GenerateDataKey(e.ctx, caller(), &kmsapi.GenerateDataKeyRequest{KeyId: &e.id, NumberOfBytes: ptr(32)})
		return err
	},
	"GenerateDataKeyWithoutPlaintext": func(e *ksEnv) error {
		_, err := e.svc.GenerateDataKeyWithoutPlaintext(e.ctx, caller(), &kmsapi.GenerateDataKeyWithoutPlaintextRequest{KeyId: &e.id, KeySpec: ptr("AES_256")})
		return err
	},
	"GenerateDataKeyPair": func(e *ksEnv) error {
		_, err := e.svc.GenerateDataKeyPair(e.ctx, caller(), &kmsapi.GenerateDataKeyPairRequest{KeyId: &e.id, KeyPairSpec: ptr("ECC_NIST_P256")})
		return err
	},
	"GenerateDataKeyPairWithoutPlaintext": func(e *ksEnv) error {
		_, err := e.svc.GenerateDataKeyPairWithoutPlaintext(e.ctx, caller(), &kmsapi.GenerateDataKeyPairWithoutPlaintextRequest{KeyId: &e.id, KeyPairSpec: ptr("ECC_NIST_P256")})
		return err
	},
	"Sign": func(e *ksEnv) error {
		_, err := e.svc.Sign(e.ctx, caller(), &kmsapi.SignRequest{KeyId: &e.id, Message: []byte("m"), SigningAlgorithm: ptr(e.kind.signingAlgorithm())})
		return err
	},
	"Verify": func(e *ksEnv) error {
		sig := e.sig
		if sig == nil {
			sig = []byte("not a signature")
		}
		_, err := e.svc.Verify(e.ctx, caller(), &kmsapi.VerifyRequest{KeyId: &e.id, Message: []byte("m"), Signature: sig, SigningAlgorithm: ptr(e.kind.signingAlgorithm())})
		return err
	},
	"GetPublicKey": func(e *ksEnv) error {
		_, err := e.svc.GetPublicKey(e.ctx, caller(), &kmsapi.GetPublicKeyRequest{KeyId: &e.id})
		return err
	},
	"GenerateMac": func(e *ksEnv) error {
		_, err := e.svc.GenerateMac(e.ctx, caller(), &kmsapi.GenerateMacRequest{KeyId: &e.id, Message: []byte("m"), MacAlgorithm: ptr("HMAC_SHA_256")})
		return err
	},
	"VerifyMac": func(e *ksEnv) error {
		mac := e.mac
		if mac == nil {
			mac = []byte("not a mac")
		}
		_, err := e.svc.VerifyMac(e.ctx, caller(), &kmsapi.VerifyMacRequest{KeyId: &e.id, Message: []byte("m"), MacAlgorithm: ptr("HMAC_SHA_256"), Mac: mac})
		return err
	},
	"DeriveSharedSecret": func(e *ksEnv) error {
		_, err := e.svc.DeriveSharedSecret(e.ctx, caller(), &kmsapi.DeriveSharedSecretRequest{KeyId: &e.id, KeyAgreementAlgorithm: ptr("ECDH"), PublicKey: e.peer})
		return err
	},
	"Encapsulate": func(e *ksEnv) error {
		_, err := e.svc.Encapsulate(e.ctx, caller(), &kmsapi.EncapsulateRequest{KeyId: &e.id, EncapsulationAlgorithm: ptr("ML_KEM")})
		return err
	},
	"Decapsulate": func(e *ksEnv) error {
		_, err := e.svc.Decapsulate(e.ctx, caller(), &kmsapi.DecapsulateRequest{KeyId: &e.id, EncapsulationAlgorithm: ptr("ML_KEM"), SharedSecretCiphertextBlob: e.kemCT})
		return err
	},
	"DescribeKey": func(e *ksEnv) error {
		_, err := e.svc.DescribeKey(e.ctx, caller(), &kmsapi.DescribeKeyRequest{KeyId: &e.id})
		return err
	},
	"ListAliases": func(e *ksEnv) error {
		out, err := e.svc.ListAliases(e.ctx, caller(), &kmsapi.ListAliasesRequest{KeyId: &e.id})
		if err == nil && (len(out.Aliases) != 1 || out.Aliases[0].AliasName != e.alias) {
			return fmt.Errorf("ListAliases: got %+v, want only %s", out.Aliases, e.alias)
		}
		return err
	},
	"ListResourceTags": func(e *ksEnv) error {
		_, err := e.svc.ListResourceTags(e.ctx, caller(), &kmsapi.ListResourceTagsRequest{KeyId: &e.id})
		return err
	},
	"DeleteAlias": func(e *ksEnv) error {
		_, err := e.svc.DeleteAlias(e.ctx, caller(), &kmsapi.DeleteAliasRequest{AliasName: &e.alias})
		return err
	},
	"CreateAlias": func(e *ksEnv) error {
		_, err := e.svc.CreateAlias(e.ctx, caller(), &kmsapi.CreateAliasRequest{AliasName: ptr(fmt.Sprintf("alias/ks-new-%d", e.n)), TargetKeyId: &e.id})
		return err
	},
	"UpdateAlias(target)": func(e *ksEnv) error {
		name := fmt.Sprintf("alias/ks-upd-%d", e.n)
		if _, err := e.svc.CreateAlias(e.ctx, caller(), &kmsapi.CreateAliasRequest{AliasName: &name, TargetKeyId: &e.other}); err != nil {
			return fmt.Errorf("setup CreateAlias: %w", err)
		}
		_, err := e.svc.UpdateAlias(e.ctx, caller(), &kmsapi.UpdateAliasRequest{AliasName: &name, TargetKeyId: &e.id})
		return err
	},
	"UpdateAlias(source)": func(e *ksEnv) error {
		_, err := e.svc.UpdateAlias(e.ctx, caller(), &kmsapi.UpdateAliasRequest{AliasName: &e.alias, TargetKeyId: &e.other})
		return err
	},
	"TagResource": func(e *ksEnv) error {
		_, err := e.svc.TagResource(e.ctx, caller(), &kmsapi.TagResourceRequest{KeyId: &e.id, Tags: []kmsapi.Tag{{TagKey: ptr("k"), TagValue: ptr("v")}}})
		return err
	},
	"UntagResource": func(e *ksEnv) error {
		_, err := e.svc.UntagResource(e.ctx, caller(), &kmsapi.UntagResourceRequest{KeyId: &e.id, TagKeys: []string{"k"}})
		return err
	},
	"UpdateKeyDescription": func(e *ksEnv) error {
		_, err := e.svc.UpdateKeyDescription(e.ctx, caller(), &kmsapi.UpdateKeyDescriptionRequest{KeyId: &e.id, Description: ptr("d")})
		return err
	},
	"EnableKey": func(e *ksEnv) error {
		_, err := e.svc.EnableKey(e.ctx, caller(), &kmsapi.EnableKeyRequest{KeyId: &e.id})
		return err
	},
	"DisableKey": func(e *ksEnv) error {
		_, err := e.svc.DisableKey(e.ctx, caller(), &kmsapi.DisableKeyRequest{KeyId: &e.id})
		return err
	},
	"EnableKeyRotation": func(e *ksEnv) error {
		_, err := e.svc.EnableKeyRotation(e.ctx, caller(), &kmsapi.EnableKeyRotationRequest{KeyId: &e.id})
		return err
	},
	"DisableKeyRotation": func(e *ksEnv) error {
		_, err := e.svc.DisableKeyRotation(e.ctx, caller(), &kmsapi.DisableKeyRotationRequest{KeyId: &e.id})
		return err
	},
	"RotateKeyOnDemand": func(e *ksEnv) error {
		_, err := e.svc.RotateKeyOnDemand(e.ctx, caller(), &kmsapi.RotateKeyOnDemandRequest{KeyId: &e.id})
		return err
	},
	"GetKeyRotationStatus": func(e *ksEnv) error {
		_, err := e.svc.GetKeyRotationStatus(e.ctx, caller(), &kmsapi.GetKeyRotationStatusRequest{KeyId: &e.id})
		return err
	},
	"ListKeyRotations": func(e *ksEnv) error {
		_, err := e.svc.ListKeyRotations(e.ctx, caller(), &kmsapi.ListKeyRotationsRequest{KeyId: &e.id})
		return err
	},
	"ScheduleKeyDeletion": func(e *ksEnv) error {
		_, err := e.svc.ScheduleKeyDeletion(e.ctx, caller(), &kmsapi.ScheduleKeyDeletionRequest{KeyId: &e.id, PendingWindowInDays: ptr(7)})
		return err
	},
	"CancelKeyDeletion": func(e *ksEnv) error {
		_, err := e.svc.CancelKeyDeletion(e.ctx, caller(), &kmsapi.CancelKeyDeletionRequest{KeyId: &e.id})
		return err
	},
	"CreateGrant": func(e *ksEnv) error {
		_, err := e.svc.CreateGrant(e.ctx, caller(), &kmsapi.CreateGrantRequest{KeyId: &e.id, GranteePrincipal: ptr("arn:aws:iam::111122223333:root"), Operations: []string{"DescribeKey"}})
		return err
	},
	"ListGrants": func(e *ksEnv) error {
		_, err := e.svc.ListGrants(e.ctx, caller(), &kmsapi.ListGrantsRequest{KeyId: &e.id})
		return err
	},
	"RetireGrant": func(e *ksEnv) error {
		_, err := e.svc.RetireGrant(e.ctx, caller(), &kmsapi.RetireGrantRequest{KeyId: &e.arn, GrantId: &e.grant})
		return err
	},
	"RevokeGrant": func(e *ksEnv) error {
		_, err := e.svc.RevokeGrant(e.ctx, caller(), &kmsapi.RevokeGrantRequest{KeyId: &e.id, GrantId: &e.grant})
		return err
	},
	"GetKeyPolicy": func(e *ksEnv) error {
		_, err := e.svc.GetKeyPolicy(e.ctx, caller(), &kmsapi.GetKeyPolicyRequest{KeyId: &e.id})
		return err
	},
	"PutKeyPolicy": func(e *ksEnv) error {
		_, err := e.svc.PutKeyPolicy(e.ctx, caller(), &kmsapi.PutKeyPolicyRequest{KeyId: &e.id, Policy: ptr(DefaultKeyPolicy("111122223333"))})
		return err
	},
	"ListKeyPolicies": func(e *ksEnv) error {
		_, err := e.svc.ListKeyPolicies(e.ctx, caller(), &kmsapi.ListKeyPoliciesRequest{KeyId: &e.id})
		return err
	},
}

type ksRow struct {
	op    string
	kind  ksKind
	state string // StatePendingImport goes with an EXTERNAL kind
	rule  string // the table cell and note
	want  ksWant
	after string // the key's state after a success, if the table says
}

const (
	en = StateEnabled
	di = StateDisabled
	pd = StatePendingDeletion
	pi = StatePendingImport
)

var ksRows = []ksRow{
	// Row "Encrypt, Decrypt, ReEncrypt, GenerateDataKey(+WithoutPlaintext),
	// GenerateDataKeyPair(+WithoutPlaintext)": ✓ | ✗[1] | ✗[2/3] | ✗[5].
	// Encrypt in PendingImport is also recorded (test_import_key_symmetric).
	{op: "Encrypt", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "Encrypt", kind: ksSym, state: di, rule: "✗[1]", want: ksDisabled},
	{op: "Encrypt", kind: ksSym, state: pd, rule: "✗[2/3]", want: ksPendDel},
	{op: "Encrypt", kind: ksExtSym, state: pi, rule: "✗[5] (recorded)", want: ksPendImport},
	{op: "Decrypt", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "Decrypt", kind: ksSym, state: di, rule: "✗[1]", want: ksDisabled},
	{op: "Decrypt", kind: ksSym, state: pd, rule: "✗[2/3]", want: ksPendDel},
	// KeyId names the PendingImport key; key state comes before the
	// ciphertext (evaluation order, kms-api.md).
	{op: "Decrypt", kind: ksExtSym, state: pi, rule: "✗[5]", want: ksPendImport},
	{op: "ReEncrypt(source)", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "ReEncrypt(source)", kind: ksSym, state: di, rule: "✗[1]", want: ksDisabled},
	{op: "ReEncrypt(source)", kind: ksSym, state: pd, rule: "✗[2/3]", want: ksPendDel},
	{op: "ReEncrypt(source)", kind: ksExtSym, state: pi, rule: "✗[5]", want: ksPendImport},
	{op: "ReEncrypt(destination)", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "ReEncrypt(destination)", kind: ksSym, state: di, rule: "✗[1]", want: ksDisabled},
	{op: "ReEncrypt(destination)", kind: ksSym, state: pd, rule: "✗[2/3]", want: ksPendDel},
	{op: "ReEncrypt(destination)", kind: ksExtSym, state: pi, rule: "✗[5]", want: ksPendImport},
	{op: "GenerateDataKey", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "GenerateDataKey", kind: ksSym, state: di, rule: "✗[1]", want: ksDisabled},
	{op: "GenerateDataKey", kind: ksSym, state: pd, rule: "✗[2/3]", want: ksPendDel},
	{op: "GenerateDataKey", kind: ksExtSym, state: pi, rule: "✗[5]", want: ksPendImport},
	{op: "GenerateDataKeyWithoutPlaintext", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "GenerateDataKeyWithoutPlaintext", kind: ksSym, state: di, rule: "✗[1]", want: ksDisabled},
	{op: "GenerateDataKeyWithoutPlaintext", kind: ksSym, state: pd, rule: "✗[2/3]", want: ksPendDel},
	{op: "GenerateDataKeyWithoutPlaintext", kind: ksExtSym, state: pi, rule: "✗[5]", want: ksPendImport},
	{op: "GenerateDataKeyPair", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "GenerateDataKeyPair", kind: ksSym, state: di, rule: "✗[1]", want: ksDisabled},
	{op: "GenerateDataKeyPair", kind: ksSym, state: pd, rule: "✗[2/3]", want: ksPendDel},
	{op: "GenerateDataKeyPair", kind: ksExtSym, state: pi, rule: "✗[5]", want: ksPendImport},
	{op: "GenerateDataKeyPairWithoutPlaintext", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "GenerateDataKeyPairWithoutPlaintext", kind: ksSym, state: di, rule: "✗[1]", want: ksDisabled},
	{op: "GenerateDataKeyPairWithoutPlaintext", kind: ksSym, state: pd, rule: "✗[2/3]", want: ksPendDel},
	{op: "GenerateDataKeyPairWithoutPlaintext", kind: ksExtSym, state: pi, rule: "✗[5]", want: ksPendImport},

	// Row "Sign, Verify, GetPublicKey, GenerateMac, VerifyMac,
	// DeriveSharedSecret*, Encapsulate*, Decapsulate*":
	// ✓ | ✗[1] | ✗[2/3] | ✗[5]*.
	{op: "Sign", kind: ksSign, state: en, rule: "✓", want: ksOK},
	{op: "Sign", kind: ksSign, state: di, rule: "✗[1]", want: ksDisabled},
	{op: "Sign", kind: ksSign, state: pd, rule: "✗[2/3]", want: ksPendDel},
	{op: "Sign", kind: ksExtSign, state: pi, rule: "✗[5]*", want: ksPendImport},
	{op: "Verify", kind: ksSign, state: en, rule: "✓", want: ksOK},
	{op: "Verify", kind: ksSign, state: di, rule: "✗[1]", want: ksDisabled},
	{op: "Verify", kind: ksSign, state: pd, rule: "✗[2/3]", want: ksPendDel},
	{op: "Verify", kind: ksExtSign, state: pi, rule: "✗[5]*", want: ksPendImport},
	{op: "GetPublicKey", kind: ksSign, state: en, rule: "✓", want: ksOK},
	{op: "GetPublicKey", kind: ksSign, state: di, rule: "✗[1]", want: ksDisabled},
	{op: "GetPublicKey", kind: ksSign, state: pd, rule: "✗[2/3]", want: ksPendDel},
	{op: "GetPublicKey", kind: ksExtSign, state: pi, rule: "✗[5]*", want: ksPendImport},
	{op: "GenerateMac", kind: ksMac, state: en, rule: "✓", want: ksOK},
	{op: "GenerateMac", kind: ksMac, state: di, rule: "✗[1]", want: ksDisabled},
	{op: "GenerateMac", kind: ksMac, state: pd, rule: "✗[2/3]", want: ksPendDel},
	{op: "GenerateMac", kind: ksExtMac, state: pi, rule: "✗[5]*", want: ksPendImport},
	{op: "VerifyMac", kind: ksMac, state: en, rule: "✓", want: ksOK},
	{op: "VerifyMac", kind: ksMac, state: di, rule: "✗[1]", want: ksDisabled},
	{op: "VerifyMac", kind: ksMac, state: pd, rule: "✗[2/3]", want: ksPendDel},
	{op: "VerifyMac", kind: ksExtMac, state: pi, rule: "✗[5]*", want: ksPendImport},
	{op: "DeriveSharedSecret", kind: ksAgree, state: en, rule: "✓", want: ksOK},
	{op: "DeriveSharedSecret", kind: ksAgree, state: di, rule: "✗[1]", want: ksDisabled},
	{op: "DeriveSharedSecret", kind: ksAgree, state: pd, rule: "✗[2/3]", want: ksPendDel},
	{op: "DeriveSharedSecret", kind: ksExtAgree, state: pi, rule: "✗[5]*", want: ksPendImport},
	{op: "Encapsulate", kind: ksKem, state: en, rule: "✓", want: ksOK},
	{op: "Encapsulate", kind: ksKem, state: di, rule: "✗[1]", want: ksDisabled},
	{op: "Encapsulate", kind: ksKem, state: pd, rule: "✗[2/3]", want: ksPendDel},
	{op: "Decapsulate", kind: ksKem, state: en, rule: "✓", want: ksOK},
	{op: "Decapsulate", kind: ksKem, state: di, rule: "✗[1]", want: ksDisabled},
	{op: "Decapsulate", kind: ksKem, state: pd, rule: "✗[2/3]", want: ksPendDel},

	// Row "DescribeKey, ..., ListAliases, ..., ListResourceTags, ...,
	// DeleteAlias": ✓ in every state.
	// CreateGrant is in the first row of the table: ✓ | ✗[1] | ✗[2/3] | ✗[5].
	{op: "CreateGrant", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "CreateGrant", kind: ksSym, state: di, rule: "✗[1]", want: ksDisabled},
	{op: "CreateGrant", kind: ksSym, state: pd, rule: "✗[2/3]", want: ksPendDel},
	{op: "CreateGrant", kind: ksExtSym, state: pi, rule: "✗[5]", want: ksPendImport},
	// Row "DescribeKey, GetKeyPolicy, PutKeyPolicy, ListAliases,
	// ListGrants, ListKeyPolicies, ListResourceTags, RetireGrant,
	// RevokeGrant, DeleteAlias": ✓ in every state.
	{op: "GetKeyPolicy", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "GetKeyPolicy", kind: ksSym, state: di, rule: "✓", want: ksOK},
	{op: "GetKeyPolicy", kind: ksSym, state: pd, rule: "✓", want: ksOK},
	{op: "GetKeyPolicy", kind: ksExtSym, state: pi, rule: "✓", want: ksOK},
	{op: "PutKeyPolicy", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "PutKeyPolicy", kind: ksSym, state: di, rule: "✓", want: ksOK},
	{op: "PutKeyPolicy", kind: ksSym, state: pd, rule: "✓", want: ksOK},
	{op: "PutKeyPolicy", kind: ksExtSym, state: pi, rule: "✓", want: ksOK},
	{op: "ListKeyPolicies", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "ListKeyPolicies", kind: ksSym, state: di, rule: "✓", want: ksOK},
	{op: "ListKeyPolicies", kind: ksSym, state: pd, rule: "✓", want: ksOK},
	{op: "ListKeyPolicies", kind: ksExtSym, state: pi, rule: "✓", want: ksOK},
	{op: "ListGrants", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "ListGrants", kind: ksSym, state: di, rule: "✓", want: ksOK},
	{op: "ListGrants", kind: ksSym, state: pd, rule: "✓", want: ksOK},
	{op: "ListGrants", kind: ksExtSym, state: pi, rule: "✓", want: ksOK},
	{op: "RetireGrant", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "RetireGrant", kind: ksSym, state: di, rule: "✓", want: ksOK},
	{op: "RetireGrant", kind: ksSym, state: pd, rule: "✓", want: ksOK},
	{op: "RetireGrant", kind: ksExtSym, state: pi, rule: "✓", want: ksOK},
	{op: "RevokeGrant", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "RevokeGrant", kind: ksSym, state: di, rule: "✓", want: ksOK},
	{op: "RevokeGrant", kind: ksSym, state: pd, rule: "✓", want: ksOK},
	{op: "RevokeGrant", kind: ksExtSym, state: pi, rule: "✓", want: ksOK},
	{op: "DescribeKey", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "DescribeKey", kind: ksSym, state: di, rule: "✓", want: ksOK},
	{op: "DescribeKey", kind: ksSym, state: pd, rule: "✓", want: ksOK},
	{op: "DescribeKey", kind: ksExtSym, state: pi, rule: "✓", want: ksOK},
	{op: "ListAliases", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "ListAliases", kind: ksSym, state: di, rule: "✓", want: ksOK},
	{op: "ListAliases", kind: ksSym, state: pd, rule: "✓", want: ksOK},
	{op: "ListAliases", kind: ksExtSym, state: pi, rule: "✓", want: ksOK},
	{op: "ListResourceTags", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "ListResourceTags", kind: ksSym, state: di, rule: "✓", want: ksOK},
	{op: "ListResourceTags", kind: ksSym, state: pd, rule: "✓", want: ksOK},
	{op: "ListResourceTags", kind: ksExtSym, state: pi, rule: "✓", want: ksOK},
	{op: "DeleteAlias", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "DeleteAlias", kind: ksSym, state: di, rule: "✓", want: ksOK},
	{op: "DeleteAlias", kind: ksSym, state: pd, rule: "✓", want: ksOK},
	{op: "DeleteAlias", kind: ksExtSym, state: pi, rule: "✓", want: ksOK},

	// Row "CreateAlias": ✓ | ✓ | ✗[3] | ✓.
	{op: "CreateAlias", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "CreateAlias", kind: ksSym, state: di, rule: "✓", want: ksOK},
	{op: "CreateAlias", kind: ksSym, state: pd, rule: "✗[3]", want: ksPendDel},
	{op: "CreateAlias", kind: ksExtSym, state: pi, rule: "✓", want: ksOK},

	// Row "UpdateAlias": ✓ | ✓ | ?[10] | ✓. Note [10]: the alias's current
	// key may be pending deletion; the new target may not.
	{op: "UpdateAlias(target)", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "UpdateAlias(target)", kind: ksSym, state: di, rule: "✓", want: ksOK},
	{op: "UpdateAlias(target)", kind: ksSym, state: pd, rule: "?[10] destination", want: ksPendDel},
	{op: "UpdateAlias(target)", kind: ksExtSym, state: pi, rule: "✓", want: ksOK},
	{op: "UpdateAlias(source)", kind: ksSym, state: pd, rule: "?[10] source", want: ksOK},

	// Row "TagResource, UntagResource, UpdateKeyDescription":
	// ✓ | ✓ | ✗[3] | ✓.
	{op: "TagResource", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "TagResource", kind: ksSym, state: di, rule: "✓", want: ksOK},
	{op: "TagResource", kind: ksSym, state: pd, rule: "✗[3]", want: ksPendDel},
	{op: "TagResource", kind: ksExtSym, state: pi, rule: "✓", want: ksOK},
	{op: "UntagResource", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "UntagResource", kind: ksSym, state: di, rule: "✓", want: ksOK},
	{op: "UntagResource", kind: ksSym, state: pd, rule: "✗[3]", want: ksPendDel},
	{op: "UntagResource", kind: ksExtSym, state: pi, rule: "✓", want: ksOK},
	{op: "UpdateKeyDescription", kind: ksSym, state: en, rule: "✓", want: ksOK},
	{op: "UpdateKeyDescription", kind: ksSym, state: di, rule: "✓", want: ksOK},
	{op: "UpdateKeyDescription", kind: ksSym, state: pd, rule: "✗[3]", want: ksPendDel},
	{op: "UpdateKeyDescription", kind: ksExtSym, state: pi, rule: "✓", want: ksOK},

	// Row "EnableKey, DisableKey": ✓ | ✓ | ✗[3] | ✗[5].
	{op: "EnableKey", kind: ksSym, state: en, rule: "✓", want: ksOK, after: en},
	{op: "EnableKey", kind: ksSym, state: di, rule: "✓", want: ksOK, after: en},
	{op: "EnableKey", kind: ksSym, state: pd, rule: "✗[3]", want: ksPendDel},
	{op: "EnableKey", kind: ksExtSym, state: pi, rule: "✗[5]", want: ksPendImport},
	{op: "DisableKey", kind: ksSym, state: en, rule: "✓", want: ksOK, after: di},
	{op: "DisableKey", kind: ksSym, state: di, rule: "✓", want: ksOK, after: di},
	{op: "DisableKey", kind: ksSym, state: pd, rule: "✗[3]", want: ksPendDel},
	{op: "DisableKey", kind: ksExtSym, state: pi, rule: "✗[5]", want: ksPendImport},

	// Row "EnableKeyRotation, DisableKeyRotation, RotateKeyOnDemand*":
	// ?[7] | ✗[1,7] | ✗[3,7] | ✗[6]. ?[7] is ✓ for a symmetric key with
	// AWS_KMS material. RotateKeyOnDemand on a key pending import is
	// recorded as "is pending import" (KMSInvalidState), not [6]
	// (test_rotate_key_on_demand_on_external_key_with_no_key_material, for
	// SYMMETRIC_DEFAULT and RSA_4096).
	{op: "EnableKeyRotation", kind: ksSym, state: en, rule: "?[7] AWS_KMS", want: ksOK},
	{op: "EnableKeyRotation", kind: ksSym, state: di, rule: "✗[1,7]", want: ksDisabled},
	{op: "EnableKeyRotation", kind: ksSym, state: pd, rule: "✗[3,7]", want: ksPendDel},
	{op: "EnableKeyRotation", kind: ksExtSym, state: pi, rule: "✗[6]", want: ksOriginExtern},
	{op: "EnableKeyRotation", kind: ksExtMac, state: pi, rule: "✗[6]", want: ksOriginExtern},
	{op: "DisableKeyRotation", kind: ksSym, state: en, rule: "?[7] AWS_KMS", want: ksOK},
	{op: "DisableKeyRotation", kind: ksSym, state: di, rule: "✗[1,7]", want: ksDisabled},
	{op: "DisableKeyRotation", kind: ksSym, state: pd, rule: "✗[3,7]", want: ksPendDel},
	{op: "DisableKeyRotation", kind: ksExtSym, state: pi, rule: "✗[6]", want: ksOriginExtern},
	{op: "DisableKeyRotation", kind: ksExtMac, state: pi, rule: "✗[6]", want: ksOriginExtern},
	{op: "RotateKeyOnDemand", kind: ksSym, state: en, rule: "?[7] AWS_KMS", want: ksOK},
	{op: "RotateKeyOnDemand", kind: ksSym, state: di, rule: "✗[1,7] (recorded)", want: ksDisabled},
	{op: "RotateKeyOnDemand", kind: ksSym, state: pd, rule: "✗[3,7]", want: ksPendDel},
	{op: "RotateKeyOnDemand", kind: ksExtSym, state: pi, rule: "✗ recorded, not [6]", want: ksPendImport},
	{op: "RotateKeyOnDemand", kind: ksExtSign, state: pi, rule: "✗ recorded (RSA), not [6]", want: ksPendImport},

	// Row "GetKeyRotationStatus, ListKeyRotations*": ?[7] | ?[7] | ?[7] |
	// ✗[6]. ?[7] is ✓ for a symmetric key with AWS_KMS material.
	{op: "GetKeyRotationStatus", kind: ksSym, state: en, rule: "?[7] AWS_KMS", want: ksOK},
	{op: "GetKeyRotationStatus", kind: ksSym, state: di, rule: "?[7] AWS_KMS", want: ksOK},
	{op: "GetKeyRotationStatus", kind: ksSym, state: pd, rule: "?[7] AWS_KMS", want: ksOK},
	{op: "GetKeyRotationStatus", kind: ksExtSym, state: pi, rule: "✗[6]", want: ksOriginExtern},
	{op: "GetKeyRotationStatus", kind: ksExtSign, state: pi, rule: "✗[6]", want: ksOriginExtern},
	{op: "ListKeyRotations", kind: ksSym, state: en, rule: "?[7] AWS_KMS", want: ksOK},
	{op: "ListKeyRotations", kind: ksSym, state: di, rule: "?[7] AWS_KMS", want: ksOK},
	{op: "ListKeyRotations", kind: ksSym, state: pd, rule: "?[7] AWS_KMS", want: ksOK},
	{op: "ListKeyRotations", kind: ksExtSym, state: pi, rule: "✗[6]", want: ksOriginExtern},
	{op: "ListKeyRotations", kind: ksExtSign, state: pi, rule: "✗[6]", want: ksOriginExtern},

	// Row "ScheduleKeyDeletion": ✓ | ✓ | ✗[3] | ✓.
	{op: "ScheduleKeyDeletion", kind: ksSym, state: en, rule: "✓", want: ksOK, after: pd},
	{op: "ScheduleKeyDeletion", kind: ksSym, state: di, rule: "✓", want: ksOK, after: pd},
	{op: "ScheduleKeyDeletion", kind: ksSym, state: pd, rule: "✗[3]", want: ksPendDel},
	{op: "ScheduleKeyDeletion", kind: ksExtSym, state: pi, rule: "✓", want: ksOK, after: pd},

	// Row "CancelKeyDeletion": ✗[4] | ✗[4] | ✓ (→Disabled) | ✗[4].
	{op: "CancelKeyDeletion", kind: ksSym, state: en, rule: "✗[4]", want: ksNotPendDel},
	{op: "CancelKeyDeletion", kind: ksSym, state: di, rule: "✗[4]", want: ksNotPendDel},
	{op: "CancelKeyDeletion", kind: ksSym, state: pd, rule: "✓ (→Disabled)", want: ksOK, after: di},
	{op: "CancelKeyDeletion", kind: ksExtSym, state: pi, rule: "✗[4]", want: ksNotPendDel},
}

// TestKeyStateTable runs every row of ksRows on a fresh key of the row's
// kind in the row's state.
func TestKeyStateTable(t *testing.T) {
	ctx := t.Context()
	svc := newNodes(t, 1)[0].svc

	other, err := svc.CreateKey(ctx, caller(), &kmsapi.CreateKeyRequest{})
	if err != nil {
		t.Fatal(err)
	}
	otherID := other.KeyMetadata.KeyId
	otherEnc, err := svc.Encrypt(ctx, caller(), &kmsapi.EncryptRequest{KeyId: &otherID, Plaintext: []byte("other")})
	if err != nil {
		t.Fatal(err)
	}
	peerKey, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	peer, err := x509.MarshalPKIXPublicKey(peerKey.PublicKey())
	if err != nil {
		t.Fatal(err)
	}

	for i, r := range ksRows {
		t.Run(fmt.Sprintf("%s/%s/%s", r.op, r.state, r.kind.spec), func(t *testing.T) {
			op := ksOps[r.op]
			if op == nil {
				t.Fatalf("no operation %q", r.op)
			}
			if r.kind.external != (r.state == pi) {
				t.Fatalf("row %d: state %s with external=%v", i, r.state, r.kind.external)
			}
			e := &ksEnv{ctx: ctx, svc: svc, kind: r.kind, other: otherID, otherBlob: otherEnc.CiphertextBlob, peer: peer, n: i}
			in := &kmsapi.CreateKeyRequest{KeySpec: ptr(r.kind.spec), KeyUsage: ptr(r.kind.usage)}
			if r.kind.external {
				in.Origin = ptr(OriginExternal)
			}
			out, err := svc.CreateKey(ctx, caller(), in)
			if err != nil {
				t.Fatalf("CreateKey %+v: %v", r.kind, err)
			}
			e.id, e.arn = out.KeyMetadata.KeyId, out.KeyMetadata.Arn
			e.alias = fmt.Sprintf("alias/ks-%d", i)
			if _, err := svc.CreateAlias(ctx, caller(), &kmsapi.CreateAliasRequest{AliasName: &e.alias, TargetKeyId: &e.id}); err != nil {
				t.Fatal(err)
			}
			// A grant to retire or revoke, written to the store directly:
			// CreateGrant itself refuses a key pending import.
			e.grant = fmt.Sprintf("%064x", i)
			if err := svc.store.CreateGrant(ctx, store.Grant{Account: "111122223333", Region: "us-east-1", KeyID: e.id, ID: e.grant,
				GranteePrincipal: "arn:aws:iam::111122223333:user/g", IssuingAccount: "arn:aws:iam::111122223333:root",
				Operations: []string{"DescribeKey"}, CreatedAt: time.Now()}, 0); err != nil {
				t.Fatal(err)
			}
			if !r.kind.external {
				ksMake(t, e)
			}
			switch r.state {
			case di:
				_, err = svc.DisableKey(ctx, caller(), &kmsapi.DisableKeyRequest{KeyId: &e.id})
			case pd:
				_, err = svc.ScheduleKeyDeletion(ctx, caller(), &kmsapi.ScheduleKeyDeletionRequest{KeyId: &e.id})
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ksState(t, e); got != r.state {
				t.Fatalf("key is %s, want %s", got, r.state)
			}

			err = op(e)
			if r.want.kind == 0 {
				if err != nil {
					t.Fatalf("%s in %s (table: %s): got %v, want success", r.op, r.state, r.rule, err)
				}
				if r.after != "" {
					if got := ksState(t, e); got != r.after {
						t.Fatalf("%s in %s (table: %s): key is then %s, want %s", r.op, r.state, r.rule, got, r.after)
					}
				}
				return
			}
			want := &Error{Kind: r.want.kind, Message: fmt.Sprintf(r.want.msg, e.arn)}
			se, ok := err.(*Error)
			if !ok || se.Kind != want.Kind || se.Message != want.Message {
				t.Fatalf("%s in %s (table: %s):\n got %v\nwant %v", r.op, r.state, r.rule, err, want)
			}
		})
	}
}

// ksMake makes, while the key is Enabled, what the row's operation may
// need later: a ciphertext, a signature, a MAC or an ML-KEM ciphertext.
func ksMake(t *testing.T, e *ksEnv) {
	t.Helper()
	var err error
	switch e.kind.usage {
	case UsageEncryptDecrypt:
		var out *kmsapi.EncryptResponse
		if out, err = e.svc.Encrypt(e.ctx, caller(), &kmsapi.EncryptRequest{KeyId: &e.id, Plaintext: []byte("x")}); err == nil {
			e.blob = out.CiphertextBlob
		}
	case UsageSignVerify:
		var out *kmsapi.SignResponse
		if out, err = e.svc.Sign(e.ctx, caller(), &kmsapi.SignRequest{KeyId: &e.id, Message: []byte("m"), SigningAlgorithm: ptr(e.kind.signingAlgorithm())}); err == nil {
			e.sig = out.Signature
		}
	case UsageMac:
		var out *kmsapi.GenerateMacResponse
		if out, err = e.svc.GenerateMac(e.ctx, caller(), &kmsapi.GenerateMacRequest{KeyId: &e.id, Message: []byte("m"), MacAlgorithm: ptr("HMAC_SHA_256")}); err == nil {
			e.mac = out.Mac
		}
	case UsageEncapsulate:
		var out *kmsapi.EncapsulateResponse
		if out, err = e.svc.Encapsulate(e.ctx, caller(), &kmsapi.EncapsulateRequest{KeyId: &e.id, EncapsulationAlgorithm: ptr("ML_KEM")}); err == nil {
			e.kemCT = out.SharedSecretCiphertextBlob
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}

func ksState(t *testing.T, e *ksEnv) string {
	t.Helper()
	out, err := e.svc.DescribeKey(e.ctx, caller(), &kmsapi.DescribeKeyRequest{KeyId: &e.id})
	if err != nil {
		t.Fatal(err)
	}
	return out.KeyMetadata.KeyState
}
