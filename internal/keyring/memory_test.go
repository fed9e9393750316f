package keyring

import (
	"crypto/x509"
	"runtime"
	"testing"
)

// TestMaterialMemory measures what one cached material of each spec costs
// on the heap (logged with -v; the Options.CacheSize comment quotes it)
// and fails if any spec grows past a bound that would make the default
// cache size dangerous.
func TestMaterialMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("measures the heap")
	}
	fx := keysFixture(t)
	const n = 40
	for _, spec := range allSpecs {
		s := mustSpec(spec)
		var raw []byte
		switch s.fam() {
		case famSymmetric:
			continue
		case famRSA:
			m := mustAcquire(t, fx.k, fx.refs[spec])
			raw = x509.MarshalPKCS1PrivateKey(m.asym.rsa)
			m.release()
		default:
			raw = make([]byte, s.info().keyLen)
			raw[len(raw)-1] = 1 // a valid scalar for the curves
		}
		keep := make([]*material, n)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range keep {
			m, err := parseMaterial(testRef, s, raw)
			if err != nil {
				t.Fatal(err)
			}
			keep[i] = m
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		per := int(after.HeapAlloc-before.HeapAlloc) / n
		t.Logf("%-22s %7d bytes per cached material", spec, per)
		if per > 256<<10 {
			t.Errorf("%s: %d bytes per material", spec, per)
		}
		// The byte budget counts materialCost; it must not undercount.
		if cost := materialCost(s); int64(per) > cost {
			t.Errorf("%s: %d bytes per material, more than materialCost's %d", spec, per, cost)
		}
		for _, m := range keep {
			m.release()
		}
		runtime.KeepAlive(keep)
	}
}
