package keyring

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/google/go-cmp/cmp"
)

// Wycheproof vectors run through the keyring's own Verify, DecryptRSA,
// DeriveSharedSecret, GenerateMac/VerifyMac and Decapsulate, with keys put
// into a keyring by the test-only paths putRaw (private material through
// wrapTyped and the normal load) and putPublic (public-only keys for the
// verification vectors, straight into the cache).
//
// Rule for results: every "valid" case must succeed with the vector's
// output, every "invalid" case must be rejected (by the operation, or by
// the keyring refusing the key material). An "acceptable" case is a
// legitimate but unusual input (an ECDH peer key with a compressed point,
// explicit or odd curve parameters, or non-DER length encodings; a PKCS #1
// signature whose DigestInfo omits the NULL parameter): the keyring may
// accept or reject it, but if it accepts, the output must be the vector's
// (the shared secret); the test logs how many of each it did.
//
// Cases the KMS API cannot express are skipped, each for a named class,
// and the number skipped per class and file is asserted against
// wycheproofSkips: a changed vector file or a changed filter fails.
const (
	skipOAEPLabel    = "RSA-OAEP with a non-empty label (KMS uses the empty label)"
	skipMLDSAContext = "ML-DSA with a non-empty context string (KMS signs with the empty context)"
	skipTruncatedMAC = "HMAC tag truncated below the hash size (KMS MACs are full length)"
	skipHMACKeySize  = "HMAC key shorter than the hash or longer than its block (KMS cannot hold it)"
	skipRSAExponent  = "RSA public exponent other than 65537 (KMS keys always use 65537)"
	skipLongMessage  = "message longer than 4096 bytes (KMS's Sign/Verify limit)"
)

var wycheproofSkips = map[string]map[string]int{
	"rsa_oaep_2048_sha1_mgf1sha1_test.json":     {skipOAEPLabel: 7},
	"rsa_oaep_2048_sha256_mgf1sha256_test.json": {skipOAEPLabel: 8},
	"rsa_oaep_3072_sha256_mgf1sha256_test.json": {skipOAEPLabel: 8},
	"rsa_oaep_4096_sha256_mgf1sha256_test.json": {skipOAEPLabel: 8},
	"rsa_signature_2048_sha256_test.json":       {skipRSAExponent: 2},
	"mldsa_44_verify_test.json":                 {skipMLDSAContext: 7},
	"mldsa_65_verify_test.json":                 {skipMLDSAContext: 7},
	"mldsa_87_verify_test.json":                 {skipMLDSAContext: 7},
	"hmac_sha224_test.json":                     {skipTruncatedMAC: 85, skipHMACKeySize: 6},
	"hmac_sha256_test.json":                     {skipTruncatedMAC: 87, skipHMACKeySize: 6},
	"hmac_sha384_test.json":                     {skipTruncatedMAC: 87, skipHMACKeySize: 3},
	"hmac_sha512_test.json":                     {skipTruncatedMAC: 87, skipHMACKeySize: 3},
}

// vectorRun counts what one file's cases did.
type vectorRun struct {
	t          *testing.T
	file       string
	ran        int
	skipped    map[string]int
	acceptable map[bool]int // accepted or not
}

func newVectorRun(t *testing.T, file string) *vectorRun {
	return &vectorRun{t: t, file: file, skipped: map[string]int{}, acceptable: map[bool]int{}}
}

func (r *vectorRun) skip(class string) { r.skipped[class]++ }

// check records a case's outcome: accepted is whether the keyring took
// the input; correct is whether what it returned (if anything) is the
// vector's output.
func (r *vectorRun) check(tcID int, comment, result string, accepted, correct bool, detail error) {
	r.t.Helper()
	r.ran++
	switch result {
	case "valid":
		if !accepted || !correct {
			r.t.Errorf("%s tc %d (%s): valid case failed: accepted=%v correct=%v (%v)", r.file, tcID, comment, accepted, correct, detail)
		}
	case "invalid":
		if accepted {
			r.t.Errorf("%s tc %d (%s): invalid case accepted", r.file, tcID, comment)
		}
	case "acceptable":
		r.acceptable[accepted]++
		if accepted && !correct {
			r.t.Errorf("%s tc %d (%s): acceptable case accepted with a wrong result", r.file, tcID, comment)
		}
	default:
		r.t.Fatalf("%s tc %d: unknown result %q", r.file, tcID, result)
	}
}

