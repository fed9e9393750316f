// Package harness builds the trent binary and runs it as a real process for
// end-to-end tests: a fresh data directory, the endpoint read from the
// server's stdout, health checked, stopped with SIGTERM when the test ends.
// It also makes aws-sdk-go-v2 KMS clients pointed at the server.
//
// Tests that use it need only Go: the binary is built from the module the
// test runs in (go build, with -race when TRENT_TEST_RACE=1), or taken from
// TRENT_TEST_BIN when that names a prebuilt binary.
package harness

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Timeouts. A race-enabled binary is several times slower to start.
const (
	readyTimeout = 60 * time.Second
	stopTimeout  = 10 * time.Second
	adminTimeout = 60 * time.Second
)

var build struct {
	once sync.Once
	dir  string // temporary directory holding the binary, removed by Main
	bin  string
	err  error
}

// Main runs the tests and removes the binary that Build made. Call it from
// TestMain: func TestMain(m *testing.M) { harness.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// Build returns the path of the trent binary, building it on first use in
// this test process. A build failure fails t with the compiler's output.
func Build(t testing.TB) string {
	t.Helper()
	build.once.Do(func() { build.bin, build.err = buildBinary() })
	if build.err != nil {
		t.Fatalf("build trent: %v", build.err)
	}
	return build.bin
}

func buildBinary() (string, error) {
	if p := os.Getenv("TRENT_TEST_BIN"); p != "" {
		return p, nil
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goTool, "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the trent module (go env GOMOD is empty)")
	}
	dir, err := os.MkdirTemp("", "trent-test-bin-")
	if err != nil {
		return "", err
	}
	build.dir = dir
	bin := filepath.Join(dir, "trent")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	args := []string{"build", "-o", bin}
	if os.Getenv("TRENT_TEST_RACE") == "1" {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/trent")
	cmd := exec.Command(goTool, args...)
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin, nil
}

// Options configure Start.
type Options struct {
	// Regions served; default us-east-1.
	Regions []string
	// OmitRegion starts the server without --region, so that it serves
	// the regions its installation recorded (us-east-1 on a first start).
	OmitRegion bool
	// AccountID of the first account (--account-id); empty lets the server
	// choose.
	AccountID string
	// TLS serves HTTPS with a certificate for 127.0.0.1 issued by a test CA
	// made for this server (Server.CAFile).
	TLS bool
	// DataDir to use; default a new directory under t.TempDir() that the
	// server creates.
	DataDir string
	// ExtraArgs are appended to the server command line.
	ExtraArgs []string
}

// Server is a running (or stopped) trent server process.
type Server struct {
	// Endpoint is the URL the server listens on, e.g. http://127.0.0.1:43121.
	// It changes on Restart.
	Endpoint string
	DataDir  string
	// Accounts as the server listed them at its last start.
	Accounts []string
	// CAFile is the PEM file of the CA that issued the server's TLS
	// certificate (empty without TLS), for AWS_CA_BUNDLE.
	CAFile string

	t      testing.TB
	bin    string
	args   []string
	env    []string // added to the environment of the server and its admin commands
	caPool *x509.CertPool

	mu         sync.Mutex
	p          *process          // guarded by mu: the current process
	transports []*http.Transport // guarded by mu: closed at cleanup
}

// process is one run of the binary.
type process struct {
	cmd    *exec.Cmd
	stdout *lineBuffer
	stderr *lockedBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's result, set before done is closed
}

// StartError is a server that exited before it was ready.
type StartError struct {
	ExitCode int
	Stdout   string
	Stderr   string
}

func (e *StartError) Error() string {
	return fmt.Sprintf("trent server exited with code %d before it was ready\nstdout:\n%s\nstderr:\n%s", e.ExitCode, e.Stdout, e.Stderr)
}

// Start starts a server and waits until it answers /healthz. The server is
// stopped with SIGTERM when t ends (and t fails if it then exits non-zero).
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := StartErr(t, opts)
	if err != nil {
		t.Fatalf("start trent: %v", err)
	}
	return s
}

// StartErr is Start for servers expected to fail: a server that exits
// before it is ready is reported as a *StartError.
func StartErr(t testing.TB, opts Options) (*Server, error) {
	t.Helper()
	s := &Server{t: t, bin: Build(t), DataDir: opts.DataDir}
	if s.DataDir == "" {
		// A directory that does not exist yet, as on a real first start.
		s.DataDir = filepath.Join(t.TempDir(), "data")
	}
	regions := opts.Regions
	if len(regions) == 0 {
		regions = []string{"us-east-1"}
	}
	s.args = []string{"server", "--data-dir", s.DataDir, "--listen", "127.0.0.1:0"}
	if !opts.OmitRegion {
		s.args = append(s.args, "--region", strings.Join(regions, ","))
	}
	if opts.AccountID != "" {
		s.args = append(s.args, "--account-id", opts.AccountID)
	}
	if opts.TLS {
		tlsDir := t.TempDir()
		ca, cert, key, pool, err := writeTestPKI(tlsDir)
		if err != nil {
			t.Fatalf("make test certificates: %v", err)
		}
		s.CAFile, s.caPool = ca, pool
		s.args = append(s.args, "--tls-cert", cert, "--tls-key", key)
	}
	s.args = append(s.args, opts.ExtraArgs...)
	if UsePostgres() && !slices.Contains(opts.ExtraArgs, "--store") {
		s.env = append(s.env, "TRENT_STORE="+postgresStore(t, s.DataDir))
	}
	t.Cleanup(s.cleanup)
	if err := s.launch(); err != nil {
		return nil, err
	}
	return s, nil
}

