package service

import (
	"context"
	"errors"
	"slices"

	"github.com/trentkms/trent/internal/audit"
	"github.com/trentkms/trent/internal/keyring"
	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/store"
)

const algSymmetric = "SYMMETRIC_DEFAULT"

// errCiphertextKey is what AWS says when a blob names a key the caller
// cannot use: missing, in another account or region, or not allowed.
var errCiphertextKey = &Error{Kind: KindAccessDenied, Message: "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access."}

var errIncorrectKey = &Error{Kind: KindIncorrectKey, Message: "The key ID in the request does not identify a CMK that can perform this operation."}

var errInvalidCiphertext = &Error{Kind: KindInvalidCiphertext}

// usableForCrypto checks the key state for a cryptographic operation.
func usableForCrypto(k *store.Key) error {
	if k.State != StateEnabled {
		return stateError(k)
	}
	return nil
}

// symmetricKey checks that k can do op as a symmetric encryption key with
// algorithm alg (nil means SYMMETRIC_DEFAULT).
func symmetricKey(k *store.Key, op string, alg *string) error {
	if k.KeyUsage != UsageEncryptDecrypt {
		return errorf(KindInvalidKeyUsage, "%s key usage is %s which is not valid for %s.", KeyARN(k.Region, k.Account, k.ID), k.KeyUsage, op)
	}
	if k.KeySpec != SpecSymmetricDefault {
		return errorf(KindInvalidKeyUsage, "%s key spec is %s which is not valid for %s.", KeyARN(k.Region, k.Account, k.ID), k.KeySpec, op)
	}
	if alg != nil && *alg != algSymmetric {
		return errorf(KindInvalidKeyUsage, "Algorithm %s is incompatible with key spec %s.", *alg, k.KeySpec)
	}
	return nil
}

func materialRef(k *store.Key, version uint32) keyring.MaterialRef {
	return keyring.MaterialRef{Account: k.Account, Region: k.Region, KeyID: k.ID, Version: version}
}

// keyringError maps a keyring failure. Ciphertext problems are the
// client's; anything else is internal.
func (s *Service) keyringError(ctx context.Context, op string, err error) error {
	if errors.Is(err, keyring.ErrInvalidCiphertext) {
		return errInvalidCiphertext
	}
	return s.internal(ctx, op, err)
}

func recipientUnsupported(r *kmsapi.RecipientInfo) error {
	if r != nil {
		return errorf(KindUnsupportedOperation, "Recipient (Nitro Enclaves attestation) is not supported by Trent.")
	}
	return nil
}

// Encrypt encrypts up to 4096 bytes under a symmetric key's current
// material, bound to the encryption context.
func (s *Service) Encrypt(ctx context.Context, c *Caller, in *kmsapi.EncryptRequest) (*kmsapi.EncryptResponse, error) {
	c.setEncryptionContext(in.EncryptionContext)
	c.encAlg = deref(in.EncryptionAlgorithm)
	c.grantTokens = in.GrantTokens
	ck, err := s.cachedKey(ctx, c, "Encrypt", *in.KeyId)
	if err != nil {
		return nil, err
	}
	k := &ck.key
	if err := usableForCrypto(k); err != nil {
		return nil, err
	}
	if isRSAEncryption(k) {
		return s.encryptRSA(ctx, ck, in)
	}
	if err := symmetricKey(k, "Encrypt", in.EncryptionAlgorithm); err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, ErrDryRun
	}
	blob, err := s.keyring.Encrypt(ctx, materialRef(k, k.CurrentMaterial), in.Plaintext, in.EncryptionContext)
	clear(in.Plaintext)
	if err != nil {
		return nil, s.internal(ctx, "Encrypt", err)
	}
	return &kmsapi.EncryptResponse{CiphertextBlob: blob, EncryptionAlgorithm: algSymmetric, KeyId: ck.arn}, nil
}

