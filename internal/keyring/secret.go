package keyring

import (
	"fmt"
	"io"
)

// KeySize is the size in bytes of the domain key, of symmetric backing keys
// and of the per-message keys derived from them.
const KeySize = 32

// secret holds 256 bits of key material.
//
// Printed directly, every fmt verb prints "[REDACTED]". fmt cannot call the
// methods of unexported fields, though, so every type that holds a secret
// (or holds something that does) implements fmt.Formatter as well; the bytes
// live behind a pointer, which %v shows as an address even where that is
// forgotten. The zero value holds nothing; zero clears the bytes in place,
// so every copy of the secret sees them cleared.
type secret struct {
	k *[KeySize]byte
}

func newSecret() secret { return secret{k: new([KeySize]byte)} }

// bytes returns the key. The slice aliases the secret: do not keep it past
// the secret's lifetime.
func (s secret) bytes() []byte { return s.k[:] }

// zero clears the key in place.
func (s secret) zero() {
	if s.k != nil {
		clear(s.k[:])
	}
}

// isZero reports whether the key is all zeros (or absent); for tests.
func (s secret) isZero() bool { return s.k == nil || *s.k == [KeySize]byte{} }

const redacted = "[REDACTED]"

// String returns "[REDACTED]".
func (secret) String() string { return redacted }

// GoString returns "[REDACTED]".
func (secret) GoString() string { return redacted }

// Format prints "[REDACTED]" for every verb.
func (secret) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// Types that hold secrets implement fmt.Formatter too: fmt prints the
// unexported fields of a struct through reflection, and for a verb that
// does not fit a pointer (%s, %d, %q) it prints the pointee, so a secret's
// pointer alone does not hide it from a caller that prints its holder.

// Format prints the material's reference only.
func (m *material) Format(f fmt.State, _ rune) {
	io.WriteString(f, "keyring.material{"+m.ref.String()+" "+redacted+"}")
}

// Format prints nothing of the cache's contents.
func (c *cache) Format(f fmt.State, _ rune) { io.WriteString(f, "keyring.cache{"+redacted+"}") }

// Format prints nothing of the shard's contents.
func (s *shard) Format(f fmt.State, _ rune) { io.WriteString(f, "keyring.shard{"+redacted+"}") }

// Format prints the key's spec only.
func (a asymKey) Format(f fmt.State, _ rune) {
	io.WriteString(f, "keyring.asymKey{"+a.spec.String()+" "+redacted+"}")
}

// Format prints nothing of the key.
func (k *mldsaKey) Format(f fmt.State, _ rune) { io.WriteString(f, "keyring.mldsaKey{"+redacted+"}") }

// Format prints nothing of the key.
func (k *kem512) Format(f fmt.State, _ rune) { io.WriteString(f, "keyring.kem{"+redacted+"}") }

// Format prints nothing of the key.
func (k *kem768) Format(f fmt.State, _ rune) { io.WriteString(f, "keyring.kem{"+redacted+"}") }

// Format prints nothing of the key.
func (k *kem1024) Format(f fmt.State, _ rune) { io.WriteString(f, "keyring.kem{"+redacted+"}") }
