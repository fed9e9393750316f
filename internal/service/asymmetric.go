package service

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/trentkms/trent/internal/keyring"
	"github.com/trentkms/trent/internal/store"
)

// Input and output shapes of the asymmetric, HMAC, key agreement and
// ML-KEM operations.
type (
	SignInput struct {
		KeyId            *string  `json:"KeyId"`
		Message          []byte   `json:"Message"`
		MessageType      *string  `json:"MessageType"`
		SigningAlgorithm *string  `json:"SigningAlgorithm"`
		GrantTokens      []string `json:"GrantTokens"`
		DryRun           bool     `json:"DryRun"`
	}
	SignOutput struct {
		KeyId            string `json:"KeyId"`
		Signature        []byte `json:"Signature"`
		SigningAlgorithm string `json:"SigningAlgorithm"`
	}
	VerifyInput struct {
		KeyId            *string  `json:"KeyId"`
		Message          []byte   `json:"Message"`
		MessageType      *string  `json:"MessageType"`
		Signature        []byte   `json:"Signature"`
		SigningAlgorithm *string  `json:"SigningAlgorithm"`
		GrantTokens      []string `json:"GrantTokens"`
		DryRun           bool     `json:"DryRun"`
	}
	VerifyOutput struct {
		KeyId            string `json:"KeyId"`
		SignatureValid   bool   `json:"SignatureValid"`
		SigningAlgorithm string `json:"SigningAlgorithm"`
	}
	GetPublicKeyOutput struct {
		CustomerMasterKeySpec   string   `json:"CustomerMasterKeySpec"`
		EncapsulationAlgorithms []string `json:"EncapsulationAlgorithms,omitempty"`
		EncryptionAlgorithms    []string `json:"EncryptionAlgorithms,omitempty"`
		KeyAgreementAlgorithms  []string `json:"KeyAgreementAlgorithms,omitempty"`
		KeyId                   string   `json:"KeyId"`
		KeySpec                 string   `json:"KeySpec"`
		KeyUsage                string   `json:"KeyUsage"`
		PublicKey               []byte   `json:"PublicKey"`
		SigningAlgorithms       []string `json:"SigningAlgorithms,omitempty"`
	}
	MacInput struct {
		KeyId        *string  `json:"KeyId"`
		Message      []byte   `json:"Message"`
		MacAlgorithm *string  `json:"MacAlgorithm"`
		Mac          []byte   `json:"Mac"`
		GrantTokens  []string `json:"GrantTokens"`
		DryRun       bool     `json:"DryRun"`
	}
	GenerateMacOutput struct {
		KeyId        string `json:"KeyId"`
		Mac          []byte `json:"Mac"`
		MacAlgorithm string `json:"MacAlgorithm"`
	}
	VerifyMacOutput struct {
		KeyId        string `json:"KeyId"`
		MacAlgorithm string `json:"MacAlgorithm"`
		MacValid     bool   `json:"MacValid"`
	}
	DeriveSharedSecretInput struct {
		KeyId                 *string        `json:"KeyId"`
		KeyAgreementAlgorithm *string        `json:"KeyAgreementAlgorithm"`
		PublicKey             []byte         `json:"PublicKey"`
		GrantTokens           []string       `json:"GrantTokens"`
		DryRun                bool           `json:"DryRun"`
		Recipient             *RecipientInfo `json:"Recipient"`
	}
	DeriveSharedSecretOutput struct {
		KeyAgreementAlgorithm string `json:"KeyAgreementAlgorithm"`
		KeyId                 string `json:"KeyId"`
		KeyOrigin             string `json:"KeyOrigin"`
		SharedSecret          []byte `json:"SharedSecret"`
	}
	EncapsulateInput struct {
		KeyId                  *string  `json:"KeyId"`
		EncapsulationAlgorithm *string  `json:"EncapsulationAlgorithm"`
		GrantTokens            []string `json:"GrantTokens"`
		DryRun                 bool     `json:"DryRun"`
	}
	EncapsulateOutput struct {
		EncapsulationAlgorithm     string `json:"EncapsulationAlgorithm"`
		KeyId                      string `json:"KeyId"`
		SharedSecret               []byte `json:"SharedSecret"`
		SharedSecretCiphertextBlob []byte `json:"SharedSecretCiphertextBlob"`
	}
	DecapsulateInput struct {
		KeyId                      *string  `json:"KeyId"`
		EncapsulationAlgorithm     *string  `json:"EncapsulationAlgorithm"`
		SharedSecretCiphertextBlob []byte   `json:"SharedSecretCiphertextBlob"`
		GrantTokens                []string `json:"GrantTokens"`
		DryRun                     bool     `json:"DryRun"`
	}
	DecapsulateOutput struct {
		EncapsulationAlgorithm string `json:"EncapsulationAlgorithm"`
		KeyId                  string `json:"KeyId"`
		SharedSecret           []byte `json:"SharedSecret"`
	}
	GenerateDataKeyPairInput struct {
		KeyId             *string           `json:"KeyId"`
		KeyPairSpec       *string           `json:"KeyPairSpec"`
		EncryptionContext map[string]string `json:"EncryptionContext"`
		GrantTokens       []string          `json:"GrantTokens"`
		DryRun            bool              `json:"DryRun"`
		Recipient         *RecipientInfo    `json:"Recipient"`
	}
	GenerateDataKeyPairOutput struct {
		KeyId                    string `json:"KeyId"`
		KeyMaterialId            string `json:"KeyMaterialId,omitempty"`
		KeyPairSpec              string `json:"KeyPairSpec"`
		PrivateKeyCiphertextBlob []byte `json:"PrivateKeyCiphertextBlob"`
		PrivateKeyPlaintext      []byte `json:"PrivateKeyPlaintext,omitempty"`
		PublicKey                []byte `json:"PublicKey"`
	}
)

