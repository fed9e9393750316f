package asymmetric_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/mlkem"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/cloudflare/circl/kem/mlkem/mlkem512"
)

var dataKeyPairSpecs = []types.DataKeyPairSpec{
	types.DataKeyPairSpecRsa2048, types.DataKeyPairSpecRsa3072, types.DataKeyPairSpecRsa4096,
	types.DataKeyPairSpecEccNistP256, types.DataKeyPairSpecEccNistP384, types.DataKeyPairSpecEccNistP521,
	types.DataKeyPairSpecEccSecgP256k1, types.DataKeyPairSpecEccNistEdwards25519,
	types.DataKeyPairSpecMlKem512, types.DataKeyPairSpecMlKem768, types.DataKeyPairSpecMlKem1024,
}

// TestGenerateDataKeyPair: for every DataKeyPairSpec but SM2, the public
// key is a DER SPKI, the private key a DER PKCS#8 of the same key pair, it
// works locally with the public key, and PrivateKeyCiphertextBlob decrypts
// through Decrypt (with the same encryption context) to it.
// GenerateDataKeyPairWithoutPlaintext returns no plaintext. SM2 is refused.
func TestGenerateDataKeyPair(t *testing.T) {
	t.Parallel()
	e := start(t)
	sym := e.createKey(t, types.KeySpecSymmetricDefault, "")
	d, err := e.c.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String(sym.id)})
	if err != nil {
		t.Fatal(err)
	}
	material := aws.ToString(d.KeyMetadata.CurrentKeyMaterialId)
	ec := map[string]string{"purpose": "data key pair test", "n": "1"}

	decrypt := func(t *testing.T, what string, blob []byte) []byte {
		t.Helper()
		out, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: ec})
		if err != nil {
			t.Fatalf("Decrypt of %s's PrivateKeyCiphertextBlob: %v", what, err)
		}
		if aws.ToString(out.KeyId) != sym.arn {
			t.Errorf("Decrypt of %s's PrivateKeyCiphertextBlob: KeyId %q, want %q", what, aws.ToString(out.KeyId), sym.arn)
		}
		_, err = e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: blob})
		wantErr(t, fmt.Sprintf("Decrypt of %s's PrivateKeyCiphertextBlob without its encryption context", what), err, "InvalidCiphertextException", "")
		return out.Plaintext
	}

	for _, spec := range dataKeyPairSpecs {
		t.Run(string(spec), func(t *testing.T) {
			t.Parallel()
			what := fmt.Sprintf("GenerateDataKeyPair(%s)", spec)
			out, err := e.c.GenerateDataKeyPair(t.Context(), &kms.GenerateDataKeyPairInput{KeyId: aws.String(sym.id), KeyPairSpec: spec, EncryptionContext: ec})
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if aws.ToString(out.KeyId) != sym.arn || out.KeyPairSpec != spec || aws.ToString(out.KeyMaterialId) != material {
				t.Errorf("%s: KeyId %q KeyPairSpec %q KeyMaterialId %q, want %q %q %q", what, aws.ToString(out.KeyId), out.KeyPairSpec, aws.ToString(out.KeyMaterialId), sym.arn, spec, material)
			}
			if len(out.PrivateKeyPlaintext) == 0 {
				t.Fatalf("%s: no PrivateKeyPlaintext", what)
			}
			pub := checkPublicKey(t, what, string(spec), out.PublicKey)
			checkPrivateKey(t, what, string(spec), out.PrivateKeyPlaintext, out.PublicKey, pub, true)
			if got := decrypt(t, what, out.PrivateKeyCiphertextBlob); !bytes.Equal(got, out.PrivateKeyPlaintext) {
				t.Errorf("%s: PrivateKeyCiphertextBlob decrypts to %d bytes %x..., want PrivateKeyPlaintext (%d bytes %x...)", what, len(got), head(got), len(out.PrivateKeyPlaintext), head(out.PrivateKeyPlaintext))
			}

			what = fmt.Sprintf("GenerateDataKeyPairWithoutPlaintext(%s)", spec)
			wo, err := e.c.GenerateDataKeyPairWithoutPlaintext(t.Context(), &kms.GenerateDataKeyPairWithoutPlaintextInput{KeyId: aws.String(sym.id), KeyPairSpec: spec, EncryptionContext: ec})
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if aws.ToString(wo.KeyId) != sym.arn || wo.KeyPairSpec != spec {
				t.Errorf("%s: KeyId %q KeyPairSpec %q, want %q %q", what, aws.ToString(wo.KeyId), wo.KeyPairSpec, sym.arn, spec)
			}
			if bytes.Equal(wo.PublicKey, out.PublicKey) {
				t.Errorf("%s returned the same public key as GenerateDataKeyPair: key pairs are not fresh", what)
			}
			pub = checkPublicKey(t, what, string(spec), wo.PublicKey)
			priv := decrypt(t, what, wo.PrivateKeyCiphertextBlob)
			checkPrivateKey(t, what+" (decrypted)", string(spec), priv, wo.PublicKey, pub, false)
		})
	}

	t.Run("SM2", func(t *testing.T) {
		t.Parallel()
		_, err := e.c.GenerateDataKeyPair(t.Context(), &kms.GenerateDataKeyPairInput{KeyId: aws.String(sym.id), KeyPairSpec: types.DataKeyPairSpecSm2})
		wantClientError(t, "GenerateDataKeyPair(SM2) outside China", err)
		_, err = e.c.GenerateDataKeyPairWithoutPlaintext(t.Context(), &kms.GenerateDataKeyPairWithoutPlaintextInput{KeyId: aws.String(sym.id), KeyPairSpec: types.DataKeyPairSpecSm2})
		wantClientError(t, "GenerateDataKeyPairWithoutPlaintext(SM2) outside China", err)
	})

	t.Run("wrapping key usage", func(t *testing.T) {
		t.Parallel()
		k := e.createKey(t, types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify)
		_, err := e.c.GenerateDataKeyPair(t.Context(), &kms.GenerateDataKeyPairInput{KeyId: aws.String(k.id), KeyPairSpec: types.DataKeyPairSpecEccNistP256})
		wantErrCode(t, "GenerateDataKeyPair under a SIGN_VERIFY key", err, "InvalidKeyUsageException")
	})
}

