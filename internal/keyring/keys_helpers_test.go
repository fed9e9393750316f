package keyring

import (
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"sync"
	"testing"
)

// Every KeySpec the keyring holds, in AWS's spelling.
var allSpecs = []string{
	"SYMMETRIC_DEFAULT",
	"HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512",
	"RSA_2048", "RSA_3072", "RSA_4096",
	"ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1",
	"ECC_NIST_EDWARDS25519",
	"ML_DSA_44", "ML_DSA_65", "ML_DSA_87",
	"ML_KEM_512", "ML_KEM_768", "ML_KEM_1024",
}

// Every SigningAlgorithmSpec but SM2DSA (China only).
var allSigningAlgs = []string{
	"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
	"RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
	"ECDSA_SHA_256", "ECDSA_SHA_384", "ECDSA_SHA_512",
	"ED25519_SHA_512", "ED25519_PH_SHA_512", "ML_DSA_SHAKE_256",
}

var rsaSigningAlgs = allSigningAlgs[:6]

// signingAlgorithms is AWS's DescribeKey SigningAlgorithms per key spec
// (reference/kms-api.md §6), written out independently of spec.go.
var signingAlgorithms = map[string][]string{
	"RSA_2048":              rsaSigningAlgs,
	"RSA_3072":              rsaSigningAlgs,
	"RSA_4096":              rsaSigningAlgs,
	"ECC_NIST_P256":         {"ECDSA_SHA_256"},
	"ECC_NIST_P384":         {"ECDSA_SHA_384"},
	"ECC_NIST_P521":         {"ECDSA_SHA_512"},
	"ECC_SECG_P256K1":       {"ECDSA_SHA_256"},
	"ECC_NIST_EDWARDS25519": {"ED25519_SHA_512", "ED25519_PH_SHA_512"},
	"ML_DSA_44":             {"ML_DSA_SHAKE_256"},
	"ML_DSA_65":             {"ML_DSA_SHAKE_256"},
	"ML_DSA_87":             {"ML_DSA_SHAKE_256"},
}

// messageTypes is the MessageTypes each algorithm takes.
func messageTypes(alg string) []string {
	switch alg {
	case "ED25519_SHA_512":
		return []string{MessageRaw}
	case "ED25519_PH_SHA_512":
		return []string{MessageDigest}
	case "ML_DSA_SHAKE_256":
		return []string{MessageRaw, MessageExternalMu}
	}
	return []string{MessageRaw, MessageDigest}
}

// algHash is the hash a signing algorithm applies to a RAW message (0 for
// pure Ed25519 and ML-DSA).
func algHash(alg string) crypto.Hash {
	switch alg[len(alg)-3:] {
	case "256":
		if alg == "ML_DSA_SHAKE_256" {
			return 0
		}
		return crypto.SHA256
	case "384":
		return crypto.SHA384
	case "512":
		if alg == "ED25519_SHA_512" {
			return 0
		}
		return crypto.SHA512
	}
	return 0
}

func hashOf(h crypto.Hash, msg []byte) []byte {
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(msg)
		return d[:]
	case crypto.SHA384:
		d := sha512.Sum384(msg)
		return d[:]
	case crypto.SHA512:
		d := sha512.Sum512(msg)
		return d[:]
	}
	panic("hashOf " + h.String())
}

// specFixture is one keyring holding one key of every spec, made with
// NewMaterial and loaded through a memSource like any other. It is shared
// by the tests of the process (RSA-4096 generation takes a second) and
// never closed; tests must not Forget its refs.
type specFixture struct {
	k    *Keyring
	src  *memSource
	refs map[string]MaterialRef
}

var (
	fixtureOnce sync.Once
	fixture     *specFixture
	fixtureErr  error
)

func keysFixture(t testing.TB) *specFixture {
	t.Helper()
	fixtureOnce.Do(func() {
		dk, err := NewDomainKey(nil)
		if err != nil {
			fixtureErr = err
			return
		}
		src := newMemSource()
		k, err := Open(dk, Options{Source: src.get})
		if err != nil {
			fixtureErr = err
			return
		}
		fx := &specFixture{k: k, src: src, refs: make(map[string]MaterialRef)}
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i, spec := range allSpecs {
			ref := refN(10_000 + i)
			fx.refs[spec] = ref
			wg.Go(func() {
				w, err := k.NewMaterial(ref, spec)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					fixtureErr = err
					return
				}
				src.put(ref, w)
			})
		}
		wg.Wait()
		fixture = fx
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixture
}

// putRaw stores raw material of spec (the keymaterial.go encoding) for ref
// in src through the test-only path: wrapTyped, then the normal load.
func putRaw(t testing.TB, k *Keyring, src *memSource, ref MaterialRef, spec string, raw []byte) error {
	t.Helper()
	s, ok := specByName(spec)
	if !ok {
		t.Fatalf("unknown spec %q", spec)
	}
	w, err := k.wrapTyped(ref, s, raw)
	if err != nil {
		return err
	}
	src.put(ref, w)
	return nil
}

// putPublic caches a public-only key for ref (Wycheproof verification
// vectors come with public keys only). It goes straight into the cache:
// no stored form holds a public key alone.
func putPublic(k *Keyring, ref MaterialRef, a *asymKey) {
	m := newAsymMaterial(ref, a) // its one reference is the cache's
	s := k.cache.shard(ref)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.items[ref]; ok {
		s.remove(old)
	}
	s.insert(m)
}