// ciphertextKey finds the key a blob names and checks it against keyID
// (optional) and the caller. It returns the key and the blob's header.
func (s *Service) ciphertextKey(ctx context.Context, c *Caller, op string, blob []byte, keyID *string) (*cachedKey, keyring.Header, error) {
	h, err := keyring.ParseHeader(blob)
	if errors.Is(err, keyring.ErrUnknownKeyRef) {
		// The blob names a key that cannot exist: answer as for a blob of
		// another key.
		if keyID != nil {
			if _, err := s.cachedKey(ctx, c, op, *keyID); err != nil {
				return nil, h, err
			}
			return nil, h, errIncorrectKey
		}
		return nil, h, errCiphertextKey
	}
	if err != nil {
		return nil, h, errInvalidCiphertext
	}
	if keyID != nil {
		want, err := s.cachedKey(ctx, c, op, *keyID)
		if err != nil {
			return nil, h, err
		}
		wk := &want.key
		if wk.ID != h.KeyID || wk.Account != h.Account || wk.Region != h.Region {
			return nil, h, errIncorrectKey
		}
		return want, h, nil
	}
	if h.Region != c.Region {
		return nil, h, errCiphertextKey
	}
	ck, err := s.cache.get(ctx, s.store, store.KeyRef{Account: h.Account, Region: h.Region, ID: h.KeyID})
	if errors.Is(err, store.ErrNotFound) {
		return nil, h, errCiphertextKey
	}
	if err == nil {
		audit.SetResource(ctx, h.Account, ck.arn)
	}
	if err != nil {
		return nil, h, s.internal(ctx, op, err)
	}
	ck, err = s.authorizeCached(ctx, c, op, ck)
	if KindOf(err) == KindAccessDenied {
		// Without a KeyId, AWS does not say whether the key exists.
		return nil, h, errCiphertextKey
	}
	return ck, h, err
}

func ignoreCiphertext(mods []string) bool {
	for _, m := range mods {
		if m == "IGNORE_CIPHERTEXT" {
			return true
		}
	}
	return false
}

// Decrypt decrypts a symmetric ciphertext blob. The key comes from the
// blob; KeyId, when given, must name the same key.
func (s *Service) Decrypt(ctx context.Context, c *Caller, in *kmsapi.DecryptRequest) (*kmsapi.DecryptResponse, error) {
	// The model makes CiphertextBlob optional for the sake of a dry run
	// with IGNORE_CIPHERTEXT, which needs KeyId instead.
	ignore := in.DryRun && ignoreCiphertext(in.DryRunModifiers)
	if ignore && in.KeyId == nil {
		return nil, errNull("keyId")
	}
	if !ignore && in.CiphertextBlob == nil {
		return nil, errNull("ciphertextBlob")
	}
	if err := recipientUnsupported(in.Recipient); err != nil {
		return nil, err
	}
	c.setEncryptionContext(in.EncryptionContext)
	c.encAlg = deref(in.EncryptionAlgorithm)
	c.grantTokens = in.GrantTokens
	if ignore {
		ck, err := s.cachedKey(ctx, c, "Decrypt", *in.KeyId)
		if err != nil {
			return nil, err
		}
		if err := usableForCrypto(&ck.key); err != nil {
			return nil, err
		}
		if isRSAEncryption(&ck.key) {
			if _, err := rsaAlgorithm(&ck.key, in.EncryptionAlgorithm, in.EncryptionContext); err != nil {
				return nil, err
			}
			return nil, ErrDryRun
		}
		if err := symmetricKey(&ck.key, "Decrypt", in.EncryptionAlgorithm); err != nil {
			return nil, err
		}
		return nil, ErrDryRun
	}
	if in.KeyId != nil {
		// An asymmetric ciphertext names no key: KeyId does.
		ck, err := s.cachedKey(ctx, c, "Decrypt", *in.KeyId)
		if err != nil {
			return nil, err
		}
		// Key state comes before the ciphertext is looked at (kms-api.md
		// evaluation order): a key pending import never had material.
		if err := usableForCrypto(&ck.key); err != nil {
			return nil, err
		}
		if isRSAEncryption(&ck.key) {
			return s.decryptRSA(ctx, ck, in)
		}
	}
	ck, h, err := s.ciphertextKey(ctx, c, "Decrypt", in.CiphertextBlob, in.KeyId)
	if err != nil {
		return nil, err
	}
	k := &ck.key
	if err := usableForCrypto(k); err != nil {
		return nil, err
	}
	if err := symmetricKey(k, "Decrypt", in.EncryptionAlgorithm); err != nil {
		return nil, err
	}
	// A dry run checks the ciphertext too (IGNORE_CIPHERTEXT exists to skip
	// that); the plaintext is dropped.
	_, pt, err := s.keyring.Decrypt(ctx, in.CiphertextBlob, in.EncryptionContext)
	if err != nil {
		return nil, s.keyringError(ctx, "Decrypt", err)
	}
	if in.DryRun {
		clear(pt)
		return nil, ErrDryRun
	}
	return &kmsapi.DecryptResponse{
		EncryptionAlgorithm: algSymmetric,
		KeyId:               ck.arn,
		KeyMaterialId:       ck.materialIDs[h.Version],
		Plaintext:           pt,
	}, nil
}

