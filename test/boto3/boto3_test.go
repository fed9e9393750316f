// Package boto3_test drives a real trent process with boto3, the way Python
// users do: the scripts in testdata/*.py make a KMS client with
// endpoint_url= (and verify= the test CA over HTTPS), run a flow and assert
// its results, exiting non-zero with a message for each failed check. Every
// test runs twice, over HTTP and over HTTPS, each time against its own
// server.
//
// Python is Debian's (/usr/bin/python3 with python3-boto3, or
// TRENT_PYTHON3): the python3 first on PATH on the project's machines is
// another installation. It runs in a clean environment with AWS_DATA_PATH
// pointing at the repository's internal/kmsmodel/awsdata. When boto3 is
// missing the tests skip, or fail when TRENT_REQUIRE_ALL=1.
package boto3_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trentkms/trent/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const (
	region  = "us-east-1"
	account = "111122223333"

	scriptTimeout = 5 * time.Minute
)

// tools is what the suite found on this machine, looked up once.
var tools struct {
	once      sync.Once
	python    string // the interpreter's absolute path
	dataPath  string // AWS_DATA_PATH
	testdata  string // absolute path of testdata
	versions  string // boto3, botocore, cryptography and openssl versions
	hasAESGCM bool   // the cryptography package is importable
	openssl   string // openssl's path, "" when absent
	err       error  // why the suite cannot run
}

func findTools() {
	py := os.Getenv("TRENT_PYTHON3")
	if py == "" {
		py = "/usr/bin/python3"
	}
	if fi, err := os.Stat(py); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		tools.err = fmt.Errorf("python %s not found or not executable (install Debian's python3-boto3, or set TRENT_PYTHON3)", py)
		return
	}
	tools.python = py

	dp, err := harness.AWSDataPath()
	if err != nil {
		tools.err = err
		return
	}
	tools.dataPath = dp
	td, err := filepath.Abs("testdata")
	if err != nil {
		tools.err = err
		return
	}
	tools.testdata = td

	env := baseEnv(os.TempDir())
	out, err := command(env, py, "-c", "import sys, boto3, botocore; print('python', sys.version.split()[0], 'boto3', boto3.__version__, 'botocore', botocore.__version__, botocore.__file__)")
	if err != nil {
		tools.err = fmt.Errorf("%s cannot import boto3 (install Debian's python3-boto3): %v\n%s", py, err, out)
		return
	}
	v := fmt.Sprintf("%s: %s", py, strings.TrimSpace(out))
	out, err = command(env, py, "-c", "import botocore; print(botocore.__version__)")
	v += fmt.Sprintf("\n%s -c 'import botocore; print(botocore.__version__)': %s", py, strings.TrimSpace(out))
	if err != nil {
		v += " (" + err.Error() + ")"
	}
	out, err = command(env, py, "-c", "import cryptography; print(cryptography.__version__)")
	if err == nil {
		tools.hasAESGCM = true
		v += "\ncryptography " + strings.TrimSpace(out) + ": envelope encryption uses AESGCM"
	} else {
		v += "\ncryptography not importable: envelope encryption uses openssl enc -aes-256-ctr + HMAC-SHA256"
	}
	if p, err := exec.LookPath("/usr/bin/openssl"); err == nil {
		tools.openssl = p
		out, _ := command(env, p, "version")
		v += "\n" + p + ": " + strings.TrimSpace(out)
	}
	v += "\nAWS_DATA_PATH=" + dp
	tools.versions = v
}

// needBoto3 skips or fails t unless the interpreter, boto3 and the model
// are present.
func needBoto3(t testing.TB) {
	t.Helper()
	tools.once.Do(findTools)
	if tools.err != nil {
		harness.Missing(t, "%v", tools.err)
	}
}

