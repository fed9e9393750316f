package keyring

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"slices"
	"strconv"
	"testing"
)

func TestNewMaterialSpecs(t *testing.T) {
	fx := keysFixture(t)
	for _, spec := range allSpecs {
		t.Run(spec, func(t *testing.T) {
			m := mustAcquire(t, fx.k, fx.refs[spec])
			defer m.release()
			if got := m.spec.String(); got != spec {
				t.Errorf("cached spec = %s, want %s", got, spec)
			}
			w := fx.src.m[fx.refs[spec]]
			wantVersion := byte(wrappedTypedVersion)
			if spec == "SYMMETRIC_DEFAULT" {
				wantVersion = wrappedVersion
				if len(w) != 61 {
					t.Errorf("SYMMETRIC_DEFAULT wrapped length = %d, want 61 (NewSymmetricMaterial's)", len(w))
				}
			}
			if w[0] != wantVersion {
				t.Errorf("wrapped version = %d, want %d", w[0], wantVersion)
			}
			// The wrapping binds the ref: another ref does not load it.
			other := fx.refs[spec]
			other.Version++
			if _, err := fx.k.unwrapTypedMaterial(other, w); spec != "SYMMETRIC_DEFAULT" && !errors.Is(err, ErrUnwrap) {
				t.Errorf("unwrap under another ref: %v, want ErrUnwrap", err)
			}
		})
	}
	k, _ := newTestKeyring(t, Options{})
	for _, bad := range []string{"", "SM2", "RSA_1024", "HMAC_128", "ecc_nist_p256", "ML_DSA_44 "} {
		if _, err := k.NewMaterial(testRef, bad); !errors.Is(err, ErrUnsupportedSpec) {
			t.Errorf("NewMaterial(%q) = %v, want ErrUnsupportedSpec", bad, err)
		}
	}
	if _, err := k.NewMaterial(MaterialRef{}, "HMAC_256"); !errors.Is(err, ErrInvalidRef) {
		t.Errorf("NewMaterial(bad ref) = %v, want ErrInvalidRef", err)
	}
}

