// Package cli_test drives a real trent process with the AWS CLI, typing the
// commands a user types (the README and the issues' flows), and checks what
// the CLI prints. Every test runs twice, over HTTP and over HTTPS (a test CA
// given to the CLI as AWS_CA_BUNDLE), each time against its own server.
//
// The CLI is Debian's awscli (/usr/bin/aws, or TRENT_AWS_CLI): the `aws`
// first on PATH on the project's machines is another installation. It runs
// in a clean environment with AWS_DATA_PATH pointing at the repository's
// internal/kmsmodel/awsdata (the KMS model Trent serves). When the CLI is
// missing the tests skip, or fail when TRENT_REQUIRE_ALL=1.
package cli_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

	// cmdTimeout bounds one CLI invocation.
	cmdTimeout = 2 * time.Minute
	// serviceErrorExit is the AWS CLI v2's exit status for an error the
	// service returned (a botocore ClientError).
	serviceErrorExit = 254
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// tools is what the suite found on this machine, looked up once.
var tools struct {
	once     sync.Once
	aws      string // the AWS CLI's absolute path
	dataPath string // AWS_DATA_PATH
	versions string // what the CLI and its botocore report
	err      error  // why the suite cannot run
}

func findTools() {
	aws := os.Getenv("TRENT_AWS_CLI")
	if aws == "" {
		aws = "/usr/bin/aws"
	}
	if fi, err := os.Stat(aws); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		tools.err = fmt.Errorf("AWS CLI %s not found or not executable (install Debian's awscli, or set TRENT_AWS_CLI)", aws)
		return
	}
	tools.aws = aws

	dp, err := harness.AWSDataPath()
	if err != nil {
		tools.err = err
		return
	}
	tools.dataPath = dp

	env := baseEnv(os.TempDir(), dp)
	out, err := command(env, "", aws, "--version")
	if err != nil {
		tools.err = fmt.Errorf("%s --version: %v\n%s", aws, err, out)
		return
	}
	v := fmt.Sprintf("%s --version: %s", aws, strings.TrimSpace(out))
	// The CLI vendors its own botocore in Debian's awscli 2.x; ask the
	// interpreter named on its #! line which one it loads.
	if py := interpreter(aws); py != "" {
		out, err := command(env, "", py, "-c", "import awscli, botocore; print(botocore.__version__, botocore.__file__)")
		if err != nil {
			out = "unknown: " + err.Error() + ": " + out
		}
		v += fmt.Sprintf("\nbotocore loaded by the CLI (%s): %s", py, strings.TrimSpace(out))
		out, err = command(env, "", py, "-c", "import botocore; print(botocore.__version__, botocore.__file__)")
		if err != nil {
			out = "not importable: " + err.Error() + ": " + out
		}
		v += fmt.Sprintf("\n%s -c 'import botocore': %s", py, strings.TrimSpace(out))
	}
	v += "\nAWS_DATA_PATH=" + dp
	tools.versions = v
}

// interpreter returns the program named on path's #! line, or "".
func interpreter(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(b, []byte("#!")) {
		return ""
	}
	line, _, _ := bytes.Cut(b[2:], []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) == 0 {
		return ""
	}
	if filepath.Base(f[0]) == "env" && len(f) > 1 {
		return f[1]
	}
	return f[0]
}

// needCLI returns the CLI's path and AWS_DATA_PATH, or skips/fails t.
func needCLI(t testing.TB) (aws, dataPath string) {
	t.Helper()
	tools.once.Do(findTools)
	if tools.err != nil {
		harness.Missing(t, "%v", tools.err)
	}
	return tools.aws, tools.dataPath
}

// baseEnv is the whole environment the CLI runs with, without a server:
// nothing from the test process leaks in (no developer profile, no
// instance metadata, no pager).
func baseEnv(home, dataPath string) []string {
	return []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + home,
		"LANG=C.UTF-8",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"AWS_DEFAULT_OUTPUT=json",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
		"AWS_DATA_PATH=" + dataPath,
	}
}

// command runs name with args in env and dir, returning its combined output.
func command(env []string, dir, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env, cmd.Dir = env, dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// env is one server and the CLI set up to talk to it.
type env struct {
	t   *testing.T
	s   *harness.Server
	aws string
	// vars is the CLI's environment; dir its working directory (fileb://
	// paths are relative to it).
	vars []string
	dir  string
	tls  bool
}

// each runs f against a fresh server (account 111122223333) over HTTP and
// over HTTPS, in parallel.
func each(t *testing.T, f func(t *testing.T, e *env)) {
	t.Helper()
	aws, dataPath := needCLI(t)
	t.Parallel()
	for _, tlsOn := range []bool{false, true} {
		name := "http"
		if tlsOn {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := harness.Start(t, harness.Options{AccountID: account, TLS: tlsOn})
			vars := append(baseEnv(t.TempDir(), dataPath), "AWS_SHARED_CREDENTIALS_FILE="+s.CredentialsFile())
			if tlsOn {
				if s.CAFile == "" {
					t.Fatal("harness started a TLS server without a CAFile")
				}
				vars = append(vars, "AWS_CA_BUNDLE="+s.CAFile)
			}
			if want := "https://"; tlsOn != strings.HasPrefix(s.Endpoint, want) {
				t.Fatalf("endpoint %s, TLS %v", s.Endpoint, tlsOn)
			}
			f(t, &env{t: t, s: s, aws: aws, vars: vars, dir: t.TempDir(), tls: tlsOn})
		})
	}
}

