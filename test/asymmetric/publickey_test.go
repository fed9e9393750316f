package asymmetric_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// algLists is what DescribeKey and GetPublicKey list for a key (nil lists
// must be absent).
type algLists struct {
	enc, sign, mac, agree, encap []string
}

var (
	rsaEncAlgs  = []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}
	rsaSignAlgs = []string{"RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512", "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512"}
)

// expectedLists is kms-api.md §6 for a spec and usage (lists sorted).
func expectedLists(spec types.KeySpec, usage types.KeyUsageType) algLists {
	switch usage {
	case types.KeyUsageTypeEncryptDecrypt:
		if spec == types.KeySpecSymmetricDefault {
			return algLists{enc: []string{"SYMMETRIC_DEFAULT"}}
		}
		return algLists{enc: rsaEncAlgs}
	case types.KeyUsageTypeKeyAgreement:
		return algLists{agree: []string{"ECDH"}}
	case types.KeyUsageTypeGenerateVerifyMac:
		return algLists{mac: []string{"HMAC_SHA_" + string(spec)[len("HMAC_"):]}}
	case types.KeyUsageTypeEncapsulateDecapsulate:
		return algLists{encap: []string{"ML_KEM"}}
	}
	switch spec {
	case types.KeySpecRsa2048, types.KeySpecRsa3072, types.KeySpecRsa4096:
		return algLists{sign: rsaSignAlgs}
	case types.KeySpecEccNistP256, types.KeySpecEccSecgP256k1:
		return algLists{sign: []string{"ECDSA_SHA_256"}}
	case types.KeySpecEccNistP384:
		return algLists{sign: []string{"ECDSA_SHA_384"}}
	case types.KeySpecEccNistP521:
		return algLists{sign: []string{"ECDSA_SHA_512"}}
	case types.KeySpecEccNistEdwards25519:
		return algLists{sign: []string{"ED25519_PH_SHA_512", "ED25519_SHA_512"}}
	default: // ML-DSA
		return algLists{sign: []string{"ML_DSA_SHAKE_256"}}
	}
}

func checkLists(t *testing.T, what string, want algLists, enc []types.EncryptionAlgorithmSpec, sign []types.SigningAlgorithmSpec, mac []types.MacAlgorithmSpec, agree []types.KeyAgreementAlgorithmSpec, encap []types.EncapsulationAlgorithmSpec) {
	t.Helper()
	check := func(name string, got, want []string) {
		t.Helper()
		if want == nil {
			if got != nil {
				t.Errorf("%s.%s = %v, want absent", what, name, got)
			}
			return
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s.%s = %v, want %v (any order)", what, name, got, want)
		}
	}
	// The API has no documented order except for RSA signing, which AWS
	// lists PKCS1 first; compare as sets.
	check("EncryptionAlgorithms", nilIfEmpty(sortedStrings(enc), enc == nil), want.enc)
	check("SigningAlgorithms", nilIfEmpty(sortedStrings(sign), sign == nil), want.sign)
	check("MacAlgorithms", nilIfEmpty(sortedStrings(mac), mac == nil), want.mac)
	check("KeyAgreementAlgorithms", nilIfEmpty(sortedStrings(agree), agree == nil), want.agree)
	check("EncapsulationAlgorithms", nilIfEmpty(sortedStrings(encap), encap == nil), want.encap)
}

func nilIfEmpty(s []string, wasNil bool) []string {
	if wasNil {
		return nil
	}
	return s
}

