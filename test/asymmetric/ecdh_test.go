package asymmetric_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

var ecdhCurves = []struct {
	spec  types.KeySpec
	curve ecdh.Curve
}{
	{types.KeySpecEccNistP256, ecdh.P256()},
	{types.KeySpecEccNistP384, ecdh.P384()},
	{types.KeySpecEccNistP521, ecdh.P521()},
}

func mustSPKI(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatalf("x509.MarshalPKIXPublicKey(%T): %v", pub, err)
	}
	return der
}

// TestDeriveSharedSecret: ECDH between a KEY_AGREEMENT key and a local
// key gives the secret crypto/ecdh derives from the local private key and
// Trent's public key; bad peer keys are client errors, never 500.
func TestDeriveSharedSecret(t *testing.T) {
	t.Parallel()
	e := start(t)
	var reqs []keyReq
	for _, c := range ecdhCurves {
		reqs = append(reqs, keyReq{c.spec, types.KeyUsageTypeKeyAgreement})
	}
	reqs = append(reqs, keyReq{types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify})
	keys := e.createKeys(t, reqs...)

	derive := func(k key, peer []byte) (*kms.DeriveSharedSecretOutput, error) {
		return e.c.DeriveSharedSecret(t.Context(), &kms.DeriveSharedSecretInput{KeyId: aws.String(k.id), KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: peer})
	}

	for i, c := range ecdhCurves {
		k := keys[reqs[i]]
		t.Run(string(c.spec), func(t *testing.T) {
			t.Parallel()
			pk := checkPublicKey(t, "GetPublicKey", string(c.spec), e.publicKey(t, k).PublicKey).(*ecdsa.PublicKey)
			trentPub, err := pk.ECDH()
			if err != nil {
				t.Fatalf("Trent's public key as an ECDH key: %v", err)
			}
			for range 2 {
				local, err := c.curve.GenerateKey(rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				want, err := local.ECDH(trentPub)
				if err != nil {
					t.Fatalf("crypto/ecdh: %v", err)
				}
				out, err := derive(k, mustSPKI(t, local.PublicKey()))
				if err != nil {
					t.Fatalf("DeriveSharedSecret(%s): %v", c.spec, err)
				}
				if !bytes.Equal(out.SharedSecret, want) {
					t.Errorf("DeriveSharedSecret(%s) = %x, want crypto/ecdh's %x", c.spec, out.SharedSecret, want)
				}
				if aws.ToString(out.KeyId) != k.arn || out.KeyAgreementAlgorithm != types.KeyAgreementAlgorithmSpecEcdh || out.KeyOrigin != types.OriginTypeAwsKms {
					t.Errorf("DeriveSharedSecret(%s): KeyId %q KeyAgreementAlgorithm %q KeyOrigin %q, want %q ECDH AWS_KMS", c.spec, aws.ToString(out.KeyId), out.KeyAgreementAlgorithm, out.KeyOrigin, k.arn)
				}
			}

			// Bad peer keys: what Trent answers must be a client error.
			local, _ := c.curve.GenerateKey(rand.Reader)
			good := mustSPKI(t, local.PublicKey())
			var s spki
			if _, err := asn1.Unmarshal(good, &s); err != nil {
				t.Fatal(err)
			}
			offCurve := s
			offCurve.PublicKey.Bytes = bytes.Clone(s.PublicKey.Bytes)
			offCurve.PublicKey.Bytes[len(offCurve.PublicKey.Bytes)-1] ^= 1 // y changed: not on the curve
			offDER, _ := asn1.Marshal(offCurve)
			other := ecdh.P384()
			if c.spec == types.KeySpecEccNistP384 {
				other = ecdh.P256()
			}
			otherKey, _ := other.GenerateKey(rand.Reader)
			edPub, _, _ := ed25519.GenerateKey(rand.Reader)
			x25519, _ := ecdh.X25519().GenerateKey(rand.Reader)
			infinity := s
			infinity.PublicKey = asn1.BitString{Bytes: []byte{0}, BitLength: 8}
			infDER, _ := asn1.Marshal(infinity)
			for _, bad := range []struct {
				name string
				der  []byte
			}{
				{"a peer key on another curve", mustSPKI(t, otherKey.PublicKey())},
				{"an Ed25519 peer key", mustSPKI(t, edPub)},
				{"an X25519 peer key", mustSPKI(t, x25519.PublicKey())},
				{"a peer point not on the curve", offDER},
				{"the point at infinity", infDER},
				{"a truncated SPKI", good[:len(good)-5]},
				{"an SPKI with trailing bytes", append(bytes.Clone(good), 0)},
				{"a bare uncompressed point", local.PublicKey().Bytes()},
				{"bytes that are not DER", []byte("this is not a DER public key")},
			} {
				_, err := derive(k, bad.der)
				code := wantClientError(t, fmt.Sprintf("DeriveSharedSecret(%s) with %s", c.spec, bad.name), err)
				if code != "" && code != "ValidationException" {
					t.Errorf("DeriveSharedSecret(%s) with %s: %s, want ValidationException", c.spec, bad.name, code)
				}
			}
		})
	}

	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		local, _ := ecdh.P256().GenerateKey(rand.Reader)
		peer := mustSPKI(t, local.PublicKey())
		sv := keys[reqs[len(reqs)-1]]
		_, err := derive(sv, peer)
		wantErr(t, "DeriveSharedSecret with a SIGN_VERIFY key", err, "InvalidKeyUsageException", sv.arn+" key usage is SIGN_VERIFY which is not valid for DeriveSharedSecret.")
		ka := keys[reqs[0]]
		_, err = e.c.Sign(t.Context(), &kms.SignInput{KeyId: aws.String(ka.id), Message: []byte("m"), SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
		wantErr(t, "Sign with a KEY_AGREEMENT key", err, "InvalidKeyUsageException", ka.arn+" key usage is KEY_AGREEMENT which is not valid for Sign.")
		_, err = e.c.DeriveSharedSecret(t.Context(), &kms.DeriveSharedSecretInput{KeyId: aws.String(ka.id), KeyAgreementAlgorithm: "ECDHE", PublicKey: peer})
		wantErrCode(t, "DeriveSharedSecret with KeyAgreementAlgorithm ECDHE", err, "ValidationException")
	})
}
