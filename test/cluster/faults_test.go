package cluster_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const (
	clusterNodes   = 3
	clusterClients = 16
	loadDuration   = 20 * time.Second
	killAfter      = 7 * time.Second
	victim         = 2 // the node killed with kill -9
	// dueKeys of each kind (deletion, rotation) for the job phase.
	dueKeys = 30
	// jobAdvance moves the key clocks past a 7-day deletion window and a
	// 90-day rotation period, but not past a second rotation.
	jobAdvance = 91 * 24 * time.Hour
)

// sample is a ciphertext an Encrypt returned.
type sample struct {
	key   string
	plain []byte
	blob  []byte
}

// load is the shared record of the load phase.
type load struct {
	mu      sync.Mutex
	clients []*kms.Client // per node; the victim's is replaced on restart
	acked   []string      // key ARNs whose CreateKey returned
	samples []sample
	// The kill window: errors from the victim on requests overlapping it
	// are retryable; every other error fails the test.
	downAt, upAt time.Time
	retryable    int
	unexpected   []string
	ops          atomic.Int64
}

func (l *load) client(node int) *kms.Client {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.clients[node]
}

// failed records err of a request to node that ran from start to end and
// reports whether the request's outcome is unknown (a retryable failure):
// the caller then stops relying on what the request would have changed.
func (l *load) failed(node int, op string, start, end time.Time, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	inWindow := node == victim && !l.downAt.IsZero() && end.After(l.downAt) && (l.upAt.IsZero() || start.Before(l.upAt))
	if inWindow && retryableErr(err) {
		l.retryable++
		return
	}
	l.unexpected = append(l.unexpected, fmt.Sprintf("node %d %s (%s .. %s): %v", node+1, op, start.Format("15:04:05.000"), end.Format("15:04:05.000"), err))
}

// retryableErr: the connection failed or was cut, or the server answered
// 5xx — what a client sees of a node dying.
func retryableErr(err error) bool {
	var se *smithyhttp.RequestSendError
	var de *smithy.DeserializationError
	var re *awshttp.ResponseError
	switch {
	case errors.As(err, &se), errors.As(err, &de):
		return true
	case errors.As(err, &re):
		return re.HTTPStatusCode() >= 500
	}
	return false
}

// ownKey is a key one client made and alone changes.
type ownKey struct {
	arn       string
	enabled   bool
	rotations int
	samples   []int // indexes into load.samples of its ciphertexts
}

