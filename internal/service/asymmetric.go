package service

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/trentkms/trent/internal/keyring"
	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/store"
)

// errExternalMu answers ML-DSA's EXTERNAL_MU message type, which the
// ML-DSA library Trent uses cannot sign or verify yet (README).
var errExternalMu = &Error{Kind: KindUnsupportedOperation, Message: "MessageType EXTERNAL_MU is not supported by this Trent server yet."}

// usageError is AWS's answer to an operation the key's usage does not
// allow.
func usageError(k *cachedKey, op string) error {
	return errorf(KindInvalidKeyUsage, "%s key usage is %s which is not valid for %s.", k.arn, k.key.KeyUsage, op)
}

// algorithmError is AWS's answer to an algorithm the key spec does not
// offer.
func algorithmError(alg, spec string) error {
	return errorf(KindInvalidKeyUsage, "Algorithm %s is incompatible with key spec %s.", alg, spec)
}

// usableKey loads a key for a cryptographic operation that needs usage.
func (s *Service) usableKey(ctx context.Context, c *Caller, op, keyID, usage string) (*cachedKey, error) {
	ck, err := s.cachedKey(ctx, c, op, keyID)
	if err != nil {
		return nil, err
	}
	if err := usableForCrypto(&ck.key); err != nil {
		return nil, err
	}
	if ck.key.KeyUsage != usage {
		return nil, usageError(ck, op)
	}
	return ck, nil
}

func currentRef(k *store.Key) keyring.MaterialRef { return materialRef(k, k.CurrentMaterial) }

// digestSize is the digest length a DIGEST message must have.
func digestSize(alg string) int {
	switch alg {
	case "RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256", "ECDSA_SHA_256", "SM2DSA":
		return 32
	case "RSASSA_PSS_SHA_384", "RSASSA_PKCS1_V1_5_SHA_384", "ECDSA_SHA_384":
		return 48
	case "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_512", "ECDSA_SHA_512", "ED25519_PH_SHA_512":
		return 64
	}
	return 0
}

// checkSigning validates algorithm and message type against the key.
func checkSigning(ck *cachedKey, alg, msgType string, msg []byte) error {
	spec := ck.key.KeySpec
	if !slices.Contains(specs[spec].sign, alg) {
		return algorithmError(alg, spec)
	}
	switch {
	case alg == "ED25519_SHA_512" && msgType != "RAW":
		return errorf(KindValidation, "Signing algorithm ED25519_SHA_512 requires MessageType RAW.")
	case alg == "ED25519_PH_SHA_512" && msgType != "DIGEST":
		return errorf(KindValidation, "Signing algorithm ED25519_PH_SHA_512 requires MessageType DIGEST.")
	case msgType == "EXTERNAL_MU" && alg != "ML_DSA_SHAKE_256":
		return errorf(KindValidation, "MessageType EXTERNAL_MU is only valid with signing algorithm ML_DSA_SHAKE_256.")
	case msgType == "EXTERNAL_MU" && len(msg) != 64:
		return errorf(KindValidation, "External mu must be 64 bytes long.")
	case msgType == "DIGEST" && alg == "ML_DSA_SHAKE_256":
		return errorf(KindValidation, "MessageType DIGEST is not valid with signing algorithm ML_DSA_SHAKE_256.")
	case msgType == "DIGEST" && len(msg) != digestSize(alg):
		return errorf(KindValidation, "Digest is invalid length for algorithm %s.", alg)
	}
	return nil
}

func msgTypeOf(p *string) string {
	if p == nil {
		return "RAW"
	}
	return *p
}

// signingKey returns the key and message type of a Sign or Verify request
// once the call would succeed but for the cryptography: after DryRun.
func (s *Service) signingKey(ctx context.Context, c *Caller, op, keyID string, msg []byte, msgType *string, alg string, tokens []string, dryRun bool) (*cachedKey, string, error) {
	c.signAlg = alg
	c.grantTokens = tokens
	ck, err := s.usableKey(ctx, c, op, keyID, UsageSignVerify)
	if err != nil {
		return nil, "", err
	}
	mt := msgTypeOf(msgType)
	if err := checkSigning(ck, alg, mt, msg); err != nil {
		return nil, "", err
	}
	if dryRun {
		return nil, "", ErrDryRun
	}
	return ck, mt, nil
}

