package startup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/trentkms/trent/test/harness"
)

// awsCLI runs the AWS CLI with the credentials file creds against s.
func awsCLI(t *testing.T, s *harness.Server, creds string, args ...string) (string, error) {
	t.Helper()
	bin := os.Getenv("TRENT_AWS_CLI")
	if bin == "" {
		bin = "/usr/bin/aws"
	}
	if _, err := os.Stat(bin); err != nil {
		harness.Missing(t, "AWS CLI %s: %v", bin, err)
	}
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "LANG=C.UTF-8", "AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + creds, "AWS_REGION=" + region, "AWS_DEFAULT_REGION=" + region,
		"AWS_DEFAULT_OUTPUT=json", "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1"}
	if dp, err := harness.AWSDataPath(); err == nil {
		env = append(env, "AWS_DATA_PATH="+dp)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(args, "--endpoint-url", s.Endpoint)...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return errb.String(), err
	}
	return out.String(), nil
}

func breakGlass(t *testing.T, s *harness.Server, args ...string) harness.Result {
	t.Helper()
	return s.Run(t, append([]string{"admin", "credentials", "create", "--data-dir", s.DataDir}, args...)...)
}

// TestBreakGlassCredentials: with the root key file, trent admin
// credentials create gives an account's root a new access key while the
// server runs; the server accepts it on its next request (aws-sdk-go-v2
// and the AWS CLI), the audit log has its event and still verifies, and
// the new key can delete the lost one. It never writes over a file, and
// refuses without the root key file or for an unknown account, creating
// no key.
func TestBreakGlassCredentials(t *testing.T) {
	t.Parallel()
	s := harness.Start(t, harness.Options{AccountID: account})
	id := createKey(t, s.KMS(t, region))
	lost, _ := s.Credentials(t, s.CredentialsFile())

	r := breakGlass(t, s, "--account-id", account)
	if r.ExitCode != 0 {
		t.Fatalf("trent admin credentials create: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	path := lines[len(lines)-1]
	if filepath.Dir(path) != s.DataDir || !strings.HasPrefix(filepath.Base(path), "credentials-"+account+"-AKIA") {
		t.Fatalf("last line %q: want the new credentials file in %s", path, s.DataDir)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file %s: %v (mode %v), want 0600", path, err, fi.Mode().Perm())
	}
	ak, _ := s.Credentials(t, path)
	if ak == lost || !strings.Contains(r.Stdout, ak) {
		t.Fatalf("new access key %s (lost %s); output:\n%s", ak, lost, r.Stdout)
	}

	// aws-sdk-go-v2, against the server that was running all along.
	c := s.KMSFor(t, path, region)
	describe(t, c, id)
	if _, err := c.Encrypt(t.Context(), &kms.EncryptInput{KeyId: aws.String(id), Plaintext: []byte("x")}); err != nil {
		t.Fatalf("Encrypt with the break-glass key: %v", err)
	}
	// The AWS CLI, with the file as its shared credentials file.
	out, err := awsCLI(t, s, path, "sts", "get-caller-identity")
	if err != nil || !strings.Contains(out, `"arn:aws:iam::`+account+`:root"`) {
		t.Fatalf("aws sts get-caller-identity: %v\n%s", err, out)
	}
	out, err = awsCLI(t, s, path, "cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=CreateAccessKey")
	if err != nil {
		t.Fatalf("aws cloudtrail lookup-events: %v\n%s", err, out)
	}
	var res struct {
		Events []struct{ EventName, EventSource, CloudTrailEvent string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Events) != 1 {
		t.Fatalf("lookup-events: %v, want one CreateAccessKey event:\n%s", err, out)
	}
	var ev struct {
		EventSource, EventType, RecipientAccountID string
		UserIdentity                               struct{ AccountID, InvokedBy string }
		ResponseElements                           struct {
			AccessKey struct{ AccessKeyID, Status string }
		}
		AdditionalEventData struct{ Command string }
	}
	if err := json.Unmarshal([]byte(res.Events[0].CloudTrailEvent), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.EventSource != "iam.amazonaws.com" || ev.EventType != "AwsServiceEvent" || ev.RecipientAccountID != account ||
		ev.UserIdentity.AccountID != account || ev.UserIdentity.InvokedBy != "trent-admin" ||
		ev.ResponseElements.AccessKey.AccessKeyID != ak || ev.ResponseElements.AccessKey.Status != "Active" ||
		ev.AdditionalEventData.Command != "trent admin credentials create" {
		t.Errorf("event %+v\n%s", ev, res.Events[0].CloudTrailEvent)
	}
	if strings.Contains(res.Events[0].CloudTrailEvent, readFile(t, path)[strings.LastIndex(readFile(t, path), "= ")+2:]) {
		t.Errorf("the audit event holds the secret access key")
	}
	// The new key retires the lost one.
	if out, err := awsCLI(t, s, path, "iam", "delete-access-key", "--access-key-id", lost); err != nil {
		t.Fatalf("aws iam delete-access-key %s: %v\n%s", lost, err, out)
	}
	if _, err := s.KMS(t, region).ListKeys(t.Context(), &kms.ListKeysInput{}); err == nil {
		t.Errorf("the deleted access key still works")
	}

	// Refusals create nothing.
	keysBefore, err := awsCLI(t, s, path, "iam", "list-access-keys")
	if err != nil {
		t.Fatal(err)
	}
	away := filepath.Join(t.TempDir(), "seal.key")
	for _, tc := range []struct {
		name    string
		args    []string
		prepare func()
		undo    func()
		want    string
	}{
		{"unknown account", []string{"--account-id", "999999999999"}, nil, nil, "account 999999999999 does not exist"},
		{"no --account-id", nil, nil, nil, "--account-id is required"},
		{"existing --out", []string{"--account-id", account, "--out", s.CredentialsFile() + "-taken"}, func() {
			if err := os.WriteFile(s.CredentialsFile()+"-taken", []byte("mine"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, nil, "-taken already exists and is never overwritten"},
		{"no root key file", []string{"--account-id", account}, func() {
			if err := os.Rename(filepath.Join(s.DataDir, "seal.key"), away); err != nil {
				t.Fatal(err)
			}
		}, func() {
			if err := os.Rename(away, filepath.Join(s.DataDir, "seal.key")); err != nil {
				t.Fatal(err)
			}
		}, "root key file " + filepath.Join(s.DataDir, "seal.key") + " is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.prepare != nil {
				tc.prepare()
			}
			if tc.undo != nil {
				defer tc.undo()
			}
			before := snapshot(t, s.DataDir)
			for _, name := range []string{"trent.db", "trent.db-wal", "trent.db-shm"} {
				delete(before, name) // the running server writes these
			}
			r := breakGlass(t, s, tc.args...)
			if r.ExitCode == 0 || !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want a failure saying %q", r.ExitCode, r.Stderr, tc.want)
			}
			after := snapshot(t, s.DataDir)
			for _, name := range []string{"trent.db", "trent.db-wal", "trent.db-shm"} {
				delete(after, name)
			}
			for name := range after {
				if _, ok := before[name]; !ok {
					t.Errorf("the refused command wrote %s", name)
				}
			}
		})
	}
	if keysAfter, err := awsCLI(t, s, path, "iam", "list-access-keys"); err != nil || keysAfter != keysBefore {
		t.Errorf("access keys changed by refused commands: %v\nbefore %s\nafter %s", err, keysBefore, keysAfter)
	}
	if got := readFile(t, s.CredentialsFile()+"-taken"); got != "mine" {
		t.Errorf("the existing --out file was overwritten: %q", got)
	}

	// The chain, with an event appended by another process, verifies.
	s.Stop(t)
	if r := s.Run(t, "audit", "verify", "--data-dir", s.DataDir); r.ExitCode != 0 {
		t.Errorf("trent audit verify after the break-glass event: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
}
