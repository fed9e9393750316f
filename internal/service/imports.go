package service

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/trentkms/trent/internal/keyring"
	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/store"
)

// Import limits (kms-api.md sections 3 and 7.4).
const (
	importParametersLifetime = 24 * time.Hour
	maxImportValidity        = 365 * 24 * time.Hour
)

// ExpirationModel values of ImportKeyMaterial and KeyMetadata.
const (
	ExpirationExpires       = "KEY_MATERIAL_EXPIRES"
	ExpirationDoesNotExpire = "KEY_MATERIAL_DOES_NOT_EXPIRE"
)

// importKey checks that a key can take imported material (kms-api.md 8.1
// notes [8] and [9]): origin EXTERNAL (UnsupportedOperationException
// otherwise, as AWS words it), not pending deletion, and of a spec AWS
// imports (CreateKey refuses the others for origin EXTERNAL already).
func importKey(k *store.Key) error {
	arn := KeyARN(k.Region, k.Account, k.ID)
	if k.Origin != OriginExternal {
		return errorf(KindUnsupportedOperation, "%s origin is %s which is not valid for this operation.", arn, k.Origin)
	}
	if k.State == StatePendingDeletion {
		return stateError(k)
	}
	if !importable(k.KeySpec) {
		return errorf(KindUnsupportedOperation, "Importing key material for KeySpec %s is not supported.", k.KeySpec)
	}
	return nil
}

