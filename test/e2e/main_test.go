// Package e2e_test drives a real trent process with aws-sdk-go-v2's KMS
// client. Every test runs twice, over HTTP and over HTTPS (a test CA), each
// time against its own server.
package e2e_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
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
)

var (
	uuidRE        = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	mrkRE         = regexp.MustCompile(`^mrk-[0-9a-f]{32}$`)
	materialIDRE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	accountIDRE   = regexp.MustCompile(`^[0-9]{12}$`)
	requestIDLike = regexp.MustCompile(`^[0-9A-Za-z-]{8,}$`)
)

// env is one server and a client of its first account in us-east-1.
type env struct {
	s       *harness.Server
	kms     *kms.Client
	account string
	region  string
	tls     bool
}

func (e *env) keyARN(id string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", e.region, e.account, id)
}

func (e *env) aliasARN(name string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:%s", e.region, e.account, name)
}

// each runs f against a fresh server over HTTP and over HTTPS, in parallel.
// opts.AccountID defaults to 111122223333.
func each(t *testing.T, opts harness.Options, f func(t *testing.T, e *env)) {
	t.Helper()
	t.Parallel()
	if opts.AccountID == "" {
		opts.AccountID = account
	}
	for _, tlsOn := range []bool{false, true} {
		name := "http"
		if tlsOn {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o := opts
			o.TLS = tlsOn
			s := harness.Start(t, o)
			if len(s.Accounts) == 0 || s.Accounts[0] != o.AccountID {
				t.Fatalf("server accounts = %v, want first %s", s.Accounts, o.AccountID)
			}
			f(t, &env{s: s, kms: s.KMS(t, region), account: o.AccountID, region: region, tls: tlsOn})
		})
	}
}

// createKey creates a key and fails the test on error.
func createKey(t *testing.T, c *kms.Client, in *kms.CreateKeyInput) *types.KeyMetadata {
	t.Helper()
	if in == nil {
		in = &kms.CreateKeyInput{}
	}
	out, err := c.CreateKey(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	if out.KeyMetadata == nil || out.KeyMetadata.KeyId == nil {
		t.Fatalf("CreateKey returned no KeyMetadata.KeyId: %+v", out)
	}
	return out.KeyMetadata
}

func describe(t *testing.T, c *kms.Client, keyID string) *types.KeyMetadata {
	t.Helper()
	out, err := c.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		t.Fatalf("DescribeKey(%s): %v", keyID, err)
	}
	return out.KeyMetadata
}

func createAlias(t *testing.T, c *kms.Client, name, target string) {
	t.Helper()
	if _, err := c.CreateAlias(t.Context(), &kms.CreateAliasInput{AliasName: aws.String(name), TargetKeyId: aws.String(target)}); err != nil {
		t.Fatalf("CreateAlias(%s -> %s): %v", name, target, err)
	}
}

// wantErr checks that err is the AWS error code with exactly msg (any
// message when msg is ""), sent with HTTP 400 and a request ID.
func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	wantErrMatch(t, err, code, func(got string) bool { return msg == "" || got == msg }, fmt.Sprintf("%q", msg))
}

// wantErrPrefix is wantErr for a message that starts with prefix.
func wantErrPrefix(t *testing.T, err error, code, prefix string) {
	t.Helper()
	wantErrMatch(t, err, code, func(got string) bool { return strings.HasPrefix(got, prefix) }, fmt.Sprintf("prefix %q", prefix))
}

// wantErrContains is wantErr for a message that contains sub.
func wantErrContains(t *testing.T, err error, code, sub string) {
	t.Helper()
	wantErrMatch(t, err, code, func(got string) bool { return strings.Contains(got, sub) }, fmt.Sprintf("containing %q", sub))
}

func wantErrMatch(t *testing.T, err error, code string, ok func(string) bool, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want %s with message %s", code, want)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v (%T), want API error %s", err, err, code)
	}
	if ae.ErrorCode() != code {
		t.Errorf("error code = %s (message %q), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	} else if !ok(ae.ErrorMessage()) {
		t.Errorf("%s message = %q, want %s", code, ae.ErrorMessage(), want)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Errorf("error %v carries no HTTP response", err)
		return
	}
	if got := re.HTTPStatusCode(); got != 400 {
		t.Errorf("%s: HTTP status = %d, want 400", code, got)
	}
	if !requestIDLike.MatchString(re.ServiceRequestID()) {
		t.Errorf("%s: request ID = %q, want an x-amzn-RequestId", code, re.ServiceRequestID())
	}
}

// near reports whether got is within d of want.
func near(got, want time.Time, d time.Duration) bool {
	diff := got.Sub(want)
	return diff > -d && diff < d
}

func validationMsg(value, field, constraint string) string {
	return fmt.Sprintf("1 validation error detected: Value %s at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

// errorCode returns err's AWS error code, or "" when it has none.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