// ReEncrypt decrypts a blob and encrypts its plaintext under another key
// (or the newest material of the same key) without the plaintext leaving
// the keyring.
func (s *Service) ReEncrypt(ctx context.Context, c *Caller, in *kmsapi.ReEncryptRequest) (*kmsapi.ReEncryptResponse, error) {
	ignore := in.DryRun && ignoreCiphertext(in.DryRunModifiers)
	if !ignore && in.CiphertextBlob == nil {
		return nil, errNull("ciphertextBlob") // optional in the model, as in Decrypt
	}
	c.grantTokens = in.GrantTokens
	c.setEncryptionContext(in.SourceEncryptionContext)
	c.encAlg = deref(in.SourceEncryptionAlgorithm)
	if mixed, out, err := s.reEncryptAsymmetric(ctx, c, in, ignore); mixed {
		return out, err
	}
	var src *cachedKey
	var h keyring.Header
	var err error
	if ignore {
		if in.SourceKeyId == nil {
			return nil, errorf(KindValidation, "SourceKeyId is required when DryRunModifiers contains IGNORE_CIPHERTEXT.")
		}
		src, err = s.cachedKey(ctx, c, "ReEncryptFrom", *in.SourceKeyId)
	} else {
		if in.SourceKeyId != nil {
			// Key state comes before the ciphertext is looked at, as in
			// Decrypt.
			named, err := s.cachedKey(ctx, c, "ReEncryptFrom", *in.SourceKeyId)
			if err != nil {
				return nil, err
			}
			if err := usableForCrypto(&named.key); err != nil {
				return nil, err
			}
		}
		src, h, err = s.ciphertextKey(ctx, c, "ReEncryptFrom", in.CiphertextBlob, in.SourceKeyId)
	}
	if err != nil {
		return nil, err
	}
	c.setEncryptionContext(in.DestinationEncryptionContext)
	c.encAlg = deref(in.DestinationEncryptionAlgorithm)
	dst, err := s.cachedKey(ctx, c, "ReEncryptTo", *in.DestinationKeyId)
	if err != nil {
		return nil, err
	}
	sk, dk := &src.key, &dst.key
	if err := usableForCrypto(sk); err != nil {
		return nil, err
	}
	if err := symmetricKey(sk, "ReEncrypt", in.SourceEncryptionAlgorithm); err != nil {
		return nil, err
	}
	if err := usableForCrypto(dk); err != nil {
		return nil, err
	}
	if err := symmetricKey(dk, "ReEncrypt", in.DestinationEncryptionAlgorithm); err != nil {
		return nil, err
	}
	if in.DryRun {
		if !ignore {
			_, pt, err := s.keyring.Decrypt(ctx, in.CiphertextBlob, in.SourceEncryptionContext)
			if err != nil {
				return nil, s.keyringError(ctx, "ReEncrypt", err)
			}
			clear(pt)
		}
		return nil, ErrDryRun
	}
	_, blob, err := s.keyring.ReEncrypt(ctx, in.CiphertextBlob, in.SourceEncryptionContext, materialRef(dk, dk.CurrentMaterial), in.DestinationEncryptionContext)
	if err != nil {
		return nil, s.keyringError(ctx, "ReEncrypt", err)
	}
	return &kmsapi.ReEncryptResponse{
		CiphertextBlob:                 blob,
		DestinationEncryptionAlgorithm: algSymmetric,
		DestinationKeyMaterialId:       dst.materialIDs[dk.CurrentMaterial],
		KeyId:                          dst.arn,
		SourceEncryptionAlgorithm:      algSymmetric,
		SourceKeyId:                    src.arn,
		SourceKeyMaterialId:            src.materialIDs[h.Version],
	}, nil
}

