package asymmetric_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trentkms/trent/test/harness"
)

// TestCLISignOpenSSL is the flow of issue 5: `aws kms sign` with an
// ECC_NIST_P256 key, its base64 output decoded, and `openssl dgst -sha256
// -verify` of the signature with the public key from GetPublicKey (also
// fetched with the CLI).
func TestCLISignOpenSSL(t *testing.T) {
	t.Parallel()
	cli := os.Getenv("TRENT_AWS_CLI")
	if cli == "" {
		cli = "/usr/bin/aws"
	}
	if fi, err := os.Stat(cli); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		harness.Missing(t, "AWS CLI %s not found or not executable (install Debian's awscli, or set TRENT_AWS_CLI)", cli)
	}
	if !haveOpenSSL() {
		harness.Missing(t, "%s not found", opensslPath)
	}
	dataPath, err := harness.AWSDataPath()
	if err != nil {
		harness.Missing(t, "%v", err)
	}

	e := start(t)
	k := e.createKey(t, types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify)
	dir := writeFiles(t, map[string][]byte{"m": []byte("hello from the AWS CLI\n")})
	env := []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + t.TempDir(),
		"LANG=C.UTF-8",
		"AWS_SHARED_CREDENTIALS_FILE=" + e.s.CredentialsFile(),
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"AWS_DATA_PATH=" + dataPath,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	}
	sh := func(script string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", "set -e\n"+script)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sh -c %q: %v\n%s", script, err, out)
		}
		return string(out)
	}
	aws := cli + " --endpoint-url " + e.s.Endpoint + " kms"
	sh(aws + " sign --key-id " + k.id + " --message fileb://m --message-type RAW --signing-algorithm ECDSA_SHA_256 --query Signature --output text | base64 -d > sig")
	sh(aws + " get-public-key --key-id " + k.id + " --query PublicKey --output text | base64 -d > pub.der")
	sh(opensslPath + " pkey -pubin -inform DER -in pub.der -out pub.pem")
	out := sh(opensslPath + " dgst -sha256 -verify pub.pem -signature sig m")
	if !strings.Contains(out, "Verified OK") {
		t.Errorf("openssl dgst -verify of the CLI's signature: %s", out)
	}
	// And Trent's Verify through the CLI.
	out = sh(aws + " verify --key-id " + k.id + " --message fileb://m --message-type RAW --signing-algorithm ECDSA_SHA_256 --signature fileb://sig --query SignatureValid --output text")
	if strings.TrimSpace(out) != "True" {
		t.Errorf("aws kms verify of the CLI's signature printed %q, want True", out)
	}
	// A tampered message fails openssl's check.
	sh("printf 'tampered' >> m")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, opensslPath, "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "m")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("openssl verifies the CLI's signature over a tampered message: %s", b)
	}
}