// wrappingAllowed refuses the wrapping algorithm and key spec pairs AWS
// documents as unusable for k's material: RSAES_OAEP_* for RSA private
// keys, which exceed what RSA-OAEP carries, and RSAES_OAEP_* under
// RSA_2048 for ECC_NIST_P521. Trent refuses them when the parameters are
// asked for, with ValidationException, rather than when the material
// arrives (AWS's own answer to this request is not recorded).
func wrappingAllowed(k *store.Key, wrappingSpec, alg string) error {
	bits := map[string]int{"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}[wrappingSpec]
	keyWrap := strings.HasPrefix(alg, "RSA_AES_KEY_WRAP_")
	if keyring.ImportWrappingAllowed(k.KeySpec, bits, keyWrap) == nil {
		return nil
	}
	if strings.HasPrefix(k.KeySpec, "RSA_") {
		return errorf(KindValidation, "The wrapping algorithm %s cannot wrap RSA private key material. Use RSA_AES_KEY_WRAP_SHA_1 or RSA_AES_KEY_WRAP_SHA_256.", alg)
	}
	return errorf(KindValidation, "The wrapping algorithm %s with wrapping key spec %s cannot wrap %s key material. Use a larger wrapping key spec or an RSA_AES_KEY_WRAP_SHA_* wrapping algorithm.", alg, wrappingSpec, k.KeySpec)
}

// GetParametersForImport returns a new RSA wrapping public key and an
// import token, both valid for 24 hours by the service clock, for
// importing material into an EXTERNAL key. The token holds the wrapping
// private key, sealed by the keyring, so nothing is stored.
func (s *Service) GetParametersForImport(ctx context.Context, c *Caller, in *kmsapi.GetParametersForImportRequest) (*kmsapi.GetParametersForImportResponse, error) {
	k, err := s.loadKey(ctx, c, "GetParametersForImport", *in.KeyId, refKeyOnly)
	if err != nil {
		return nil, err
	}
	if err := importKey(&k); err != nil {
		return nil, err
	}
	switch alg := *in.WrappingAlgorithm; alg {
	case "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256":
	case "RSAES_PKCS1_V1_5":
		return nil, errorf(KindValidation, "The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported. Use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256.")
	default:
		return nil, errorf(KindValidation, "WrappingAlgorithm %s is not supported in this region.", alg)
	}
	if *in.WrappingKeySpec == "SM2" {
		return nil, errorf(KindValidation, "WrappingKeySpec SM2 is not supported in this region.")
	}
	if err := wrappingAllowed(&k, *in.WrappingKeySpec, *in.WrappingAlgorithm); err != nil {
		return nil, err
	}
	expires := s.now().UTC().Add(importParametersLifetime)
	token, pub, err := s.keyring.ImportParameters(materialRef(&k, 1), *in.WrappingKeySpec, *in.WrappingAlgorithm, expires)
	if errors.Is(err, keyring.ErrNotFIPSApproved) {
		return nil, notFIPSApproved(*in.WrappingAlgorithm, strings.Replace(*in.WrappingAlgorithm, "SHA_1", "SHA_256", 1))
	}
	if err != nil {
		return nil, s.internal(ctx, "GetParametersForImport", err)
	}
	return &kmsapi.GetParametersForImportResponse{
		ImportToken:       token,
		KeyId:             KeyARN(k.Region, k.Account, k.ID),
		ParametersValidTo: kmsapi.Epoch(expires.Truncate(time.Second)),
		PublicKey:         pub,
	}, nil
}

// ImportKeyMaterial decrypts key material with an import token's wrapping
// key and stores it, as AWS does since on-demand rotation of imported
// material:
//   - the first material a key gets becomes current (version 1) and the
//     key Enabled;
//   - ImportType NEW_KEY_MATERIAL (symmetric keys only) adds material that
//     the key has never had as PENDING_ROTATION: RotateKeyOnDemand makes
//     it current. One material may be pending at a time
//     (KMSInvalidStateException, as AWS words it).
//   - ImportType EXISTING_KEY_MATERIAL (the default once a key has
//     material) re-imports material the key has, identified by its bytes
//     and, when given, KeyMaterialId; other material is refused with
//     IncorrectKeyMaterialException. It replaces that material's
//     expiration (and description, when one is given), revives it after
//     a deletion or expiry, and once every material the key is bound to
//     is back, the key is Enabled again.
func (s *Service) ImportKeyMaterial(ctx context.Context, c *Caller, in *kmsapi.ImportKeyMaterialRequest) (*kmsapi.ImportKeyMaterialResponse, error) {
	if deref(in.ImportType) == importNew && in.KeyMaterialId != nil {
		return nil, errorf(KindValidation, "A KeyMaterialId cannot be specified when the ImportType is NEW_KEY_MATERIAL.")
	}
	now := s.now().UTC()
	model := ExpirationExpires
	if in.ExpirationModel != nil {
		model = *in.ExpirationModel
	}
	var validTo time.Time
	switch model {
	case ExpirationExpires:
		if in.ValidTo == nil {
			return nil, errorf(KindValidation, "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")
		}
		validTo = in.ValidTo.Time().UTC()
		if !validTo.After(now) {
			return nil, errorf(KindValidation, "The validTo date must be in the future.")
		}
		if validTo.After(now.Add(maxImportValidity)) {
			return nil, errorf(KindValidation, "The validTo date must be no more than 365 days in the future.")
		}
	case ExpirationDoesNotExpire:
		if in.ValidTo != nil {
			return nil, errorf(KindValidation, "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE")
		}
	}
	for attempt := 0; ; attempt++ {
		k, err := s.loadKey(ctx, c, "ImportKeyMaterial", *in.KeyId, refKeyOnly)
		if err != nil {
			return nil, err
		}
		if err := importKey(&k); err != nil {
			return nil, err
		}
		arn := KeyARN(k.Region, k.Account, k.ID)
		ms, err := s.store.KeyMaterials(ctx, k.Ref())
		if errors.Is(err, store.ErrNotFound) {
			return nil, errorf(KindNotFound, "Key '%s' does not exist", arn)
		}
		if err != nil {
			return nil, s.internal(ctx, "ImportKeyMaterial", err)
		}
		typ := deref(in.ImportType)
		if typ == "" {
			typ = importExisting
			if len(ms) == 0 && k.ImportedMaterialID == "" {
				typ = importNew
			}
		}
		if typ == importNew && len(ms) > 0 && k.KeySpec != SpecSymmetricDefault {
			return nil, errorf(KindUnsupportedOperation, "New key material cannot be imported into %s: only symmetric encryption keys take more than one key material.", arn)
		}
		var placed store.KeyMaterial
		place := func(id string) (uint32, error) {
			if in.KeyMaterialId != nil && *in.KeyMaterialId != id {
				return 0, errIncorrectMaterial
			}
			var maxV uint32
			var found, pending *store.KeyMaterial
			for i := range ms {
				maxV = max(maxV, ms[i].Version)
				if ms[i].MaterialID == id {
					found = &ms[i]
				}
				if ms[i].Pending {
					pending = &ms[i]
				}
			}
			if typ == importExisting {
				if found == nil {
					return 0, errIncorrectMaterial
				}
				placed = *found
				return found.Version, nil
			}
			if found != nil {
				return 0, errorf(KindIncorrectKeyMaterial, "The key material in the request is already associated with %s. Import it again with ImportType EXISTING_KEY_MATERIAL.", arn)
			}
			if pending != nil {
				return 0, errorf(KindInvalidState, "New key material (id: %s) cannot be imported into KMS key %s, because another key material (id: %s) is pending rotation.", id, k.ID, pending.MaterialID)
			}
			placed = store.KeyMaterial{Version: maxV + 1, MaterialID: id, CreatedAt: now, Pending: len(ms) > 0}
			return maxV + 1, nil
		}
		wrapped, id, err := s.keyring.ImportMaterialPlaced(materialRef(&k, 1), k.KeySpec, in.ImportToken, in.EncryptedKeyMaterial, now, place)
		var serr *Error
		if errors.As(err, &serr) {
			return nil, serr
		}
		if err != nil {
			return nil, s.importError(ctx, &k, err)
		}
		m := placed
		m.Wrapped, m.ExpirationModel, m.ValidTo = wrapped, model, validTo
		if in.KeyMaterialDescription != nil {
			m.Description = *in.KeyMaterialDescription
		}
		after := withMaterial(ms, m)
		var nk store.Key
		switch {
		case len(ms) == 0: // the key's first material
			if k.State == StatePendingImport {
				k.State = StateEnabled
			}
			k.ImportedMaterialID, k.ExpirationModel, k.ValidTo = id, model, validTo
			nk, err = s.store.RotateKey(ctx, k, m)
		case typ == importNew:
			nk, err = s.store.AddMaterial(ctx, k, m)
		default:
			if id == k.ImportedMaterialID {
				k.ExpirationModel, k.ValidTo = model, validTo
			}
			settle(&k, after)
			nk, err = s.store.UpdateMaterial(ctx, k, m)
		}
		if (errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrNotFound) && attempt == 0) && attempt < 10 {
			continue
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, errorf(KindNotFound, "Key '%s' does not exist", arn)
		}
		if err != nil {
			return nil, s.internal(ctx, "ImportKeyMaterial", err)
		}
		s.cache.updated(nk, after)
		out := &kmsapi.ImportKeyMaterialResponse{KeyId: arn}
		if k.KeySpec == SpecSymmetricDefault {
			out.KeyMaterialId = id
		}
		return out, nil
	}
}

