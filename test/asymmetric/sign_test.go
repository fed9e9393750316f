package asymmetric_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha3"
	"crypto/sha512"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/cloudflare/circl/sign"
	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
)

var rsaSigningAlgs = []types.SigningAlgorithmSpec{
	types.SigningAlgorithmSpecRsassaPssSha256, types.SigningAlgorithmSpecRsassaPssSha384, types.SigningAlgorithmSpecRsassaPssSha512,
	types.SigningAlgorithmSpecRsassaPkcs1V15Sha256, types.SigningAlgorithmSpecRsassaPkcs1V15Sha384, types.SigningAlgorithmSpecRsassaPkcs1V15Sha512,
}

// signMatrix is every signing key spec with every algorithm AWS offers
// for it, and the message types each algorithm takes.
var signMatrix = []struct {
	spec  types.KeySpec
	alg   types.SigningAlgorithmSpec
	types []types.MessageType
}{}

func init() {
	rawDigest := []types.MessageType{types.MessageTypeRaw, types.MessageTypeDigest}
	add := func(spec types.KeySpec, alg types.SigningAlgorithmSpec, mts ...types.MessageType) {
		signMatrix = append(signMatrix, struct {
			spec  types.KeySpec
			alg   types.SigningAlgorithmSpec
			types []types.MessageType
		}{spec, alg, mts})
	}
	for _, spec := range []types.KeySpec{types.KeySpecRsa2048, types.KeySpecRsa3072, types.KeySpecRsa4096} {
		for _, alg := range rsaSigningAlgs {
			add(spec, alg, rawDigest...)
		}
	}
	add(types.KeySpecEccNistP256, types.SigningAlgorithmSpecEcdsaSha256, rawDigest...)
	add(types.KeySpecEccNistP384, types.SigningAlgorithmSpecEcdsaSha384, rawDigest...)
	add(types.KeySpecEccNistP521, types.SigningAlgorithmSpecEcdsaSha512, rawDigest...)
	add(types.KeySpecEccSecgP256k1, types.SigningAlgorithmSpecEcdsaSha256, rawDigest...)
	add(types.KeySpecEccNistEdwards25519, types.SigningAlgorithmSpecEd25519Sha512, types.MessageTypeRaw)
	add(types.KeySpecEccNistEdwards25519, types.SigningAlgorithmSpecEd25519PhSha512, types.MessageTypeDigest)
	for _, spec := range []types.KeySpec{types.KeySpecMlDsa44, types.KeySpecMlDsa65, types.KeySpecMlDsa87} {
		add(spec, types.SigningAlgorithmSpecMlDsaShake256, types.MessageTypeRaw, types.MessageTypeExternalMu)
	}
}

// sigHash is the hash an algorithm signs with (0 for ML-DSA).
func sigHash(alg types.SigningAlgorithmSpec) crypto.Hash {
	s := string(alg)
	switch {
	case strings.HasPrefix(s, "ML_DSA"):
		return 0
	case strings.HasSuffix(s, "_256"):
		return crypto.SHA256
	case strings.HasSuffix(s, "_384"):
		return crypto.SHA384
	case strings.HasSuffix(s, "_512"):
		return crypto.SHA512
	}
	panic("unknown algorithm " + s)
}

// sigSize is the fixed signature length of a spec, 0 when it varies.
func sigSize(spec types.KeySpec) int {
	switch spec {
	case types.KeySpecRsa2048:
		return 256
	case types.KeySpecRsa3072:
		return 384
	case types.KeySpecRsa4096:
		return 512
	case types.KeySpecEccNistEdwards25519:
		return 64
	case types.KeySpecMlDsa44:
		return 2420
	case types.KeySpecMlDsa65:
		return 3309
	case types.KeySpecMlDsa87:
		return 4627
	}
	return 0
}

func mldsaScheme(spec types.KeySpec) sign.Scheme {
	switch spec {
	case types.KeySpecMlDsa44:
		return mldsa44.Scheme()
	case types.KeySpecMlDsa65:
		return mldsa65.Scheme()
	case types.KeySpecMlDsa87:
		return mldsa87.Scheme()
	}
	panic("not ML-DSA: " + spec)
}

