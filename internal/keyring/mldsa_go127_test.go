//go:build go1.27

package keyring

import (
	"crypto/mldsa"
	"crypto/x509"
	"testing"
)

// TestMLDSAStandardLibrary is the second implementation of ML-DSA that the
// verifier matrix asks for: Go 1.27's crypto/mldsa (FIPS 204 inside Go's
// FIPS module) parses the keyring's SPKI with crypto/x509, verifies its
// signatures, and expands its stored seed to the same public key. It is
// compiled only by Go 1.27 or later (GOTOOLCHAIN=go1.27.3 go test ...);
// Go 1.26, the project's toolchain, has no public ML-DSA.
func TestMLDSAStandardLibrary(t *testing.T) {
	k, src := newTestKeyring(t, Options{})
	ctx := t.Context()
	params := map[string]mldsa.Parameters{"ML_DSA_44": mldsa.MLDSA44(), "ML_DSA_65": mldsa.MLDSA65(), "ML_DSA_87": mldsa.MLDSA87()}
	i := 0
	for spec, p := range params {
		i++
		t.Run(spec, func(t *testing.T) {
			seed := randBytes(t, 32)
			ref := refN(i)
			if err := putRaw(t, k, src, ref, spec, seed); err != nil {
				t.Fatal(err)
			}
			spki, err := k.PublicKey(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := x509.ParsePKIXPublicKey(spki)
			if err != nil {
				t.Fatalf("crypto/x509 cannot parse the ML-DSA SPKI: %v", err)
			}
			stdPub, ok := pub.(*mldsa.PublicKey)
			if !ok || stdPub.Parameters() != p {
				t.Fatalf("x509 parsed a %T", pub)
			}
			priv, err := mldsa.NewPrivateKey(p, seed)
			if err != nil {
				t.Fatal(err)
			}
			if !priv.PublicKey().Equal(stdPub) {
				t.Fatal("crypto/mldsa expands the seed to another public key")
			}
			msg := []byte("verified by crypto/mldsa")
			sig, err := k.Sign(ctx, ref, "ML_DSA_SHAKE_256", MessageRaw, msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := mldsa.Verify(stdPub, msg, sig, nil); err != nil {
				t.Errorf("crypto/mldsa rejects the keyring's signature: %v", err)
			}
			// And the keyring verifies crypto/mldsa's.
			stdSig, err := priv.Sign(nil, msg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := k.Verify(ctx, ref, "ML_DSA_SHAKE_256", MessageRaw, msg, stdSig); err != nil {
				t.Errorf("Verify of crypto/mldsa's signature: %v", err)
			}
		})
	}
}
