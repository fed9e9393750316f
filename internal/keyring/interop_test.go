package keyring

// Verifier matrix: every algorithm the keyring implements is checked by an
// implementation other than its own code path.
//
//	algorithm                         checked by
//	RSASSA-PSS SHA-256/384/512        Go stdlib (rsa.VerifyPSS from the SPKI), openssl dgst (salt length = hash)
//	RSASSA-PKCS1-v1_5 SHA-256/384/512 Go stdlib (rsa.VerifyPKCS1v15), openssl dgst
//	ECDSA P-256/384/521               Go stdlib (ecdsa.VerifyASN1), openssl dgst
//	ECDSA secp256k1                   openssl dgst (Go has no secp256k1); Wycheproof
//	Ed25519 (pure)                    Go stdlib (ed25519.VerifyWithOptions), openssl pkeyutl -rawin
//	Ed25519ph                         Go stdlib (ed25519.Options{Hash: SHA512}); OpenSSL 3.0 has no Ed25519ph
//	ML-DSA-44/65/87                   Wycheproof verify vectors (neither Go 1.26 nor OpenSSL 3.0 has ML-DSA)
//	RSAES-OAEP SHA-1/SHA-256          Go stdlib and openssl pkeyutl -encrypt, decrypted by the keyring; Wycheproof
//	ECDH P-256/384/521                Go stdlib crypto/ecdh on the peer's side; Wycheproof
//	HMAC-SHA-224/256/384/512          crypto/hmac on known keys; Wycheproof
//	ML-KEM-768/1024                   circl (the keyring uses crypto/mlkem) both ways; Wycheproof
//	ML-KEM-512                        Wycheproof (the keyring uses circl; Go 1.26 has no ML-KEM-512)
//	data key pairs (PKCS #8, SPKI)    crypto/x509 and openssl pkey (the public key openssl derives from
//	                                  the private key equals the SPKI), a local sign/verify or encaps/decaps
//
// openssl is Debian's /usr/bin/openssl (OpenSSL 3.0); the tests skip
// without it unless TRENT_REQUIRE_ALL=1.

import (
	"bytes"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const opensslPath = "/usr/bin/openssl"

func requireOpenSSL(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(opensslPath); err != nil {
		if os.Getenv("TRENT_REQUIRE_ALL") == "1" {
			t.Fatalf("openssl is required (TRENT_REQUIRE_ALL=1): %v", err)
		}
		t.Skipf("no %s", opensslPath)
	}
}

// openssl runs openssl with args in dir and returns its combined output.
func openssl(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), opensslPath, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pemPublicKey(spki []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})
}

func TestOpenSSLVerifiesSignatures(t *testing.T) {
	requireOpenSSL(t)
	fx := keysFixture(t)
	ctx := t.Context()
	msg := []byte("verified outside Trent by OpenSSL\n")
	tests := []struct{ spec, alg, md, pssSalt string }{
		{"RSA_2048", "RSASSA_PSS_SHA_256", "sha256", "32"},
		{"RSA_2048", "RSASSA_PSS_SHA_384", "sha384", "48"},
		{"RSA_3072", "RSASSA_PSS_SHA_512", "sha512", "64"},
		{"RSA_4096", "RSASSA_PSS_SHA_256", "sha256", "32"},
		{"RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", "sha256", ""},
		{"RSA_3072", "RSASSA_PKCS1_V1_5_SHA_384", "sha384", ""},
		{"RSA_4096", "RSASSA_PKCS1_V1_5_SHA_512", "sha512", ""},
		{"ECC_NIST_P256", "ECDSA_SHA_256", "sha256", ""},
		{"ECC_NIST_P384", "ECDSA_SHA_384", "sha384", ""},
		{"ECC_NIST_P521", "ECDSA_SHA_512", "sha512", ""},
		{"ECC_SECG_P256K1", "ECDSA_SHA_256", "sha256", ""},
		{"ECC_NIST_EDWARDS25519", "ED25519_SHA_512", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.spec+"/"+tt.alg, func(t *testing.T) {
			dir := t.TempDir()
			ref := fx.refs[tt.spec]
			spki, err := fx.k.PublicKey(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, dir, "pub.pem", pemPublicKey(spki))
			writeFile(t, dir, "msg", msg)
			for _, mt := range messageTypes(tt.alg) {
				in := msg
				if mt == MessageDigest {
					in = hashOf(algHash(tt.alg), msg)
				}
				sig, err := fx.k.Sign(ctx, ref, tt.alg, mt, in)
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, dir, "sig", sig)
				var args []string
				if tt.md == "" {
					args = []string{"pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "msg", "-sigfile", "sig"}
				} else {
					args = []string{"dgst", "-" + tt.md, "-verify", "pub.pem", "-signature", "sig"}
					if tt.pssSalt != "" {
						args = append(args, "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:"+tt.pssSalt,
							"-sigopt", "rsa_mgf1_md:"+tt.md)
					}
					args = append(args, "msg")
				}
				out, err := openssl(t, dir, args...)
				if err != nil || !strings.Contains(out, "Verified Successfully") && !strings.Contains(out, "Verified OK") {
					t.Fatalf("%s: openssl %s: %v\n%s", mt, strings.Join(args, " "), err, out)
				}
				// And OpenSSL rejects an altered signature.
				sig[len(sig)/2] ^= 1
				writeFile(t, dir, "sig", sig)
				if out, err := openssl(t, dir, args...); err == nil {
					t.Fatalf("%s: openssl accepted an altered signature:\n%s", mt, out)
				}
			}
		})
	}
}

