package keyring

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"
)

// fipsAsymmetric runs in TestFIPSMode's child (GODEBUG=fips140=on or
// =only). The FIPS-approved algorithms — RSA (keygen, PSS, PKCS #1 v1.5,
// OAEP-SHA-256), ECDSA and ECDH on the NIST curves, Ed25519 and Ed25519ph,
// HMAC-SHA-2, ML-KEM-768/1024 — must work in both modes. The others
// must keep working with fips140=on: secp256k1 (decred) and ML-KEM-512 and
// ML-DSA (circl) are outside Go's FIPS module, which does not police
// third-party code, so they work under =only too and are simply not
// FIPS-validated. RSA-OAEP with SHA-1 (RSAES_OAEP_SHA_1, and the import
// wrapping algorithms RSAES_OAEP_SHA_1 and RSA_AES_KEY_WRAP_SHA_1) is
// refused by crypto/rsa under =only (SHA-1 is not an approved OAEP hash
// there): the keyring answers ErrNotFIPSApproved for it, in every
// operation, and never another error.
func fipsAsymmetric(t *testing.T, mode string) {
	ctx := context.Background()
	src := newMemSource()
	dk, _ := NewDomainKey(nil)
	k, err := Open(dk, Options{Source: src.get})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	approved := []string{"RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_NIST_EDWARDS25519",
		"HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "ML_KEM_768", "ML_KEM_1024"}
	outside := []string{"ECC_SECG_P256K1", "ML_KEM_512", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87"}
	refs := map[string]MaterialRef{}
	for i, spec := range append(approved, outside...) {
		refs[spec] = refN(20_000 + i)
		w, err := k.NewMaterial(refs[spec], spec)
		if err != nil {
			t.Fatalf("fips140=%s: NewMaterial(%s): %v", mode, spec, err)
		}
		src.put(refs[spec], w)
	}
	msg := []byte("FIPS 140-3")
	signs := func(spec, alg, mt string, in []byte) {
		t.Helper()
		sig, err := k.Sign(ctx, refs[spec], alg, mt, in)
		if err != nil {
			t.Fatalf("fips140=%s: Sign %s %s: %v", mode, spec, alg, err)
		}
		if err := k.Verify(ctx, refs[spec], alg, mt, in, sig); err != nil {
			t.Fatalf("fips140=%s: Verify %s %s: %v", mode, spec, alg, err)
		}
	}
	for _, alg := range rsaSigningAlgs {
		signs("RSA_2048", alg, MessageRaw, msg)
	}
	signs("ECC_NIST_P256", "ECDSA_SHA_256", MessageRaw, msg)
	signs("ECC_NIST_P384", "ECDSA_SHA_384", MessageRaw, msg)
	signs("ECC_NIST_P521", "ECDSA_SHA_512", MessageRaw, msg)
	signs("ECC_NIST_EDWARDS25519", "ED25519_SHA_512", MessageRaw, msg)
	signs("ECC_NIST_EDWARDS25519", "ED25519_PH_SHA_512", MessageDigest, make([]byte, 64))
	signs("ECC_SECG_P256K1", "ECDSA_SHA_256", MessageRaw, msg)
	signs("ML_DSA_44", "ML_DSA_SHAKE_256", MessageRaw, msg)
	signs("ML_DSA_87", "ML_DSA_SHAKE_256", MessageRaw, msg)

	ct, err := k.EncryptRSA(ctx, refs["RSA_2048"], "RSAES_OAEP_SHA_256", msg)
	if err != nil {
		t.Fatalf("fips140=%s: EncryptRSA OAEP-SHA-256: %v", mode, err)
	}
	if pt, err := k.DecryptRSA(ctx, refs["RSA_2048"], "RSAES_OAEP_SHA_256", ct); err != nil || !bytes.Equal(pt, msg) {
		t.Fatalf("fips140=%s: DecryptRSA OAEP-SHA-256: %v", mode, err)
	}
	sha1CT, err := k.EncryptRSA(ctx, refs["RSA_2048"], "RSAES_OAEP_SHA_1", msg)
	if mode == "only" && !errors.Is(err, ErrNotFIPSApproved) || mode == "on" && err != nil {
		t.Fatalf("fips140=%s: EncryptRSA OAEP-SHA-1 = %v", mode, err)
	}
	if mode == "only" {
		sha1CT = make([]byte, 256) // any ciphertext: the algorithm is refused first
	}
	pt, err := k.DecryptRSA(ctx, refs["RSA_2048"], "RSAES_OAEP_SHA_1", sha1CT)
	if mode == "only" && !errors.Is(err, ErrNotFIPSApproved) || mode == "on" && (err != nil || !bytes.Equal(pt, msg)) {
		t.Fatalf("fips140=%s: DecryptRSA OAEP-SHA-1 = %v", mode, err)
	}
	fipsImport(t, mode, k)
	for _, spec := range []string{"HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"} {
		alg := mustSpec(spec).macAlgorithm()
		tag, err := k.GenerateMac(ctx, refs[spec], alg, msg)
		if err != nil || k.VerifyMac(ctx, refs[spec], alg, msg, tag) != nil {
			t.Fatalf("fips140=%s: HMAC %s: %v", mode, spec, err)
		}
	}
	peer, _ := ecdh.P384().GenerateKey(nil)
	der, _ := x509.MarshalPKIXPublicKey(peer.PublicKey())
	if _, err := k.DeriveSharedSecret(ctx, refs["ECC_NIST_P384"], der); err != nil {
		t.Fatalf("fips140=%s: DeriveSharedSecret: %v", mode, err)
	}
	for _, spec := range []string{"ML_KEM_512", "ML_KEM_768", "ML_KEM_1024"} {
		c, ss, err := k.Encapsulate(ctx, refs[spec])
		if err != nil {
			t.Fatalf("fips140=%s: Encapsulate %s: %v", mode, spec, err)
		}
		if got, err := k.Decapsulate(ctx, refs[spec], c); err != nil || !bytes.Equal(got, ss) {
			t.Fatalf("fips140=%s: Decapsulate %s: %v", mode, spec, err)
		}
	}
	for _, spec := range []string{"RSA_2048", "ECC_NIST_P256", "ECC_NIST_EDWARDS25519", "ECC_SECG_P256K1", "ML_KEM_768", "ML_KEM_512"} {
		if _, _, err := GenerateKeyPair(spec, nil); err != nil {
			t.Fatalf("fips140=%s: GenerateKeyPair(%s): %v", mode, spec, err)
		}
	}
	if _, err := k.PublicKey(ctx, refs["HMAC_256"]); !errors.Is(err, ErrWrongKeyType) {
		t.Fatalf("fips140=%s: PublicKey(HMAC) = %v", mode, err)
	}
}

// fipsImport checks import under GODEBUG=fips140=on and =only: the SHA-256
// wrapping algorithms work in both; the SHA-1 ones work with =on and are
// ErrNotFIPSApproved with =only, both when a token is asked for and when a
// token made by a process without =only (built here by hand, as
// ImportParameters builds it) is used.
func fipsImport(t *testing.T, mode string, k *Keyring) {
	ref := refN(30_000)
	material := bytes.Repeat([]byte{0x5c}, KeySize)
	expires := time.Now().Add(time.Hour)
	for _, alg := range []string{"RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_256", "RSAES_OAEP_SHA_1", "RSA_AES_KEY_WRAP_SHA_1"} {
		sha1 := strings.HasSuffix(alg, "_SHA_1")
		token, pub, err := k.ImportParameters(ref, "RSA_2048", alg, expires)
		if mode == "only" && sha1 {
			if !errors.Is(err, ErrNotFIPSApproved) {
				t.Fatalf("fips140=%s: ImportParameters(%s) = %v, want ErrNotFIPSApproved", mode, alg, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("fips140=%s: ImportParameters(%s): %v", mode, alg, err)
		}
		encrypted := wrapForImport(t, pub, alg, material)
		if _, _, err := k.ImportMaterial(ref, "SYMMETRIC_DEFAULT", token, encrypted, time.Now()); err != nil {
			t.Fatalf("fips140=%s: ImportMaterial(%s): %v", mode, alg, err)
		}
	}
	if mode != "only" {
		return
	}
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []byte{importOAEPSHA1, importRSAAESSHA1} {
		pt := []byte{importTokenEncoding, 0x08, 0x00, a}
		pt = binary.BigEndian.AppendUint64(pt, uint64(expires.Unix()))
		pt = append(pt, x509.MarshalPKCS1PrivateKey(priv)...)
		token, err := k.wrap(importTokenAAD(ref), pt)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := k.ImportMaterial(ref, "SYMMETRIC_DEFAULT", token, make([]byte, 256), time.Now()); !errors.Is(err, ErrNotFIPSApproved) {
			t.Fatalf("fips140=only: ImportMaterial with a SHA-1 token (algorithm %d) = %v, want ErrNotFIPSApproved", a, err)
		}
	}
}

// wrapForImport wraps material for alg under the DER SPKI pub, as a client
// does (oaepWrap, rsaAESWrap).
func wrapForImport(t *testing.T, pub []byte, alg string, material []byte) []byte {
	t.Helper()
	k, err := x509.ParsePKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if strings.HasSuffix(alg, "_SHA_1") {
		h = sha1.New()
	}
	if strings.HasPrefix(alg, "RSA_AES_KEY_WRAP") {
		return rsaAESWrap(t, h, k.(*rsa.PublicKey), material)
	}
	return oaepWrap(t, h, k.(*rsa.PublicKey), material)
}