// externalMu is FIPS 204's mu for msg with an empty context, computed here
// from the raw public key: mu = SHAKE256(SHAKE256(pk, 64) || 0 || 0 || msg, 64).
func externalMu(rawPub, msg []byte) []byte {
	tr := sha3.SumSHAKE256(rawPub, 64)
	in := append(append(tr, 0, 0), msg...)
	return sha3.SumSHAKE256(in, 64)
}

// TestSignVerify signs with every key spec, algorithm and message type and
// checks each signature (a) in Trent's Verify, (b) rejected by Verify after
// a bit flip of the signature and of the message, (c) outside Trent, by the
// verifiers of the package comment's matrix.
func TestSignVerify(t *testing.T) {
	t.Parallel()
	e := start(t)
	var reqs []keyReq
	seen := map[types.KeySpec]bool{}
	for _, c := range signMatrix {
		if !seen[c.spec] {
			seen[c.spec] = true
			reqs = append(reqs, keyReq{c.spec, types.KeyUsageTypeSignVerify})
		}
	}
	keys := e.createKeys(t, reqs...)
	pubs := map[types.KeySpec][]byte{}
	for r, k := range keys {
		out := e.publicKey(t, k)
		pubs[r.spec] = out.PublicKey
	}
	msg := make([]byte, 777)
	rand.Read(msg)

	for _, c := range signMatrix {
		k := keys[keyReq{c.spec, types.KeyUsageTypeSignVerify}]
		for _, mt := range c.types {
			t.Run(fmt.Sprintf("%s/%s/%s", c.spec, c.alg, mt), func(t *testing.T) {
				t.Parallel()
				signVerifyCase(t, e, k, pubs[c.spec], c.alg, mt, msg)
			})
		}
	}
}

