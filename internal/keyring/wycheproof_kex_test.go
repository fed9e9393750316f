package keyring

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
)

type oaepGroup struct {
	KeySize         int      `json:"keySize"`
	PrivateKeyPkcs8 hexBytes `json:"privateKeyPkcs8"`
	Tests           []struct {
		TcID    int      `json:"tcId"`
		Comment string   `json:"comment"`
		Msg     hexBytes `json:"msg"`
		CT      hexBytes `json:"ct"`
		Label   hexBytes `json:"label"`
		Result  string   `json:"result"`
	} `json:"tests"`
}

func TestWycheproofRSAOAEP(t *testing.T) {
	files := []struct {
		file string
		spec string
		alg  string
	}{
		{"rsa_oaep_2048_sha1_mgf1sha1_test.json", "RSA_2048", "RSAES_OAEP_SHA_1"},
		{"rsa_oaep_2048_sha256_mgf1sha256_test.json", "RSA_2048", "RSAES_OAEP_SHA_256"},
		{"rsa_oaep_3072_sha256_mgf1sha256_test.json", "RSA_3072", "RSAES_OAEP_SHA_256"},
		{"rsa_oaep_4096_sha256_mgf1sha256_test.json", "RSA_4096", "RSAES_OAEP_SHA_256"},
	}
	k, src := newTestKeyring(t, Options{})
	ctx := t.Context()
	for i, f := range files {
		t.Run(strings.TrimSuffix(f.file, "_test.json"), func(t *testing.T) {
			v := loadWycheproof[oaepGroup](t, f.file)
			run := newVectorRun(t, f.file)
			for j, g := range v.TestGroups {
				priv, err := x509.ParsePKCS8PrivateKey(g.PrivateKeyPkcs8)
				if err != nil {
					t.Fatal(err)
				}
				ref := refN(700_000 + 100*i + j)
				if err := putRaw(t, k, src, ref, f.spec, x509.MarshalPKCS1PrivateKey(priv.(*rsa.PrivateKey))); err != nil {
					t.Fatal(err)
				}
				for _, tc := range g.Tests {
					if len(tc.Label) != 0 {
						run.skip(skipOAEPLabel)
						continue
					}
					pt, err := k.DecryptRSA(ctx, ref, f.alg, tc.CT)
					if err != nil && !errors.Is(err, ErrInvalidCiphertext) {
						t.Fatalf("tc %d: DecryptRSA = %v", tc.TcID, err)
					}
					run.check(tc.TcID, tc.Comment, tc.Result, err == nil, bytes.Equal(pt, tc.Msg), err)
				}
			}
			run.done(25)
		})
	}
}

type ecdhGroup struct {
	Curve string `json:"curve"`
	Tests []struct {
		TcID    int      `json:"tcId"`
		Comment string   `json:"comment"`
		Public  hexBytes `json:"public"`
		Private hexBytes `json:"private"`
		Shared  hexBytes `json:"shared"`
		Result  string   `json:"result"`
	} `json:"tests"`
}

// fixedScalar returns a big-endian scalar of exactly n bytes (Wycheproof
// writes them as ASN.1 integers: a leading zero byte, or fewer bytes).
func fixedScalar(t *testing.T, b []byte, n int) []byte {
	t.Helper()
	b = bytes.TrimLeft(b, "\x00")
	if len(b) > n {
		t.Fatalf("scalar of %d bytes for a %d-byte curve", len(b), n)
	}
	return append(make([]byte, n-len(b)), b...)
}

func TestWycheproofECDH(t *testing.T) {
	files := []struct {
		file string
		spec string
		min  int
	}{
		{"ecdh_secp256r1_test.json", "ECC_NIST_P256", 600},
		{"ecdh_secp384r1_test.json", "ECC_NIST_P384", 1000},
		{"ecdh_secp521r1_test.json", "ECC_NIST_P521", 900},
	}
	k, src := newTestKeyring(t, Options{})
	ctx := t.Context()
	n := 0
	for _, f := range files {
		t.Run(strings.TrimSuffix(f.file, "_test.json"), func(t *testing.T) {
			v := loadWycheproof[ecdhGroup](t, f.file)
			run := newVectorRun(t, f.file)
			size := specs[mustSpec(f.spec)].keyLen
			for _, g := range v.TestGroups {
				for _, tc := range g.Tests {
					n++
					ref := refN(800_000 + n)
					if err := putRaw(t, k, src, ref, f.spec, fixedScalar(t, tc.Private, size)); err != nil {
						t.Fatalf("tc %d: private key: %v", tc.TcID, err)
					}
					got, err := k.DeriveSharedSecret(ctx, ref, tc.Public)
					if err != nil && !errors.Is(err, ErrInvalidPeerKey) {
						t.Fatalf("tc %d: DeriveSharedSecret = %v", tc.TcID, err)
					}
					run.check(tc.TcID, tc.Comment, tc.Result, err == nil, bytes.Equal(got, tc.Shared), err)
					k.Forget(ref)
				}
			}
			run.done(f.min)
		})
	}
}

