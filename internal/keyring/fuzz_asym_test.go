package keyring

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	k1ecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

// Fuzz tests for every untrusted DER (or DER-like) input: ECDH peer
// public keys, ECDSA signatures, RSA-OAEP ciphertexts, and the raw key
// material parser. Each seeds its corpus with f.Add, so the seed set can
// never silently be empty.

func FuzzDeriveSharedSecret(f *testing.F) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	k, src := newTestKeyring(f, Options{})
	if err := putRaw(f, k, src, testRef, "ECC_NIST_P256", priv.Bytes()); err != nil {
		f.Fatal(err)
	}
	for _, c := range []ecdh.Curve{ecdh.P256(), ecdh.P384(), ecdh.P521(), ecdh.X25519()} {
		p, _ := c.GenerateKey(rand.Reader)
		der, _ := x509.MarshalPKIXPublicKey(p.PublicKey())
		f.Add(der)
		f.Add(der[:len(der)-1])
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	f.Add(rsaDER)
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x00})
	// The point at infinity and a point off the curve, in a P-256 SPKI.
	p, _ := ecdh.P256().GenerateKey(rand.Reader)
	good, _ := x509.MarshalPKIXPublicKey(p.PublicKey())
	f.Add(append(bytes.Clone(good[:len(good)-65]), append([]byte{0x04}, make([]byte, 64)...)...))
	off := bytes.Clone(good)
	off[len(off)-1] ^= 1
	f.Add(off)
	f.Fuzz(func(t *testing.T, der []byte) {
		got, err := k.DeriveSharedSecret(t.Context(), testRef, der)
		if err != nil {
			var pke *PeerKeyError
			if !errors.As(err, &pke) || pke.Reason == "" {
				t.Fatalf("DeriveSharedSecret = %v, want a *PeerKeyError", err)
			}
			return
		}
		// Accepted: it must be a P-256 key that the standard library also
		// takes, and the secret must be the one it derives.
		pub, perr := x509.ParsePKIXPublicKey(der)
		if perr != nil {
			t.Fatalf("accepted a key crypto/x509 rejects: %v", perr)
		}
		ep, ok := pub.(*ecdsa.PublicKey)
		if !ok || ep.Curve != elliptic.P256() {
			t.Fatalf("accepted a %T that is not on P-256", pub)
		}
		peer, _ := ep.ECDH()
		want, _ := priv.ECDH(peer)
		if !bytes.Equal(got, want) {
			t.Fatal("shared secret differs from crypto/ecdh's")
		}
	})
}

func FuzzVerifyECDSA(f *testing.F) {
	ctx := f.Context()
	nist, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	nistRaw, _ := nist.Bytes()
	k1, _ := secp256k1.GeneratePrivateKey()
	k, src := newTestKeyring(f, Options{})
	refK1 := refN(1)
	if err := putRaw(f, k, src, testRef, "ECC_NIST_P256", nistRaw); err != nil {
		f.Fatal(err)
	}
	if err := putRaw(f, k, src, refK1, "ECC_SECG_P256K1", k1.Serialize()); err != nil {
		f.Fatal(err)
	}
	msg := []byte("fuzzed signature")
	digest := sha256.Sum256(msg)
	for _, ref := range []MaterialRef{testRef, refK1} {
		sig, err := k.Sign(ctx, ref, "ECDSA_SHA_256", MessageRaw, msg)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(sig)
		f.Add(sig[:len(sig)-1])
		f.Add(append(bytes.Clone(sig), 0))
		long := bytes.Clone(sig)
		long[1] |= 0x80 // a BER long-form length
		f.Add(long)
	}
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, sig []byte) {
		for _, ref := range []MaterialRef{testRef, refK1} {
			err := k.Verify(ctx, ref, "ECDSA_SHA_256", MessageRaw, msg, sig)
			if err != nil && !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("Verify = %v, want nil or ErrInvalidSignature", err)
			}
			// Another implementation decides the same way.
			var want bool
			if ref == testRef {
				want = ecdsa.VerifyASN1(&nist.PublicKey, digest[:], sig)
			} else if s, perr := k1ecdsa.ParseDERSignature(sig); perr == nil {
				want = s.Verify(digest[:], k1.PubKey())
			}
			if (err == nil) != want {
				t.Fatalf("Verify = %v, reference says valid=%v", err, want)
			}
		}
	})
}

func FuzzDecryptRSA(f *testing.F) {
	ctx := f.Context()
	fx := keysFixture(f)
	ref := fx.refs["RSA_2048"]
	m := mustAcquireTB(f, fx.k, ref)
	priv := m.asym.rsa
	m.release()
	for _, alg := range []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"} {
		ct, err := fx.k.EncryptRSA(ctx, ref, alg, []byte("seed plaintext"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ct)
		f.Add(ct[1:])
		bad := bytes.Clone(ct)
		bad[0] ^= 0x80
		f.Add(bad)
	}
	f.Add([]byte{})
	f.Add(priv.N.Bytes())
	f.Add(make([]byte, 256))
	f.Fuzz(func(t *testing.T, ct []byte) {
		got, err := fx.k.DecryptRSA(ctx, ref, "RSAES_OAEP_SHA_256", ct)
		if err != nil {
			if !errors.Is(err, ErrInvalidCiphertext) {
				t.Fatalf("DecryptRSA = %v, want ErrInvalidCiphertext", err)
			}
			return
		}
		want, werr := rsa.DecryptOAEP(sha256.New(), nil, priv, ct, nil)
		if werr != nil || !bytes.Equal(got, want) {
			t.Fatalf("DecryptRSA accepted what crypto/rsa answers %v", werr)
		}
	})
}

// FuzzParseMaterial feeds raw key material of every spec to the parser
// that import will use: it must refuse or accept, never panic, and what it
// accepts must survive a wrap and a load.
func FuzzParseMaterial(f *testing.F) {
	f.Add(uint8(specP256), make([]byte, 32))
	f.Add(uint8(specSecp256k1), bytes.Repeat([]byte{0xff}, 32))
	f.Add(uint8(specEd25519), make([]byte, 32))
	f.Add(uint8(specMLKEM768), make([]byte, 64))
	f.Add(uint8(specMLDSA44), make([]byte, 31))
	f.Add(uint8(specHMAC384), make([]byte, 48))
	f.Add(uint8(specRSA2048), []byte{0x30, 0x82, 0x01, 0x00})
	k, src := newTestKeyring(f, Options{})
	f.Fuzz(func(t *testing.T, spec uint8, raw []byte) {
		s := keySpec(spec % uint8(numSpecs))
		if s == specInvalid || s == specSymmetricDefault {
			return
		}
		m, err := parseMaterial(testRef, s, raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidKeyMaterial) {
				t.Fatalf("parseMaterial(%s) = %v, want ErrInvalidKeyMaterial", s, err)
			}
			return
		}
		m.release()
		k.Forget(testRef)
		if err := putRaw(t, k, src, testRef, s.String(), raw); err != nil {
			t.Fatalf("wrapTyped of accepted material: %v", err)
		}
		m2 := mustAcquireTB(t, k, testRef)
		if m2.spec != s {
			t.Fatalf("loaded spec %s, want %s", m2.spec, s)
		}
		m2.release()
	})
}

func mustAcquireTB(t testing.TB, k *Keyring, ref MaterialRef) *material {
	t.Helper()
	m, err := k.acquire(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
