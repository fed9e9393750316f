package audit_test

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
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/trentkms/trent/test/harness"
)

// TestQueryUnauthenticatedAudited: IAM and STS requests that fail
// authentication, or are refused before it as MalformedQueryString, are
// counted into the audit log's aggregates like KMS's, under the event
// source of their service (iam.amazonaws.com, sts.amazonaws.com).
func TestQueryUnauthenticatedAudited(t *testing.T) {
	s := harness.Start(t, harness.Options{AccountID: account, ExtraArgs: []string{"--audit-unauthenticated-interval", "200ms"}})
	ctx := t.Context()
	ak, sk := s.Credentials(t, s.CredentialsFile())
	cfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(ak, "wrong"+sk, ""),
		HTTPClient: s.HTTPClient(), RetryMaxAttempts: 1}
	wantCode := func(err error, code string) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != code {
			t.Fatalf("err = %v, want %s", err, code)
		}
	}
	_, err := iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(s.Endpoint) }).ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(err, "SignatureDoesNotMatch")
	_, err = sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(s.Endpoint) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(err, "SignatureDoesNotMatch")

	hc := s.HTTPClient()
	post := func(url, body string, sign bool) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		if sign {
			sum := sha256.Sum256([]byte(body))
			creds := aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}
			if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "iam", region, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// A body that is not form-encoded, signed with the right key: it is
	// refused before its signature can be checked.
	if st, b := post(s.Endpoint+"/", "Action=ListUsers&Version=2010-05-08&Marker=%zz", true); st != 400 || !strings.Contains(b, "<Code>MalformedQueryString</Code>") {
		t.Fatalf("malformed body: HTTP %d %s", st, b)
	}
	// A malformed query string, unsigned.
	if st, b := post(s.Endpoint+"/?Action=%zz", "Action=ListUsers&Version=2010-05-08", false); st != 400 || !strings.Contains(b, "<Code>MalformedQueryString</Code>") {
		t.Fatalf("malformed query string: HTTP %d %s", st, b)
	}
	// No signature at all.
	if st, b := post(s.Endpoint+"/", "Action=ListUsers&Version=2010-05-08", false); st != 403 || !strings.Contains(b, "<Code>MissingAuthenticationToken</Code>") {
		t.Fatalf("unsigned: HTTP %d %s", st, b)
	}

	time.Sleep(time.Second) // two aggregation intervals
	s.Stop(t)

	type want struct {
		source, name, akid string
	}
	check := func(code string, wants []want) {
		t.Helper()
		evs := listEvents(t, s, "--error-code", code)
		if len(evs) != len(wants) {
			t.Fatalf("audit list --error-code %s: %d events, want %d: %v", code, len(evs), len(wants), evs)
		}
	next:
		for _, w := range wants {
			for _, ev := range evs {
				id := ev["userIdentity"].(map[string]any)
				akid, _ := id["accessKeyId"].(string)
				extra, _ := ev["additionalEventData"].(map[string]any)
				if ev["eventSource"] == w.source && ev["eventName"] == w.name && akid == w.akid {
					if id["type"] != "Unknown" || extra["count"] != 1.0 || ev["sourceIPAddress"] != "127.0.0.1" {
						t.Errorf("%s event %v: want an aggregate of 1 request from 127.0.0.1 by Unknown", code, ev)
					}
					continue next
				}
			}
			t.Errorf("no %s event with eventSource %s, eventName %q, accessKeyId %q among %v", code, w.source, w.name, w.akid, evs)
		}
	}
	check("SignatureDoesNotMatch", []want{{"iam.amazonaws.com", "ListUsers", ak}, {"sts.amazonaws.com", "GetCallerIdentity", ak}})
	check("MalformedQueryString", []want{{"iam.amazonaws.com", "ListUsers", ak}, {"iam.amazonaws.com", "", ""}})
	check("MissingAuthenticationToken", []want{{"iam.amazonaws.com", "ListUsers", ""}})
}
