package keyring

import (
	"crypto/hmac"
	"crypto/sha256"
)

// grantTokenKeyLabel labels the SP 800-108 derivation of the grant-token
// key from the domain key. Every node of a cluster derives the same key, so
// a token made on one node verifies on all of them.
const grantTokenKeyLabel = "trent grant token v1"

// GrantTokenMAC returns HMAC-SHA256 of data under the grant-token key. The
// key never leaves the keyring; a database holds nothing that forges a
// token.
func (k *Keyring) GrantTokenMAC(data []byte) ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed.Load() {
		return nil, ErrClosed
	}
	m := hmac.New(sha256.New, k.tokKey.bytes())
	m.Write(data)
	return m.Sum(nil), nil
}
