package service

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/trentkms/trent/internal/keyring"
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

// Enumerations of the import operations.
var (
	WrappingKeySpecs   = []string{"RSA_2048", "RSA_3072", "RSA_4096", "SM2"}
	WrappingAlgorithms = []string{"RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256", "SM2PKE"}
	ExpirationModels   = []string{ExpirationExpires, ExpirationDoesNotExpire}
	ImportTypes        = []string{"NEW_KEY_MATERIAL", "EXISTING_KEY_MATERIAL"}
)

// Input and output shapes of the import operations.
type (
	GetParametersForImportInput struct {
		KeyId             *string `json:"KeyId"`
		WrappingAlgorithm *string `json:"WrappingAlgorithm"`
		WrappingKeySpec   *string `json:"WrappingKeySpec"`
	}
	GetParametersForImportOutput struct {
		ImportToken       []byte `json:"ImportToken"`
		KeyId             string `json:"KeyId"`
		ParametersValidTo Epoch  `json:"ParametersValidTo"`
		PublicKey         []byte `json:"PublicKey"`
	}
	ImportKeyMaterialInput struct {
		EncryptedKeyMaterial   []byte  `json:"EncryptedKeyMaterial"`
		ExpirationModel        *string `json:"ExpirationModel"`
		ImportToken            []byte  `json:"ImportToken"`
		ImportType             *string `json:"ImportType"`
		KeyId                  *string `json:"KeyId"`
		KeyMaterialDescription *string `json:"KeyMaterialDescription"`
		KeyMaterialId          *string `json:"KeyMaterialId"`
		ValidTo                *Epoch  `json:"ValidTo"`
	}
	ImportKeyMaterialOutput struct {
		KeyId         string `json:"KeyId"`
		KeyMaterialId string `json:"KeyMaterialId,omitempty"`
	}
	DeleteImportedKeyMaterialInput struct {
		KeyId         *string `json:"KeyId"`
		KeyMaterialId *string `json:"KeyMaterialId"`
	}
	DeleteImportedKeyMaterialOutput struct {
		KeyId         string `json:"KeyId"`
		KeyMaterialId string `json:"KeyMaterialId,omitempty"`
	}
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
func (s *Service) GetParametersForImport(ctx context.Context, c *Caller, in *GetParametersForImportInput) (*GetParametersForImportOutput, error) {
	var v validation
	keyIDField(&v, in.KeyId, "keyId")
	v.required(in.WrappingAlgorithm != nil, "wrappingAlgorithm")
	v.enum(in.WrappingAlgorithm, "wrappingAlgorithm", WrappingAlgorithms)
	v.required(in.WrappingKeySpec != nil, "wrappingKeySpec")
	v.enum(in.WrappingKeySpec, "wrappingKeySpec", WrappingKeySpecs)
	if err := v.err(); err != nil {
		return nil, err
	}
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
	if err != nil {
		return nil, s.internal(ctx, "GetParametersForImport", err)
	}
	return &GetParametersForImportOutput{
		ImportToken:       token,
		KeyId:             KeyARN(k.Region, k.Account, k.ID),
		ParametersValidTo: Epoch(expires.Truncate(time.Second)),
		PublicKey:         pub,
	}, nil
}

// ImportKeyMaterial decrypts key material with an import token's wrapping
// key and makes it the key's material (version 1): the key becomes
// Enabled. The same material may be imported again, also after
// DeleteImportedKeyMaterial, which revives ciphertexts made under it;
// other material is refused with IncorrectKeyMaterialException. Importing
// the material a key holds again only replaces the expiration model.
func (s *Service) ImportKeyMaterial(ctx context.Context, c *Caller, in *ImportKeyMaterialInput) (*ImportKeyMaterialOutput, error) {
	var v validation
	keyIDField(&v, in.KeyId, "keyId")
	if v.required(in.ImportToken != nil, "importToken") {
		v.blob(in.ImportToken, true, "importToken", 1, 6144)
	}
	if v.required(in.EncryptedKeyMaterial != nil, "encryptedKeyMaterial") {
		v.blob(in.EncryptedKeyMaterial, true, "encryptedKeyMaterial", 1, 6144)
	}
	v.enum(in.ExpirationModel, "expirationModel", ExpirationModels)
	v.enum(in.ImportType, "importType", ImportTypes)
	v.str(in.KeyMaterialDescription, "keyMaterialDescription", 0, 256)
	v.str(in.KeyMaterialId, "keyMaterialId", 64, 64)
	if err := v.err(); err != nil {
		return nil, err
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
		if in.ImportType != nil && *in.ImportType == "NEW_KEY_MATERIAL" && k.ImportedMaterialID != "" {
			return nil, errorf(KindUnsupportedOperation, "Importing NEW_KEY_MATERIAL into a key that already has key material is not supported by this server yet.")
		}
		wrapped, id, err := s.keyring.ImportMaterial(materialRef(&k, 1), k.KeySpec, in.ImportToken, in.EncryptedKeyMaterial, now)
		if err != nil {
			return nil, s.importError(ctx, &k, err)
		}
		if k.ImportedMaterialID != "" && id != k.ImportedMaterialID ||
			in.KeyMaterialId != nil && *in.KeyMaterialId != id {
			return nil, errorf(KindIncorrectKeyMaterial, "The key material in the request is not the same key material that was previously imported into this KMS key.")
		}
		k.ExpirationModel, k.ValidTo, k.ImportedMaterialID = model, validTo, id
		var nk store.Key
		var ms []store.KeyMaterial
		if k.CurrentMaterial != 0 {
			// The key holds this material already: only the expiration
			// model changes.
			nk, err = s.store.UpdateKey(ctx, k)
		} else {
			if k.State == StatePendingImport {
				k.State = StateEnabled
			}
			m := store.KeyMaterial{Version: 1, MaterialID: id, Wrapped: wrapped, CreatedAt: now}
			ms = []store.KeyMaterial{m}
			nk, err = s.store.RotateKey(ctx, k, m)
		}
		if (errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrExists)) && attempt < 10 {
			continue
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, errorf(KindNotFound, "Key '%s' does not exist", KeyARN(k.Region, k.Account, k.ID))
		}
		if err != nil {
			return nil, s.internal(ctx, "ImportKeyMaterial", err)
		}
		s.cache.updated(nk, ms)
		out := &ImportKeyMaterialOutput{KeyId: KeyARN(k.Region, k.Account, k.ID)}
		if k.KeySpec == SpecSymmetricDefault {
			out.KeyMaterialId = id
		}
		return out, nil
	}
}

