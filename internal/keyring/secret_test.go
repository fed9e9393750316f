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

// TestNothingPrintsAsymmetricKeys does the same for HMAC and asymmetric
// materials, whose key bytes the test knows because it put them there.
func TestNothingPrintsAsymmetricKeys(t *testing.T) {
	k, src := newTestKeyring(t, Options{})
	raws := map[string][]byte{
		"HMAC_512":              randBytes(t, 64),
		"ECC_NIST_EDWARDS25519": randBytes(t, 32),
		"ML_DSA_44":             randBytes(t, 32),
		"ML_KEM_512":            randBytes(t, 64),
		"ML_KEM_768":            randBytes(t, 64),
		"ECC_SECG_P256K1":       append([]byte{0x01}, randBytes(t, 31)...),
	}
	i := 0
	for spec, raw := range raws {
		i++
		ref := refN(i)
		if err := putRaw(t, k, src, ref, spec, raw); err != nil {
			t.Fatal(err)
		}
		m := mustAcquire(t, k, ref)
		secrets := []string{hex.EncodeToString(raw[:16]), fmt.Sprint(raw[:8])[1:16], base64.StdEncoding.EncodeToString(raw)[:12]}
		values := []any{m, m.asym, map[string]any{"m": m}, []*material{m}}
		if m.asym != nil {
			values = append(values, m.asym.dsa, m.asym.kem, *m.asym)
		}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q", "%d"} {
			for j, v := range values {
				out := fmt.Sprintf(verb, v)
				for _, s := range secrets {
					if strings.Contains(out, s) {
						t.Errorf("%s: Sprintf(%q, values[%d]) contains key material", spec, verb, j)
					}
				}
			}
		}
		m.release()
	}
}
