// Package symmetric_test drives a real trent process with aws-sdk-go-v2's
// KMS client (real SigV4, real HTTP) through every symmetric cryptographic
// operation of issue 4 and every error they can give: Encrypt, Decrypt,
// ReEncrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext and
// GenerateRandom, tampered and foreign ciphertext blobs, key states, input
// validation, DryRun and durability across kill -9.
//
// The expected errors and messages come from AWS (shared/reference/kms-api.md
// and aws-recorded-responses.json); the blob offsets come from
// docs/ciphertext-format.md.
package symmetric_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

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

	// AWS's messages.
	msgForeignBlob   = "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access."
	msgIncorrectKey  = "The key ID in the request does not identify a CMK that can perform this operation."
	msgDryRun        = "The request would have succeeded, but the DryRun option is set."
	msgPlaintextLong = "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"
)

var (
	materialIDRE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	requestIDLike = regexp.MustCompile(`^[0-9A-Za-z-]{8,}$`)
)

// env is one server and a client of its first account.
type env struct {
	s       *harness.Server
	c       *kms.Client
	account string
	region  string
}

// start starts a server whose first account is 111122223333 (unless opts
// names another) and returns a client of it in us-east-1.
func start(t *testing.T, opts harness.Options) *env {
	t.Helper()
	if opts.AccountID == "" {
		opts.AccountID = account
	}
	s := harness.Start(t, opts)
	if len(s.Accounts) == 0 || s.Accounts[0] != opts.AccountID {
		t.Fatalf("server accounts = %v, want first %s", s.Accounts, opts.AccountID)
	}
	return &env{s: s, c: s.KMS(t, region), account: opts.AccountID, region: region}
}

func keyARN(region, account, id string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, account, id)
}

func (e *env) keyARN(id string) string { return keyARN(e.region, e.account, id) }

func (e *env) aliasARN(name string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:%s", e.region, e.account, name)
}

// key is a created key and the four ways of naming it.
type key struct {
	id, arn, alias, aliasARN string
	material                 string // CurrentKeyMaterialId
}

// refs returns the key's references by name: id, key ARN, alias name,
// alias ARN.
func (k key) refs() []struct{ name, ref string } {
	return []struct{ name, ref string }{
		{"key id", k.id}, {"key ARN", k.arn}, {"alias name", k.alias}, {"alias ARN", k.aliasARN},
	}
}

// newKey creates a symmetric key with an alias (alias/<name>) and reads its
// CurrentKeyMaterialId.
func newKey(t *testing.T, c *kms.Client, reg, acct, name string) key {
	t.Helper()
	out, err := c.CreateKey(t.Context(), &kms.CreateKeyInput{Description: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	id := aws.ToString(out.KeyMetadata.KeyId)
	alias := "alias/" + name
	if _, err := c.CreateAlias(t.Context(), &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: aws.String(id)}); err != nil {
		t.Fatalf("CreateAlias(%s): %v", alias, err)
	}
	k := key{
		id:       id,
		arn:      keyARN(reg, acct, id),
		alias:    alias,
		aliasARN: fmt.Sprintf("arn:aws:kms:%s:%s:%s", reg, acct, alias),
		material: currentMaterial(t, c, id),
	}
	if !materialIDRE.MatchString(k.material) {
		t.Fatalf("DescribeKey(%s).CurrentKeyMaterialId = %q, want 64 lower-case hex digits", id, k.material)
	}
	return k
}

func (e *env) newKey(t *testing.T, name string) key {
	t.Helper()
	return newKey(t, e.c, e.region, e.account, name)
}

func currentMaterial(t *testing.T, c *kms.Client, keyID string) string {
	t.Helper()
	out, err := c.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		t.Fatalf("DescribeKey(%s): %v", keyID, err)
	}
	return aws.ToString(out.KeyMetadata.CurrentKeyMaterialId)
}

func encrypt(t *testing.T, c *kms.Client, keyID string, pt []byte, ec map[string]string) []byte {
	t.Helper()
	out, err := c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(keyID), Plaintext: pt, EncryptionContext: ec})
	if err != nil {
		t.Fatalf("Encrypt(%s, %d bytes, %v): %v", keyID, len(pt), ec, err)
	}
	return out.CiphertextBlob
}

// decryptOK decrypts blob (keyID may be "") and checks the output against
// the key that made it.
func decryptOK(t *testing.T, c *kms.Client, blob []byte, keyID string, ec map[string]string, want []byte, k key) {
	t.Helper()
	in := &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: ec}
	if keyID != "" {
		in.KeyId = aws.String(keyID)
	}
	out, err := c.Decrypt(t.Context(), in)
	if err != nil {
		t.Errorf("Decrypt(KeyId %q, context %v): %v", keyID, ec, err)
		return
	}
	if !bytes.Equal(out.Plaintext, want) {
		t.Errorf("Decrypt(KeyId %q) plaintext = %d bytes %x..., want %d bytes %x...", keyID, len(out.Plaintext), head(out.Plaintext), len(want), head(want))
	}
	if got := aws.ToString(out.KeyId); got != k.arn {
		t.Errorf("Decrypt(KeyId %q).KeyId = %q, want the key ARN %q", keyID, got, k.arn)
	}
	if out.EncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault {
		t.Errorf("Decrypt(KeyId %q).EncryptionAlgorithm = %q, want SYMMETRIC_DEFAULT", keyID, out.EncryptionAlgorithm)
	}
	if got := aws.ToString(out.KeyMaterialId); got != k.material {
		t.Errorf("Decrypt(KeyId %q).KeyMaterialId = %q, want DescribeKey's CurrentKeyMaterialId %q", keyID, got, k.material)
	}
}

