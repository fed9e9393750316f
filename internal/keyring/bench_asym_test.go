package keyring

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
)

// Benchmarks per key spec for Sign, Verify and GenerateMac through the
// keyring (cache hit, hashing of a RAW message included), beside the raw
// standard-library primitive doing the same work (hash + sign), so that
// the keyring's overhead is visible in one run:
//
//	go test -run '^$' -bench 'Sign|Verify|Mac|Raw' -benchmem ./internal/keyring/

var benchMsg = make([]byte, 256)

// benchAlgs is one run per spec (every RSA scheme on RSA_2048).
var benchAlgs = []struct{ spec, alg string }{
	{"RSA_2048", "RSASSA_PSS_SHA_256"},
	{"RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"},
	{"RSA_3072", "RSASSA_PSS_SHA_256"},
	{"RSA_4096", "RSASSA_PSS_SHA_256"},
	{"ECC_NIST_P256", "ECDSA_SHA_256"},
	{"ECC_NIST_P384", "ECDSA_SHA_384"},
	{"ECC_NIST_P521", "ECDSA_SHA_512"},
	{"ECC_SECG_P256K1", "ECDSA_SHA_256"},
	{"ECC_NIST_EDWARDS25519", "ED25519_SHA_512"},
	{"ML_DSA_44", "ML_DSA_SHAKE_256"},
	{"ML_DSA_65", "ML_DSA_SHAKE_256"},
	{"ML_DSA_87", "ML_DSA_SHAKE_256"},
}

func BenchmarkSign(b *testing.B) {
	fx := keysFixture(b)
	ctx := context.Background()
	for _, ba := range benchAlgs {
		ref := fx.refs[ba.spec]
		b.Run(ba.spec+"/"+ba.alg, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fx.k.Sign(ctx, ref, ba.alg, MessageRaw, benchMsg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	fx := keysFixture(b)
	ctx := context.Background()
	for _, ba := range benchAlgs {
		ref := fx.refs[ba.spec]
		sig, err := fx.k.Sign(ctx, ref, ba.alg, MessageRaw, benchMsg)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(ba.spec+"/"+ba.alg, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := fx.k.Verify(ctx, ref, ba.alg, MessageRaw, benchMsg, sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGenerateMac(b *testing.B) {
	fx := keysFixture(b)
	ctx := context.Background()
	for _, spec := range []string{"HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"} {
		ref := fx.refs[spec]
		alg := mustSpec(spec).macAlgorithm()
		b.Run(spec, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fx.k.GenerateMac(ctx, ref, alg, benchMsg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSignParallel is Sign from GOMAXPROCS goroutines on one key,
// with the raw primitive beside it: the shape of the targets
// (ECDSA P-256 and RSA-2048 PSS Sign, GenerateMac on 2 cores).
func BenchmarkSignParallel(b *testing.B) {
	fx := keysFixture(b)
	ctx := context.Background()
	for _, ba := range []struct{ spec, alg string }{{"ECC_NIST_P256", "ECDSA_SHA_256"}, {"RSA_2048", "RSASSA_PSS_SHA_256"}} {
		ref := fx.refs[ba.spec]
		b.Run(ba.spec+"/keyring", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := fx.k.Sign(ctx, ref, ba.alg, MessageRaw, benchMsg); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		m := mustAcquireTB(b, fx.k, ref)
		a := m.asym
		m.release() // the fixture keeps it cached
		b.Run(ba.spec+"/raw", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					d := sha256.Sum256(benchMsg)
					var err error
					if a.ec != nil {
						_, err = ecdsa.SignASN1(rand.Reader, a.ec, d[:])
					} else {
						_, err = rsa.SignPSS(rand.Reader, a.rsa, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
	ref := fx.refs["HMAC_256"]
	b.Run("HMAC_256/keyring", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := fx.k.GenerateMac(ctx, ref, "HMAC_SHA_256", benchMsg); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// Raw standard-library baselines: the same hash + primitive with a key
// held in a variable, no keyring.

func BenchmarkRawECDSASign(b *testing.B) {
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		priv, _ := ecdsa.GenerateKey(c, rand.Reader)
		h := map[elliptic.Curve]crypto.Hash{elliptic.P256(): crypto.SHA256, elliptic.P384(): crypto.SHA384, elliptic.P521(): crypto.SHA512}[c]
		b.Run(c.Params().Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				hh := h.New()
				hh.Write(benchMsg)
				if _, err := ecdsa.SignASN1(rand.Reader, priv, hh.Sum(nil)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRawECDSAVerify(b *testing.B) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	d := sha256.Sum256(benchMsg)
	sig, _ := ecdsa.SignASN1(rand.Reader, priv, d[:])
	b.ReportAllocs()
	for b.Loop() {
		d := sha256.Sum256(benchMsg)
		if !ecdsa.VerifyASN1(&priv.PublicKey, d[:], sig) {
			b.Fatal("verify failed")
		}
	}
}

func BenchmarkRawRSASign(b *testing.B) {
	fx := keysFixture(b) // the same 2048-bit key as the keyring's
	m := mustAcquireTB(b, fx.k, fx.refs["RSA_2048"])
	priv := m.asym.rsa
	m.release()
	b.Run("PSS_2048", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d := sha256.Sum256(benchMsg)
			if _, err := rsa.SignPSS(rand.Reader, priv, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("PKCS1v15_2048", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d := sha256.Sum256(benchMsg)
			if _, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, d[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkRawHMAC(b *testing.B) {
	key := make([]byte, 32)
	b.Run("new_per_call", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h := hmac.New(sha256.New, key)
			h.Write(benchMsg)
			h.Sum(nil)
		}
	})
	b.Run("reset_one_state", func(b *testing.B) {
		h := hmac.New(sha256.New, key)
		b.ReportAllocs()
		for b.Loop() {
			h.Reset()
			h.Write(benchMsg)
			h.Sum(nil)
		}
	})
}