// dataKeyKey resolves and authorizes the symmetric key that encrypts a data
// key (GenerateDataKey*, GenerateDataKeyPair*) and checks it can, up to
// DryRun.
func (s *Service) dataKeyKey(ctx context.Context, c *Caller, op, keyID string, encCtx map[string]string, tokens []string, dryRun bool) (*cachedKey, error) {
	c.setEncryptionContext(encCtx)
	c.grantTokens = tokens
	ck, err := s.cachedKey(ctx, c, op, keyID)
	if err != nil {
		return nil, err
	}
	if err := usableForCrypto(&ck.key); err != nil {
		return nil, err
	}
	if err := symmetricKey(&ck.key, op, nil); err != nil {
		return nil, err
	}
	if dryRun {
		return nil, ErrDryRun
	}
	return ck, nil
}

// GenerateDataKey returns a data key in plaintext and encrypted under a
// symmetric key.
func (s *Service) GenerateDataKey(ctx context.Context, c *Caller, in *kmsapi.GenerateDataKeyRequest) (*kmsapi.GenerateDataKeyResponse, error) {
	pt, blob, ck, err := s.generateDataKey(ctx, c, "GenerateDataKey", *in.KeyId, in.KeySpec, in.NumberOfBytes, in.EncryptionContext, in.GrantTokens, in.DryRun, in.Recipient)
	if err != nil {
		return nil, err
	}
	return &kmsapi.GenerateDataKeyResponse{CiphertextBlob: blob, KeyId: ck.arn, KeyMaterialId: ck.materialIDs[ck.key.CurrentMaterial], Plaintext: pt}, nil
}

// GenerateDataKeyWithoutPlaintext is GenerateDataKey without the plaintext.
func (s *Service) GenerateDataKeyWithoutPlaintext(ctx context.Context, c *Caller, in *kmsapi.GenerateDataKeyWithoutPlaintextRequest) (*kmsapi.GenerateDataKeyWithoutPlaintextResponse, error) {
	pt, blob, ck, err := s.generateDataKey(ctx, c, "GenerateDataKeyWithoutPlaintext", *in.KeyId, in.KeySpec, in.NumberOfBytes, in.EncryptionContext, in.GrantTokens, in.DryRun, nil)
	if err != nil {
		return nil, err
	}
	clear(pt)
	return &kmsapi.GenerateDataKeyWithoutPlaintextResponse{CiphertextBlob: blob, KeyId: ck.arn, KeyMaterialId: ck.materialIDs[ck.key.CurrentMaterial]}, nil
}

// generateDataKey makes a data key of keySpec or n bytes (exactly one of
// them) and encrypts it under keyID's current material.
func (s *Service) generateDataKey(ctx context.Context, c *Caller, op, keyID string, keySpec *string, n *int, encCtx map[string]string, tokens []string, dryRun bool, recipient *kmsapi.RecipientInfo) (pt, blob []byte, ck *cachedKey, err error) {
	if (keySpec == nil) == (n == nil) {
		return nil, nil, nil, errorf(KindValidation, "Please specify either number of bytes or key spec.")
	}
	if err := recipientUnsupported(recipient); err != nil {
		return nil, nil, nil, err
	}
	size := 32
	switch {
	case n != nil:
		size = *n
	case *keySpec == "AES_128":
		size = 16
	}
	ck, err = s.dataKeyKey(ctx, c, op, keyID, encCtx, tokens, dryRun)
	if err != nil {
		return nil, nil, nil, err
	}
	k := &ck.key
	pt, blob, err = s.keyring.GenerateDataKey(ctx, materialRef(k, k.CurrentMaterial), size, encCtx)
	if err != nil {
		return nil, nil, nil, s.internal(ctx, op, err)
	}
	return pt, blob, ck, nil
}

// GenerateRandom returns random bytes from the keyring's generator.
func (s *Service) GenerateRandom(ctx context.Context, c *Caller, in *kmsapi.GenerateRandomRequest) (*kmsapi.GenerateRandomResponse, error) {
	if in.NumberOfBytes == nil {
		// Optional in the model; AWS's answer (recorded).
		return nil, errorf(KindValidation, "NumberOfBytes is required.")
	}
	if err := s.authorizeAccount(ctx, c, "GenerateRandom"); err != nil {
		return nil, err
	}
	if in.CustomKeyStoreId != nil {
		return nil, errorf(KindCustomKeyStoreNotFound, "Custom key store %s does not exist.", *in.CustomKeyStoreId)
	}
	if err := recipientUnsupported(in.Recipient); err != nil {
		return nil, err
	}
	b, err := s.keyring.Random(*in.NumberOfBytes)
	if err != nil {
		return nil, s.internal(ctx, "GenerateRandom", err)
	}
	return &kmsapi.GenerateRandomResponse{Plaintext: b}, nil
}