// SigningAlgorithms lists SigningAlgorithmSpec.
var SigningAlgorithms = []string{"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512", "ECDSA_SHA_256", "ECDSA_SHA_384", "ECDSA_SHA_512", "SM2DSA", "ML_DSA_SHAKE_256", "ED25519_SHA_512", "ED25519_PH_SHA_512"}

var (
	messageTypes = []string{"RAW", "DIGEST", "EXTERNAL_MU"}
	// macAlgorithms is in the order AWS's validation message lists them.
	macAlgorithms    = []string{"HMAC_SHA_384", "HMAC_SHA_256", "HMAC_SHA_224", "HMAC_SHA_512"}
	dataKeyPairSpecs = []string{"RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SM2", "ECC_NIST_EDWARDS25519", "ML_KEM_512", "ML_KEM_768", "ML_KEM_1024"}
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

func signFields(v *validation, keyID *string, msg []byte, msgType, alg *string, tokens []string) {
	keyIDField(v, keyID, "keyId")
	if v.required(msg != nil, "message") {
		v.blob(msg, true, "message", 1, 4096)
	}
	v.enum(msgType, "messageType", messageTypes)
	if v.required(alg != nil, "signingAlgorithm") {
		v.enum(alg, "signingAlgorithm", SigningAlgorithms)
	}
	grantTokensField(v, tokens)
}

func msgTypeOf(p *string) string {
	if p == nil {
		return "RAW"
	}
	return *p
}

// signingKey validates a Sign or Verify request (signature is nil for
// Sign) and returns its key and message type once the call would succeed
// but for the cryptography: after DryRun.
func (s *Service) signingKey(ctx context.Context, c *Caller, op string, keyID *string, msg []byte, msgType, alg *string, tokens []string, signature []byte, dryRun bool) (*cachedKey, string, error) {
	var v validation
	signFields(&v, keyID, msg, msgType, alg, tokens)
	if op == "Verify" && v.required(signature != nil, "signature") {
		v.blob(signature, true, "signature", 1, 6144)
	}
	if err := v.err(); err != nil {
		return nil, "", err
	}
	c.signAlg = *alg
	c.grantTokens = tokens
	ck, err := s.usableKey(ctx, c, op, *keyID, UsageSignVerify)
	if err != nil {
		return nil, "", err
	}
	mt := msgTypeOf(msgType)
	if err := checkSigning(ck, *alg, mt, msg); err != nil {
		return nil, "", err
	}
	if dryRun {
		return nil, "", ErrDryRun
	}
	return ck, mt, nil
}

// Sign signs a message or digest with an asymmetric key.
func (s *Service) Sign(ctx context.Context, c *Caller, in *SignInput) (*SignOutput, error) {
	ck, mt, err := s.signingKey(ctx, c, "Sign", in.KeyId, in.Message, in.MessageType, in.SigningAlgorithm, in.GrantTokens, nil, in.DryRun)
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
	return &SignOutput{KeyId: ck.arn, Signature: sig, SigningAlgorithm: *in.SigningAlgorithm}, nil
}

// Verify checks a signature; an invalid one is KMSInvalidSignatureException.
func (s *Service) Verify(ctx context.Context, c *Caller, in *VerifyInput) (*VerifyOutput, error) {
	ck, mt, err := s.signingKey(ctx, c, "Verify", in.KeyId, in.Message, in.MessageType, in.SigningAlgorithm, in.GrantTokens, in.Signature, in.DryRun)
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
	return &VerifyOutput{KeyId: ck.arn, SignatureValid: true, SigningAlgorithm: *in.SigningAlgorithm}, nil
}

// GetPublicKey returns an asymmetric key's public key.
func (s *Service) GetPublicKey(ctx context.Context, c *Caller, in *KeyIdInput) (*GetPublicKeyOutput, error) {
	var v validation
	keyIDField(&v, in.KeyId, "keyId")
	grantTokensField(&v, in.GrantTokens)
	if err := v.err(); err != nil {
		return nil, err
	}
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
	return &GetPublicKeyOutput{
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
func (s *Service) macKey(ctx context.Context, c *Caller, op string, in *MacInput) (*cachedKey, error) {
	var v validation
	keyIDField(&v, in.KeyId, "keyId")
	if v.required(in.Message != nil, "message") {
		v.blob(in.Message, true, "message", 1, 4096)
	}
	if v.required(in.MacAlgorithm != nil, "macAlgorithm") {
		v.enum(in.MacAlgorithm, "macAlgorithm", macAlgorithms)
	}
	if op == "VerifyMac" && v.required(in.Mac != nil, "mac") {
		v.blob(in.Mac, true, "mac", 1, 6144)
	}
	grantTokensField(&v, in.GrantTokens)
	if err := v.err(); err != nil {
		return nil, err
	}
	c.macAlg = deref(in.MacAlgorithm)
	c.grantTokens = in.GrantTokens
	ck, err := s.usableKey(ctx, c, op, *in.KeyId, UsageMac)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(specs[ck.key.KeySpec].mac, *in.MacAlgorithm) {
		return nil, algorithmError(*in.MacAlgorithm, ck.key.KeySpec)
	}
	return ck, nil
}

// GenerateMac computes an HMAC with an HMAC key.
func (s *Service) GenerateMac(ctx context.Context, c *Caller, in *MacInput) (*GenerateMacOutput, error) {
	ck, err := s.macKey(ctx, c, "GenerateMac", in)
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
	return &GenerateMacOutput{KeyId: ck.arn, Mac: mac, MacAlgorithm: *in.MacAlgorithm}, nil
}

// VerifyMac checks an HMAC; a mismatch is KMSInvalidMacException.
func (s *Service) VerifyMac(ctx context.Context, c *Caller, in *MacInput) (*VerifyMacOutput, error) {
	ck, err := s.macKey(ctx, c, "VerifyMac", in)
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
	return &VerifyMacOutput{KeyId: ck.arn, MacAlgorithm: *in.MacAlgorithm, MacValid: true}, nil
}

// DeriveSharedSecret runs ECDH between a KEY_AGREEMENT key and a peer.
func (s *Service) DeriveSharedSecret(ctx context.Context, c *Caller, in *DeriveSharedSecretInput) (*DeriveSharedSecretOutput, error) {
	var v validation
	keyIDField(&v, in.KeyId, "keyId")
	if v.required(in.KeyAgreementAlgorithm != nil, "keyAgreementAlgorithm") {
		v.enum(in.KeyAgreementAlgorithm, "keyAgreementAlgorithm", []string{"ECDH"})
	}
	if v.required(in.PublicKey != nil, "publicKey") {
		v.blob(in.PublicKey, true, "publicKey", 1, 8192)
	}
	grantTokensField(&v, in.GrantTokens)
	if err := v.err(); err != nil {
		return nil, err
	}
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
	return &DeriveSharedSecretOutput{KeyAgreementAlgorithm: "ECDH", KeyId: ck.arn, KeyOrigin: ck.key.Origin, SharedSecret: secret}, nil
}

// Encapsulate makes a shared secret and its ML-KEM ciphertext.
func (s *Service) Encapsulate(ctx context.Context, c *Caller, in *EncapsulateInput) (*EncapsulateOutput, error) {
	var v validation
	keyIDField(&v, in.KeyId, "keyId")
	if v.required(in.EncapsulationAlgorithm != nil, "encapsulationAlgorithm") {
		v.enum(in.EncapsulationAlgorithm, "encapsulationAlgorithm", []string{"ML_KEM"})
	}
	grantTokensField(&v, in.GrantTokens)
	if err := v.err(); err != nil {
		return nil, err
	}
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
	return &EncapsulateOutput{EncapsulationAlgorithm: "ML_KEM", KeyId: ck.arn, SharedSecret: secret, SharedSecretCiphertextBlob: ct}, nil
}

// Decapsulate recovers the shared secret of an ML-KEM ciphertext.
func (s *Service) Decapsulate(ctx context.Context, c *Caller, in *DecapsulateInput) (*DecapsulateOutput, error) {
	var v validation
	keyIDField(&v, in.KeyId, "keyId")
	if v.required(in.EncapsulationAlgorithm != nil, "encapsulationAlgorithm") {
		v.enum(in.EncapsulationAlgorithm, "encapsulationAlgorithm", []string{"ML_KEM"})
	}
	if v.required(in.SharedSecretCiphertextBlob != nil, "sharedSecretCiphertextBlob") {
		v.blob(in.SharedSecretCiphertextBlob, true, "sharedSecretCiphertextBlob", 1, 6144)
	}
	grantTokensField(&v, in.GrantTokens)
	if err := v.err(); err != nil {
		return nil, err
	}
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
	return &DecapsulateOutput{EncapsulationAlgorithm: "ML_KEM", KeyId: ck.arn, SharedSecret: secret}, nil
}

// GenerateDataKeyPair returns a fresh key pair with its private key also
// encrypted under a symmetric key.
func (s *Service) GenerateDataKeyPair(ctx context.Context, c *Caller, in *GenerateDataKeyPairInput) (*GenerateDataKeyPairOutput, error) {
	return s.generateDataKeyPair(ctx, c, "GenerateDataKeyPair", in, true)
}

// GenerateDataKeyPairWithoutPlaintext is GenerateDataKeyPair without the
// plaintext private key.
func (s *Service) GenerateDataKeyPairWithoutPlaintext(ctx context.Context, c *Caller, in *GenerateDataKeyPairInput) (*GenerateDataKeyPairOutput, error) {
	return s.generateDataKeyPair(ctx, c, "GenerateDataKeyPairWithoutPlaintext", in, false)
}

func (s *Service) generateDataKeyPair(ctx context.Context, c *Caller, op string, in *GenerateDataKeyPairInput, withPlaintext bool) (*GenerateDataKeyPairOutput, error) {
	var v validation
	keyIDField(&v, in.KeyId, "keyId")
	if v.required(in.KeyPairSpec != nil, "keyPairSpec") {
		v.enum(in.KeyPairSpec, "keyPairSpec", dataKeyPairSpecs)
	}
	grantTokensField(&v, in.GrantTokens)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := recipientUnsupported(in.Recipient); err != nil {
		return nil, err
	}
	if *in.KeyPairSpec == "SM2" {
		return nil, errorf(KindUnsupportedOperation, "KeyPairSpec SM2 is only available in China Regions.")
	}
	ck, err := s.dataKeyKey(ctx, c, op, *in.KeyId, in.EncryptionContext, in.GrantTokens, in.DryRun)
	if err != nil {
		return nil, err
	}
	k := &ck.key
	priv, pub, err := keyring.GenerateKeyPair(*in.KeyPairSpec, nil)
	if err != nil {
		return nil, s.internal(ctx, op, fmt.Errorf("generate %s key pair: %w", *in.KeyPairSpec, err))
	}
	blob, err := s.keyring.Encrypt(ctx, currentRef(k), priv, in.EncryptionContext)
	if err != nil {
		clear(priv)
		return nil, s.internal(ctx, op, err)
	}
	out := &GenerateDataKeyPairOutput{
		KeyId:                    ck.arn,
		KeyMaterialId:            ck.materialIDs[k.CurrentMaterial],
		KeyPairSpec:              *in.KeyPairSpec,
		PrivateKeyCiphertextBlob: blob,
		PublicKey:                pub,
	}
	if withPlaintext {
		out.PrivateKeyPlaintext = priv
	} else {
		clear(priv)
	}
	return out, nil
}