// Sign signs a message or digest with an asymmetric key.
func (s *Service) Sign(ctx context.Context, c *Caller, in *kmsapi.SignRequest) (*kmsapi.SignResponse, error) {
	ck, mt, err := s.signingKey(ctx, c, "Sign", *in.KeyId, in.Message, in.MessageType, *in.SigningAlgorithm, in.GrantTokens, in.DryRun)
	if err != nil {
		return nil, err
	}
	sig, err := s.keyring.Sign(ctx, currentRef(&ck.key), *in.SigningAlgorithm, mt, in.Message)
	if errors.Is(err, keyring.ErrExternalMuUnsupported) {
		return nil, errExternalMu
	}
	if err != nil {
		return nil, s.internal(ctx, "Sign", err)
	}
	return &kmsapi.SignResponse{KeyId: ck.arn, Signature: sig, SigningAlgorithm: *in.SigningAlgorithm}, nil
}

// Verify checks a signature; an invalid one is KMSInvalidSignatureException.
func (s *Service) Verify(ctx context.Context, c *Caller, in *kmsapi.VerifyRequest) (*kmsapi.VerifyResponse, error) {
	ck, mt, err := s.signingKey(ctx, c, "Verify", *in.KeyId, in.Message, in.MessageType, *in.SigningAlgorithm, in.GrantTokens, in.DryRun)
	if err != nil {
		return nil, err
	}
	err = s.keyring.Verify(ctx, currentRef(&ck.key), *in.SigningAlgorithm, mt, in.Message, in.Signature)
	if errors.Is(err, keyring.ErrInvalidSignature) {
		return nil, &Error{Kind: KindInvalidSignature}
	}
	if errors.Is(err, keyring.ErrExternalMuUnsupported) {
		return nil, errExternalMu
	}
	if err != nil {
		return nil, s.internal(ctx, "Verify", err)
	}
	return &kmsapi.VerifyResponse{KeyId: ck.arn, SignatureValid: true, SigningAlgorithm: *in.SigningAlgorithm}, nil
}

// GetPublicKey returns an asymmetric key's public key.
func (s *Service) GetPublicKey(ctx context.Context, c *Caller, in *kmsapi.GetPublicKeyRequest) (*kmsapi.GetPublicKeyResponse, error) {
	c.grantTokens = in.GrantTokens
	ck, err := s.cachedKey(ctx, c, "GetPublicKey", *in.KeyId)
	if err != nil {
		return nil, err
	}
	k := &ck.key
	if err := usableForCrypto(k); err != nil {
		return nil, err
	}
	if keyClass(k.KeySpec) != "asymmetric" {
		return nil, errorf(KindUnsupportedOperation, "%s key spec is %s which is not valid for GetPublicKey.", ck.arn, k.KeySpec)
	}
	pub, err := s.keyring.PublicKey(ctx, currentRef(k))
	if err != nil {
		return nil, s.internal(ctx, "GetPublicKey", err)
	}
	md := s.metadata(k, nil)
	return &kmsapi.GetPublicKeyResponse{
		CustomerMasterKeySpec:   k.KeySpec,
		EncapsulationAlgorithms: md.EncapsulationAlgorithms,
		EncryptionAlgorithms:    md.EncryptionAlgorithms,
		KeyAgreementAlgorithms:  md.KeyAgreementAlgorithms,
		KeyId:                   ck.arn,
		KeySpec:                 k.KeySpec,
		KeyUsage:                k.KeyUsage,
		PublicKey:               pub,
		SigningAlgorithms:       md.SigningAlgorithms,
	}, nil
}

// macKey loads an HMAC key and checks the algorithm against its spec.
func (s *Service) macKey(ctx context.Context, c *Caller, op, keyID, alg string, tokens []string) (*cachedKey, error) {
	c.macAlg = alg
	c.grantTokens = tokens
	ck, err := s.usableKey(ctx, c, op, keyID, UsageMac)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(specs[ck.key.KeySpec].mac, alg) {
		return nil, algorithmError(alg, ck.key.KeySpec)
	}
	return ck, nil
}