func signVerifyCase(t *testing.T, e *env, k key, pubDER []byte, alg types.SigningAlgorithmSpec, mt types.MessageType, msg []byte) {
	h := sigHash(alg)
	var tbs []byte // what Sign is given
	switch mt {
	case types.MessageTypeRaw:
		tbs = msg
	case types.MessageTypeDigest:
		tbs = hashOf(h, msg)
	case types.MessageTypeExternalMu:
		raw := parseSPKI(t, "GetPublicKey", pubDER).PublicKey.Bytes
		tbs = externalMu(raw, msg)
	}
	if mt == types.MessageTypeExternalMu {
		// Trent does not offer EXTERNAL_MU yet (README: the ML-DSA library
		// it uses computes mu itself). Until it does, both calls must
		// answer UnsupportedOperationException, never an internal error.
		_, err := e.c.Sign(t.Context(), &kms.SignInput{KeyId: aws.String(k.id), Message: tbs, MessageType: mt, SigningAlgorithm: alg})
		wantErrCode(t, "Sign(EXTERNAL_MU)", err, "UnsupportedOperationException")
		raw, err := e.c.Sign(t.Context(), &kms.SignInput{KeyId: aws.String(k.id), Message: msg, MessageType: types.MessageTypeRaw, SigningAlgorithm: alg})
		if err != nil {
			t.Fatalf("Sign(%s, %s, RAW): %v", k.spec, alg, err)
		}
		_, err = e.c.Verify(t.Context(), &kms.VerifyInput{KeyId: aws.String(k.id), Message: tbs, MessageType: mt, Signature: raw.Signature, SigningAlgorithm: alg})
		wantErrCode(t, "Verify(EXTERNAL_MU)", err, "UnsupportedOperationException")
		return
	}
	what := fmt.Sprintf("Sign(%s, %s, %s, %d bytes)", k.spec, alg, mt, len(tbs))
	out, err := e.c.Sign(t.Context(), &kms.SignInput{KeyId: aws.String(k.id), Message: tbs, MessageType: mt, SigningAlgorithm: alg})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	sig := out.Signature
	if got := aws.ToString(out.KeyId); got != k.arn {
		t.Errorf("%s.KeyId = %q, want %q", what, got, k.arn)
	}
	if out.SigningAlgorithm != alg {
		t.Errorf("%s.SigningAlgorithm = %q, want %q", what, out.SigningAlgorithm, alg)
	}
	if n := sigSize(k.spec); n != 0 && len(sig) != n {
		t.Errorf("%s: signature of %d bytes, want %d", what, len(sig), n)
	}

	// (a) Trent's Verify accepts it.
	verify := func(m []byte, mt types.MessageType, s []byte) (*kms.VerifyOutput, error) {
		return e.c.Verify(t.Context(), &kms.VerifyInput{KeyId: aws.String(k.id), Message: m, MessageType: mt, Signature: s, SigningAlgorithm: alg})
	}
	vout, err := verify(tbs, mt, sig)
	if err != nil {
		t.Errorf("Verify(%s, %s, %s) of Sign's signature: %v", k.spec, alg, mt, err)
	} else {
		if !vout.SignatureValid {
			t.Errorf("Verify(%s, %s, %s).SignatureValid = false, want true", k.spec, alg, mt)
		}
		if got := aws.ToString(vout.KeyId); got != k.arn || vout.SigningAlgorithm != alg {
			t.Errorf("Verify(%s, %s, %s) = KeyId %q, SigningAlgorithm %q; want %q, %q", k.spec, alg, mt, got, vout.SigningAlgorithm, k.arn, alg)
		}
	}
	// The same signature described by another message type.
	if mt == types.MessageTypeRaw && h != 0 && !strings.HasPrefix(string(alg), "ED25519") {
		if _, err := verify(hashOf(h, msg), types.MessageTypeDigest, sig); err != nil {
			t.Errorf("Verify(%s, %s, DIGEST of the message) of a RAW signature: %v, want SignatureValid", k.spec, alg, err)
		}
	}

	// (b) A flipped bit in the signature or the message is rejected.
	_, err = verify(tbs, mt, flipBit(sig, len(sig)/2))
	wantErr(t, fmt.Sprintf("Verify(%s, %s, %s) of a signature with a flipped bit", k.spec, alg, mt), err, "KMSInvalidSignatureException", "")
	_, err = verify(flipBit(tbs, 3), mt, sig)
	wantErr(t, fmt.Sprintf("Verify(%s, %s, %s) of a message with a flipped bit", k.spec, alg, mt), err, "KMSInvalidSignatureException", "")

	// (c) Outside Trent.
	verifyOutside(t, k.spec, alg, pubDER, msg, sig)
}