func TestWycheproofHMACKeys(t *testing.T) {
	files := []struct {
		file string
		spec string
		alg  string
	}{
		{"hmac_sha224_test.json", "HMAC_224", "HMAC_SHA_224"},
		{"hmac_sha256_test.json", "HMAC_256", "HMAC_SHA_256"},
		{"hmac_sha384_test.json", "HMAC_384", "HMAC_SHA_384"},
		{"hmac_sha512_test.json", "HMAC_512", "HMAC_SHA_512"},
	}
	k, src := newTestKeyring(t, Options{})
	ctx := t.Context()
	n := 0
	for _, f := range files {
		t.Run(strings.TrimSuffix(f.file, "_test.json"), func(t *testing.T) {
			v := loadWycheproof[macGroup](t, f.file)
			run := newVectorRun(t, f.file)
			s := mustSpec(f.spec)
			lo, hi := s.hmacKeyRange()
			for _, g := range v.TestGroups {
				for _, tc := range g.Tests {
					switch {
					case g.TagSize != 8*s.info().hash.Size():
						run.skip(skipTruncatedMAC)
						continue
					case g.KeySize < 8*lo || g.KeySize > 8*hi:
						run.skip(skipHMACKeySize)
						continue
					}
					n++
					ref := refN(900_000 + n)
					if err := putRaw(t, k, src, ref, f.spec, tc.Key); err != nil {
						t.Fatalf("tc %d: key: %v", tc.TcID, err)
					}
					tag, err := k.GenerateMac(ctx, ref, f.alg, tc.Msg)
					if err != nil {
						t.Fatalf("tc %d: GenerateMac = %v", tc.TcID, err)
					}
					verr := k.VerifyMac(ctx, ref, f.alg, tc.Msg, tc.Tag)
					if verr != nil && !errors.Is(verr, ErrInvalidMac) {
						t.Fatalf("tc %d: VerifyMac = %v", tc.TcID, verr)
					}
					if (verr == nil) != bytes.Equal(tag, tc.Tag) {
						t.Errorf("tc %d: VerifyMac = %v but GenerateMac matches = %v", tc.TcID, verr, bytes.Equal(tag, tc.Tag))
					}
					run.check(tc.TcID, tc.Comment, tc.Result, verr == nil, true, verr)
					k.Forget(ref)
				}
			}
			run.done(60)
		})
	}
}

type mlkemGroup struct {
	ParameterSet string `json:"parameterSet"`
	Tests        []struct {
		TcID    int      `json:"tcId"`
		Comment string   `json:"comment"`
		Seed    hexBytes `json:"seed"`
		EK      hexBytes `json:"ek"`
		C       hexBytes `json:"c"`
		K       hexBytes `json:"K"`
		Result  string   `json:"result"`
	} `json:"tests"`
}

func TestWycheproofMLKEM(t *testing.T) {
	files := []struct {
		file string
		spec string
	}{
		{"mlkem_512_test.json", "ML_KEM_512"},
		{"mlkem_768_test.json", "ML_KEM_768"},
		{"mlkem_1024_test.json", "ML_KEM_1024"},
	}
	k, src := newTestKeyring(t, Options{})
	ctx := t.Context()
	n := 0
	for _, f := range files {
		t.Run(strings.TrimSuffix(f.file, "_test.json"), func(t *testing.T) {
			v := loadWycheproof[mlkemGroup](t, f.file)
			run := newVectorRun(t, f.file)
			for _, g := range v.TestGroups {
				if g.ParameterSet != strings.ReplaceAll(f.spec, "_", "-") {
					t.Fatalf("parameter set %s in a %s file", g.ParameterSet, f.spec)
				}
				for _, tc := range g.Tests {
					n++
					ref := refN(950_000 + n)
					if err := putRaw(t, k, src, ref, f.spec, tc.Seed); err != nil {
						if !errors.Is(err, ErrInvalidKeyMaterial) {
							t.Fatalf("tc %d: putRaw = %v", tc.TcID, err)
						}
						run.check(tc.TcID, tc.Comment, tc.Result, false, false, err)
						continue
					}
					if len(tc.EK) != 0 {
						spki, err := k.PublicKey(ctx, ref)
						if err != nil || !bytes.HasSuffix(spki, tc.EK) {
							t.Errorf("tc %d: the encapsulation key differs from the vector's (%v)", tc.TcID, err)
						}
					}
					ss, err := k.Decapsulate(ctx, ref, tc.C)
					if err != nil && !errors.Is(err, ErrInvalidCiphertext) {
						t.Fatalf("tc %d: Decapsulate = %v", tc.TcID, err)
					}
					run.check(tc.TcID, tc.Comment, tc.Result, err == nil, bytes.Equal(ss, tc.K), err)
					k.Forget(ref)
				}
			}
			run.done(190)
		})
	}
}