// ImportType values.
const (
	importNew      = "NEW_KEY_MATERIAL"
	importExisting = "EXISTING_KEY_MATERIAL"
)

var errIncorrectMaterial = errorf(KindIncorrectKeyMaterial, "The key material in the request is not the same key material that was previously imported into this KMS key.")

// withMaterial returns ms with m in place of the material of its version,
// or added.
func withMaterial(ms []store.KeyMaterial, m store.KeyMaterial) []store.KeyMaterial {
	out := make([]store.KeyMaterial, 0, len(ms)+1)
	added := false
	for _, x := range ms {
		if x.Version == m.Version {
			x, added = m, true
		}
		out = append(out, x)
	}
	if !added {
		out = append(out, m)
	}
	return out
}

// withoutMaterial returns ms without the material of version v.
func withoutMaterial(ms []store.KeyMaterial, v uint32) []store.KeyMaterial {
	out := make([]store.KeyMaterial, 0, len(ms))
	for _, x := range ms {
		if x.Version != v {
			out = append(out, x)
		}
	}
	return out
}

// settle sets an EXTERNAL key's current material and state from its
// materials ms, as AWS does: the key is usable only while every material
// bound to it (all but the one pending rotation) is imported. When one is
// missing the key has no current material and is PendingImport (a key
// pending deletion stays so); when all are back, the material named by
// ImportedMaterialID is current again and a PendingImport key Enabled.
func settle(k *store.Key, ms []store.KeyMaterial) {
	complete, current := true, uint32(0)
	for _, m := range ms {
		if m.Pending {
			continue
		}
		if !m.Imported() {
			complete = false
		}
		if m.MaterialID == k.ImportedMaterialID {
			current = m.Version
		}
	}
	if complete && current != 0 {
		k.CurrentMaterial = current
		if k.State == StatePendingImport {
			k.State = StateEnabled
		}
		return
	}
	k.CurrentMaterial = 0
	if k.State != StatePendingDeletion {
		k.State = StatePendingImport
	}
}