// verifyOutside checks sig over the original message msg with the
// verifiers of the matrix, and that they reject a flipped signature.
func verifyOutside(t *testing.T, spec types.KeySpec, alg types.SigningAlgorithmSpec, pubDER, msg, sig []byte) {
	t.Helper()
	h := sigHash(alg)
	bad := flipBit(sig, len(sig)/2)
	name := string(alg)
	goCheck := func(verifier string, ok func(sig []byte) bool) {
		t.Helper()
		if !ok(sig) {
			t.Errorf("%s rejects Trent's %s %s signature", verifier, spec, alg)
		}
		if ok(bad) {
			t.Errorf("%s accepts Trent's %s %s signature with a flipped bit", verifier, spec, alg)
		}
	}
	sslCheck := func(run func(sig []byte) (bool, string)) {
		t.Helper()
		if !openssl(t) {
			return
		}
		if ok, out := run(sig); !ok {
			t.Errorf("openssl rejects Trent's %s %s signature: %s", spec, alg, out)
		}
		if ok, out := run(bad); ok {
			t.Errorf("openssl accepts Trent's %s %s signature with a flipped bit: %s", spec, alg, out)
		}
	}
	switch {
	case strings.HasPrefix(name, "RSASSA_PSS"), strings.HasPrefix(name, "RSASSA_PKCS1"):
		pub, ok := parsePKIX(t, "GetPublicKey", pubDER).(*rsa.PublicKey)
		if !ok {
			t.Fatalf("%s public key is not RSA", spec)
		}
		pss := strings.HasPrefix(name, "RSASSA_PSS")
		if pss {
			goCheck("rsa.VerifyPSS (salt = hash length)", func(s []byte) bool {
				return rsa.VerifyPSS(pub, h, hashOf(h, msg), s, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
			})
		} else {
			goCheck("rsa.VerifyPKCS1v15", func(s []byte) bool { return rsa.VerifyPKCS1v15(pub, h, hashOf(h, msg), s) == nil })
		}
		sslCheck(func(s []byte) (bool, string) { return opensslDgstVerify(t, pubDER, h, pss, msg, s) })
	case strings.HasPrefix(name, "ECDSA"):
		if spec == types.KeySpecEccSecgP256k1 {
			s := parseSPKI(t, "GetPublicKey", pubDER)
			if !s.Algorithm.Algorithm.Equal(oidECPublicKey) || !ecCurve(s).Equal(oidSecp256k1) {
				t.Errorf("secp256k1 SPKI algorithm %v parameters %x, want id-ecPublicKey with secp256k1 (1.3.132.0.10)", s.Algorithm.Algorithm, s.Algorithm.Parameters.FullBytes)
			}
			if n := len(s.PublicKey.Bytes); n != 65 || s.PublicKey.Bytes[0] != 4 {
				t.Errorf("secp256k1 public point is %d bytes starting %x, want 65 uncompressed", n, s.PublicKey.Bytes[:1])
			}
		} else {
			pub, ok := parsePKIX(t, "GetPublicKey", pubDER).(*ecdsa.PublicKey)
			if !ok {
				t.Fatalf("%s public key is not ECDSA", spec)
			}
			goCheck("ecdsa.VerifyASN1", func(s []byte) bool { return ecdsa.VerifyASN1(pub, hashOf(h, msg), s) })
		}
		sslCheck(func(s []byte) (bool, string) { return opensslDgstVerify(t, pubDER, h, false, msg, s) })
	case alg == types.SigningAlgorithmSpecEd25519Sha512:
		pub, ok := parsePKIX(t, "GetPublicKey", pubDER).(ed25519.PublicKey)
		if !ok {
			t.Fatalf("%s public key is not Ed25519", spec)
		}
		goCheck("ed25519.Verify", func(s []byte) bool { return ed25519.Verify(pub, msg, s) })
		sslCheck(func(s []byte) (bool, string) { return opensslEd25519Verify(t, pubDER, msg, s) })
	case alg == types.SigningAlgorithmSpecEd25519PhSha512:
		pub, ok := parsePKIX(t, "GetPublicKey", pubDER).(ed25519.PublicKey)
		if !ok {
			t.Fatalf("%s public key is not Ed25519", spec)
		}
		d := sha512.Sum512(msg)
		goCheck("ed25519.VerifyWithOptions(Hash SHA512)", func(s []byte) bool {
			return ed25519.VerifyWithOptions(pub, d[:], s, &ed25519.Options{Hash: crypto.SHA512}) == nil
		})
		// Pure Ed25519 must not accept an Ed25519ph signature.
		if ed25519.Verify(pub, msg, sig) || ed25519.Verify(pub, d[:], sig) {
			t.Errorf("pure ed25519.Verify accepts Trent's ED25519_PH_SHA_512 signature: it is not Ed25519ph")
		}
	case alg == types.SigningAlgorithmSpecMlDsaShake256:
		s := parseSPKI(t, "GetPublicKey", pubDER)
		if want := oidMLDSA[spec]; !s.Algorithm.Algorithm.Equal(want) {
			t.Errorf("%s SPKI algorithm %v, want %v", spec, s.Algorithm.Algorithm, want)
		}
		if len(s.Algorithm.Parameters.FullBytes) != 0 {
			t.Errorf("%s SPKI algorithm parameters %x, want absent (RFC 9881)", spec, s.Algorithm.Parameters.FullBytes)
		}
		sch := mldsaScheme(spec)
		pub, err := sch.UnmarshalBinaryPublicKey(s.PublicKey.Bytes)
		if err != nil {
			t.Fatalf("circl %s: public key of %d bytes: %v", sch.Name(), len(s.PublicKey.Bytes), err)
		}
		goCheck("circl "+sch.Name()+" Verify (empty context)", func(sg []byte) bool { return sch.Verify(pub, msg, sg, nil) })
	default:
		t.Fatalf("no outside verifier for %s", alg)
	}
}

// TestSignErrors: the errors of Sign and Verify, with AWS's codes and,
// where AWS's message is recorded, its message.
func TestSignErrors(t *testing.T) {
	t.Parallel()
	e := start(t)
	var (
		rsaSign  = keyReq{types.KeySpecRsa2048, types.KeyUsageTypeSignVerify}
		rsaEnc   = keyReq{types.KeySpecRsa2048, types.KeyUsageTypeEncryptDecrypt}
		p256     = keyReq{types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify}
		p256KA   = keyReq{types.KeySpecEccNistP256, types.KeyUsageTypeKeyAgreement}
		k1       = keyReq{types.KeySpecEccSecgP256k1, types.KeyUsageTypeSignVerify}
		ed       = keyReq{types.KeySpecEccNistEdwards25519, types.KeyUsageTypeSignVerify}
		mldsa    = keyReq{types.KeySpecMlDsa44, types.KeyUsageTypeSignVerify}
		sym      = keyReq{types.KeySpecSymmetricDefault, ""}
		hmac     = keyReq{types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac}
		disabled = keyReq{types.KeySpecEccNistP384, types.KeyUsageTypeSignVerify}
	)
	keys := e.createKeys(t, rsaSign, rsaEnc, p256, p256KA, k1, ed, mldsa, sym, hmac, disabled)
	msg := []byte("a message to sign")

	signErr := func(k key, alg types.SigningAlgorithmSpec, mt types.MessageType, m []byte) error {
		_, err := e.c.Sign(t.Context(), &kms.SignInput{KeyId: aws.String(k.id), Message: m, MessageType: mt, SigningAlgorithm: alg})
		return err
	}
	verifyErr := func(k key, alg types.SigningAlgorithmSpec, mt types.MessageType, m, sig []byte) error {
		_, err := e.c.Verify(t.Context(), &kms.VerifyInput{KeyId: aws.String(k.id), Message: m, MessageType: mt, Signature: sig, SigningAlgorithm: alg})
		return err
	}

	t.Run("digest length", func(t *testing.T) {
		for _, c := range []struct {
			k   keyReq
			alg types.SigningAlgorithmSpec
			n   int
		}{
			{rsaSign, types.SigningAlgorithmSpecRsassaPssSha256, 31},
			{rsaSign, types.SigningAlgorithmSpecRsassaPssSha256, 33},
			{rsaSign, types.SigningAlgorithmSpecRsassaPssSha384, 32},
			{rsaSign, types.SigningAlgorithmSpecRsassaPkcs1V15Sha512, 48},
			{p256, types.SigningAlgorithmSpecEcdsaSha256, 64},
			{k1, types.SigningAlgorithmSpecEcdsaSha256, 20},
			{ed, types.SigningAlgorithmSpecEd25519PhSha512, 32},
		} {
			msg := fmt.Sprintf("Digest is invalid length for algorithm %s.", c.alg)
			d := bytes.Repeat([]byte{7}, c.n)
			wantErr(t, fmt.Sprintf("Sign(%s, %s, DIGEST of %d bytes)", c.k.spec, c.alg, c.n), signErr(keys[c.k], c.alg, types.MessageTypeDigest, d), "ValidationException", msg)
			wantErr(t, fmt.Sprintf("Verify(%s, %s, DIGEST of %d bytes)", c.k.spec, c.alg, c.n), verifyErr(keys[c.k], c.alg, types.MessageTypeDigest, d, make([]byte, 64)), "ValidationException", msg)
		}
	})

	t.Run("algorithm of another key spec", func(t *testing.T) {
		for _, c := range []struct {
			k   keyReq
			alg types.SigningAlgorithmSpec
		}{
			{p256, types.SigningAlgorithmSpecEcdsaSha384},
			{p256, types.SigningAlgorithmSpecEcdsaSha512},
			{k1, types.SigningAlgorithmSpecEcdsaSha512},
			{p256, types.SigningAlgorithmSpecRsassaPssSha256},
			{rsaSign, types.SigningAlgorithmSpecEcdsaSha256},
			{ed, types.SigningAlgorithmSpecEcdsaSha256},
			{mldsa, types.SigningAlgorithmSpecEd25519Sha512},
		} {
			err := signErr(keys[c.k], c.alg, types.MessageTypeRaw, msg)
			// AWS's message here is not recorded; Trent's follows the
			// recorded HMAC one.
			wantErr(t, fmt.Sprintf("Sign(%s, %s)", c.k.spec, c.alg), err, "InvalidKeyUsageException", fmt.Sprintf("Algorithm %s is incompatible with key spec %s.", c.alg, c.k.spec))
			err = verifyErr(keys[c.k], c.alg, types.MessageTypeRaw, msg, make([]byte, 64))
			wantErrCode(t, fmt.Sprintf("Verify(%s, %s)", c.k.spec, c.alg), err, "InvalidKeyUsageException")
		}
	})

	t.Run("message type of another algorithm", func(t *testing.T) {
		d64 := make([]byte, 64)
		wantErrCode(t, "Sign(Ed25519, ED25519_SHA_512, DIGEST)", signErr(keys[ed], types.SigningAlgorithmSpecEd25519Sha512, types.MessageTypeDigest, d64), "ValidationException")
		wantErrCode(t, "Sign(Ed25519, ED25519_PH_SHA_512, RAW)", signErr(keys[ed], types.SigningAlgorithmSpecEd25519PhSha512, types.MessageTypeRaw, msg), "ValidationException")
		wantErrCode(t, "Sign(ML_DSA_44, DIGEST)", signErr(keys[mldsa], types.SigningAlgorithmSpecMlDsaShake256, types.MessageTypeDigest, d64), "ValidationException")
		wantErrCode(t, "Sign(ML_DSA_44, EXTERNAL_MU of 32 bytes)", signErr(keys[mldsa], types.SigningAlgorithmSpecMlDsaShake256, types.MessageTypeExternalMu, d64[:32]), "ValidationException")
		wantErrCode(t, "Sign(ECC_NIST_P256, ECDSA_SHA_256, EXTERNAL_MU)", signErr(keys[p256], types.SigningAlgorithmSpecEcdsaSha256, types.MessageTypeExternalMu, d64), "ValidationException")
	})

	t.Run("message size", func(t *testing.T) {
		if err := signErr(keys[p256], types.SigningAlgorithmSpecEcdsaSha256, types.MessageTypeRaw, make([]byte, 4096)); err != nil {
			t.Errorf("Sign of a 4096-byte message: %v", err)
		}
		wantErr(t, "Sign of a 4097-byte message", signErr(keys[p256], types.SigningAlgorithmSpecEcdsaSha256, types.MessageTypeRaw, make([]byte, 4097)),
			"ValidationException", "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096")
	})

	t.Run("signature of another algorithm", func(t *testing.T) {
		out, err := e.c.Sign(t.Context(), &kms.SignInput{KeyId: aws.String(keys[rsaSign].id), Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecRsassaPssSha256})
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		err = verifyErr(keys[rsaSign], types.SigningAlgorithmSpecRsassaPkcs1V15Sha256, types.MessageTypeRaw, msg, out.Signature)
		wantErr(t, "Verify of a PSS signature as PKCS1_V1_5", err, "KMSInvalidSignatureException", "")
		err = verifyErr(keys[rsaSign], types.SigningAlgorithmSpecRsassaPssSha256, types.MessageTypeRaw, msg, out.Signature[:100])
		wantErr(t, "Verify of a truncated signature", err, "KMSInvalidSignatureException", "")
		err = verifyErr(keys[p256], types.SigningAlgorithmSpecEcdsaSha256, types.MessageTypeRaw, msg, []byte("not DER at all"))
		wantErr(t, "Verify of an ECDSA signature that is not DER", err, "KMSInvalidSignatureException", "")
	})

	t.Run("key usage", func(t *testing.T) {
		s, h, rs, ka := keys[sym], keys[hmac], keys[rsaSign], keys[p256KA]
		wantErr(t, "Sign with a symmetric key", signErr(s, types.SigningAlgorithmSpecEcdsaSha256, types.MessageTypeRaw, msg),
			"InvalidKeyUsageException", s.arn+" key usage is ENCRYPT_DECRYPT which is not valid for Sign.")
		wantErr(t, "Verify with a symmetric key", verifyErr(s, types.SigningAlgorithmSpecEcdsaSha256, types.MessageTypeRaw, msg, make([]byte, 64)),
			"InvalidKeyUsageException", s.arn+" key usage is ENCRYPT_DECRYPT which is not valid for Verify.")
		wantErr(t, "Sign with an RSA ENCRYPT_DECRYPT key", signErr(keys[rsaEnc], types.SigningAlgorithmSpecRsassaPssSha256, types.MessageTypeRaw, msg),
			"InvalidKeyUsageException", keys[rsaEnc].arn+" key usage is ENCRYPT_DECRYPT which is not valid for Sign.")
		wantErr(t, "Sign with an HMAC key", signErr(h, types.SigningAlgorithmSpecEcdsaSha256, types.MessageTypeRaw, msg),
			"InvalidKeyUsageException", h.arn+" key usage is GENERATE_VERIFY_MAC which is not valid for Sign.")
		wantErr(t, "Sign with a KEY_AGREEMENT key", signErr(ka, types.SigningAlgorithmSpecEcdsaSha256, types.MessageTypeRaw, msg),
			"InvalidKeyUsageException", ka.arn+" key usage is KEY_AGREEMENT which is not valid for Sign.")
		_, err := e.c.GenerateMac(t.Context(), &kms.GenerateMacInput{KeyId: aws.String(s.id), MacAlgorithm: types.MacAlgorithmSpecHmacSha256, Message: msg})
		wantErr(t, "GenerateMac with a symmetric key", err, "InvalidKeyUsageException", s.arn+" key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.")
		_, err = e.c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(rs.id), Plaintext: msg, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
		wantErr(t, "Encrypt with an RSA SIGN_VERIFY key", err, "InvalidKeyUsageException", rs.arn+" key usage is SIGN_VERIFY which is not valid for Encrypt.")
	})

	t.Run("disabled key", func(t *testing.T) {
		k := keys[disabled]
		sig, err := e.c.Sign(t.Context(), &kms.SignInput{KeyId: aws.String(k.id), Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha384})
		if err != nil {
			t.Fatalf("Sign before DisableKey: %v", err)
		}
		if _, err := e.c.DisableKey(t.Context(), &kms.DisableKeyInput{KeyId: aws.String(k.id)}); err != nil {
			t.Fatalf("DisableKey: %v", err)
		}
		want := k.arn + " is disabled."
		wantErr(t, "Sign with a disabled key", signErr(k, types.SigningAlgorithmSpecEcdsaSha384, types.MessageTypeRaw, msg), "DisabledException", want)
		wantErr(t, "Verify with a disabled key", verifyErr(k, types.SigningAlgorithmSpecEcdsaSha384, types.MessageTypeRaw, msg, sig.Signature), "DisabledException", want)
		_, err = e.c.GetPublicKey(t.Context(), &kms.GetPublicKeyInput{KeyId: aws.String(k.id)})
		wantErr(t, "GetPublicKey of a disabled key", err, "DisabledException", want)
		if _, err := e.c.EnableKey(t.Context(), &kms.EnableKeyInput{KeyId: aws.String(k.id)}); err != nil {
			t.Fatalf("EnableKey: %v", err)
		}
		if err := verifyErr(k, types.SigningAlgorithmSpecEcdsaSha384, types.MessageTypeRaw, msg, sig.Signature); err != nil {
			t.Errorf("Verify after EnableKey: %v", err)
		}
	})
}
