package keyring

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// TestNothingPrintsKeys prints the keyring, its secrets and its cached
// material with every common verb and looks for the key bytes in any
// encoding fmt could produce.
func TestNothingPrintsKeys(t *testing.T) {
	k, _ := newTestKeyring(t, Options{}, testRef)
	m := mustAcquire(t, k, testRef)
	defer m.release()

	var secrets []string
	for _, s := range []secret{k.wrapKey, m.key} {
		b := s.bytes()
		secrets = append(secrets, hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)),
			fmt.Sprint(b[:8]), fmt.Sprintf("%#v", b[:8])[7:], base64.StdEncoding.EncodeToString(b)[:12],
			fmt.Sprintf("%q", string(b))[1:12], fmt.Sprint(*s.k)[:20])
	}
	values := []any{
		k, k.wrapKey, m.key, m, k.cache, &k.cache.shards[0],
		struct{ K *Keyring }{k},
		[]secret{m.key},
		map[string]any{"m": m},
		fmt.Errorf("wrapped: %v", m.key),
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d", "%T"} {
		for i, v := range values {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("Sprintf(%q, values[%d]) = %q contains key material %q", verb, i, out, s)
				}
			}
		}
	}
	if got := fmt.Sprint(m.key); got != "[REDACTED]" {
		t.Errorf("secret prints %q, want [REDACTED]", got)
	}
}
