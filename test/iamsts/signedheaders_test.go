package iamsts_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/trentkms/trent/test/harness"
)

// TestUnsignedAmzHeaderRefused: the query protocol applies the same rule
// as KMS: an X-Amz-* header the signature does not cover is refused as
// SignatureDoesNotMatch naming it, and the call does nothing.
func TestUnsignedAmzHeaderRefused(t *testing.T) {
	srv := harness.Start(t, harness.Options{AccountID: account})
	ctx := t.Context()
	ak, sk := srv.Credentials(t, srv.CredentialsFile())
	send := func(body string, extra map[string]string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.Endpoint+"/", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}, req, hex.EncodeToString(sum[:]), "iam", region, time.Now()); err != nil {
			t.Fatal(err)
		}
		for k, v := range extra { // after signing: not covered by the signature
			req.Header.Set(k, v)
		}
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const create = "Action=CreateUser&Version=2010-05-08&UserName=mallory"
	st, b := send(create, map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"})
	if st != 403 || !strings.Contains(b, "<Code>SignatureDoesNotMatch</Code>") ||
		!strings.Contains(b, "<Message>&#39;X-Amz-Content-Sha256&#39; must be a &#39;SignedHeader&#39; in the AWS Authorization.</Message>") {
		t.Fatalf("CreateUser with an unsigned X-Amz-Content-Sha256: HTTP %d %s", st, b)
	}
	root := iam.NewFromConfig(aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(ak, sk, ""),
		HTTPClient: srv.HTTPClient(), RetryMaxAttempts: 1}, func(o *iam.Options) { o.BaseEndpoint = aws.String(srv.Endpoint) })
	_, err := root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("mallory")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchEntity" {
		t.Fatalf("GetUser after the refused CreateUser: %v, want NoSuchEntity", err)
	}
	// The same request with every header signed is served.
	if st, b := send(create, nil); st != 200 {
		t.Fatalf("CreateUser signed: HTTP %d %s", st, b)
	}
}