var allAsymmetricKeys = []keyReq{
	{types.KeySpecRsa2048, types.KeyUsageTypeEncryptDecrypt},
	{types.KeySpecRsa2048, types.KeyUsageTypeSignVerify},
	{types.KeySpecRsa3072, types.KeyUsageTypeEncryptDecrypt},
	{types.KeySpecRsa3072, types.KeyUsageTypeSignVerify},
	{types.KeySpecRsa4096, types.KeyUsageTypeEncryptDecrypt},
	{types.KeySpecRsa4096, types.KeyUsageTypeSignVerify},
	{types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify},
	{types.KeySpecEccNistP256, types.KeyUsageTypeKeyAgreement},
	{types.KeySpecEccNistP384, types.KeyUsageTypeSignVerify},
	{types.KeySpecEccNistP384, types.KeyUsageTypeKeyAgreement},
	{types.KeySpecEccNistP521, types.KeyUsageTypeSignVerify},
	{types.KeySpecEccNistP521, types.KeyUsageTypeKeyAgreement},
	{types.KeySpecEccSecgP256k1, types.KeyUsageTypeSignVerify},
	{types.KeySpecEccNistEdwards25519, types.KeyUsageTypeSignVerify},
	{types.KeySpecMlDsa44, types.KeyUsageTypeSignVerify},
	{types.KeySpecMlDsa65, types.KeyUsageTypeSignVerify},
	{types.KeySpecMlDsa87, types.KeyUsageTypeSignVerify},
	{types.KeySpecMlKem512, types.KeyUsageTypeEncapsulateDecapsulate},
	{types.KeySpecMlKem768, types.KeyUsageTypeEncapsulateDecapsulate},
	{types.KeySpecMlKem1024, types.KeyUsageTypeEncapsulateDecapsulate},
}

// TestGetPublicKey: for every asymmetric spec and usage, GetPublicKey
// returns a DER SPKI of the right algorithm and size, KeySpec, KeyUsage
// and exactly the algorithm list of the usage, as DescribeKey does; a
// symmetric or HMAC key is UnsupportedOperationException.
func TestGetPublicKey(t *testing.T) {
	t.Parallel()
	e := start(t)
	reqs := append(slices.Clone(allAsymmetricKeys),
		keyReq{types.KeySpecSymmetricDefault, ""},
		keyReq{types.KeySpecHmac224, types.KeyUsageTypeGenerateVerifyMac},
		keyReq{types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac},
		keyReq{types.KeySpecHmac384, types.KeyUsageTypeGenerateVerifyMac},
		keyReq{types.KeySpecHmac512, types.KeyUsageTypeGenerateVerifyMac},
	)
	keys := e.createKeys(t, reqs...)
	for _, r := range reqs {
		k := keys[r]
		t.Run(r.name(), func(t *testing.T) {
			t.Parallel()
			usage := r.usage
			if usage == "" {
				usage = types.KeyUsageTypeEncryptDecrypt
			}
			want := expectedLists(r.spec, usage)
			d, err := e.c.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String(k.id)})
			if err != nil {
				t.Fatalf("DescribeKey: %v", err)
			}
			md := d.KeyMetadata
			if md.KeySpec != r.spec || md.KeyUsage != usage {
				t.Errorf("DescribeKey: KeySpec %s KeyUsage %s, want %s %s", md.KeySpec, md.KeyUsage, r.spec, usage)
			}
			checkLists(t, "DescribeKey", want, md.EncryptionAlgorithms, md.SigningAlgorithms, md.MacAlgorithms, md.KeyAgreementAlgorithms, md.EncapsulationAlgorithms)

			out, err := e.c.GetPublicKey(t.Context(), &kms.GetPublicKeyInput{KeyId: aws.String(k.id)})
			if r.spec == types.KeySpecSymmetricDefault || r.usage == types.KeyUsageTypeGenerateVerifyMac {
				wantErrCode(t, fmt.Sprintf("GetPublicKey of a %s key", r.spec), err, "UnsupportedOperationException")
				return
			}
			if err != nil {
				t.Fatalf("GetPublicKey: %v", err)
			}
			if aws.ToString(out.KeyId) != k.arn {
				t.Errorf("GetPublicKey.KeyId = %q, want %q", aws.ToString(out.KeyId), k.arn)
			}
			if out.KeySpec != r.spec || string(out.CustomerMasterKeySpec) != string(r.spec) || out.KeyUsage != usage {
				t.Errorf("GetPublicKey: KeySpec %s CustomerMasterKeySpec %s KeyUsage %s, want %s %s %s", out.KeySpec, out.CustomerMasterKeySpec, out.KeyUsage, r.spec, r.spec, usage)
			}
			checkLists(t, "GetPublicKey", want, out.EncryptionAlgorithms, out.SigningAlgorithms, nil, out.KeyAgreementAlgorithms, out.EncapsulationAlgorithms)
			checkPublicKey(t, "GetPublicKey", string(r.spec), out.PublicKey)
		})
	}
}

