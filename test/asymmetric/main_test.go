// Package asymmetric_test drives a real trent process with aws-sdk-go-v2's
// KMS client (real SigV4, real HTTP) through the asymmetric, HMAC, key
// agreement and ML-KEM operations of issue 5: Sign, Verify, GetPublicKey,
// RSA Encrypt/Decrypt, GenerateMac, VerifyMac, DeriveSharedSecret,
// Encapsulate, Decapsulate and GenerateDataKeyPair(WithoutPlaintext), and
// the AWS CLI flow `aws kms sign` + `openssl dgst -verify`.
//
// Expected errors and messages come from AWS (shared/reference/kms-api.md
// §3, §6, §7.1 and aws-recorded-responses.json). Where AWS's message is not
// recorded, the tests assert the error code only.
//
// # Verifier matrix
//
// Every result Trent produces is checked by code that is not Trent's: the
// public key comes from GetPublicKey (DER SubjectPublicKeyInfo) and is
// parsed here, and the check is made by the implementation named below.
// For MessageType DIGEST the signature is made over H(m) and checked
// outside against m itself, which proves that DIGEST means "the hash of the
// message" and not something else.
//
//	Algorithm / operation          Go standard library                     openssl 3.0 (/usr/bin/openssl)                  other
//	-----------------------------  --------------------------------------  ----------------------------------------------  ---------------------------------
//	RSASSA_PSS_SHA_256/384/512     rsa.VerifyPSS, salt = hash length       dgst -shaN -sigopt rsa_padding_mode:pss
//	  (RSA_2048/3072/4096)                                                   -sigopt rsa_pss_saltlen:digest -verify
//	RSASSA_PKCS1_V1_5_SHA_256/..   rsa.VerifyPKCS1v15                      dgst -shaN -verify
//	ECDSA_SHA_256/384/512          ecdsa.VerifyASN1 (P-256/P-384/P-521)    dgst -shaN -verify
//	ECDSA_SHA_256 secp256k1        - (no secp256k1 in Go)                  dgst -sha256 -verify
//	ED25519_SHA_512 (RAW)          ed25519.Verify                          pkeyutl -verify -rawin
//	ED25519_PH_SHA_512 (DIGEST)    ed25519.VerifyWithOptions(SHA512)       - (Ed25519ph needs OpenSSL >= 3.2)
//	ML_DSA_SHAKE_256 RAW           -                                       - (ML-DSA needs OpenSSL >= 3.5)        cloudflare/circl mldsa44/65/87 Verify
//	ML_DSA_SHAKE_256 EXTERNAL_MU   crypto/sha3 SHAKE256 computes mu        -                                       circl Verify over the message
//	RSAES_OAEP_SHA_1/_256          rsa.EncryptOAEP -> Trent Decrypt        pkeyutl -encrypt -pkeyopt rsa_oaep_md:shaN
//	                                                                         -> Trent Decrypt
//	ECDH (P-256/P-384/P-521)       crypto/ecdh: secret from a local key    -
//	                               and Trent's public key
//	ML_KEM 768/1024                crypto/mlkem Encapsulate to Trent's     -
//	                               key -> Trent Decapsulate; data key
//	                               pair seed -> crypto/mlkem key equals
//	                               the returned public key
//	ML_KEM 512                     -                                       -                                       circl mlkem512 (as above)
//	GenerateDataKeyPair RSA/EC/    x509.ParsePKCS8PrivateKey, sign and     secp256k1: dgst -sha256 -sign with the
//	  Ed25519 / secp256k1          verify locally, OAEP round trip         PKCS#8 key, -verify with the SPKI
//	HMAC_SHA_224/256/384/512       - (key material is not exportable: only Trent's VerifyMac checks GenerateMac)
//	AWS CLI (Debian awscli)        -                                       dgst -sha256 -verify of `aws kms sign`
//
// Caveat: Trent itself uses cloudflare/circl for ML-DSA and ML-KEM-512 and
// crypto/mlkem for ML-KEM-768/1024, so for those the outside check is an
// independent code path (SPKI parsing, mu computation, encapsulation) on
// the same primitive implementation, not a second implementation; neither
// OpenSSL 3.0 nor Go 1.26's public API has ML-DSA.
//
// openssl checks are skipped when /usr/bin/openssl is missing, and the CLI
// test when the AWS CLI is missing, unless TRENT_REQUIRE_ALL=1 (then they
// fail).
package asymmetric_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/trentkms/trent/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const (
	region  = "us-east-1"
	account = "111122223333"

	msgDryRun = "The request would have succeeded, but the DryRun option is set."
)

// Object identifiers of the SPKIs Go's x509 does not parse.
var (
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSecp256k1   = asn1.ObjectIdentifier{1, 3, 132, 0, 10}
	oidMLDSA       = map[types.KeySpec]asn1.ObjectIdentifier{
		types.KeySpecMlDsa44: {2, 16, 840, 1, 101, 3, 4, 3, 17},
		types.KeySpecMlDsa65: {2, 16, 840, 1, 101, 3, 4, 3, 18},
		types.KeySpecMlDsa87: {2, 16, 840, 1, 101, 3, 4, 3, 19},
	}
	oidMLKEM = map[string]asn1.ObjectIdentifier{
		"ML_KEM_512":  {2, 16, 840, 1, 101, 3, 4, 4, 1},
		"ML_KEM_768":  {2, 16, 840, 1, 101, 3, 4, 4, 2},
		"ML_KEM_1024": {2, 16, 840, 1, 101, 3, 4, 4, 3},
	}
)

