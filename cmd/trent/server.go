package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/trentkms/trent/internal/api"
	"github.com/trentkms/trent/internal/connlimit"
	"github.com/trentkms/trent/internal/iam"
	"github.com/trentkms/trent/internal/installation"
	"github.com/trentkms/trent/internal/policy"
	"github.com/trentkms/trent/internal/service"
	"github.com/trentkms/trent/internal/sigv4"
)

type serverFlags struct {
	data           dataFlags
	listen         string
	regions        string
	tlsCert        string
	tlsKey         string
	insecureListen bool
	logLevel       string
	logFormat      string
	metricsAddr    string
	pprofAddr      string
	testingClock   bool
	maxConns       string
	audit          auditFlags
}

// readHeaderTimeout bounds the wait for a request's headers, and how long
// a connection that has not authenticated may stay idle.
const readHeaderTimeout = 10 * time.Second

// defaultMaxConnections is --max-connections' default: sized so that the
// connections of a node fit in 2 GiB of memory (README, Server flags, has
// the measurements and the arithmetic).
const defaultMaxConnections = 400

// changePollInterval is how often a node reads the store's change feed:
// a change made through another node is honoured here within about this
// long (the README's propagation bound).
const changePollInterval = 500 * time.Millisecond

// serverGCPercent is the server's GOGC unless the GOGC environment
// variable sets one. Every request allocates a few KiB that die with it
// (the request, its audit event, its response), so the default of 100
// collects often for a heap that stays small; at 400, Encrypt with the
// audit log measured 16,000-18,000 requests/s instead of 13,200-14,100
// in alternating runs of trent bench, for about 15 MB more memory
// (README, Performance).
const serverGCPercent = 400