// importError maps the keyring's import failures to AWS's errors.
func (s *Service) importError(ctx context.Context, k *store.Key, err error) error {
	switch {
	case errors.Is(err, keyring.ErrInvalidImportToken):
		return errorf(KindInvalidImportToken, "The import token is not valid for %s.", KeyARN(k.Region, k.Account, k.ID))
	case errors.Is(err, keyring.ErrExpiredImportToken):
		return errorf(KindExpiredImportToken, "The import token has expired. Call GetParametersForImport for a new one.")
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

// DeleteImportedKeyMaterial deletes an EXTERNAL key's material: the
// wrapped bytes leave the database and the keyring's cache, and the key
// becomes PendingImport (a key pending deletion stays so). The key keeps
// its KeyMaterialId, so that only the same material can be imported
// again.
func (s *Service) DeleteImportedKeyMaterial(ctx context.Context, c *Caller, in *DeleteImportedKeyMaterialInput) (*DeleteImportedKeyMaterialOutput, error) {
	var v validation
	keyIDField(&v, in.KeyId, "keyId")
	v.str(in.KeyMaterialId, "keyMaterialId", 64, 64)
	if err := v.err(); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		k, err := s.loadKey(ctx, c, "DeleteImportedKeyMaterial", *in.KeyId, refKeyOnly)
		if err != nil {
			return nil, err
		}
		arn := KeyARN(k.Region, k.Account, k.ID)
		if k.Origin != OriginExternal {
			return nil, errorf(KindUnsupportedOperation, "%s origin is %s which is not valid for this operation.", arn, k.Origin)
		}
		if in.KeyMaterialId != nil && *in.KeyMaterialId != k.ImportedMaterialID {
			return nil, errorf(KindNotFound, "Key material %s does not exist for %s.", *in.KeyMaterialId, arn)
		}
		out := &DeleteImportedKeyMaterialOutput{KeyId: arn}
		if k.KeySpec == SpecSymmetricDefault {
			out.KeyMaterialId = k.ImportedMaterialID
		}
		if k.CurrentMaterial == 0 {
			return out, nil // pending import: nothing to delete
		}
		k.CurrentMaterial, k.ExpirationModel, k.ValidTo = 0, "", time.Time{}
		if k.State != StatePendingDeletion {
			k.State = StatePendingImport
		}
		nk, err := s.store.DeleteMaterials(ctx, k)
		if errors.Is(err, store.ErrConflict) && attempt < 10 {
			continue
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, errorf(KindNotFound, "Key '%s' does not exist", arn)
		}
		if err != nil && !errors.Is(err, store.ErrResidue) {
			return nil, s.internal(ctx, "DeleteImportedKeyMaterial", err)
		}
		if err != nil {
			s.log.WarnContext(ctx, "deleted key material left residue in the database log", "key", arn, "err", err)
		}
		s.cache.updated(nk, []store.KeyMaterial{})
		s.keyring.Forget(materialRef(&k, 1))
		return out, nil
	}
}