// done asserts the skip counts and that enough cases ran.
func (r *vectorRun) done(minRan int) {
	r.t.Helper()
	want := wycheproofSkips[r.file]
	if want == nil {
		want = map[string]int{}
	}
	if diff := cmp.Diff(want, r.skipped); diff != "" {
		r.t.Errorf("%s: skipped cases differ from wycheproofSkips (-want +got):\n%s", r.file, diff)
	}
	if r.ran < minRan {
		r.t.Errorf("%s: ran %d cases, want at least %d: the file or the filter is wrong", r.file, r.ran, minRan)
	}
	r.t.Logf("%s: ran %d, skipped %v, acceptable accepted %d rejected %d", r.file, r.ran,
		slices.Sorted(maps.Keys(r.skipped)), r.acceptable[true], r.acceptable[false])
}

type sigTest struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	Msg     hexBytes `json:"msg"`
	Sig     hexBytes `json:"sig"`
	Ctx     *string  `json:"ctx"`
	Result  string   `json:"result"`
}

type sigGroup struct {
	PublicKeyDer hexBytes `json:"publicKeyDer"`
	Tests        []sigTest
}

// mldsaGroup has the raw public key as a hex string.
type mldsaGroup struct {
	PublicKey hexBytes `json:"publicKey"`
	Tests     []sigTest
}

// parseSecp256k1SPKI parses a secp256k1 SubjectPublicKeyInfo (crypto/x509
// does not know the curve).
func parseSecp256k1SPKI(der []byte) (*secp256k1.PublicKey, error) {
	var spki subjectPublicKeyInfo
	rest, err := asn1.Unmarshal(der, &spki)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("bad SPKI: %v", err)
	}
	var curve asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(spki.Algorithm.Parameters.FullBytes, &curve); err != nil ||
		!spki.Algorithm.Algorithm.Equal(oidECPublicKey) || !curve.Equal(oidSecp256k1) {
		return nil, errors.New("not a secp256k1 key")
	}
	return secp256k1.ParsePubKey(spki.PublicKey.RightAlign())
}

// publicKeyFor returns the public-only key of spec for a vector's SPKI.
func publicKeyFor(spec keySpec, der []byte) (*asymKey, error) {
	a := &asymKey{spec: spec}
	if spec == specSecp256k1 {
		pub, err := parseSecp256k1SPKI(der)
		if err != nil {
			return nil, err
		}
		a.k1Pub = pub
		return a, nil
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, err
	}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		a.rsaPub = p
	case *ecdsa.PublicKey:
		a.ecPub = p
	case ed25519.PublicKey:
		a.edPub = p
	default:
		return nil, fmt.Errorf("unexpected %T", pub)
	}
	return a, nil
}

