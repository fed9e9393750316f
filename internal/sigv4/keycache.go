package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"sync"
)

// signingKey is a derived SigV4 signing key (kSigning) held as the two
// padded HMAC-SHA256 key blocks, so that signing a string to sign is two
// SHA-256 computations and no allocation.
type signingKey struct {
	ipad, opad [sha256.BlockSize]byte
}

// deriveSigningKey computes kSigning for (date, region, service):
//
//	kDate = HMAC("AWS4" + secret, date); kRegion = HMAC(kDate, region)
//	kService = HMAC(kRegion, service); kSigning = HMAC(kService, "aws4_request")
//
// and stores it in k. Intermediate keys it owns are zeroed.
func deriveSigningKey(k *signingKey, secret []byte, date, region, service string) {
	kSecret := make([]byte, 0, 4+len(secret))
	kSecret = append(append(kSecret, "AWS4"...), secret...)
	kDate := hmacSum(kSecret, date)
	kRegion := hmacSum(kDate, region)
	kService := hmacSum(kRegion, service)
	kSigning := hmacSum(kService, "aws4_request")
	for i := range k.ipad {
		k.ipad[i], k.opad[i] = 0x36, 0x5c
	}
	for i, b := range kSigning {
		k.ipad[i] ^= b
		k.opad[i] ^= b
	}
	clear(kSecret)
	clear(kDate)
	clear(kRegion)
	clear(kService)
	clear(kSigning)
}

func hmacSum(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// sum returns HMAC-SHA256(kSigning, msg) given buf = ipad || msg, the inner
// block already in place. It overwrites the ipad bytes of buf with zeros.
func (k *signingKey) sum(buf []byte) [sha256.Size]byte {
	inner := sha256.Sum256(buf)
	clear(buf[:sha256.BlockSize])
	var outer [sha256.BlockSize + sha256.Size]byte
	copy(outer[:], k.opad[:])
	copy(outer[sha256.BlockSize:], inner[:])
	mac := sha256.Sum256(outer[:])
	clear(outer[:])
	return mac
}

func (k *signingKey) clear() {
	clear(k.ipad[:])
	clear(k.opad[:])
}

// maxCachedKeys bounds the signing-key cache; reaching it empties the cache.
const maxCachedKeys = 10000

type cacheKey struct{ accessKeyID, date, region, service string }

type cacheEntry struct {
	cred *Credential // the Lookup result the key was derived from
	key  signingKey
}

// keyCache maps (access key, date, region, service) to derived signing keys.
// The zero value is ready to use; it is safe for concurrent use.
type keyCache struct {
	mu sync.RWMutex
	m  map[cacheKey]*cacheEntry // guarded by mu; entries are immutable until removed (then zeroed under mu)
}

// get stores in out the signing key of c for the scope, deriving and caching
// it unless the cache holds one derived from this very *Credential.
func (c *keyCache) get(out *signingKey, cred *Credential, s credentialScope) {
	k := cacheKey{s.accessKeyID, s.date, s.region, s.service}
	c.mu.RLock()
	if e := c.m[k]; e != nil && e.cred == cred {
		*out = e.key
		c.mu.RUnlock()
		return
	}
	c.mu.RUnlock()

	deriveSigningKey(out, cred.Secret, s.date, s.region, s.service)
	e := &cacheEntry{cred: cred, key: *out}
	k = cacheKey{strings.Clone(k.accessKeyID), strings.Clone(k.date), strings.Clone(k.region), strings.Clone(k.service)}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedKeys {
		for _, old := range c.m {
			old.key.clear()
		}
		c.m = make(map[cacheKey]*cacheEntry)
	}
	if old := c.m[k]; old != nil {
		old.key.clear()
	}
	c.m[k] = e
}

// forget removes (and zeroes) every cached key of the access key ID.
func (c *keyCache) forget(accessKeyID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if k.accessKeyID == accessKeyID {
			e.key.clear()
			delete(c.m, k)
		}
	}
}

func (c *keyCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