// importError maps the keyring's import failures to AWS's errors.
func (s *Service) importError(ctx context.Context, k *store.Key, err error) error {
	switch {
	case errors.Is(err, keyring.ErrInvalidImportToken):
		return errorf(KindInvalidImportToken, "The import token is not valid for %s.", KeyARN(k.Region, k.Account, k.ID))
	case errors.Is(err, keyring.ErrExpiredImportToken):
		return errorf(KindExpiredImportToken, "The import token has expired. Call GetParametersForImport for a new one.")
	case errors.Is(err, keyring.ErrNotFIPSApproved):
		return notFIPSApproved("The import token's wrapping algorithm (RSAES_OAEP_SHA_1 or RSA_AES_KEY_WRAP_SHA_1)",
			"GetParametersForImport with RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256 for a new token")
	case errors.Is(err, keyring.ErrImportDecrypt):
		return errorf(KindInvalidCiphertext, "The encrypted key material could not be decrypted with the wrapping key of the import token.")
	case errors.Is(err, keyring.ErrAlgorithmMismatch):
		return errorf(KindValidation, "The wrapping algorithm of the import token cannot wrap %s key material.", k.KeySpec)
	case errors.Is(err, keyring.ErrInvalidKeyMaterial):
		return errorf(KindIncorrectKeyMaterial, "The key material is not valid for a %s key: %s.", k.KeySpec, importSizeHint(k.KeySpec))
	}
	return s.internal(ctx, "ImportKeyMaterial", err)
}

// importSizeHint says which material sizes a spec takes.
func importSizeHint(spec string) string {
	switch spec {
	case SpecSymmetricDefault:
		return "it must be 32 bytes"
	case "HMAC_224":
		return "it must be 28 to 64 bytes"
	case "HMAC_256":
		return "it must be 32 to 64 bytes"
	case "HMAC_384":
		return "it must be 48 to 128 bytes"
	case "HMAC_512":
		return "it must be 64 to 128 bytes"
	}
	if strings.HasPrefix(spec, "RSA_") || strings.HasPrefix(spec, "ECC_") {
		return "it must be the DER-encoded PKCS #8 private key of a " + spec + " key pair"
	}
	return "its size is wrong"
}

