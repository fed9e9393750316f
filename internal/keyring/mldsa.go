package keyring

import (
	"fmt"
	"io"

	"github.com/cloudflare/circl/sign"
	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
)

// ML-DSA (FIPS 204) comes from cloudflare/circl: Go 1.26's standard
// library has it only inside its FIPS module, unexported. circl is outside
// Go's FIPS 140-3 module, so ML-DSA keys are not FIPS-validated here even
// with GODEBUG=fips140=on.
//
// circl v1.6.5 signs and verifies only messages (mu = SHAKE256(tr || 0 ||
// len(ctx) || ctx || M) is computed inside), so EXTERNAL_MU is
// ErrExternalMuUnsupported. Go 1.27's crypto/mldsa signs an external mu
// (opts crypto.MLDSAMu) but its Verify takes only a message, so moving to
// it would give EXTERNAL_MU Sign, not Verify. Keys are stored as the
// 32-byte seed that every implementation expands alike
// (mldsa_go127_test.go checks that against crypto/mldsa), so a move is a
// change of this file only.

type mldsaKey struct {
	scheme   sign.Scheme
	priv     sign.PrivateKey // nil in a public-only key
	pub      sign.PublicKey
	pubBytes []byte
}

func mldsaScheme(s keySpec) sign.Scheme {
	switch s {
	case specMLDSA44:
		return mldsa44.Scheme()
	case specMLDSA65:
		return mldsa65.Scheme()
	case specMLDSA87:
		return mldsa87.Scheme()
	}
	panic("keyring: not an ML-DSA spec: " + s.String())
}

// newMLDSAKey expands the 32-byte seed xi (ML-DSA.KeyGen_internal). The
// caller has checked the length.
func newMLDSAKey(s keySpec, seed []byte) *mldsaKey {
	sch := mldsaScheme(s)
	pub, priv := sch.DeriveKey(seed)
	pb, _ := pub.MarshalBinary() // cannot fail for circl's ML-DSA keys
	return &mldsaKey{scheme: sch, priv: priv, pub: pub, pubBytes: pb}
}

// parseMLDSAPublicKey returns a public-only key for the raw FIPS 204
// encoding pk (1312/1952/2592 bytes), else ErrInvalidKeyMaterial.
func parseMLDSAPublicKey(s keySpec, pk []byte) (*mldsaKey, error) {
	sch := mldsaScheme(s)
	pub, err := sch.UnmarshalBinaryPublicKey(pk)
	if err != nil {
		return nil, fmt.Errorf("keyring: %s public key: %w", s, ErrInvalidKeyMaterial)
	}
	return &mldsaKey{scheme: sch, pub: pub, pubBytes: append([]byte(nil), pk...)}, nil
}

func (k *mldsaKey) canSign() bool { return k.priv != nil }

func (k *mldsaKey) publicBytes() []byte { return k.pubBytes }

// sign returns a hedged ML-DSA signature of msg with an empty context
// (ML-DSA.Sign). circl draws the 32-byte rnd from crypto/rand itself;
// random is not used.
func (k *mldsaKey) sign(_ io.Reader, msg []byte, mu bool) ([]byte, error) {
	if mu {
		return nil, ErrExternalMuUnsupported
	}
	sig := make([]byte, k.scheme.SignatureSize())
	var err error
	switch sk := k.priv.(type) {
	case *mldsa44.PrivateKey:
		err = mldsa44.SignTo(sk, msg, nil, true, sig)
	case *mldsa65.PrivateKey:
		err = mldsa65.SignTo(sk, msg, nil, true, sig)
	case *mldsa87.PrivateKey:
		err = mldsa87.SignTo(sk, msg, nil, true, sig)
	default:
		return nil, ErrWrongKeyType
	}
	if err != nil {
		return nil, fmt.Errorf("keyring: ML-DSA sign: %w", err)
	}
	return sig, nil
}

// verify reports whether sig is a valid ML-DSA signature of msg with an
// empty context (ML-DSA.Verify).
func (k *mldsaKey) verify(msg, sig []byte, mu bool) (bool, error) {
	if mu {
		return false, ErrExternalMuUnsupported
	}
	if len(sig) != k.scheme.SignatureSize() {
		return false, nil
	}
	return k.scheme.Verify(k.pub, msg, sig, nil), nil
}

// zero overwrites the private key's expanded form and seed in place.
func (k *mldsaKey) zero() {
	switch sk := k.priv.(type) {
	case *mldsa44.PrivateKey:
		*sk = mldsa44.PrivateKey{}
	case *mldsa65.PrivateKey:
		*sk = mldsa65.PrivateKey{}
	case *mldsa87.PrivateKey:
		*sk = mldsa87.PrivateKey{}
	}
}
