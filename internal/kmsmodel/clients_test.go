package kmsmodel

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trentkms/trent/test/harness"
)

// tool returns the client named by env (or found on PATH), or skips.
func tool(t *testing.T, env, name string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	p, err := exec.LookPath(name)
	if err != nil {
		harness.Missing(t, "%s not found (set %s)", name, env)
	}
	return p
}

func clientEnv(t *testing.T) []string {
	t.Helper()
	dir, err := filepath.Abs("awsdata")
	if err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "AWS_DATA_PATH="+dir, "PAGER=cat", "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true")
}

// TestCLIReadsMergedModel checks that the AWS CLI knows, through
// AWS_DATA_PATH=awsdata, the operations only the overlay has and those
// newer than the CLI's own model.
func TestCLIReadsMergedModel(t *testing.T) {
	aws := tool(t, "TRENT_AWS_CLI", "aws")
	for cmd, want := range map[string]string{
		"encapsulate":          "--encapsulation-algorithm",
		"decapsulate":          "--shared-secret-ciphertext-blob",
		"rotate-key-on-demand": "--key-id",
	} {
		c := exec.Command(aws, "kms", cmd, "help")
		c.Env = clientEnv(t)
		out, err := c.CombinedOutput()
		if err != nil || !strings.Contains(string(out), want) {
			t.Errorf("aws kms %s help: %v\n%.2000s", cmd, err, out)
		}
	}
}

// TestBoto3ReadsMergedModel checks the same for boto3 (botocore), and the
// overlay's enum values.
func TestBoto3ReadsMergedModel(t *testing.T) {
	py := tool(t, "TRENT_PYTHON3", "python3")
	c := exec.Command(py, "-c", `
import botocore.session
m = botocore.session.get_session().get_service_model("kms")
op = m.operation_model("Decapsulate")
print(sorted(op.input_shape.members), sorted(op.input_shape.required_members))
print(m.shape_for("KeySpec").enum[-3:], m.shape_for("KeyUsageType").enum[-1])
`)
	c.Env = clientEnv(t)
	out, err := c.CombinedOutput()
	if err != nil {
		harness.Missing(t, "botocore: %v\n%s", err, out)
	}
	want := "['DryRun', 'EncapsulationAlgorithm', 'GrantTokens', 'KeyId', 'SharedSecretCiphertextBlob'] ['EncapsulationAlgorithm', 'KeyId', 'SharedSecretCiphertextBlob']\n" +
		"['ML_KEM_512', 'ML_KEM_768', 'ML_KEM_1024'] ENCAPSULATE_DECAPSULATE\n"
	if string(out) != want {
		t.Errorf("botocore read\n%s\nwant\n%s", out, want)
	}
}