// ecPrivateKey is RFC 5915 ECPrivateKey.
type ecPrivateKey struct {
	Version       int
	PrivateKey    []byte
	NamedCurveOID asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	PublicKey     asn1.BitString        `asn1:"optional,explicit,tag:1"`
}

// checkPrivateKey checks that privDER is a PKCS#8 private key of spec
// whose public key is pubDER, and uses the pair locally.
func checkPrivateKey(t *testing.T, what, spec string, privDER, pubDER []byte, pub any, full bool) {
	t.Helper()
	msg := []byte("signed locally with a data key pair")
	switch spec {
	case "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_NIST_EDWARDS25519":
		k, err := x509.ParsePKCS8PrivateKey(privDER)
		if err != nil {
			t.Fatalf("%s: x509.ParsePKCS8PrivateKey: %v", what, err)
		}
		signer, ok := k.(crypto.Signer)
		if !ok {
			t.Fatalf("%s: private key %T is not a crypto.Signer", what, k)
		}
		if !bytes.Equal(mustSPKI(t, signer.Public()), pubDER) {
			t.Errorf("%s: the private key's public key is not PublicKey", what)
		}
		if !full {
			return
		}
		d := sha256.Sum256(msg)
		switch p := pub.(type) {
		case *rsa.PublicKey:
			sig, err := rsa.SignPSS(rand.Reader, k.(*rsa.PrivateKey), crypto.SHA256, d[:], nil)
			if err != nil || rsa.VerifyPSS(p, crypto.SHA256, d[:], sig, nil) != nil {
				t.Errorf("%s: local RSA-PSS sign/verify failed: %v", what, err)
			}
			ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, p, msg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if pt, err := rsa.DecryptOAEP(sha256.New(), nil, k.(*rsa.PrivateKey), ct, nil); err != nil || !bytes.Equal(pt, msg) {
				t.Errorf("%s: local RSA-OAEP round trip failed: %v", what, err)
			}
		case *ecdsa.PublicKey:
			h := map[string]crypto.Hash{"ECC_NIST_P256": crypto.SHA256, "ECC_NIST_P384": crypto.SHA384, "ECC_NIST_P521": crypto.SHA512}[spec]
			sig, err := ecdsa.SignASN1(rand.Reader, k.(*ecdsa.PrivateKey), hashOf(h, msg))
			if err != nil || !ecdsa.VerifyASN1(p, hashOf(h, msg), sig) {
				t.Errorf("%s: local ECDSA sign/verify failed: %v", what, err)
			}
		case ed25519.PublicKey:
			if !ed25519.Verify(p, msg, ed25519.Sign(k.(ed25519.PrivateKey), msg)) {
				t.Errorf("%s: local Ed25519 sign/verify failed", what)
			}
		}
	case "ECC_SECG_P256K1":
		p := parsePKCS8(t, what, privDER)
		var curve asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(p.Algorithm.Parameters.FullBytes, &curve); err != nil || !p.Algorithm.Algorithm.Equal(oidECPublicKey) || !curve.Equal(oidSecp256k1) {
			t.Errorf("%s: PKCS#8 algorithm %v curve %v, want id-ecPublicKey secp256k1", what, p.Algorithm.Algorithm, curve)
		}
		var ec ecPrivateKey
		if _, err := asn1.Unmarshal(p.PrivateKey, &ec); err != nil {
			t.Fatalf("%s: PKCS#8 privateKey is not an RFC 5915 ECPrivateKey: %v", what, err)
		}
		if ec.Version != 1 || len(ec.PrivateKey) != 32 {
			t.Errorf("%s: ECPrivateKey version %d with a %d-byte scalar, want 1 and 32", what, ec.Version, len(ec.PrivateKey))
		}
		if len(ec.PublicKey.Bytes) > 0 && !bytes.Equal(ec.PublicKey.Bytes, pub.([]byte)) {
			t.Errorf("%s: ECPrivateKey's public key is not PublicKey's point", what)
		}
		if full && openssl(t) {
			dir := writeFiles(t, map[string][]byte{"priv.der": privDER, "pub.pem": pemPublicKey(pubDER), "msg": msg})
			args := []string{"dgst", "-sha256", "-keyform", "DER", "-sign", "priv.der", "-out", "sig", "msg"}
			if out, err := runTool(dir, opensslPath, args...); err != nil {
				t.Errorf("%s: openssl %v: %v\n%s", what, args, err, out)
				return
			}
			args = []string{"dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "msg"}
			if out, err := runTool(dir, opensslPath, args...); err != nil {
				t.Errorf("%s: openssl verify with PublicKey of a signature by PrivateKeyPlaintext: %v\n%s", what, err, out)
			}
		}
	case "ML_KEM_512", "ML_KEM_768", "ML_KEM_1024":
		p := parsePKCS8(t, what, privDER)
		if want := oidMLKEM[spec]; !p.Algorithm.Algorithm.Equal(want) {
			t.Errorf("%s: PKCS#8 algorithm %v, want %v", what, p.Algorithm.Algorithm, want)
		}
		// RFC 9935 seed form: [0] IMPLICIT OCTET STRING (SIZE (64)).
		var seed asn1.RawValue
		if rest, err := asn1.Unmarshal(p.PrivateKey, &seed); err != nil || len(rest) != 0 || seed.Class != asn1.ClassContextSpecific || seed.Tag != 0 || len(seed.Bytes) != 64 {
			t.Fatalf("%s: ML-KEM privateKey %x... is not the 64-byte seed form [0] (err %v)", what, head(p.PrivateKey), err)
		}
		ek := pub.([]byte)
		var derived []byte
		var decap func(ct []byte) []byte
		switch spec {
		case "ML_KEM_512":
			pk, sk := mlkem512.Scheme().DeriveKeyPair(seed.Bytes)
			derived, _ = pk.MarshalBinary()
			decap = func(ct []byte) []byte { ss, _ := mlkem512.Scheme().Decapsulate(sk, ct); return ss }
		case "ML_KEM_768":
			dk, err := mlkem.NewDecapsulationKey768(seed.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			derived = dk.EncapsulationKey().Bytes()
			decap = func(ct []byte) []byte { ss, _ := dk.Decapsulate(ct); return ss }
		case "ML_KEM_1024":
			dk, err := mlkem.NewDecapsulationKey1024(seed.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			derived = dk.EncapsulationKey().Bytes()
			decap = func(ct []byte) []byte { ss, _ := dk.Decapsulate(ct); return ss }
		}
		if !bytes.Equal(derived, ek) {
			t.Errorf("%s: the key expanded from the private seed does not have PublicKey's encapsulation key", what)
		}
		if full {
			ss, ct := encapsulateOutside(t, spec, ek)
			if got := decap(ct); !bytes.Equal(got, ss) {
				t.Errorf("%s: local decapsulation with the private seed = %x, want %x", what, got, ss)
			}
		}
	default:
		t.Fatalf("checkPrivateKey: unknown spec %s", spec)
	}
}