// baseEnv is the whole environment Python runs with, without a server.
// PYTHONDONTWRITEBYTECODE keeps __pycache__ out of testdata.
func baseEnv(home string) []string {
	return []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + home,
		"LANG=C.UTF-8",
		"PYTHONDONTWRITEBYTECODE=1",
		"PYTHONUNBUFFERED=1",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
		"AWS_DATA_PATH=" + tools.dataPath,
	}
}

func command(env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// env is one server and the environment its scripts run with.
type env struct {
	s    *harness.Server
	vars []string
	tls  bool
}

// each runs f against a fresh server (account 111122223333) over HTTP and
// over HTTPS, in parallel.
func each(t *testing.T, f func(t *testing.T, e *env)) {
	t.Helper()
	needBoto3(t)
	t.Parallel()
	for _, tlsOn := range []bool{false, true} {
		name := "http"
		if tlsOn {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := harness.Start(t, harness.Options{AccountID: account, TLS: tlsOn})
			if tlsOn != strings.HasPrefix(s.Endpoint, "https://") {
				t.Fatalf("endpoint %s, TLS %v", s.Endpoint, tlsOn)
			}
			vars := append(baseEnv(t.TempDir()), "AWS_SHARED_CREDENTIALS_FILE="+s.CredentialsFile())
			if tlsOn {
				if s.CAFile == "" {
					t.Fatal("harness started a TLS server without a CAFile")
				}
				vars = append(vars, "AWS_CA_BUNDLE="+s.CAFile)
			}
			f(t, &env{s: s, vars: vars, tls: tlsOn})
		})
	}
}

// script runs testdata/name with the server's endpoint, account and CA file
// and extra arguments, in a temporary working directory. A non-zero exit
// fails t with the script's stdout and stderr; on success its stdout is
// logged.
func (e *env) script(t *testing.T, name string, extra ...string) {
	t.Helper()
	args := []string{filepath.Join(tools.testdata, name), "--endpoint", e.s.Endpoint, "--account", account, "--region", region}
	if e.tls {
		args = append(args, "--ca-file", e.s.CAFile)
	}
	args = append(args, extra...)
	ctx, cancel := context.WithTimeout(t.Context(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, tools.python, args...)
	cmd.Env, cmd.Dir = e.vars, t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Errorf("%s did not finish within %v", name, scriptTimeout)
	}
	if err != nil {
		t.Errorf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", tools.python, strings.Join(args, " "), err, stdout.String(), stderr.String())
		return
	}
	t.Logf("%s:\n%s", name, strings.TrimSpace(stdout.String()))
}

// TestBoto3Version logs the Python, boto3, botocore, cryptography and
// openssl versions the suite uses.
func TestBoto3Version(t *testing.T) {
	needBoto3(t)
	t.Log(tools.versions)
}

// TestKeyManagement: keys with tags, aliases, DescribeKey by alias, the
// list_keys paginator over several pages, Enable/DisableKey, tags.
func TestKeyManagement(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.script(t, "key_management.py")
	})
}

// TestEnvelopeEncryption: GenerateDataKey, local AES-GCM (the openssl
// fallback when cryptography is missing, and once more forced), Decrypt of
// the data key.
func TestEnvelopeEncryption(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		// AES-GCM from cryptography when importable, else the fallback;
		// the script says which it used.
		t.Run("auto", func(t *testing.T) {
			e.script(t, "envelope.py", "--local-cipher", "auto")
		})
		// The fallback for a machine without cryptography, kept working
		// where cryptography is present too.
		t.Run("openssl", func(t *testing.T) {
			if tools.openssl == "" {
				harness.Missing(t, "no /usr/bin/openssl")
			}
			e.script(t, "envelope.py", "--local-cipher", "openssl")
		})
	})
}

// TestErrors: ClientError codes and HTTP 400 for NotFoundException,
// DisabledException, InvalidCiphertextException, ValidationException and
// others; over HTTPS, verification against the system CAs fails.
func TestErrors(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.script(t, "errors.py")
	})
}