// checkPublicKey parses a DER SPKI of a key spec or data key pair spec
// (they share names) and checks its algorithm and size. It returns the Go
// public key where Go's x509 parses it, else the raw key bytes.
func checkPublicKey(t *testing.T, what, spec string, der []byte) any {
	t.Helper()
	s := parseSPKI(t, what, der)
	switch spec {
	case "RSA_2048", "RSA_3072", "RSA_4096":
		pub, ok := parsePKIX(t, what, der).(*rsa.PublicKey)
		bits := map[string]int{"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}[spec]
		if !ok || pub.N.BitLen() != bits || pub.E != 65537 {
			t.Errorf("%s: %s public key %T, want an RSA key of %d bits, e = 65537", what, spec, pub, bits)
		}
		return pub
	case "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521":
		pub, ok := parsePKIX(t, what, der).(*ecdsa.PublicKey)
		curve := map[string]elliptic.Curve{"ECC_NIST_P256": elliptic.P256(), "ECC_NIST_P384": elliptic.P384(), "ECC_NIST_P521": elliptic.P521()}[spec]
		if !ok || pub.Curve != curve {
			t.Errorf("%s: %s public key %T, want an ECDSA key on %s", what, spec, pub, curve.Params().Name)
		}
		return pub
	case "ECC_SECG_P256K1":
		if !s.Algorithm.Algorithm.Equal(oidECPublicKey) || !ecCurve(s).Equal(oidSecp256k1) {
			t.Errorf("%s: secp256k1 SPKI algorithm %v curve %v, want id-ecPublicKey secp256k1", what, s.Algorithm.Algorithm, ecCurve(s))
		}
		if b := s.PublicKey.Bytes; len(b) != 65 || b[0] != 4 {
			t.Errorf("%s: secp256k1 point of %d bytes, want 65 uncompressed", what, len(b))
		}
		return s.PublicKey.Bytes
	case "ECC_NIST_EDWARDS25519":
		pub, ok := parsePKIX(t, what, der).(ed25519.PublicKey)
		if !ok {
			t.Errorf("%s: Ed25519 public key %T", what, pub)
		}
		return pub
	case "ML_DSA_44", "ML_DSA_65", "ML_DSA_87":
		sz := map[string]int{"ML_DSA_44": 1312, "ML_DSA_65": 1952, "ML_DSA_87": 2592}[spec]
		if want := oidMLDSA[types.KeySpec(spec)]; !s.Algorithm.Algorithm.Equal(want) || len(s.PublicKey.Bytes) != sz {
			t.Errorf("%s: %s SPKI algorithm %v with a %d-byte key, want %v with %d bytes", what, spec, s.Algorithm.Algorithm, len(s.PublicKey.Bytes), want, sz)
		}
		if _, err := mldsaScheme(types.KeySpec(spec)).UnmarshalBinaryPublicKey(s.PublicKey.Bytes); err != nil {
			t.Errorf("%s: circl rejects the %s public key: %v", what, spec, err)
		}
		return s.PublicKey.Bytes
	case "ML_KEM_512", "ML_KEM_768", "ML_KEM_1024":
		sz := map[string]int{"ML_KEM_512": 800, "ML_KEM_768": 1184, "ML_KEM_1024": 1568}[spec]
		if want := oidMLKEM[spec]; !s.Algorithm.Algorithm.Equal(want) || len(s.PublicKey.Bytes) != sz {
			t.Errorf("%s: %s SPKI algorithm %v with a %d-byte key, want %v with %d bytes", what, spec, s.Algorithm.Algorithm, len(s.PublicKey.Bytes), want, sz)
		}
		if len(s.Algorithm.Parameters.FullBytes) != 0 {
			t.Errorf("%s: %s SPKI algorithm parameters %x, want absent (RFC 9935)", what, spec, s.Algorithm.Parameters.FullBytes)
		}
		return s.PublicKey.Bytes
	}
	t.Fatalf("checkPublicKey: unknown spec %s", spec)
	return nil
}