func (e *env) keyARN(id string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, account, id)
}

func (e *env) aliasARN(name string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:%s", region, account, name)
}

// result is one finished CLI run.
type result struct {
	args           []string
	stdout, stderr string
	exit           int
}

func (r result) String() string {
	return fmt.Sprintf("aws %s\nexit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.exit, r.stdout, r.stderr)
}

// run runs `aws ARGS --endpoint-url ENDPOINT` and returns what happened;
// it fails t only when the CLI cannot be run at all.
func (e *env) run(args ...string) result {
	e.t.Helper()
	return e.runEnv(e.vars, args...)
}

func (e *env) runEnv(vars []string, args ...string) result {
	e.t.Helper()
	args = append(args, "--endpoint-url", e.s.Endpoint)
	ctx, cancel := context.WithTimeout(e.t.Context(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.aws, args...)
	cmd.Env, cmd.Dir = vars, e.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ctx.Err() == nil:
		r.exit = ee.ExitCode()
	default:
		e.t.Fatalf("run aws %s: %v (context: %v)\n%s", strings.Join(args, " "), err, ctx.Err(), r)
	}
	return r
}

// ok runs the CLI, fails t unless it exits 0, and decodes its JSON output
// into out (when out is non-nil; the output must then be JSON).
func (e *env) ok(out any, args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.exit != 0 {
		e.t.Fatalf("want exit 0:\n%s", r)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(r.stdout), out); err != nil {
			e.t.Fatalf("decode the CLI's JSON output: %v\n%s", err, r)
		}
	}
	return r
}

// okEmpty runs a command that prints nothing on success (CreateAlias,
// TagResource, ...).
func (e *env) okEmpty(args ...string) {
	e.t.Helper()
	if r := e.ok(nil, args...); strings.TrimSpace(r.stdout) != "" {
		e.t.Errorf("want no output:\n%s", r)
	}
}

// fails runs the CLI and checks that it reports the service error code for
// operation op the way the CLI prints it, "An error occurred (CODE) when
// calling the OP operation: MESSAGE" (botocore may insert "(reached max
// retries: N)" before the colon), with the CLI's service-error exit status.
// It returns the message.
func (e *env) fails(op, code string, args ...string) string {
	e.t.Helper()
	r := e.run(args...)
	if r.exit == 0 {
		e.t.Errorf("want %s, got success:\n%s", code, r)
		return ""
	}
	if r.exit != serviceErrorExit {
		e.t.Errorf("exit status %d, want %d (service error):\n%s", r.exit, serviceErrorExit, r)
	}
	re := regexp.MustCompile(`(?m)^An error occurred \(` + regexp.QuoteMeta(code) + `\) when calling the ` +
		regexp.QuoteMeta(op) + ` operation(?: \(reached max retries: \d+\))?: (.*)$`)
	m := re.FindStringSubmatch(r.stderr)
	if m == nil {
		e.t.Errorf("stderr lacks \"An error occurred (%s) when calling the %s operation: ...\":\n%s", code, op, r)
		return ""
	}
	if strings.TrimSpace(r.stdout) != "" {
		e.t.Errorf("want no stdout on error:\n%s", r)
	}
	return strings.TrimSpace(m[1])
}

// file writes b to name in the CLI's working directory and returns the
// fileb:// argument for it.
func (e *env) file(name string, b []byte) string {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, name), b, 0o600); err != nil {
		e.t.Fatal(err)
	}
	return "fileb://" + name
}

// b64 decodes a blob the CLI printed in JSON output.
func b64(t *testing.T, field, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("%s %q is not base64: %v", field, s, err)
	}
	return b
}

// Output shapes, as the CLI prints them in JSON.

type keyMetadata struct {
	AWSAccountId         string
	KeyId                string
	Arn                  string
	Description          string
	Enabled              bool
	KeyState             string
	KeyUsage             string
	KeySpec              string
	KeyManager           string
	Origin               string
	EncryptionAlgorithms []string
	CreationDate         string
}

type keyOutput struct{ KeyMetadata keyMetadata }

type tag struct{ TagKey, TagValue string }

type tagsOutput struct {
	Tags      []tag
	Truncated bool
}

type keyEntry struct{ KeyId, KeyArn string }

type listKeysOutput struct {
	Keys      []keyEntry
	NextToken string
}

type aliasEntry struct {
	AliasName, AliasArn, TargetKeyId string
}

type listAliasesOutput struct{ Aliases []aliasEntry }

// TestAWSCLIVersion logs the CLI and botocore versions the suite uses, and
// checks that AWS_DATA_PATH reaches the CLI: it knows RotateKeyOnDemand,
// which Debian's awscli 2.9 predates.
func TestAWSCLIVersion(t *testing.T) {
	needCLI(t)
	t.Log(tools.versions)
	each(t, func(t *testing.T, e *env) {
		r := e.run("kms", "rotate-key-on-demand", "--key-id", "alias/none")
		if strings.Contains(r.stderr, "Invalid choice") || !strings.Contains(r.stderr, "when calling the RotateKeyOnDemand operation") {
			t.Errorf("the CLI does not know rotate-key-on-demand: is AWS_DATA_PATH=%s used?\n%s", tools.dataPath, r)
		}
	})
}