func head(b []byte) []byte {
	if len(b) > 8 {
		return b[:8]
	}
	return b
}

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

// wantErr checks that err is the AWS error code with exactly msg, sent
// with HTTP 400 and a request ID. what names the call in failures.
func wantErr(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	wantErrMatch(t, what, err, code, func(got string) bool { return got == msg }, fmt.Sprintf("%q", msg))
}

// wantErrAny is wantErr for any message.
func wantErrAny(t *testing.T, what string, err error, code string) {
	t.Helper()
	wantErrMatch(t, what, err, code, func(string) bool { return true }, "any message")
}

// wantErrPrefix is wantErr for a message that starts with prefix.
func wantErrPrefix(t *testing.T, what string, err error, code, prefix string) {
	t.Helper()
	wantErrMatch(t, what, err, code, func(got string) bool { return strings.HasPrefix(got, prefix) }, fmt.Sprintf("prefix %q", prefix))
}

func wantErrMatch(t *testing.T, what string, err error, code string, ok func(string) bool, want string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded, want %s with message %s", what, code, want)
		return
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: error %v (%T), want API error %s", what, err, err, code)
		return
	}
	if ae.ErrorCode() != code {
		t.Errorf("%s: error %s %q, want %s with message %s", what, ae.ErrorCode(), ae.ErrorMessage(), code, want)
	} else if !ok(ae.ErrorMessage()) {
		t.Errorf("%s: %s message %q, want %s", what, code, ae.ErrorMessage(), want)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Errorf("%s: error %v carries no HTTP response", what, err)
		return
	}
	if got := re.HTTPStatusCode(); got != 400 {
		t.Errorf("%s: %s with HTTP status %d, want 400", what, code, got)
	}
	if !requestIDLike.MatchString(re.ServiceRequestID()) {
		t.Errorf("%s: request ID %q, want an x-amzn-RequestId", what, re.ServiceRequestID())
	}
}

func validationMsg(value, field, constraint string) string {
	if value == "" {
		return fmt.Sprintf("1 validation error detected: Value at '%s' failed to satisfy constraint: %s", field, constraint)
	}
	return fmt.Sprintf("1 validation error detected: Value %s at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

// ---- the blob layout of docs/ciphertext-format.md §2 ----

// span is a field of a blob: bytes [from, to).
type span struct {
	name     string
	from, to int
	// keyRef: the field is part of the key reference (account, region,
	// key ID): changing it makes the header name another key.
	keyRef bool
}

// layout is a version 1 blob's field map, derived from the doc's table:
//
//	0 magic | 1 version | 2..13 account | 14 r | 15.. region (r) |
//	15+r k=36 | 16+r key ID (k) | 16+r+k material version (4) |
//	H=20+r+k nonce (32) | H+32 IV (12) | H+44 ciphertext (n) | H+44+n tag (16)
type layout struct {
	r, h, n int
	spans   []span
}

// parseBlob checks that blob is a version 1 blob of the key acct/reg/keyID
// holding n bytes of plaintext, as docs/ciphertext-format.md lays it out,
// and returns its field map.
func parseBlob(t *testing.T, blob []byte, acct, reg, keyID string, n int) layout {
	t.Helper()
	if len(blob) < 16 {
		t.Fatalf("blob of %d bytes is too short for a header", len(blob))
	}
	r := int(blob[14])
	const k = 36
	l := layout{r: r, h: 20 + r + k, n: n}
	if want := l.h + 60 + n; len(blob) != want {
		t.Fatalf("blob is %d bytes, want header %d + 60 + plaintext %d = %d (docs/ciphertext-format.md §2.3)", len(blob), l.h, n, want)
	}
	check := func(field string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("blob %s = %v, want %v (docs/ciphertext-format.md §2)", field, got, want)
		}
	}
	check("magic (byte 0)", blob[0], 0x54)
	check("format version (byte 1)", blob[1], 0x01)
	check("account (bytes 2-13)", string(blob[2:14]), acct)
	check("region length (byte 14)", r, len(reg))
	check("region", string(blob[15:15+r]), reg)
	check("key ID length", blob[15+r], k)
	check("key ID", string(blob[16+r:16+r+k]), keyID)
	if v := binary.BigEndian.Uint32(blob[16+r+k:]); v < 1 {
		t.Fatalf("blob material version = %d, want >= 1", v)
	}
	h := l.h
	l.spans = []span{
		{"magic", 0, 1, false},
		{"format version", 1, 2, false},
		{"account", 2, 14, true},
		{"region length", 14, 15, false},
		{"region", 15, 15 + r, true},
		{"key ID length", 15 + r, 16 + r, false},
		{"key ID", 16 + r, 16 + r + k, true},
		{"material version", 16 + r + k, h, false},
		{"nonce", h, h + 32, false},
		{"IV", h + 32, h + 44, false},
		{"ciphertext", h + 44, h + 44 + n, false},
		{"tag", h + 44 + n, h + 60 + n, false},
	}
	return l
}

// spanAt returns the field that byte i belongs to.
func (l layout) spanAt(i int) span {
	for _, s := range l.spans {
		if s.from <= i && i < s.to {
			return s
		}
	}
	panic(fmt.Sprintf("byte %d outside the blob", i))
}

// version returns the blob's material version.
func (l layout) version(blob []byte) uint32 {
	return binary.BigEndian.Uint32(blob[16+l.r+36:])
}
