package keyring

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// ecPKCS8 returns a new EC private key of spec as PKCS #8 DER (as openssl
// pkcs8 -topk8 writes it) and its uncompressed public point.
func ecPKCS8(t testing.TB, spec string) (p8, point []byte) {
	t.Helper()
	if spec == "ECC_SECG_P256K1" {
		priv, err := secp256k1.GeneratePrivateKey()
		if err != nil {
			t.Fatal(err)
		}
		return marshalSecp256k1PKCS8(priv), priv.PubKey().SerializeUncompressed()
	}
	s, _ := specByName(spec)
	priv, err := ecdsa.GenerateKey(s.info().curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p8, err = x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := priv.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	return p8, pub.Bytes()
}

// TestImportECPrivateKey imports a PKCS #8 EC key of every ECC spec with
// RSA_AES_KEY_WRAP_SHA_256 and RSAES_OAEP_SHA_256: the keyring holds the
// key sent (same public point, same material ID on re-import).
func TestImportECPrivateKey(t *testing.T) {
	for _, spec := range []string{"ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1"} {
		t.Run(spec, func(t *testing.T) {
			k, _ := newTestKeyring(t, Options{})
			p8, point := ecPKCS8(t, spec)
			token, pub := importParams(t, k, testRef, "RSA_AES_KEY_WRAP_SHA_256")
			w, id, err := k.ImportMaterial(testRef, spec, token, rsaAESWrap(t, sha256.New(), pub, p8), importNow)
			if err != nil {
				t.Fatalf("ImportMaterial: %v", err)
			}
			m, err := k.unwrapTypedMaterial(testRef, w)
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			if m.asym.k1Pub != nil {
				got = m.asym.k1Pub.SerializeUncompressed()
			} else {
				got = m.asym.ecdhPr.PublicKey().Bytes()
			}
			m.release()
			if !bytes.Equal(got, point) {
				t.Errorf("imported public point %x, want %x", got, point)
			}
			oToken, oPub := importParams(t, k, testRef, "RSAES_OAEP_SHA_256")
			if spec == "ECC_NIST_P521" {
				// AWS: no ECC_NIST_P521 under RSA_2048 with RSAES_OAEP_*
				// (the PKCS #8 key with its public point does not fit).
				_, _, err := k.ImportMaterial(testRef, spec, oToken, oaepWrap(t, sha256.New(), oPub, p8[:64]), importNow)
				if !errors.Is(err, ErrAlgorithmMismatch) {
					t.Errorf("P-521 with RSAES_OAEP under RSA_2048: %v, want ErrAlgorithmMismatch", err)
				}
				return
			}
			_, id2, err := k.ImportMaterial(testRef, spec, oToken, oaepWrap(t, sha256.New(), oPub, p8), importNow)
			if err != nil || id2 != id {
				t.Errorf("re-import with RSAES_OAEP_SHA_256: id %s, %v; want %s", id2, err, id)
			}
		})
	}
}

// TestImportECPrivateKeyRefused: material of another curve, another type,
// a public point that is not the scalar's, and non-PKCS #8 encodings are
// ErrInvalidKeyMaterial.
func TestImportECPrivateKeyRefused(t *testing.T) {
	p256, _ := ecPKCS8(t, "ECC_NIST_P256")
	k1, _ := ecPKCS8(t, "ECC_SECG_P256K1")
	otherPoint := func() []byte {
		// p256 with the public key of another P-256 key.
		var p pkcs8
		asn1.Unmarshal(p256, &p)
		var ec ecPrivateKey
		asn1.Unmarshal(p.PrivateKey, &ec)
		o, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		op, _ := o.PublicKey.ECDH()
		ec.PublicKey = asn1.BitString{Bytes: op.Bytes(), BitLength: 8 * len(op.Bytes())}
		p.PrivateKey = mustMarshal(ec)
		return mustMarshal(p)
	}()
	noPoint := func() []byte {
		var p pkcs8
		asn1.Unmarshal(p256, &p)
		var ec ecPrivateKey
		asn1.Unmarshal(p.PrivateKey, &ec)
		ec.PublicKey = asn1.BitString{}
		p.PrivateKey = mustMarshal(ec)
		return mustMarshal(p)
	}()
	sec1 := func() []byte {
		var p pkcs8
		asn1.Unmarshal(p256, &p)
		return p.PrivateKey
	}()
	rsa8 := func() []byte {
		var p pkcs8
		asn1.Unmarshal(p256, &p)
		p.Algo.Algorithm = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
		return mustMarshal(p)
	}()
	k, _ := newTestKeyring(t, Options{})
	for _, tt := range []struct {
		name, spec string
		material   []byte
		ok         bool
	}{
		{"P-256 key for P-384", "ECC_NIST_P384", p256, false},
		{"P-256 key for secp256k1", "ECC_SECG_P256K1", p256, false},
		{"secp256k1 key for P-256", "ECC_NIST_P256", k1, false},
		{"public point of another key", "ECC_NIST_P256", otherPoint, false},
		{"SEC 1 ECPrivateKey, not PKCS #8", "ECC_NIST_P256", sec1, false},
		{"rsaEncryption algorithm", "ECC_NIST_P256", rsa8, false},
		{"trailing byte", "ECC_NIST_P256", append(bytes.Clone(p256), 0), false},
		{"raw scalar", "ECC_NIST_P256", randBytes(t, 32), false},
		{"EC key for RSA_2048", "RSA_2048", p256, false},
		{"without the public point", "ECC_NIST_P256", noPoint, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			token, pub := importParams(t, k, testRef, "RSA_AES_KEY_WRAP_SHA_256")
			_, _, err := k.ImportMaterial(testRef, tt.spec, token, rsaAESWrap(t, sha256.New(), pub, tt.material), importNow)
			if tt.ok && err != nil {
				t.Errorf("got %v, want success", err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalidKeyMaterial) {
				t.Errorf("got %v, want ErrInvalidKeyMaterial", err)
			}
		})
	}
}

// FuzzImportECPrivateKey: hostile PKCS #8 never panics, and what is
// accepted is a valid scalar of the curve size.
func FuzzImportECPrivateKey(f *testing.F) {
	for _, spec := range []string{"ECC_NIST_P256", "ECC_SECG_P256K1"} {
		p8, _ := ecPKCS8(f, spec)
		f.Add(p8)
	}
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, s := range []keySpec{specP256, specSecp256k1} {
			scalar, err := importECPrivateKey(s, raw)
			if err == nil && len(scalar) != s.info().keyLen {
				t.Fatalf("%s: scalar of %d bytes", s, len(scalar))
			}
		}
	})
}
