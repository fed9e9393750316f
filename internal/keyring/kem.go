package keyring

import (
	"context"
	"crypto/mlkem"
	"io"

	"github.com/cloudflare/circl/kem/mlkem/mlkem512"
)

// ML-KEM (FIPS 203): ML-KEM-768 and ML-KEM-1024 from crypto/mlkem (inside
// Go's FIPS 140-3 module), ML-KEM-512 from cloudflare/circl (the standard
// library does not offer it; outside the FIPS module). Keys are stored as
// the 64-byte seed d || z, the form both expand identically.

// SharedSecretSize is the size of an ML-KEM shared secret.
const SharedSecretSize = 32

type kemKey interface {
	encapsulate(random io.Reader) (ciphertext, sharedSecret []byte, err error)
	// decapsulate requires len(ciphertext) == ciphertextSize().
	decapsulate(ciphertext []byte) ([]byte, error)
	encapsulationKey() []byte
	ciphertextSize() int
	zero()
}

// newKEMKey expands a 64-byte seed for spec s.
func newKEMKey(s keySpec, seed []byte) (kemKey, error) {
	switch s {
	case specMLKEM512:
		pk, sk := mlkem512.NewKeyFromSeed(seed)
		ek := make([]byte, mlkem512.PublicKeySize)
		pk.Pack(ek)
		return &kem512{sk: sk, pk: pk, ek: ek}, nil
	case specMLKEM768:
		dk, err := mlkem.NewDecapsulationKey768(seed)
		if err != nil {
			return nil, err
		}
		return &kem768{dk: dk, ek: dk.EncapsulationKey().Bytes()}, nil
	case specMLKEM1024:
		dk, err := mlkem.NewDecapsulationKey1024(seed)
		if err != nil {
			return nil, err
		}
		return &kem1024{dk: dk, ek: dk.EncapsulationKey().Bytes()}, nil
	}
	return nil, ErrUnsupportedSpec
}

type kem512 struct {
	sk *mlkem512.PrivateKey
	pk *mlkem512.PublicKey
	ek []byte
}

func (k *kem512) encapsulate(random io.Reader) ([]byte, []byte, error) {
	var m [mlkem512.EncapsulationSeedSize]byte
	defer clear(m[:])
	if _, err := io.ReadFull(random, m[:]); err != nil {
		return nil, nil, err
	}
	ct := make([]byte, mlkem512.CiphertextSize)
	ss := make([]byte, mlkem512.SharedKeySize)
	k.pk.EncapsulateTo(ct, ss, m[:])
	return ct, ss, nil
}

func (k *kem512) decapsulate(ct []byte) ([]byte, error) {
	ss := make([]byte, mlkem512.SharedKeySize)
	k.sk.DecapsulateTo(ss, ct)
	return ss, nil
}

func (k *kem512) encapsulationKey() []byte { return k.ek }
func (k *kem512) ciphertextSize() int      { return mlkem512.CiphertextSize }

// zero clears the implicit-rejection secret z and H(ek) held in the
// struct; circl's expanded secret vector is behind a pointer it does not
// export, left to the garbage collector.
func (k *kem512) zero() { *k.sk = mlkem512.PrivateKey{} }

type kem768 struct {
	dk *mlkem.DecapsulationKey768
	ek []byte
}

func (k *kem768) encapsulate(io.Reader) ([]byte, []byte, error) {
	ss, ct := k.dk.EncapsulationKey().Encapsulate()
	return ct, ss, nil
}
func (k *kem768) decapsulate(ct []byte) ([]byte, error) { return k.dk.Decapsulate(ct) }
func (k *kem768) encapsulationKey() []byte              { return k.ek }
func (k *kem768) ciphertextSize() int                   { return mlkem.CiphertextSize768 }
func (k *kem768) zero()                                 { k.dk = nil } // opaque: see asymKey.zero

type kem1024 struct {
	dk *mlkem.DecapsulationKey1024
	ek []byte
}

func (k *kem1024) encapsulate(io.Reader) ([]byte, []byte, error) {
	ss, ct := k.dk.EncapsulationKey().Encapsulate()
	return ct, ss, nil
}
func (k *kem1024) decapsulate(ct []byte) ([]byte, error) { return k.dk.Decapsulate(ct) }
func (k *kem1024) encapsulationKey() []byte              { return k.ek }
func (k *kem1024) ciphertextSize() int                   { return mlkem.CiphertextSize1024 }
func (k *kem1024) zero()                                 { k.dk = nil } // opaque: see asymKey.zero

// acquireKEM returns ref's material, which must be an ML-KEM key (else
// ErrWrongKeyType); release it after use.
func (k *Keyring) acquireKEM(ctx context.Context, ref MaterialRef) (*material, error) {
	m, err := k.acquireAsym(ctx, ref)
	if err != nil {
		return nil, err
	}
	if m.asym.kem == nil {
		m.release()
		return nil, ErrWrongKeyType
	}
	return m, nil
}

// Encapsulate runs ML-KEM.Encaps with ref's encapsulation key and returns
// the ciphertext (768, 1088 or 1568 bytes for ML-KEM-512/768/1024) and the
// 32-byte shared secret, which the caller owns and should zero after use.
// ML-KEM-768/1024 draw their randomness from the standard library's
// generator; ML-KEM-512 from the keyring's random source.
//
// Errors: ErrWrongKeyType for keys that are not ML-KEM; load errors as
// Encrypt's. Safe for concurrent use.
func (k *Keyring) Encapsulate(ctx context.Context, ref MaterialRef) (ciphertext, sharedSecret []byte, err error) {
	m, err := k.acquireKEM(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	defer m.release()
	return m.asym.kem.encapsulate(k.random)
}

// Decapsulate runs ML-KEM.Decaps with ref's decapsulation key. A
// ciphertext of the wrong length is ErrInvalidCiphertext; any ciphertext
// of the right length yields a 32-byte secret (FIPS 203 implicit
// rejection: a ciphertext that was not made for this key gives a
// pseudo-random secret, never an error). The caller owns the secret and
// should zero it after use.
//
// Errors: ErrInvalidCiphertext, ErrWrongKeyType; load errors as Encrypt's.
// Safe for concurrent use.
func (k *Keyring) Decapsulate(ctx context.Context, ref MaterialRef, ciphertext []byte) ([]byte, error) {
	m, err := k.acquireKEM(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer m.release()
	kk := m.asym.kem
	if len(ciphertext) != kk.ciphertextSize() {
		return nil, ErrInvalidCiphertext
	}
	ss, err := kk.decapsulate(ciphertext)
	if err != nil {
		return nil, ErrInvalidCiphertext
	}
	return ss, nil
}