// launch starts the process and waits for readiness.
func (s *Server) launch() error {
	p := &process{stdout: &lineBuffer{ready: make(chan struct{})}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(s.bin, s.args...)
	p.cmd.Env = append(serverEnv(), s.env...)
	p.cmd.Stdout = p.stdout
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	s.mu.Lock()
	s.p = p
	s.mu.Unlock()

	select {
	case <-p.stdout.ready:
	case <-p.done:
		return p.startError()
	case <-time.After(readyTimeout):
		p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("trent did not print its start-up lines (endpoint ... credentials) within %v\nstdout:\n%s\nstderr:\n%s", readyTimeout, p.stdout.String(), p.stderr.String())
	}
	endpoint, accounts := p.stdout.parsed()
	s.Endpoint, s.Accounts = endpoint, accounts
	if s.Endpoint == "" {
		return fmt.Errorf("no endpoint line in stdout:\n%s", p.stdout.String())
	}
	return s.waitHealthy(p)
}

func (p *process) startError() error {
	code := -1
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		code = ee.ExitCode()
	} else if p.err == nil {
		code = 0
	}
	return &StartError{ExitCode: code, Stdout: p.stdout.String(), Stderr: p.stderr.String()}
}

func (s *Server) waitHealthy(p *process) error {
	c := &http.Client{Transport: s.transport(), Timeout: 5 * time.Second}
	deadline := time.Now().Add(readyTimeout)
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return p.startError()
		default:
		}
		resp, err := c.Get(s.Endpoint + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("GET %s/healthz not 200 within %v (last: %s)", s.Endpoint, readyTimeout, last)
}

// serverEnv is the test process's environment without TRENT_ variables,
// so that a developer's settings cannot change what the tests run.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TRENT_") {
			env = append(env, kv)
		}
	}
	return env
}

func (s *Server) current() *process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p
}

// Running reports whether the server process is alive.
func (s *Server) Running() bool {
	p := s.current()
	if p == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM and waits for the process to exit; t fails if it does
// not exit with code 0 within 10 s (it is then killed).
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if code := s.stop(); code != 0 {
		t.Errorf("trent exited with code %d after SIGTERM, want 0\nstderr:\n%s", code, s.Stderr())
	}
}

// stop returns the exit code, or -1 when the process had to be killed or
// died of a signal.
func (s *Server) stop() int {
	p := s.current()
	if p == nil {
		return 0
	}
	select {
	case <-p.done:
	default:
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopTimeout):
			p.cmd.Process.Kill()
			<-p.done
			return -1
		}
	}
	if p.err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// Kill9 kills the server with SIGKILL and waits for it to be gone.
func (s *Server) Kill9() {
	p := s.current()
	if p == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Restart stops the server if it is running (SIGTERM, expecting exit 0)
// and starts it again with the same data directory and flags. The endpoint
// changes: make new clients afterwards.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if s.Running() {
		s.Stop(t)
	}
	if err := s.launch(); err != nil {
		t.Fatalf("restart trent: %v", err)
	}
}

// Stdout returns what the current process has printed on stdout.
func (s *Server) Stdout() string {
	if p := s.current(); p != nil {
		return p.stdout.String()
	}
	return ""
}

// Stderr returns what the current process has printed on stderr (its log).
func (s *Server) Stderr() string {
	if p := s.current(); p != nil {
		return p.stderr.String()
	}
	return ""
}

func (s *Server) cleanup() {
	if s.Running() {
		if code := s.stop(); code != 0 {
			s.t.Errorf("trent exited with code %d after SIGTERM at the end of the test, want 0", code)
		}
	}
	if s.t.Failed() {
		if log := s.Stderr(); log != "" {
			const max = 8 << 10
			if len(log) > max {
				log = "..." + log[len(log)-max:]
			}
			s.t.Logf("trent stderr (%s):\n%s", s.DataDir, log)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tr := range s.transports {
		tr.CloseIdleConnections()
	}
}

// Result is the outcome of a command run with Run.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
}

// Run runs the trent binary with args and waits up to a minute.
func Run(t testing.TB, args ...string) Result {
	t.Helper()
	return run(t, nil, args...)
}

// Run runs the binary with the server's store settings (an admin command
// on its data directory or database).
func (s *Server) Run(t testing.TB, args ...string) Result {
	t.Helper()
	return run(t, s.env, args...)
}

func run(t testing.TB, env []string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, Build(t), args...)
	cmd.Env = append(serverEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.ExitCode = ee.ExitCode()
	default:
		t.Fatalf("run trent %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("trent %s did not finish within %v", strings.Join(args, " "), adminTimeout)
	}
	return r
}

// CreateAccount runs `trent admin account create` on the server's data
// directory (accountID may be empty) and returns the new account's ID and
// credentials file, as the command printed them.
func (s *Server) CreateAccount(t testing.TB, accountID string) (account, credPath string) {
	t.Helper()
	args := []string{"admin", "account", "create", "--data-dir", s.DataDir}
	if accountID != "" {
		args = append(args, "--account-id", accountID)
	}
	r := s.Run(t, args...)
	if r.ExitCode != 0 {
		t.Fatalf("trent %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.ExitCode, r.Stdout, r.Stderr)
	}
	for _, line := range strings.Split(r.Stdout, "\n") {
		if v, ok := strings.CutPrefix(line, "trent: account "); ok {
			account = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "trent: credentials "); ok {
			credPath = strings.TrimSuffix(strings.TrimSpace(v), " (profile default)")
		}
	}
	if account == "" || credPath == "" {
		t.Fatalf("trent %s printed no account or credentials line:\n%s", strings.Join(args, " "), r.Stdout)
	}
	return account, credPath
}

// Args returns the server's command line arguments.
func (s *Server) Args() []string { return slices.Clone(s.args) }
