package keyring

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/mlkem"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"testing"

	"github.com/cloudflare/circl/kem/mlkem/mlkem512"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	k1ecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

func TestGenerateKeyPair(t *testing.T) {
	digest := sha256.Sum256([]byte("data key pair"))
	for _, spec := range []string{"RSA_2048", "RSA_3072", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
		"ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519", "ML_KEM_512", "ML_KEM_768", "ML_KEM_1024"} {
		t.Run(spec, func(t *testing.T) {
			priv, spki, err := GenerateKeyPair(spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			var p8 struct {
				Version    int
				Algo       pkix.AlgorithmIdentifier
				PrivateKey []byte
			}
			if rest, err := asn1.Unmarshal(priv, &p8); err != nil || len(rest) != 0 || p8.Version != 0 {
				t.Fatalf("private key is not PKCS #8: %v", err)
			}
			switch spec {
			case "ECC_SECG_P256K1":
				var ec ecPrivateKey
				if _, err := asn1.Unmarshal(p8.PrivateKey, &ec); err != nil || ec.Version != 1 || len(ec.PrivateKey) != 32 {
					t.Fatalf("ECPrivateKey: %v", err)
				}
				k := secp256k1.PrivKeyFromBytes(ec.PrivateKey)
				if !bytes.Equal(ec.PublicKey.Bytes, k.PubKey().SerializeUncompressed()) {
					t.Error("ECPrivateKey's public key does not match its scalar")
				}
				pub, err := parseSecp256k1SPKI(spki)
				if err != nil || !pub.IsEqual(k.PubKey()) {
					t.Fatalf("SPKI does not hold the pair's public key: %v", err)
				}
				if !k1ecdsa.Sign(k, digest[:]).Verify(digest[:], pub) {
					t.Error("local sign/verify failed")
				}
			case "ML_KEM_512", "ML_KEM_768", "ML_KEM_1024":
				if !p8.Algo.Algorithm.Equal(pqOID(mustSpec(spec))) || len(p8.Algo.Parameters.FullBytes) != 0 {
					t.Errorf("algorithm %v, want %v with no parameters", p8.Algo.Algorithm, pqOID(mustSpec(spec)))
				}
				if len(p8.PrivateKey) != 66 || p8.PrivateKey[0] != 0x80 || p8.PrivateKey[1] != 64 {
					t.Fatalf("private key is not the seed-only [0] form: % x...", p8.PrivateKey[:min(4, len(p8.PrivateKey))])
				}
				seed := p8.PrivateKey[2:]
				var ek []byte
				var decaps func([]byte) []byte
				switch spec {
				case "ML_KEM_512":
					pk, sk := mlkem512.NewKeyFromSeed(seed)
					ek = make([]byte, mlkem512.PublicKeySize)
					pk.Pack(ek)
					decaps = func(ct []byte) []byte { ss, _ := mlkem512.Scheme().Decapsulate(sk, ct); return ss }
				case "ML_KEM_768":
					dk, _ := mlkem.NewDecapsulationKey768(seed)
					ek = dk.EncapsulationKey().Bytes()
					decaps = func(ct []byte) []byte { ss, _ := dk.Decapsulate(ct); return ss }
				default:
					dk, _ := mlkem.NewDecapsulationKey1024(seed)
					ek = dk.EncapsulationKey().Bytes()
					decaps = func(ct []byte) []byte { ss, _ := dk.Decapsulate(ct); return ss }
				}
				if !bytes.Equal(spki, marshalSPKI(pqOID(mustSpec(spec)), ek)) {
					t.Fatal("SPKI does not hold the encapsulation key the seed expands to")
				}
				// Encapsulate to the SPKI in a keyring, decapsulate locally.
				k, src := newTestKeyring(t, Options{})
				if err := putRaw(t, k, src, testRef, spec, seed); err != nil {
					t.Fatal(err)
				}
				ct, ss, err := k.Encapsulate(t.Context(), testRef)
				if err != nil || !bytes.Equal(decaps(ct), ss) {
					t.Errorf("local decapsulation differs: %v", err)
				}
			default:
				key, err := x509.ParsePKCS8PrivateKey(priv)
				if err != nil {
					t.Fatalf("x509.ParsePKCS8PrivateKey: %v", err)
				}
				pub, err := x509.ParsePKIXPublicKey(spki)
				if err != nil {
					t.Fatal(err)
				}
				signer := key.(crypto.Signer)
				if !signer.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
					t.Fatal("SPKI does not hold the pair's public key")
				}
				switch p := pub.(type) {
				case *rsa.PublicKey:
					sig, _ := rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), crypto.SHA256, digest[:], nil)
					if rsa.VerifyPSS(p, crypto.SHA256, digest[:], sig, nil) != nil {
						t.Error("local sign/verify failed")
					}
					if p.N.BitLen() != map[string]int{"RSA_2048": 2048, "RSA_3072": 3072}[spec] {
						t.Errorf("RSA modulus of %d bits", p.N.BitLen())
					}
				case *ecdsa.PublicKey:
					sig, _ := ecdsa.SignASN1(rand.Reader, key.(*ecdsa.PrivateKey), digest[:])
					if !ecdsa.VerifyASN1(p, digest[:], sig) {
						t.Error("local sign/verify failed")
					}
				case ed25519.PublicKey:
					if !ed25519.Verify(p, digest[:], ed25519.Sign(key.(ed25519.PrivateKey), digest[:])) {
						t.Error("local sign/verify failed")
					}
				}
			}
			// Two calls make two different pairs.
			priv2, _, _ := GenerateKeyPair(spec, nil)
			if bytes.Equal(priv, priv2) {
				t.Error("two key pairs are equal")
			}
		})
	}
	for _, bad := range []string{"SM2", "ML_DSA_44", "HMAC_256", "SYMMETRIC_DEFAULT", "", "RSA_1024"} {
		if _, _, err := GenerateKeyPair(bad, nil); !errors.Is(err, ErrUnsupportedSpec) {
			t.Errorf("GenerateKeyPair(%q) = %v, want ErrUnsupportedSpec", bad, err)
		}
	}
}