func TestWycheproofSignatures(t *testing.T) {
	files := []struct {
		file string
		spec keySpec
		alg  string
		min  int
	}{
		{"ecdsa_secp256r1_sha256_test.json", specP256, "ECDSA_SHA_256", 480},
		{"ecdsa_secp384r1_sha384_test.json", specP384, "ECDSA_SHA_384", 500},
		{"ecdsa_secp521r1_sha512_test.json", specP521, "ECDSA_SHA_512", 540},
		{"ecdsa_secp256k1_sha256_test.json", specSecp256k1, "ECDSA_SHA_256", 470},
		{"ed25519_test.json", specEd25519, "ED25519_SHA_512", 150},
		{"rsa_pss_2048_sha256_mgf1_32_test.json", specRSA2048, "RSASSA_PSS_SHA_256", 108},
		{"rsa_pss_3072_sha256_mgf1_32_test.json", specRSA3072, "RSASSA_PSS_SHA_256", 108},
		{"rsa_pss_4096_sha512_mgf1_64_test.json", specRSA4096, "RSASSA_PSS_SHA_512", 179},
		{"rsa_signature_2048_sha256_test.json", specRSA2048, "RSASSA_PKCS1_V1_5_SHA_256", 257},
		{"rsa_signature_3072_sha384_test.json", specRSA3072, "RSASSA_PKCS1_V1_5_SHA_384", 259},
		{"rsa_signature_4096_sha512_test.json", specRSA4096, "RSASSA_PKCS1_V1_5_SHA_512", 259},
	}
	k, _ := newTestKeyring(t, Options{})
	ctx := t.Context()
	n := 0
	for _, f := range files {
		t.Run(strings.TrimSuffix(f.file, "_test.json"), func(t *testing.T) {
			v := loadWycheproof[sigGroup](t, f.file)
			run := newVectorRun(t, f.file)
			a, _ := sigAlgByName(f.alg)
			for _, g := range v.TestGroups {
				n++
				ref := refN(500_000 + n)
				key, err := publicKeyFor(f.spec, g.PublicKeyDer)
				if err != nil {
					t.Fatalf("group public key: %v", err)
				}
				if key.rsaPub != nil && key.rsaPub.E != 65537 {
					for range g.Tests {
						run.skip(skipRSAExponent)
					}
					continue
				}
				if key.rsaPub != nil && key.rsaPub.N.BitLen() != f.spec.info().bits {
					t.Fatalf("RSA key of %d bits in a %s file", key.rsaPub.N.BitLen(), f.spec)
				}
				putPublic(k, ref, key)
				for _, tc := range g.Tests {
					if len(tc.Msg) > MaxMessageSize {
						run.skip(skipLongMessage)
						continue
					}
					err := k.Verify(ctx, ref, f.alg, MessageRaw, tc.Msg, tc.Sig)
					if err != nil && !errors.Is(err, ErrInvalidSignature) {
						t.Fatalf("tc %d: Verify = %v, want nil or ErrInvalidSignature", tc.TcID, err)
					}
					run.check(tc.TcID, tc.Comment, tc.Result, err == nil, true, err)
					// The DIGEST path gives the same answer.
					if a.hash != 0 {
						derr := k.Verify(ctx, ref, f.alg, MessageDigest, hashOf(a.hash, tc.Msg), tc.Sig)
						if (derr == nil) != (err == nil) {
							t.Errorf("tc %d: DIGEST Verify = %v, RAW Verify = %v", tc.TcID, derr, err)
						}
					}
				}
			}
			run.done(f.min)
		})
	}
}

func TestWycheproofMLDSA(t *testing.T) {
	files := []struct {
		file string
		spec keySpec
		min  int
	}{
		{"mldsa_44_verify_test.json", specMLDSA44, 170},
		{"mldsa_65_verify_test.json", specMLDSA65, 200},
		{"mldsa_87_verify_test.json", specMLDSA87, 230},
	}
	k, _ := newTestKeyring(t, Options{})
	ctx := t.Context()
	n := 0
	for _, f := range files {
		t.Run(strings.TrimSuffix(f.file, "_test.json"), func(t *testing.T) {
			v := loadWycheproof[mldsaGroup](t, f.file)
			run := newVectorRun(t, f.file)
			for _, g := range v.TestGroups {
				n++
				ref := refN(600_000 + n)
				dsa, keyErr := parseMLDSAPublicKey(f.spec, g.PublicKey)
				if keyErr == nil {
					putPublic(k, ref, &asymKey{spec: f.spec, dsa: dsa})
				}
				for _, tc := range g.Tests {
					if tc.Ctx != nil && *tc.Ctx != "" {
						run.skip(skipMLDSAContext)
						continue
					}
					if len(tc.Msg) > MaxMessageSize {
						run.skip(skipLongMessage)
						continue
					}
					if keyErr != nil {
						// The keyring refuses the key: no signature can verify.
						run.check(tc.TcID, tc.Comment, tc.Result, false, false, keyErr)
						continue
					}
					err := k.Verify(ctx, ref, "ML_DSA_SHAKE_256", MessageRaw, tc.Msg, tc.Sig)
					if err != nil && !errors.Is(err, ErrInvalidSignature) {
						t.Fatalf("tc %d: Verify = %v", tc.TcID, err)
					}
					run.check(tc.TcID, tc.Comment, tc.Result, err == nil, true, err)
				}
			}
			run.done(f.min)
		})
	}
}