// env is one server and a client of its first account.
type env struct {
	s *harness.Server
	c *kms.Client
}

func start(t *testing.T) *env {
	t.Helper()
	s := harness.Start(t, harness.Options{AccountID: account})
	return &env{s: s, c: s.KMS(t, region)}
}

func keyARN(id string) string { return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, account, id) }

// key is a created key.
type key struct {
	id, arn string
	spec    types.KeySpec
	usage   types.KeyUsageType
}

// keyReq names a key to create: spec and usage ("" for the default).
type keyReq struct {
	spec  types.KeySpec
	usage types.KeyUsageType
}

func (r keyReq) name() string {
	if r.usage == "" {
		return string(r.spec)
	}
	return string(r.spec) + "/" + string(r.usage)
}

// createKeys creates the keys concurrently (RSA key generation is slow)
// and returns them by keyReq.
func (e *env) createKeys(t *testing.T, reqs ...keyReq) map[keyReq]key {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	out := make(map[keyReq]key, len(reqs))
	errs := make([]error, len(reqs))
	for i, r := range reqs {
		wg.Go(func() {
			in := &kms.CreateKeyInput{KeySpec: r.spec, KeyUsage: r.usage, Description: aws.String("asymmetric test " + r.name())}
			o, err := e.c.CreateKey(context.Background(), in)
			if err != nil {
				errs[i] = fmt.Errorf("CreateKey(%s): %w", r.name(), err)
				return
			}
			id := aws.ToString(o.KeyMetadata.KeyId)
			mu.Lock()
			out[r] = key{id: id, arn: keyARN(id), spec: r.spec, usage: o.KeyMetadata.KeyUsage}
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *env) createKey(t *testing.T, spec types.KeySpec, usage types.KeyUsageType) key {
	t.Helper()
	r := keyReq{spec, usage}
	return e.createKeys(t, r)[r]
}

func (e *env) publicKey(t *testing.T, k key) *kms.GetPublicKeyOutput {
	t.Helper()
	out, err := e.c.GetPublicKey(t.Context(), &kms.GetPublicKeyInput{KeyId: aws.String(k.id)})
	if err != nil {
		t.Fatalf("GetPublicKey(%s %s): %v", k.spec, k.id, err)
	}
	return out
}

// ---- errors ----

// apiError returns err's code, message and HTTP status (0 when absent).
func apiError(err error) (code, msg string, status int, ok bool) {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return "", "", 0, false
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), ae.ErrorMessage(), status, true
}

// wantErr checks that err is the AWS error code with exactly msg and HTTP
// 400 (the real service sends 400 for every client error, DryRun included:
// kms-api.md §1.5).
func wantErr(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	wantErrMatch(t, what, err, code, func(got string) bool { return got == msg }, fmt.Sprintf("%q", msg))
}

// wantErrCode is wantErr for any message.
func wantErrCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	wantErrMatch(t, what, err, code, func(string) bool { return true }, "any message")
}

func wantErrMatch(t *testing.T, what string, err error, code string, ok func(string) bool, want string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded, want %s with message %s", what, code, want)
		return
	}
	gotCode, gotMsg, status, isAPI := apiError(err)
	if !isAPI {
		t.Errorf("%s: error %v (%T), want API error %s", what, err, err, code)
		return
	}
	if gotCode != code {
		t.Errorf("%s: error %s %q (HTTP %d), want %s with message %s", what, gotCode, gotMsg, status, code, want)
		return
	}
	if !ok(gotMsg) {
		t.Errorf("%s: %s message %q, want %s", what, code, gotMsg, want)
	}
	if status != 400 {
		t.Errorf("%s: %s with HTTP status %d, want 400", what, code, status)
	}
}

// wantClientError checks that err is an API error answered with a 4xx
// status (not a 500 nor a transport failure) and returns its code.
func wantClientError(t *testing.T, what string, err error) string {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded, want an error", what)
		return ""
	}
	code, msg, status, ok := apiError(err)
	if !ok {
		t.Errorf("%s: error %v (%T), want an API error", what, err, err)
		return ""
	}
	if status < 400 || status >= 500 {
		t.Errorf("%s: %s %q with HTTP status %d, want a 4xx client error", what, code, msg, status)
	} else {
		t.Logf("%s: %s %q (HTTP %d)", what, code, msg, status)
	}
	return code
}

// ---- DER ----