func runServer(ctx context.Context, args []string) error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
	}
	var f serverFlags
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	f.data.register(fs)
	fs.StringVar(&f.data.accountID, "account-id", envOr("TRENT_ACCOUNT_ID", ""), "12-digit ID of the first account (first start only; default random)")
	fs.StringVar(&f.listen, "listen", envOr("TRENT_LISTEN", "127.0.0.1:4599"), "listen address (env TRENT_LISTEN)")
	fs.StringVar(&f.regions, "region", envOr("TRENT_REGION", ""), "region(s) served: one, a comma-separated list, or * (env TRENT_REGION; default: the regions the installation recorded, us-east-1 on a first start)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate file (PEM)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fs.BoolVar(&f.insecureListen, "insecure-listen", false, "allow plain HTTP on a non-loopback address")
	fs.StringVar(&f.logLevel, "log-level", envOr("TRENT_LOG_LEVEL", "info"), "log level: debug (adds one line per request), info, warn, error (env TRENT_LOG_LEVEL)")
	fs.StringVar(&f.logFormat, "log-format", envOr("TRENT_LOG_FORMAT", "text"), "log format: text or json (env TRENT_LOG_FORMAT)")
	fs.StringVar(&f.metricsAddr, "metrics-listen", envOr("TRENT_METRICS_LISTEN", ""), "also serve GET /metrics (Prometheus) on this address; it is always served on --listen too (env TRENT_METRICS_LISTEN)")
	fs.StringVar(&f.pprofAddr, "pprof-listen", "", "serve Go's profiler (net/http/pprof) on this loopback address, for performance work")
	fs.StringVar(&f.maxConns, "max-connections", envOr("TRENT_MAX_CONNECTIONS", strconv.Itoa(defaultMaxConnections)), "connections held at once on --listen; more wait until one closes (env TRENT_MAX_CONNECTIONS)")
	fs.BoolVar(&f.testingClock, "testing-clock", false, "FOR TESTS ONLY: let POST "+api.TestingClockPath+"?advance=<duration> move the key clock forward (unauthenticated; loopback only)")
	f.audit.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f.data.accountID != "" && !iam.ValidAccountID(f.data.accountID) {
		return fmt.Errorf("--account-id %q is not 12 digits", f.data.accountID)
	}
	// Without --region the installation's recorded regions are served
	// (settleInstallation).
	explicitRegions := f.regions != ""
	given := installation.Of(installation.DefaultRegion)
	if explicitRegions {
		var err error
		if given, err = installation.ParseRegions(f.regions); err != nil {
			return fmt.Errorf("--region: %w", err)
		}
	}
	f.data.firstRegions = given.String()
	maxConns, err := strconv.Atoi(f.maxConns)
	if err != nil || maxConns < 1 {
		return fmt.Errorf("--max-connections %q: want a whole number of at least 1", f.maxConns)
	}
	logger, err := newLogger(os.Stderr, f.logFormat, f.logLevel)
	if err != nil {
		return err
	}

	tlsConfig, err := serverTLS(f.tlsCert, f.tlsKey)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if tlsConfig == nil && !isLoopback(ln.Addr()) && !f.insecureListen {
		ln.Close()
		return fmt.Errorf("refusing plain HTTP on non-loopback address %s: give --tls-cert/--tls-key, or --insecure-listen to accept the risk", ln.Addr())
	}
	if f.audit.testingNoAudit && !isLoopback(ln.Addr()) {
		ln.Close()
		return fmt.Errorf("--testing-no-audit is for measurements and needs a loopback --listen address, not %s", ln.Addr())
	}
	if f.testingClock && !isLoopback(ln.Addr()) {
		ln.Close()
		return fmt.Errorf("--testing-clock is for tests and needs a loopback --listen address, not %s", ln.Addr())
	}

	n, serve, err := startNode(ctx, &f.data, given, explicitRegions, logger)
	if err != nil {
		ln.Close()
		return explainDiskFull(err, f.data.dataDir)
	}
	defer n.Close()
	allowRegion := serve.Allow()

	dir := iam.NewDirectory(n.store, n.keyring)
	// The key clock (rotation, deletion); SigV4 keeps the real clock.
	var clock *offsetClock
	keyClock := time.Now
	if f.testingClock {
		clock = &offsetClock{}
		keyClock = clock.Now
		logger.Warn("--testing-clock: the key clock can be moved through " + api.TestingClockPath + "; never use this in production")
	}
	svc := service.New(service.Config{Store: n.store, Keyring: n.keyring, Now: keyClock, Logger: logger})
	watcher := service.NewWatcher(svc, n.store)
	watcher.SetIdentities(dir)
	if _, err := watcher.Poll(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("read change feed: %w", err)
	}
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	go watcher.Run(watchCtx, changePollInterval)
	schedCtx, stopSched := context.WithCancel(context.Background())
	schedDone := make(chan struct{})
	go runScheduler(schedCtx, svc, scheduleInterval, logger, schedDone)
	defer func() { stopSched(); <-schedDone }() // before the store closes
	var testingClock http.Handler
	if clock != nil {
		testingClock = testingClockHandler(clock, svc, logger)
	}
	// IAM and STS are global services that SDKs sign for us-east-1; a
	// client configured for a served region signs for that one.
	globalRegion := func(r string) bool { return r == "us-east-1" || allowRegion(r) }
	kmsVerifier := &sigv4.Verifier{Service: "kms", AllowRegion: allowRegion, Lookup: dir.Lookup, LookupSession: dir.LookupSession}
	iamVerifier := &sigv4.Verifier{Service: "iam", AllowRegion: globalRegion, Lookup: dir.Lookup, LookupSession: dir.LookupSession}
	stsVerifier := &sigv4.Verifier{Service: "sts", AllowRegion: globalRegion, Lookup: dir.Lookup, LookupSession: dir.LookupSession}
	ctVerifier := &sigv4.Verifier{Service: "cloudtrail", AllowRegion: allowRegion, Lookup: dir.Lookup, LookupSession: dir.LookupSession}
	for _, v := range []*sigv4.Verifier{kmsVerifier, iamVerifier, stsVerifier, ctVerifier} {
		dir.OnForget(v.Forget)
	}
	policies := svc.IAMPolicies()
	iamSvc := iam.NewService(iam.Config{
		Store: n.store, Secrets: n.keyring, Directory: dir, Logger: logger,
		Validator: policies, Trust: policies,
	})
	accounts, err := n.store.ListAccounts(ctx)
	if err != nil {
		return err
	}
	mx := newMetrics(n, f.data.dataDir, f.audit.minFreeDisk, logger)
	aud, err := startAudit(ctx, n, &f.audit, f.data.dataDir, accounts, logger, mx.ObserveAuditCommit)
	if err != nil {
		ln.Close()
		return err
	}
	defer aud.Close() // after the server has drained
	h := api.New(api.Config{
		Service:         svc,
		KMS:             kmsVerifier,
		CloudTrail:      ctVerifier,
		Audit:           aud.apiWriter(),
		Unauthenticated: aud.agg,
		AuditLog:        n.store,
		Ready:           aud.ready,
		Logger:          logger,
		TestingClock:    testingClock,
		IAM:             iamSvc,
		IAMVerifier:     iamVerifier,
		STSVerifier:     stsVerifier,
		AuthorizeIAM:    iamAuthorizer(policies),
		AuthorizeLookup: lookupAuthorizer(policies),
		Requests:        mx,
		Metrics:         mx.Handler(),
		Authenticated:   connlimit.MarkAuthenticated,
	})
	// At most maxConns connections at once; one whose requests have all
	// failed authentication (or that sent none) is closed after the
	// read-header timeout instead of the idle timeout (README, Server
	// flags).
	cl := connlimit.New(ln, connlimit.Config{Max: maxConns, UnauthenticatedIdle: readHeaderTimeout, Logger: logger})
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         tlsConfig,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ConnState:         cl.ConnState,
		ConnContext:       cl.ConnContext,
	}

	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	fmt.Printf("trent: endpoint %s://%s\n", scheme, ln.Addr())
	fmt.Printf("trent: region %s\n", serve)
	for _, a := range accounts {
		fmt.Printf("trent: account %s\n", a.ID)
	}
	if cred := credentialsPath(&f.data, "", true); fileExists(cred) {
		fmt.Printf("trent: credentials %s (profile default)\n", cred)
		fmt.Printf("trent: try: AWS_SHARED_CREDENTIALS_FILE=%s AWS_REGION=%s aws kms list-keys --endpoint-url %s://%s\n",
			cred, serve.First(), scheme, ln.Addr())
	} else {
		fmt.Printf("trent: credentials: none in %s (the node that initialised the database wrote them)\n", f.data.dataDir)
	}

	if f.pprofAddr != "" {
		if err := servePprof(f.pprofAddr, logger); err != nil {
			return err
		}
	}
	if f.metricsAddr != "" {
		msrv, err := serveMetrics(f.metricsAddr, mx.Handler(), logger)
		if err != nil {
			return err
		}
		defer msrv.Close()
	}
	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- srv.ServeTLS(cl, "", "")
		} else {
			errc <- srv.Serve(cl)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// startNode opens (on a first start: creates) the data directory and
// finishes the start-up's writes in their crash-safe order: the
// installation's ID and regions, the credentials of an interrupted first
// start, the installation marker last. It returns the regions to serve.
func startNode(ctx context.Context, d *dataFlags, given installation.Regions, explicit bool, logger *slog.Logger) (*node, installation.Regions, error) {
	n, err := openNode(ctx, d, true)
	if err != nil {
		return nil, installation.Regions{}, err
	}
	for _, w := range n.warnings {
		logger.Warn(w)
	}
	serve, err := n.settleInstallation(ctx, d, given, explicit, logger)
	if err == nil {
		_, err = n.deliverCredentials(ctx, d)
	}
	if err == nil {
		err = n.writeMarker(d)
	}
	if err != nil {
		n.Close()
		return nil, installation.Regions{}, err
	}
	return n, serve, nil
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// serverTLS loads the certificate and returns a TLS 1.2+ configuration with
// forward-secret AEAD suites only, or nil when TLS is not configured.
func serverTLS(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, fmt.Errorf("--tls-cert and --tls-key go together")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		// TLS 1.3 suites are all forward-secret AEADs; for 1.2 allow ECDHE
		// with AEAD only.
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
	}, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// servePprof serves the profiler on a loopback address only: profiles show
// request paths and timing, which are not for the network.
func servePprof(addr string, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--pprof-listen: %w", err)
	}
	if !isLoopback(ln.Addr()) {
		ln.Close()
		return fmt.Errorf("--pprof-listen %s: only a loopback address is allowed", addr)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil {
			logger.Warn("profiler stopped", "err", err)
		}
	}()
	return nil
}

// iamAuthorizer decides IAM calls by the caller's identity policies and
// tells the API edge why it refuses one (an explicit Deny, or no Allow),
// which AWS's AccessDenied message says.
func iamAuthorizer(p service.IAMPolicies) func(*iam.Principal, string, string) (api.IAMDecision, error) {
	return func(caller *iam.Principal, action, resource string) (api.IAMDecision, error) {
		switch d := p.Decide(caller, action, resource); {
		case d.Allowed:
			return api.IAMAllow, nil
		case d.Reason == policy.ReasonExplicitDenyIdentity:
			return api.IAMExplicitDeny, nil
		}
		return api.IAMNoAllow, nil
	}
}

// lookupAuthorizer lets a caller read its account's audit events through
// LookupEvents when its identity policies allow cloudtrail:LookupEvents
// (the account root always).
func lookupAuthorizer(p service.IAMPolicies) api.AuthorizeLookup {
	return func(ctx context.Context, c *service.Caller) error {
		if c.Principal != nil {
			action := service.Lookup(service.APICloudTrail, "LookupEvents").Actions[0].Name
			if ok, err := p.Allowed(c.Principal, action, "*"); err != nil || ok {
				return err
			}
			return api.LookupDenied(c)
		}
		return api.RootOnlyLookup(ctx, c)
	}
}