// GenerateMac computes an HMAC with an HMAC key.
func (s *Service) GenerateMac(ctx context.Context, c *Caller, in *kmsapi.GenerateMacRequest) (*kmsapi.GenerateMacResponse, error) {
	ck, err := s.macKey(ctx, c, "GenerateMac", *in.KeyId, *in.MacAlgorithm, in.GrantTokens)
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, ErrDryRun
	}
	mac, err := s.keyring.GenerateMac(ctx, currentRef(&ck.key), *in.MacAlgorithm, in.Message)
	if err != nil {
		return nil, s.internal(ctx, "GenerateMac", err)
	}
	return &kmsapi.GenerateMacResponse{KeyId: ck.arn, Mac: mac, MacAlgorithm: *in.MacAlgorithm}, nil
}

// VerifyMac checks an HMAC; a mismatch is KMSInvalidMacException.
func (s *Service) VerifyMac(ctx context.Context, c *Caller, in *kmsapi.VerifyMacRequest) (*kmsapi.VerifyMacResponse, error) {
	ck, err := s.macKey(ctx, c, "VerifyMac", *in.KeyId, *in.MacAlgorithm, in.GrantTokens)
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, ErrDryRun
	}
	err = s.keyring.VerifyMac(ctx, currentRef(&ck.key), *in.MacAlgorithm, in.Message, in.Mac)
	if errors.Is(err, keyring.ErrInvalidMac) {
		return nil, &Error{Kind: KindInvalidMac}
	}
	if err != nil {
		return nil, s.internal(ctx, "VerifyMac", err)
	}
	return &kmsapi.VerifyMacResponse{KeyId: ck.arn, MacAlgorithm: *in.MacAlgorithm, MacValid: true}, nil
}

// DeriveSharedSecret runs ECDH between a KEY_AGREEMENT key and a peer.
func (s *Service) DeriveSharedSecret(ctx context.Context, c *Caller, in *kmsapi.DeriveSharedSecretRequest) (*kmsapi.DeriveSharedSecretResponse, error) {
	if err := recipientUnsupported(in.Recipient); err != nil {
		return nil, err
	}
	c.grantTokens = in.GrantTokens
	ck, err := s.usableKey(ctx, c, "DeriveSharedSecret", *in.KeyId, UsageKeyAgreement)
	if err != nil {
		return nil, err
	}
	// The peer key is checked even in a dry run: the call would fail.
	secret, err := s.keyring.DeriveSharedSecret(ctx, currentRef(&ck.key), in.PublicKey)
	if errors.Is(err, keyring.ErrInvalidPeerKey) {
		return nil, errorf(KindValidation, "The public key is invalid or does not match the curve of key spec %s.", ck.key.KeySpec)
	}
	if err != nil {
		return nil, s.internal(ctx, "DeriveSharedSecret", err)
	}
	if in.DryRun {
		clear(secret)
		return nil, ErrDryRun
	}
	return &kmsapi.DeriveSharedSecretResponse{KeyAgreementAlgorithm: "ECDH", KeyId: ck.arn, KeyOrigin: ck.key.Origin, SharedSecret: secret}, nil
}

// Encapsulate makes a shared secret and its ML-KEM ciphertext.
func (s *Service) Encapsulate(ctx context.Context, c *Caller, in *kmsapi.EncapsulateRequest) (*kmsapi.EncapsulateResponse, error) {
	c.grantTokens = in.GrantTokens
	ck, err := s.usableKey(ctx, c, "Encapsulate", *in.KeyId, UsageEncapsulate)
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, ErrDryRun
	}
	ct, secret, err := s.keyring.Encapsulate(ctx, currentRef(&ck.key))
	if err != nil {
		return nil, s.internal(ctx, "Encapsulate", err)
	}
	return &kmsapi.EncapsulateResponse{EncapsulationAlgorithm: "ML_KEM", KeyId: ck.arn, SharedSecret: secret, SharedSecretCiphertextBlob: ct}, nil
}