func TestOpenSSLEncryptsForDecryptRSA(t *testing.T) {
	requireOpenSSL(t)
	fx := keysFixture(t)
	ctx := t.Context()
	for _, spec := range []string{"RSA_2048", "RSA_3072", "RSA_4096"} {
		for _, md := range []string{"sha256", "sha1"} {
			t.Run(spec+"/"+md, func(t *testing.T) {
				dir := t.TempDir()
				ref := fx.refs[spec]
				spki, _ := fx.k.PublicKey(ctx, ref)
				writeFile(t, dir, "pub.pem", pemPublicKey(spki))
				pt := []byte("encrypted by OpenSSL with OAEP-" + md)
				writeFile(t, dir, "pt", pt)
				out, err := openssl(t, dir, "pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem",
					"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:"+md, "-pkeyopt", "rsa_mgf1_md:"+md,
					"-in", "pt", "-out", "ct")
				if err != nil {
					t.Fatalf("openssl: %v\n%s", err, out)
				}
				ct, _ := os.ReadFile(filepath.Join(dir, "ct"))
				alg := map[string]string{"sha256": "RSAES_OAEP_SHA_256", "sha1": "RSAES_OAEP_SHA_1"}[md]
				got, err := fx.k.DecryptRSA(ctx, ref, alg, ct)
				if err != nil || !bytes.Equal(got, pt) {
					t.Errorf("DecryptRSA(openssl ciphertext) = %q, %v; want %q", got, err, pt)
				}
			})
		}
	}
}

func TestOpenSSLReadsDataKeyPairs(t *testing.T) {
	requireOpenSSL(t)
	// ML-KEM is left out: OpenSSL 3.0 does not know it.
	for _, spec := range []string{"RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519"} {
		t.Run(spec, func(t *testing.T) {
			priv, spki, err := GenerateKeyPair(spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			writeFile(t, dir, "priv.der", priv)
			out, err := openssl(t, dir, "pkey", "-inform", "DER", "-in", "priv.der", "-pubout", "-outform", "DER", "-out", "pub.der")
			if err != nil {
				t.Fatalf("openssl pkey: %v\n%s", err, out)
			}
			pub, _ := os.ReadFile(filepath.Join(dir, "pub.der"))
			if !bytes.Equal(pub, spki) {
				t.Errorf("the public key OpenSSL derives from the PKCS #8 private key differs from the SPKI")
			}
			if out, err := openssl(t, dir, "pkey", "-inform", "DER", "-in", "priv.der", "-check", "-noout"); err != nil && spec != "ECC_NIST_EDWARDS25519" {
				t.Errorf("openssl pkey -check: %v\n%s", err, out)
			}
		})
	}
}
