package e2e_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/trentkms/trent/test/harness"
)

// TestOperations runs the real server with --log-format json at debug
// level and --metrics-listen, and checks what an operator sees: /metrics
// on both listeners counting the SDK's calls, and one JSON request line
// per call in the log, without the plaintext or the ciphertext.
func TestOperations(t *testing.T) {
	each(t, harness.Options{ExtraArgs: []string{"--log-format", "json", "--log-level", "debug", "--metrics-listen", "127.0.0.1:0"}}, func(t *testing.T, e *env) {
		ctx := t.Context()
		key, err := e.kms.CreateKey(ctx, &kms.CreateKeyInput{})
		if err != nil {
			t.Fatal(err)
		}
		plaintext := []byte("operations-canary 4f1c2e")
		enc, err := e.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: plaintext})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.kms.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob}); err != nil {
			t.Fatal(err)
		}
		_, err = e.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/does-not-exist")})
		if err == nil {
			t.Fatal("DescribeKey of a missing alias succeeded")
		}

		m := regexp.MustCompile(`trent: metrics (http://\S+/metrics)`).FindStringSubmatch(e.s.Stdout())
		if m == nil {
			t.Fatalf("no metrics address in stdout:\n%s", e.s.Stdout())
		}
		for _, u := range []struct {
			name, url string
			client    *http.Client
		}{
			{"main listener", e.s.Endpoint + "/metrics", e.s.HTTPClient()},
			{"--metrics-listen", m[1], http.DefaultClient},
		} {
			resp, err := u.client.Get(u.url)
			if err != nil {
				t.Fatalf("%s: %v", u.name, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("%s: GET /metrics %d", u.name, resp.StatusCode)
			}
			for _, want := range []string{
				`trent_requests_total{code="OK",operation="Encrypt"} 1`,
				`trent_requests_total{code="OK",operation="Decrypt"} 1`,
				`trent_requests_total{code="NotFoundException",operation="DescribeKey"} 1`,
				`trent_request_duration_seconds_count{operation="CreateKey"} 1`,
				`trent_keys{state="Enabled"} 1`,
				`trent_unsealed 1`,
				`trent_audit_batch_events_count`,
				`trent_keyring_cache_hits_total`,
				`trent_audit_min_free_disk_bytes`,
				`go_goroutines`,
			} {
				if !bytes.Contains(body, []byte(want)) {
					t.Errorf("%s: /metrics lacks %q", u.name, want)
				}
			}
		}

		logs := e.s.Stderr()
		for name, s := range map[string]string{
			"plaintext":           string(plaintext),
			"plaintext (base64)":  base64.StdEncoding.EncodeToString(plaintext),
			"ciphertext (base64)": base64.StdEncoding.EncodeToString(enc.CiphertextBlob),
		} {
			if strings.Contains(logs, s) {
				t.Errorf("the log holds the %s", name)
			}
		}
		ops := map[string]int{}
		for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
			var l map[string]any
			if err := json.Unmarshal([]byte(line), &l); err != nil {
				t.Fatalf("log line is not JSON: %s", line)
			}
			if l["msg"] == "request" {
				ops[l["operation"].(string)]++
				if l["principal"] != "arn:aws:iam::"+e.account+":root" || l["request_id"] == "" {
					t.Errorf("request line %v", l)
				}
			}
		}
		for _, op := range []string{"CreateKey", "Encrypt", "Decrypt", "DescribeKey"} {
			if ops[op] != 1 {
				t.Errorf("%d request lines for %s, want 1", ops[op], op)
			}
		}
	})
}