// DeleteImportedKeyMaterial deletes one imported material of an EXTERNAL
// key (KeyMaterialId; the current material by default): its wrapped bytes
// leave the database and the keyring's cache. Material bound to the key
// keeps its record (ImportState PENDING_IMPORT) and the key becomes
// PendingImport until it is imported again (a key pending deletion stays
// so); material pending rotation is removed altogether and the key is
// unchanged, as AWS does. Deleting material already deleted changes
// nothing.
func (s *Service) DeleteImportedKeyMaterial(ctx context.Context, c *Caller, in *kmsapi.DeleteImportedKeyMaterialRequest) (*kmsapi.DeleteImportedKeyMaterialResponse, error) {
	for attempt := 0; ; attempt++ {
		k, err := s.loadKey(ctx, c, "DeleteImportedKeyMaterial", *in.KeyId, refKeyOnly)
		if err != nil {
			return nil, err
		}
		arn := KeyARN(k.Region, k.Account, k.ID)
		if k.Origin != OriginExternal {
			return nil, errorf(KindUnsupportedOperation, "%s origin is %s which is not valid for this operation.", arn, k.Origin)
		}
		ms, err := s.store.KeyMaterials(ctx, k.Ref())
		if errors.Is(err, store.ErrNotFound) {
			return nil, errorf(KindNotFound, "Key '%s' does not exist", arn)
		}
		if err != nil {
			return nil, s.internal(ctx, "DeleteImportedKeyMaterial", err)
		}
		want := k.ImportedMaterialID
		if in.KeyMaterialId != nil {
			want = *in.KeyMaterialId
		}
		var m *store.KeyMaterial
		for i := range ms {
			if ms[i].MaterialID == want {
				m = &ms[i]
			}
		}
		out := &kmsapi.DeleteImportedKeyMaterialResponse{KeyId: arn}
		if m == nil {
			if in.KeyMaterialId != nil {
				return nil, errorf(KindNotFound, "Key material %s does not exist for %s.", *in.KeyMaterialId, arn)
			}
			return out, nil // pending import: nothing to delete
		}
		if k.KeySpec == SpecSymmetricDefault {
			out.KeyMaterialId = m.MaterialID
		}
		if !m.Imported() {
			return out, nil
		}
		_, err = s.dropMaterial(ctx, k, *m, ms)
		if errors.Is(err, store.ErrConflict) && attempt < 10 {
			continue
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, errorf(KindNotFound, "Key '%s' does not exist", arn)
		}
		if err != nil {
			return nil, s.internal(ctx, "DeleteImportedKeyMaterial", err)
		}
		return out, nil
	}
}

// dropMaterial deletes the bytes of k's imported material m (ms are k's
// materials): material pending rotation goes altogether, other material
// keeps its record and the key settles (see settle). The key cache and
// the keyring forget it. It returns the store's errors unwrapped, except
// ErrResidue, which it logs: the deletion stands.
func (s *Service) dropMaterial(ctx context.Context, k store.Key, m store.KeyMaterial, ms []store.KeyMaterial) (store.Key, error) {
	var nk store.Key
	var after []store.KeyMaterial
	var err error
	if m.Pending {
		after = withoutMaterial(ms, m.Version)
		nk, err = s.store.DeleteMaterial(ctx, k, m.Version)
	} else {
		m.Wrapped, m.ExpirationModel, m.ValidTo = nil, "", time.Time{}
		after = withMaterial(ms, m)
		if m.MaterialID == k.ImportedMaterialID {
			k.ExpirationModel, k.ValidTo = "", time.Time{}
		}
		settle(&k, after)
		nk, err = s.store.UpdateMaterial(ctx, k, m)
	}
	if errors.Is(err, store.ErrResidue) {
		s.log.WarnContext(ctx, "deleted key material may remain in the database log", "key", KeyARN(k.Region, k.Account, k.ID), "err", err)
		err = nil
	}
	if err != nil {
		return store.Key{}, err
	}
	s.cache.updated(nk, after)
	s.keyring.Forget(materialRef(&k, m.Version))
	return nk, nil
}