// Decapsulate recovers the shared secret of an ML-KEM ciphertext.
func (s *Service) Decapsulate(ctx context.Context, c *Caller, in *kmsapi.DecapsulateRequest) (*kmsapi.DecapsulateResponse, error) {
	c.grantTokens = in.GrantTokens
	ck, err := s.usableKey(ctx, c, "Decapsulate", *in.KeyId, UsageEncapsulate)
	if err != nil {
		return nil, err
	}
	secret, err := s.keyring.Decapsulate(ctx, currentRef(&ck.key), in.SharedSecretCiphertextBlob)
	if err != nil {
		return nil, s.keyringError(ctx, "Decapsulate", err)
	}
	if in.DryRun {
		clear(secret)
		return nil, ErrDryRun
	}
	return &kmsapi.DecapsulateResponse{EncapsulationAlgorithm: "ML_KEM", KeyId: ck.arn, SharedSecret: secret}, nil
}

// GenerateDataKeyPair returns a fresh key pair with its private key also
// encrypted under a symmetric key.
func (s *Service) GenerateDataKeyPair(ctx context.Context, c *Caller, in *kmsapi.GenerateDataKeyPairRequest) (*kmsapi.GenerateDataKeyPairResponse, error) {
	if err := recipientUnsupported(in.Recipient); err != nil {
		return nil, err
	}
	p, err := s.generateDataKeyPair(ctx, c, "GenerateDataKeyPair", *in.KeyId, *in.KeyPairSpec, in.EncryptionContext, in.GrantTokens, in.DryRun)
	if err != nil {
		return nil, err
	}
	return &kmsapi.GenerateDataKeyPairResponse{KeyId: p.keyID, KeyMaterialId: p.materialID, KeyPairSpec: *in.KeyPairSpec,
		PrivateKeyCiphertextBlob: p.blob, PrivateKeyPlaintext: p.priv, PublicKey: p.pub}, nil
}

// GenerateDataKeyPairWithoutPlaintext is GenerateDataKeyPair without the
// plaintext private key.
func (s *Service) GenerateDataKeyPairWithoutPlaintext(ctx context.Context, c *Caller, in *kmsapi.GenerateDataKeyPairWithoutPlaintextRequest) (*kmsapi.GenerateDataKeyPairWithoutPlaintextResponse, error) {
	p, err := s.generateDataKeyPair(ctx, c, "GenerateDataKeyPairWithoutPlaintext", *in.KeyId, *in.KeyPairSpec, in.EncryptionContext, in.GrantTokens, in.DryRun)
	if err != nil {
		return nil, err
	}
	clear(p.priv)
	return &kmsapi.GenerateDataKeyPairWithoutPlaintextResponse{KeyId: p.keyID, KeyMaterialId: p.materialID, KeyPairSpec: *in.KeyPairSpec,
		PrivateKeyCiphertextBlob: p.blob, PublicKey: p.pub}, nil
}

// dataKeyPair is a key pair made for a data key pair operation.
type dataKeyPair struct {
	keyID, materialID string // the symmetric key and material that encrypted priv
	priv, blob, pub   []byte
}

func (s *Service) generateDataKeyPair(ctx context.Context, c *Caller, op, keyID, spec string, encCtx map[string]string, tokens []string, dryRun bool) (dataKeyPair, error) {
	if spec == "SM2" {
		return dataKeyPair{}, errorf(KindUnsupportedOperation, "KeyPairSpec SM2 is only available in China Regions.")
	}
	ck, err := s.dataKeyKey(ctx, c, op, keyID, encCtx, tokens, dryRun)
	if err != nil {
		return dataKeyPair{}, err
	}
	k := &ck.key
	priv, pub, err := keyring.GenerateKeyPair(spec, nil)
	if err != nil {
		return dataKeyPair{}, s.internal(ctx, op, fmt.Errorf("generate %s key pair: %w", spec, err))
	}
	blob, err := s.keyring.Encrypt(ctx, currentRef(k), priv, encCtx)
	if err != nil {
		clear(priv)
		return dataKeyPair{}, s.internal(ctx, op, err)
	}
	return dataKeyPair{keyID: ck.arn, materialID: ck.materialIDs[k.CurrentMaterial], priv: priv, blob: blob, pub: pub}, nil
}