// spki is RFC 5280 SubjectPublicKeyInfo.
type spki struct {
	Algorithm pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

// parseSPKI parses der strictly (no trailing bytes).
func parseSPKI(t *testing.T, what string, der []byte) spki {
	t.Helper()
	var s spki
	rest, err := asn1.Unmarshal(der, &s)
	if err != nil {
		t.Fatalf("%s: PublicKey is not a DER SubjectPublicKeyInfo: %v", what, err)
	}
	if len(rest) != 0 {
		t.Fatalf("%s: %d trailing bytes after the SubjectPublicKeyInfo", what, len(rest))
	}
	if s.PublicKey.BitLength%8 != 0 {
		t.Fatalf("%s: subjectPublicKey has %d bits, not whole bytes", what, s.PublicKey.BitLength)
	}
	return s
}

// ecCurve returns the named curve of an id-ecPublicKey SPKI (nil if the
// parameters are not one OID).
func ecCurve(s spki) asn1.ObjectIdentifier {
	var oid asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(s.Algorithm.Parameters.FullBytes, &oid)
	if err != nil || len(rest) != 0 {
		return nil
	}
	return oid
}

// pkcs8 is RFC 5208 PrivateKeyInfo.
type pkcs8 struct {
	Version    int
	Algorithm  pkix.AlgorithmIdentifier
	PrivateKey []byte
}

func parsePKCS8(t *testing.T, what string, der []byte) pkcs8 {
	t.Helper()
	var p pkcs8
	rest, err := asn1.Unmarshal(der, &p)
	if err != nil {
		t.Fatalf("%s: PrivateKeyPlaintext is not a DER PKCS#8 PrivateKeyInfo: %v", what, err)
	}
	if len(rest) != 0 {
		t.Fatalf("%s: %d trailing bytes after the PKCS#8 PrivateKeyInfo", what, len(rest))
	}
	return p
}

func pemPublicKey(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func hashOf(h crypto.Hash, msg []byte) []byte {
	hh := h.New()
	hh.Write(msg)
	return hh.Sum(nil)
}

func flipBit(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i%len(c)] ^= 0x01
	return c
}

func sortedStrings[T ~string](v []T) []string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = string(x)
	}
	slices.Sort(s)
	return s
}

// ---- external tools ----

func requireAll() bool { return os.Getenv("TRENT_REQUIRE_ALL") == "1" }

const opensslPath = "/usr/bin/openssl"

var haveOpenSSL = sync.OnceValue(func() bool {
	fi, err := os.Stat(opensslPath)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
})

// openssl reports whether the openssl checks can run. When they cannot, it
// logs that they are skipped, or fails t under TRENT_REQUIRE_ALL=1.
func openssl(t testing.TB) bool {
	t.Helper()
	if haveOpenSSL() {
		return true
	}
	if requireAll() {
		t.Errorf("%s is missing (TRENT_REQUIRE_ALL=1)", opensslPath)
	} else {
		t.Logf("%s is missing: openssl checks skipped", opensslPath)
	}
	return false
}

// runTool runs name with args in dir (30 s at most) and returns its
// combined output and exit error.
func runTool(dir, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// writeFiles writes name→content into a new temporary directory.
func writeFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// opensslDgstVerify runs `openssl dgst -<hash> [sigopts] -verify pub.pem
// -signature sig msg` and reports whether openssl accepted the signature.
func opensslDgstVerify(t *testing.T, spkiDER []byte, h crypto.Hash, pss bool, msg, sig []byte) (bool, string) {
	t.Helper()
	dir := writeFiles(t, map[string][]byte{"pub.pem": pemPublicKey(spkiDER), "msg": msg, "sig": sig})
	args := []string{"dgst", "-" + opensslHashName(h)}
	if pss {
		args = append(args, "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest")
	}
	args = append(args, "-verify", "pub.pem", "-signature", "sig", "msg")
	out, err := runTool(dir, opensslPath, args...)
	return err == nil && strings.Contains(out, "Verified OK"), "openssl " + strings.Join(args, " ") + ": " + strings.TrimSpace(out)
}

// opensslEd25519Verify runs `openssl pkeyutl -verify -pubin -inkey pub.pem
// -rawin -in msg -sigfile sig` (pure Ed25519).
func opensslEd25519Verify(t *testing.T, spkiDER, msg, sig []byte) (bool, string) {
	t.Helper()
	dir := writeFiles(t, map[string][]byte{"pub.pem": pemPublicKey(spkiDER), "msg": msg, "sig": sig})
	args := []string{"pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "msg", "-sigfile", "sig"}
	out, err := runTool(dir, opensslPath, args...)
	return err == nil && strings.Contains(out, "Signature Verified Successfully"), "openssl " + strings.Join(args, " ") + ": " + strings.TrimSpace(out)
}

func opensslHashName(h crypto.Hash) string {
	switch h {
	case crypto.SHA256:
		return "sha256"
	case crypto.SHA384:
		return "sha384"
	case crypto.SHA512:
		return "sha512"
	case crypto.SHA1:
		return "sha1"
	}
	panic(fmt.Sprintf("no openssl name for %v", h))
}

// parsePKIX is x509.ParsePKIXPublicKey that fails t.
func parsePKIX(t *testing.T, what string, der []byte) any {
	t.Helper()
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatalf("%s: x509.ParsePKIXPublicKey: %v", what, err)
	}
	return pub
}