// isRSAEncryption reports whether k is an RSA key for encryption.
func isRSAEncryption(k *store.Key) bool {
	return k.KeyUsage == UsageEncryptDecrypt && k.KeySpec != SpecSymmetricDefault
}

// rsaAlgorithm checks an asymmetric encryption algorithm against the key.
// AWS requires one (there is no default for asymmetric keys) and allows no
// encryption context.
func rsaAlgorithm(k *store.Key, alg *string, encCtx map[string]string) (string, error) {
	a := algSymmetric
	if alg != nil {
		a = *alg
	}
	if !slices.Contains(specs[k.KeySpec].enc, a) {
		return "", errorf(KindInvalidKeyUsage, "Algorithm %s is incompatible with key spec %s.", a, k.KeySpec)
	}
	if len(encCtx) > 0 {
		return "", errorf(KindValidation, "EncryptionContext is not supported for asymmetric KMS keys.")
	}
	return a, nil
}

// encryptRSA encrypts with RSAES-OAEP under an RSA key's public key.
func (s *Service) encryptRSA(ctx context.Context, ck *cachedKey, in *kmsapi.EncryptRequest) (*kmsapi.EncryptResponse, error) {
	k := &ck.key
	alg, err := rsaAlgorithm(k, in.EncryptionAlgorithm, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	ct, err := s.keyring.EncryptRSA(ctx, materialRef(k, k.CurrentMaterial), alg, in.Plaintext)
	clear(in.Plaintext)
	var tooLarge keyring.ErrPlaintextTooLarge
	if errors.As(err, &tooLarge) {
		return nil, errorf(KindValidation, "Algorithm %s and key spec %s cannot encrypt data larger than %d bytes.", alg, k.KeySpec, tooLarge.Max)
	}
	if errors.Is(err, keyring.ErrNotFIPSApproved) {
		return nil, notFIPSApproved(alg, "RSAES_OAEP_SHA_256")
	}
	if err != nil {
		return nil, s.internal(ctx, "Encrypt", err)
	}
	if in.DryRun {
		return nil, ErrDryRun
	}
	return &kmsapi.EncryptResponse{CiphertextBlob: ct, EncryptionAlgorithm: alg, KeyId: ck.arn}, nil
}

// decryptRSA decrypts an RSAES-OAEP ciphertext with an RSA key.
func (s *Service) decryptRSA(ctx context.Context, ck *cachedKey, in *kmsapi.DecryptRequest) (*kmsapi.DecryptResponse, error) {
	k := &ck.key
	if err := usableForCrypto(k); err != nil {
		return nil, err
	}
	alg, err := rsaAlgorithm(k, in.EncryptionAlgorithm, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	if in.CiphertextBlob == nil { // a dry run with IGNORE_CIPHERTEXT
		return nil, ErrDryRun
	}
	pt, err := s.keyring.DecryptRSA(ctx, materialRef(k, k.CurrentMaterial), alg, in.CiphertextBlob)
	if errors.Is(err, keyring.ErrNotFIPSApproved) {
		return nil, notFIPSApproved(alg, "RSAES_OAEP_SHA_256")
	}
	if err != nil {
		return nil, s.keyringError(ctx, "Decrypt", err)
	}
	if in.DryRun {
		clear(pt)
		return nil, ErrDryRun
	}
	return &kmsapi.DecryptResponse{EncryptionAlgorithm: alg, KeyId: ck.arn, Plaintext: pt}, nil
}

// reEncryptAsymmetric handles ReEncrypt when the source or the destination
// is an RSA key (mixed is false otherwise, and the symmetric path runs).
// The plaintext passes through the service here, and is zeroed.
func (s *Service) reEncryptAsymmetric(ctx context.Context, c *Caller, in *kmsapi.ReEncryptRequest, ignore bool) (mixed bool, _ *kmsapi.ReEncryptResponse, _ error) {
	var src *cachedKey
	if in.SourceKeyId != nil {
		ck, err := s.cachedKey(ctx, c, "ReEncryptFrom", *in.SourceKeyId)
		if err != nil {
			return true, nil, err
		}
		if isRSAEncryption(&ck.key) {
			src = ck
		}
	}
	// The destination is authorized under the destination's encryption
	// context and algorithm; the source's are restored after.
	c.setEncryptionContext(in.DestinationEncryptionContext)
	c.encAlg = deref(in.DestinationEncryptionAlgorithm)
	dst, err := s.cachedKey(ctx, c, "ReEncryptTo", *in.DestinationKeyId)
	c.setEncryptionContext(in.SourceEncryptionContext)
	c.encAlg = deref(in.SourceEncryptionAlgorithm)
	if err != nil {
		return true, nil, err
	}
	if src == nil && !isRSAEncryption(&dst.key) {
		return false, nil, nil
	}
	var h keyring.Header
	if src == nil && !ignore {
		if src, h, err = s.ciphertextKey(ctx, c, "ReEncryptFrom", in.CiphertextBlob, in.SourceKeyId); err != nil {
			return true, nil, err
		}
	} else if src == nil {
		return true, nil, errorf(KindValidation, "SourceKeyId is required when DryRunModifiers contains IGNORE_CIPHERTEXT.")
	}
	sk, dk := &src.key, &dst.key
	for _, k := range []*store.Key{sk, dk} {
		if err := usableForCrypto(k); err != nil {
			return true, nil, err
		}
	}
	srcAlg, dstAlg := algSymmetric, algSymmetric
	if isRSAEncryption(sk) {
		if srcAlg, err = rsaAlgorithm(sk, in.SourceEncryptionAlgorithm, in.SourceEncryptionContext); err != nil {
			return true, nil, err
		}
	} else if err := symmetricKey(sk, "ReEncrypt", in.SourceEncryptionAlgorithm); err != nil {
		return true, nil, err
	}
	if isRSAEncryption(dk) {
		if dstAlg, err = rsaAlgorithm(dk, in.DestinationEncryptionAlgorithm, in.DestinationEncryptionContext); err != nil {
			return true, nil, err
		}
	} else if err := symmetricKey(dk, "ReEncrypt", in.DestinationEncryptionAlgorithm); err != nil {
		return true, nil, err
	}
	if ignore {
		return true, nil, ErrDryRun
	}
	var pt []byte
	if isRSAEncryption(sk) {
		pt, err = s.keyring.DecryptRSA(ctx, materialRef(sk, sk.CurrentMaterial), srcAlg, in.CiphertextBlob)
	} else {
		_, pt, err = s.keyring.Decrypt(ctx, in.CiphertextBlob, in.SourceEncryptionContext)
	}
	if errors.Is(err, keyring.ErrNotFIPSApproved) {
		return true, nil, notFIPSApproved(srcAlg, "RSAES_OAEP_SHA_256")
	}
	if err != nil {
		return true, nil, s.keyringError(ctx, "ReEncrypt", err)
	}
	defer clear(pt)
	if in.DryRun {
		return true, nil, ErrDryRun
	}
	var blob []byte
	if isRSAEncryption(dk) {
		blob, err = s.keyring.EncryptRSA(ctx, materialRef(dk, dk.CurrentMaterial), dstAlg, pt)
		var tooLarge keyring.ErrPlaintextTooLarge
		if errors.As(err, &tooLarge) {
			return true, nil, errorf(KindValidation, "Algorithm %s and key spec %s cannot encrypt data larger than %d bytes.", dstAlg, dk.KeySpec, tooLarge.Max)
		}
		if errors.Is(err, keyring.ErrNotFIPSApproved) {
			return true, nil, notFIPSApproved(dstAlg, "RSAES_OAEP_SHA_256")
		}
	} else {
		blob, err = s.keyring.Encrypt(ctx, materialRef(dk, dk.CurrentMaterial), pt, in.DestinationEncryptionContext)
	}
	if err != nil {
		return true, nil, s.internal(ctx, "ReEncrypt", err)
	}
	out := &kmsapi.ReEncryptResponse{
		CiphertextBlob:                 blob,
		DestinationEncryptionAlgorithm: dstAlg,
		KeyId:                          dst.arn,
		SourceEncryptionAlgorithm:      srcAlg,
		SourceKeyId:                    src.arn,
	}
	if !isRSAEncryption(dk) {
		out.DestinationKeyMaterialId = dst.materialIDs[dk.CurrentMaterial]
	}
	if !isRSAEncryption(sk) {
		out.SourceKeyMaterialId = src.materialIDs[h.Version]
	}
	return true, out, nil
}