func TestPublicKey(t *testing.T) {
	fx := keysFixture(t)
	oids := map[string]asn1.ObjectIdentifier{
		"ML_DSA_44": {2, 16, 840, 1, 101, 3, 4, 3, 17}, "ML_DSA_65": {2, 16, 840, 1, 101, 3, 4, 3, 18},
		"ML_DSA_87": {2, 16, 840, 1, 101, 3, 4, 3, 19}, "ML_KEM_512": {2, 16, 840, 1, 101, 3, 4, 4, 1},
		"ML_KEM_768": {2, 16, 840, 1, 101, 3, 4, 4, 2}, "ML_KEM_1024": {2, 16, 840, 1, 101, 3, 4, 4, 3},
		"ECC_SECG_P256K1": {1, 2, 840, 10045, 2, 1},
	}
	keyLen := map[string]int{"ML_DSA_44": 1312, "ML_DSA_65": 1952, "ML_DSA_87": 2592,
		"ML_KEM_512": 800, "ML_KEM_768": 1184, "ML_KEM_1024": 1568, "ECC_SECG_P256K1": 65}
	for _, spec := range allSpecs {
		t.Run(spec, func(t *testing.T) {
			der, err := fx.k.PublicKey(t.Context(), fx.refs[spec])
			if spec == "SYMMETRIC_DEFAULT" || spec[:4] == "HMAC" {
				if !errors.Is(err, ErrWrongKeyType) {
					t.Fatalf("PublicKey = %v, want ErrWrongKeyType", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if oid, ok := oids[spec]; ok {
				var spki struct {
					Algo struct {
						Algorithm  asn1.ObjectIdentifier
						Parameters asn1.RawValue `asn1:"optional"`
					}
					Key asn1.BitString
				}
				if rest, err := asn1.Unmarshal(der, &spki); err != nil || len(rest) != 0 {
					t.Fatalf("SPKI does not parse: %v (%d trailing)", err, len(rest))
				}
				if !spki.Algo.Algorithm.Equal(oid) {
					t.Errorf("algorithm = %v, want %v", spki.Algo.Algorithm, oid)
				}
				hasParams := len(spki.Algo.Parameters.FullBytes) != 0
				if wantParams := spec == "ECC_SECG_P256K1"; hasParams != wantParams {
					t.Errorf("parameters present = %v, want %v", hasParams, wantParams)
				}
				if len(spki.Key.Bytes) != keyLen[spec] || spki.Key.BitLength != 8*keyLen[spec] {
					t.Errorf("key = %d bytes, want %d", len(spki.Key.Bytes), keyLen[spec])
				}
				return
			}
			pub, err := x509.ParsePKIXPublicKey(der)
			if err != nil {
				t.Fatalf("x509.ParsePKIXPublicKey: %v", err)
			}
			switch p := pub.(type) {
			case *rsa.PublicKey:
				if bits := "RSA_" + strconv.Itoa(p.N.BitLen()); bits != spec || p.E != 65537 {
					t.Errorf("RSA key %s e=%d, want %s e=65537", bits, p.E, spec)
				}
			case *ecdsa.PublicKey:
				if want := specs[mustSpec(spec)].curve; p.Curve != want {
					t.Errorf("curve %s, want %s", p.Curve.Params().Name, want.Params().Name)
				}
			case ed25519.PublicKey:
				if spec != "ECC_NIST_EDWARDS25519" {
					t.Errorf("Ed25519 key for %s", spec)
				}
			default:
				t.Errorf("unexpected key type %T", pub)
			}
			// The caller owns the slice.
			der[0] ^= 0xff
			if again, _ := fx.k.PublicKey(t.Context(), fx.refs[spec]); again[0] == der[0] {
				t.Error("PublicKey returned the cached slice")
			}
		})
	}
}

func mustSpec(name string) keySpec {
	s, ok := specByName(name)
	if !ok {
		panic(name)
	}
	return s
}

// stdVerify checks sig with Go's standard library from the SPKI alone:
// the cross-check by a code path other than the keyring's. It reports
// false, true when the spec has no standard-library verifier (secp256k1,
// ML-DSA: openssl and the vectors cover them).
func stdVerify(t *testing.T, spki []byte, alg, msgType string, msg, sig []byte) (checked bool) {
	t.Helper()
	pub, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		return false
	}
	h := algHash(alg)
	in := msg
	if msgType == MessageRaw && h != 0 {
		in = hashOf(h, msg)
	}
	var verr error
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if alg[:9] == "RSASSA_PS" {
			verr = rsa.VerifyPSS(p, h, in, sig, &rsa.PSSOptions{SaltLength: h.Size(), Hash: h})
		} else {
			verr = rsa.VerifyPKCS1v15(p, h, in, sig)
		}
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(p, in, sig) {
			verr = errors.New("ecdsa.VerifyASN1 failed")
		}
	case ed25519.PublicKey:
		opts := &ed25519.Options{}
		if alg == "ED25519_PH_SHA_512" {
			opts.Hash = crypto.SHA512
		}
		verr = ed25519.VerifyWithOptions(p, in, sig, opts)
	default:
		return false
	}
	if verr != nil {
		t.Errorf("standard library rejects the signature: %v", verr)
	}
	return true
}

func TestSignVerifyRoundTrip(t *testing.T) {
	fx := keysFixture(t)
	ctx := t.Context()
	msg := []byte("Trent signs this message")
	for _, spec := range allSpecs {
		ref := fx.refs[spec]
		for _, alg := range allSigningAlgs {
			allowed := slices.Contains(signingAlgorithms[spec], alg)
			t.Run(spec+"/"+alg, func(t *testing.T) {
				if !allowed {
					want := ErrAlgorithmMismatch
					if signingAlgorithms[spec] == nil {
						want = ErrWrongKeyType
					}
					if _, err := fx.k.Sign(ctx, ref, alg, MessageRaw, msg); !errors.Is(err, want) {
						t.Errorf("Sign = %v, want %v", err, want)
					}
					if err := fx.k.Verify(ctx, ref, alg, MessageRaw, msg, make([]byte, 64)); !errors.Is(err, want) {
						t.Errorf("Verify = %v, want %v", err, want)
					}
					return
				}
				spki, err := fx.k.PublicKey(ctx, ref)
				if err != nil {
					t.Fatal(err)
				}
				for _, mt := range messageTypes(alg) {
					in := msg
					switch mt {
					case MessageDigest:
						in = hashOf(algHash(alg), msg)
					case MessageExternalMu:
						in = bytes.Repeat([]byte{0x5a}, 64)
					}
					sig, err := fx.k.Sign(ctx, ref, alg, mt, in)
					if mt == MessageExternalMu {
						if !errors.Is(err, ErrExternalMuUnsupported) {
							t.Errorf("%s: Sign = %v, want ErrExternalMuUnsupported", mt, err)
						}
						continue
					}
					if err != nil {
						t.Fatalf("%s: Sign: %v", mt, err)
					}
					if err := fx.k.Verify(ctx, ref, alg, mt, in, sig); err != nil {
						t.Errorf("%s: Verify of own signature: %v", mt, err)
					}
					stdVerify(t, spki, alg, mt, in, sig)
					// RAW and DIGEST describe the same signature.
					if mt == MessageRaw && slices.Contains(messageTypes(alg), MessageDigest) {
						if err := fx.k.Verify(ctx, ref, alg, MessageDigest, hashOf(algHash(alg), msg), sig); err != nil {
							t.Errorf("Verify as DIGEST of a RAW signature: %v", err)
						}
					}
					bad := bytes.Clone(sig)
					bad[len(bad)/2] ^= 0x01
					if err := fx.k.Verify(ctx, ref, alg, mt, in, bad); !errors.Is(err, ErrInvalidSignature) {
						t.Errorf("%s: Verify of altered signature = %v, want ErrInvalidSignature", mt, err)
					}
					other := bytes.Clone(in)
					other[0] ^= 0x80
					if err := fx.k.Verify(ctx, ref, alg, mt, other, sig); !errors.Is(err, ErrInvalidSignature) {
						t.Errorf("%s: Verify of another message = %v, want ErrInvalidSignature", mt, err)
					}
					for _, s := range [][]byte{nil, sig[:len(sig)-1], append(bytes.Clone(sig), 0)} {
						if err := fx.k.Verify(ctx, ref, alg, mt, in, s); !errors.Is(err, ErrInvalidSignature) {
							t.Errorf("%s: Verify of %d-byte signature = %v, want ErrInvalidSignature", mt, len(s), err)
						}
					}
				}
			})
		}
	}
}

func TestSignMessageChecks(t *testing.T) {
	fx := keysFixture(t)
	ctx := t.Context()
	big := make([]byte, MaxMessageSize+1)
	tests := []struct {
		spec, alg, msgType string
		msg                []byte
		want               error
	}{
		{"ECC_NIST_P256", "ECDSA_SHA_256", MessageDigest, make([]byte, 31), ErrInvalidDigest},
		{"ECC_NIST_P256", "ECDSA_SHA_256", MessageDigest, make([]byte, 48), ErrInvalidDigest},
		{"ECC_NIST_P384", "ECDSA_SHA_384", MessageDigest, make([]byte, 32), ErrInvalidDigest},
		{"RSA_2048", "RSASSA_PSS_SHA_512", MessageDigest, make([]byte, 32), ErrInvalidDigest},
		{"RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", MessageRaw, big, ErrInvalidSize},
		{"RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", MessageExternalMu, make([]byte, 64), ErrMessageTypeMismatch},
		{"RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", "HASHED", make([]byte, 32), ErrMessageTypeMismatch},
		{"ECC_NIST_P256", "ECDSA_SHA_384", MessageRaw, []byte("m"), ErrAlgorithmMismatch},
		{"ECC_NIST_P384", "ECDSA_SHA_256", MessageRaw, []byte("m"), ErrAlgorithmMismatch},
		{"ECC_NIST_P521", "ECDSA_SHA_384", MessageRaw, []byte("m"), ErrAlgorithmMismatch},
		{"ECC_SECG_P256K1", "ECDSA_SHA_512", MessageRaw, []byte("m"), ErrAlgorithmMismatch},
		{"RSA_2048", "ECDSA_SHA_256", MessageRaw, []byte("m"), ErrAlgorithmMismatch},
		{"RSA_2048", "SM2DSA", MessageRaw, []byte("m"), ErrAlgorithmMismatch},
		{"ECC_NIST_EDWARDS25519", "ED25519_SHA_512", MessageDigest, make([]byte, 64), ErrMessageTypeMismatch},
		{"ECC_NIST_EDWARDS25519", "ED25519_PH_SHA_512", MessageRaw, []byte("m"), ErrMessageTypeMismatch},
		{"ECC_NIST_EDWARDS25519", "ED25519_PH_SHA_512", MessageDigest, make([]byte, 32), ErrInvalidDigest},
		{"ECC_NIST_EDWARDS25519", "ED25519_SHA_512", MessageRaw, big, ErrInvalidSize},
		{"ML_DSA_65", "ML_DSA_SHAKE_256", MessageDigest, make([]byte, 64), ErrMessageTypeMismatch},
		{"ML_DSA_65", "ML_DSA_SHAKE_256", MessageExternalMu, make([]byte, 32), ErrInvalidDigest},
		{"ML_DSA_65", "ML_DSA_SHAKE_256", MessageRaw, big, ErrInvalidSize},
		{"ML_KEM_768", "ML_DSA_SHAKE_256", MessageRaw, []byte("m"), ErrWrongKeyType},
		{"HMAC_256", "ECDSA_SHA_256", MessageRaw, []byte("m"), ErrWrongKeyType},
		{"SYMMETRIC_DEFAULT", "ECDSA_SHA_256", MessageRaw, []byte("m"), ErrWrongKeyType},
	}
	for _, tt := range tests {
		t.Run(tt.spec+"/"+tt.alg+"/"+tt.msgType, func(t *testing.T) {
			ref := fx.refs[tt.spec]
			if _, err := fx.k.Sign(ctx, ref, tt.alg, tt.msgType, tt.msg); !errors.Is(err, tt.want) {
				t.Errorf("Sign = %v, want %v", err, tt.want)
			}
			if err := fx.k.Verify(ctx, ref, tt.alg, tt.msgType, tt.msg, make([]byte, 64)); !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	// An empty RAW message signs (the service enforces AWS's minimum of 1).
	sig, err := fx.k.Sign(ctx, fx.refs["ECC_NIST_P256"], "ECDSA_SHA_256", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.k.Verify(ctx, fx.refs["ECC_NIST_P256"], "ECDSA_SHA_256", MessageRaw, []byte{}, sig); err != nil {
		t.Errorf("Verify(empty message) = %v", err)
	}
}

func TestRSAEncryptDecrypt(t *testing.T) {
	fx := keysFixture(t)
	ctx := t.Context()
	limits := map[string][2]int{"RSA_2048": {214, 190}, "RSA_3072": {342, 318}, "RSA_4096": {470, 446}}
	for _, spec := range []string{"RSA_2048", "RSA_3072", "RSA_4096"} {
		ref := fx.refs[spec]
		spki, _ := fx.k.PublicKey(ctx, ref)
		pub, _ := x509.ParsePKIXPublicKey(spki)
		for i, alg := range []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"} {
			t.Run(spec+"/"+alg, func(t *testing.T) {
				limit := limits[spec][i]
				for _, n := range []int{0, 1, limit} {
					pt := randBytes(t, n)
					ct, err := fx.k.EncryptRSA(ctx, ref, alg, pt)
					if err != nil {
						t.Fatalf("EncryptRSA(%d bytes): %v", n, err)
					}
					if len(ct) != pub.(*rsa.PublicKey).Size() {
						t.Errorf("ciphertext %d bytes, want %d", len(ct), pub.(*rsa.PublicKey).Size())
					}
					got, err := fx.k.DecryptRSA(ctx, ref, alg, ct)
					if err != nil || !bytes.Equal(got, pt) {
						t.Errorf("DecryptRSA(EncryptRSA(%d bytes)) = %d bytes, %v", n, len(got), err)
					}
				}
				_, err := fx.k.EncryptRSA(ctx, ref, alg, make([]byte, limit+1))
				var tooLarge ErrPlaintextTooLarge
				if !errors.As(err, &tooLarge) || tooLarge.Max != limit || !errors.Is(err, ErrInvalidSize) {
					t.Errorf("EncryptRSA(%d bytes) = %v, want ErrPlaintextTooLarge{%d}", limit+1, err, limit)
				}
				// A ciphertext made outside with the standard library.
				h := crypto.SHA1
				if alg == "RSAES_OAEP_SHA_256" {
					h = crypto.SHA256
				}
				ct, err := rsa.EncryptOAEP(h.New(), rand.Reader, pub.(*rsa.PublicKey), []byte("from outside"), nil)
				if err != nil {
					t.Fatal(err)
				}
				if got, err := fx.k.DecryptRSA(ctx, ref, alg, ct); err != nil || string(got) != "from outside" {
					t.Errorf("DecryptRSA(stdlib ciphertext) = %q, %v", got, err)
				}
				// The other hash, a label, an edit, a length change: one error.
				otherAlg := "RSAES_OAEP_SHA_256"
				if alg == otherAlg {
					otherAlg = "RSAES_OAEP_SHA_1"
				}
				labeled, _ := rsa.EncryptOAEP(h.New(), rand.Reader, pub.(*rsa.PublicKey), []byte("x"), []byte("label"))
				flipped := bytes.Clone(ct)
				flipped[10] ^= 1
				cases := map[string][]byte{"labeled": labeled, "flipped": flipped, "short": ct[1:],
					"long": append([]byte{0}, ct...), "empty": nil, "modulus": pub.(*rsa.PublicKey).N.Bytes()}
				for name, c := range cases {
					if _, err := fx.k.DecryptRSA(ctx, ref, alg, c); !errors.Is(err, ErrInvalidCiphertext) {
						t.Errorf("DecryptRSA(%s) = %v, want ErrInvalidCiphertext", name, err)
					}
				}
				if _, err := fx.k.DecryptRSA(ctx, ref, otherAlg, ct); !errors.Is(err, ErrInvalidCiphertext) {
					t.Errorf("DecryptRSA with the other hash = %v, want ErrInvalidCiphertext", err)
				}
			})
		}
		for _, bad := range []string{"RSAES_PKCS1_V1_5", "SYMMETRIC_DEFAULT", "SM2PKE", ""} {
			if _, err := fx.k.EncryptRSA(ctx, ref, bad, []byte("x")); !errors.Is(err, ErrAlgorithmMismatch) {
				t.Errorf("EncryptRSA(%s) = %v, want ErrAlgorithmMismatch", bad, err)
			}
			if _, err := fx.k.DecryptRSA(ctx, ref, bad, make([]byte, 256)); !errors.Is(err, ErrAlgorithmMismatch) {
				t.Errorf("DecryptRSA(%s) = %v, want ErrAlgorithmMismatch", bad, err)
			}
		}
	}
	for _, spec := range []string{"ECC_NIST_P256", "HMAC_256", "SYMMETRIC_DEFAULT", "ML_KEM_768"} {
		if _, err := fx.k.EncryptRSA(ctx, fx.refs[spec], "RSAES_OAEP_SHA_256", []byte("x")); !errors.Is(err, ErrWrongKeyType) {
			t.Errorf("EncryptRSA with %s = %v, want ErrWrongKeyType", spec, err)
		}
	}
}

func TestECDH(t *testing.T) {
	fx := keysFixture(t)
	ctx := t.Context()
	curves := map[string]ecdh.Curve{"ECC_NIST_P256": ecdh.P256(), "ECC_NIST_P384": ecdh.P384(), "ECC_NIST_P521": ecdh.P521()}
	for spec, curve := range curves {
		t.Run(spec, func(t *testing.T) {
			ref := fx.refs[spec]
			peer, err := curve.GenerateKey(nil)
			if err != nil {
				t.Fatal(err)
			}
			peerSPKI, _ := x509.MarshalPKIXPublicKey(peer.PublicKey())
			got, err := fx.k.DeriveSharedSecret(ctx, ref, peerSPKI)
			if err != nil {
				t.Fatal(err)
			}
			// The peer derives the same secret from Trent's public key.
			spki, _ := fx.k.PublicKey(ctx, ref)
			pub, _ := x509.ParsePKIXPublicKey(spki)
			trentPub, _ := pub.(*ecdsa.PublicKey).ECDH()
			want, err := peer.ECDH(trentPub)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("shared secret %x, peer derives %x (%v)", got, want, err)
			}
			// A peer on each other curve, X25519, RSA, and junk.
			for other, oc := range curves {
				if other == spec {
					continue
				}
				op, _ := oc.GenerateKey(nil)
				der, _ := x509.MarshalPKIXPublicKey(op.PublicKey())
				if _, err := fx.k.DeriveSharedSecret(ctx, ref, der); !errors.Is(err, ErrInvalidPeerKey) {
					t.Errorf("peer on %s: %v, want ErrInvalidPeerKey", other, err)
				}
			}
			x, _ := ecdh.X25519().GenerateKey(nil)
			xder, _ := x509.MarshalPKIXPublicKey(x.PublicKey())
			rsaSPKI, _ := fx.k.PublicKey(ctx, fx.refs["RSA_2048"])
			for name, der := range map[string][]byte{"X25519": xder, "RSA": rsaSPKI, "empty": nil,
				"truncated": peerSPKI[:len(peerSPKI)-1], "trailing": append(bytes.Clone(peerSPKI), 0)} {
				_, err := fx.k.DeriveSharedSecret(ctx, ref, der)
				var pke *PeerKeyError
				if !errors.As(err, &pke) || !errors.Is(err, ErrInvalidPeerKey) || pke.Reason == "" {
					t.Errorf("peer %s: %v, want a *PeerKeyError", name, err)
				}
			}
		})
	}
	for _, spec := range []string{"ECC_SECG_P256K1", "RSA_2048", "HMAC_256", "ECC_NIST_EDWARDS25519", "ML_KEM_512"} {
		peer, _ := ecdh.P256().GenerateKey(nil)
		der, _ := x509.MarshalPKIXPublicKey(peer.PublicKey())
		if _, err := fx.k.DeriveSharedSecret(ctx, fx.refs[spec], der); !errors.Is(err, ErrWrongKeyType) {
			t.Errorf("DeriveSharedSecret with %s = %v, want ErrWrongKeyType", spec, err)
		}
	}
}