// worker runs one client's load on node until end.
func (l *load) worker(t *testing.T, node int, end time.Time) {
	ctx := t.Context()
	var keys []*ownKey
	rnd := mrand.New(mrand.NewPCG(uint64(node), uint64(time.Now().UnixNano())))
	pick := func(enabled bool) *ownKey {
		var c []*ownKey
		for _, k := range keys {
			if k.enabled == enabled {
				c = append(c, k)
			}
		}
		if len(c) == 0 {
			return nil
		}
		return c[rnd.IntN(len(c))]
	}
	drop := func(k *ownKey) { // its state is unknown: stop using it
		for i, o := range keys {
			if o == k {
				keys = append(keys[:i], keys[i+1:]...)
				return
			}
		}
	}
	for time.Now().Before(end) && ctx.Err() == nil {
		time.Sleep(time.Duration(40+rnd.IntN(60)) * time.Millisecond)
		cl := l.client(node)
		start := time.Now()
		r := rnd.Float64()
		var op string
		var err error
		var k *ownKey
		switch {
		case len(keys) < 2 || r < 0.08:
			op = "CreateKey"
			var out *kms.CreateKeyOutput
			if out, err = cl.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String(fmt.Sprintf("node %d", node+1))}); err == nil {
				keys = append(keys, &ownKey{arn: *out.KeyMetadata.Arn, enabled: true})
				l.mu.Lock()
				l.acked = append(l.acked, *out.KeyMetadata.Arn)
				l.mu.Unlock()
			}
		case r < 0.6:
			op = "Encrypt"
			if k = pick(true); k == nil {
				continue
			}
			plain := make([]byte, 1+rnd.IntN(200))
			rand.Read(plain)
			var out *kms.EncryptOutput
			if out, err = cl.Encrypt(ctx, &kms.EncryptInput{KeyId: &k.arn, Plaintext: plain}); err == nil {
				l.mu.Lock()
				l.samples = append(l.samples, sample{key: k.arn, plain: plain, blob: out.CiphertextBlob})
				k.samples = append(k.samples, len(l.samples)-1)
				l.mu.Unlock()
			}
		case r < 0.7:
			op = "Decrypt"
			if k = pick(true); k == nil || len(k.samples) == 0 {
				continue
			}
			l.mu.Lock()
			s := l.samples[k.samples[rnd.IntN(len(k.samples))]]
			l.mu.Unlock()
			var out *kms.DecryptOutput
			if out, err = cl.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: s.blob}); err == nil && !bytes.Equal(out.Plaintext, s.plain) {
				err = fmt.Errorf("decrypt of a ciphertext of %s returned other plaintext", s.key)
			}
		case r < 0.8:
			op = "RotateKeyOnDemand"
			if k = pick(true); k == nil || k.rotations >= 5 {
				continue
			}
			if _, err = cl.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: &k.arn}); err == nil {
				k.rotations++
			}
		case r < 0.9:
			op = "DisableKey"
			if k = pick(true); k == nil {
				continue
			}
			if _, err = cl.DisableKey(ctx, &kms.DisableKeyInput{KeyId: &k.arn}); err == nil {
				k.enabled = false
			}
		default:
			op = "EnableKey"
			if k = pick(false); k == nil {
				continue
			}
			if _, err = cl.EnableKey(ctx, &kms.EnableKeyInput{KeyId: &k.arn}); err == nil {
				k.enabled = true
			}
		}
		l.ops.Add(1)
		if err != nil {
			l.failed(node, op, start, time.Now(), err)
			if k != nil {
				drop(k)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// TestClusterUnderFaults is the cluster proof: three nodes on one
// PostgreSQL database, 16 concurrent clients spread over them, one node
// killed with kill -9 and restarted in the middle; then due deletions and
// rotations with every node racing to run them (one killed during its
// run); then the shared audit chain verified.
func TestClusterUnderFaults(t *testing.T) {
	ctx := t.Context()
	c := startCluster(t, clusterNodes, "--testing-clock")
	l := &load{}
	for i := range c.nodes {
		l.clients = append(l.clients, c.kms(t, i))
	}

	// Load, with the victim killed and restarted midway.
	loadStart := time.Now()
	end := loadStart.Add(loadDuration)
	var wg sync.WaitGroup
	for w := range clusterClients {
		wg.Go(func() { l.worker(t, w%clusterNodes, end) })
	}
	time.Sleep(killAfter)
	l.mu.Lock()
	l.downAt = time.Now()
	l.mu.Unlock()
	c.nodes[victim].Kill9()
	time.Sleep(time.Second)
	c.nodes[victim].Restart(t)
	fresh := c.kms(t, victim)
	l.mu.Lock()
	l.clients[victim] = fresh
	l.upAt = time.Now()
	l.mu.Unlock()
	down := l.upAt.Sub(l.downAt)
	wg.Wait()
	loadTime := time.Since(loadStart)
	for _, e := range l.unexpected {
		t.Errorf("non-retryable error: %s", e)
	}
	report(t, "load: %d requests by %d clients over %d nodes in %v (%.0f/s); node %d down %v (kill -9 to ready); %d retryable errors from it, %d other errors; %d keys and %d ciphertexts acknowledged",
		l.ops.Load(), clusterClients, clusterNodes, loadTime.Round(time.Millisecond), float64(l.ops.Load())/loadTime.Seconds(),
		victim+1, down.Round(time.Millisecond), l.retryable, len(l.unexpected), len(l.acked), len(l.samples))
	if l.retryable == 0 {
		t.Logf("no request reached node %d while it was down", victim+1)
	}

	// Every acknowledged key exists on every node; enable them all so that
	// every ciphertext can be decrypted.
	clients := l.clients
	parallel(t, len(l.acked), func(i int) error {
		arn := l.acked[i]
		for n, cl := range clients {
			if _, err := cl.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &arn}); err != nil {
				return fmt.Errorf("DescribeKey %s on node %d: %w", arn, n+1, err)
			}
		}
		_, err := clients[0].EnableKey(ctx, &kms.EnableKeyInput{KeyId: &arn})
		return err
	})
	// Every ciphertext decrypts through every node to its plaintext. A node
	// may still hold a key as disabled for up to the propagation bound
	// after the EnableKey above: that one answer is retried.
	var stale atomic.Int64
	enabledAt := time.Now()
	parallel(t, len(l.samples), func(i int) error {
		s := l.samples[i]
		for n, cl := range clients {
			for {
				out, err := cl.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: s.blob})
				if errCode(err) == "DisabledException" && time.Since(enabledAt) < propagationDeadline {
					stale.Add(1)
					time.Sleep(50 * time.Millisecond)
					continue
				}
				if err != nil {
					return fmt.Errorf("Decrypt of a ciphertext of %s on node %d: %w", s.key, n+1, err)
				}
				if !bytes.Equal(out.Plaintext, s.plain) {
					return fmt.Errorf("Decrypt of a ciphertext of %s on node %d: other plaintext", s.key, n+1)
				}
				if aws.ToString(out.KeyId) != s.key {
					return fmt.Errorf("Decrypt on node %d names key %s, want %s", n+1, aws.ToString(out.KeyId), s.key)
				}
				break
			}
		}
		return nil
	})
	t.Logf("%d keys described and %d ciphertexts decrypted through each of %d nodes (%d answers still saw a just-enabled key disabled)",
		len(l.acked), len(l.samples), clusterNodes, stale.Load())

	// Due jobs: keys whose deletion or rotation falls due when the clocks
	// move. Every node runs the due work when its clock moves; the victim
	// first, killed while it works, then the two others at once.
	var deleting, rotating []string
	for i := range 2 * dueKeys {
		cl := clients[i%clusterNodes]
		out, err := cl.CreateKey(ctx, &kms.CreateKeyInput{})
		if err != nil {
			t.Fatal(err)
		}
		arn := *out.KeyMetadata.Arn
		if i%2 == 0 {
			if _, err := cl.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: &arn, PendingWindowInDays: aws.Int32(7)}); err != nil {
				t.Fatal(err)
			}
			deleting = append(deleting, arn)
		} else {
			if _, err := cl.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: &arn, RotationPeriodInDays: aws.Int32(90)}); err != nil {
				t.Fatal(err)
			}
			rotating = append(rotating, arn)
		}
	}
	victimDone := make(chan error, 1)
	go func() {
		_, _, err := c.advanceClock(ctx, victim, jobAdvance)
		victimDone <- err
	}()
	time.Sleep(30 * time.Millisecond)
	c.nodes[victim].Kill9()
	victimErr := <-victimDone
	t.Logf("node %d's run of the due work, killed after 30 ms: %v", victim+1, victimErr)
	var jobs sync.WaitGroup
	var runs [clusterNodes][2]int
	for n := range clusterNodes {
		if n == victim {
			continue
		}
		jobs.Go(func() {
			d, r, err := c.advanceClock(ctx, n, jobAdvance)
			if err != nil {
				t.Errorf("node %d: %v", n+1, err)
			}
			runs[n] = [2]int{d, r}
		})
	}
	jobs.Wait()
	t.Logf("due work per surviving node (deleted, rotated): %v", runs)
	for n, cl := range clients {
		if n == victim {
			continue
		}
		for _, arn := range deleting {
			if _, err := cl.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &arn}); errCode(err) != "NotFoundException" {
				t.Errorf("node %d: key %s due for deletion: DescribeKey err = %v, want NotFoundException", n+1, arn, err)
			}
		}
		for _, arn := range rotating {
			out, err := cl.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: &arn})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Rotations) != 1 || out.Rotations[0].RotationType != types.RotationTypeAutomatic {
				t.Errorf("node %d: key %s rotations = %+v, want exactly one AUTOMATIC", n+1, arn, out.Rotations)
			}
		}
	}

	// The audit log: one service event per job, and one chain that verifies.
	for n := range clusterNodes {
		if n != victim {
			c.nodes[n].Stop(t)
		}
	}
	dir := c.nodes[0].DataDir
	for _, job := range []struct {
		event string
		keys  []string
	}{{"DeleteKey", deleting}, {"RotateKey", rotating}} {
		count := map[string]int{}
		for _, ev := range auditEvents(t, c, "--event-name", job.event) {
			if ev.EventType != "AwsServiceEvent" {
				continue
			}
			for _, r := range ev.Resources {
				count[r.ARN]++
			}
		}
		for _, arn := range job.keys {
			if count[arn] != 1 {
				t.Errorf("%s service events for %s: %d, want 1", job.event, arn, count[arn])
			}
			delete(count, arn)
		}
		for arn, n := range count {
			t.Errorf("%d %s service events for %s, which was not due", n, job.event, arn)
		}
	}
	out := mustRun(t, c.nodes[0], "audit", "verify", "--data-dir", dir, "--store", c.dsn)
	if !strings.Contains(out, "verified") {
		t.Fatalf("trent audit verify: %s", out)
	}
	t.Logf("trent audit verify: %s", strings.TrimSpace(out))
}

type auditEvent struct {
	EventName string `json:"eventName"`
	EventType string `json:"eventType"`
	Resources []struct {
		ARN string `json:"ARN"`
	} `json:"resources"`
}

// auditEvents runs trent audit list on the cluster's database.
func auditEvents(t *testing.T, c *cluster, args ...string) []auditEvent {
	t.Helper()
	out := mustRun(t, c.nodes[0], append([]string{"audit", "list", "--data-dir", c.nodes[0].DataDir, "--store", c.dsn}, args...)...)
	var evs []auditEvent
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev auditEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("audit list line %q: %v", sc.Text(), err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// parallel runs f(0..n-1) on 8 goroutines; the first error fails t.
func parallel(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
}
