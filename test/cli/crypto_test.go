package cli_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trentkms/trent/test/harness"
)

type encryptOutput struct {
	CiphertextBlob      string
	KeyId               string
	EncryptionAlgorithm string
}

type decryptOutput struct {
	Plaintext           string
	KeyId               string
	EncryptionAlgorithm string
}

type dataKeyOutput struct {
	CiphertextBlob string
	Plaintext      string
	KeyId          string
}

type reEncryptOutput struct {
	CiphertextBlob                 string
	SourceKeyId                    string
	KeyId                          string
	SourceEncryptionAlgorithm      string
	DestinationEncryptionAlgorithm string
}

type randomOutput struct{ Plaintext string }

// createKey runs create-key and returns the key ID.
func (e *env) createKey(description string) string {
	e.t.Helper()
	var out keyOutput
	e.ok(&out, "kms", "create-key", "--description", description)
	if out.KeyMetadata.KeyId == "" {
		e.t.Fatal("create-key printed no KeyId")
	}
	return out.KeyMetadata.KeyId
}

// shell runs a bash script in the CLI's working directory with the CLI's
// environment plus AWS (the CLI's path), ENDPOINT and extra, and fails t
// unless it exits 0. pipefail is on, so a failing aws in a pipe fails it.
func (e *env) shell(script string, extra ...string) {
	e.t.Helper()
	bash := "/bin/bash"
	if _, err := os.Stat(bash); err != nil {
		harness.Missing(e.t, "bash not found at %s: %v", bash, err)
	}
	ctx, cancel := context.WithTimeout(e.t.Context(), 2*cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "-c", "set -euo pipefail\n"+script)
	cmd.Env = slices.Concat(e.vars, []string{"AWS=" + e.aws, "ENDPOINT=" + e.s.Endpoint}, extra)
	cmd.Dir = e.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		e.t.Fatalf("bash script failed: %v\nscript:\n%s\nstdout:\n%s\nstderr:\n%s", err, script, stdout.String(), stderr.String())
	}
}

func (e *env) readFile(name string) []byte {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, name))
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// TestEncryptDecryptRoundTrip is issue 4's CLI round trip, as written there:
// encrypt a random binary file with an encryption context, base64 -d the
// CiphertextBlob into a file, decrypt that file with the same context and
// base64 -d the Plaintext: the original bytes come back. Another context,
// or none, gives InvalidCiphertextException.
func TestEncryptDecryptRoundTrip(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		key := e.createKey("round trip")
		for _, size := range []int{1, 777, 4096} { // 4096 last: c is used below
			t.Run(fmt.Sprint(size), func(t *testing.T) {
				e := *e
				e.t = t
				plain := randomBytes(size)
				e.file("f", plain)
				e.shell(`
"$AWS" kms encrypt --key-id "$KEY" --plaintext fileb://f --encryption-context k=v --query CiphertextBlob --output text --endpoint-url "$ENDPOINT" | base64 -d > c
"$AWS" kms decrypt --ciphertext-blob fileb://c --encryption-context k=v --query Plaintext --output text --endpoint-url "$ENDPOINT" | base64 -d > out
`, "KEY="+key)
				if got := e.readFile("out"); !bytes.Equal(got, plain) {
					t.Errorf("decrypt | base64 -d gave %d bytes, want the original %d bytes", len(got), len(plain))
				}
				c := e.readFile("c")
				if len(c) <= size {
					t.Errorf("ciphertext file has %d bytes for %d bytes of plaintext", len(c), size)
				}
				if size >= 16 && bytes.Contains(c, plain[:16]) {
					t.Error("ciphertext file contains the plaintext")
				}
			})
		}

		// The last file c (4096 bytes, context k=v) with another context, a
		// larger one, or none.
		for _, ctx := range [][]string{{"--encryption-context", "k=w"}, {"--encryption-context", "k=v,x=y"}, nil} {
			args := append([]string{"kms", "decrypt", "--ciphertext-blob", "fileb://c"}, ctx...)
			r := e.run(args...)
			if r.exit == 0 || !strings.Contains(r.stderr, "An error occurred (InvalidCiphertextException)") {
				t.Errorf("decrypt with context %v: want InvalidCiphertextException:\n%s", ctx, r)
			}
		}

		// decrypt's JSON output names the key by ARN and the algorithm.
		e.file("g", []byte("hello, trent"))
		var enc encryptOutput
		e.ok(&enc, "kms", "encrypt", "--key-id", key, "--plaintext", "fileb://g")
		if enc.KeyId != e.keyARN(key) || enc.EncryptionAlgorithm != "SYMMETRIC_DEFAULT" {
			t.Errorf("encrypt: KeyId %q EncryptionAlgorithm %q, want %q SYMMETRIC_DEFAULT", enc.KeyId, enc.EncryptionAlgorithm, e.keyARN(key))
		}
		e.file("gc", b64(t, "CiphertextBlob", enc.CiphertextBlob))
		var dec decryptOutput
		e.ok(&dec, "kms", "decrypt", "--ciphertext-blob", "fileb://gc", "--key-id", key)
		if got := string(b64(t, "Plaintext", dec.Plaintext)); got != "hello, trent" {
			t.Errorf("decrypt Plaintext = %q, want %q", got, "hello, trent")
		}
		if dec.KeyId != e.keyARN(key) || dec.EncryptionAlgorithm != "SYMMETRIC_DEFAULT" {
			t.Errorf("decrypt: KeyId %q EncryptionAlgorithm %q, want %q SYMMETRIC_DEFAULT", dec.KeyId, dec.EncryptionAlgorithm, e.keyARN(key))
		}
	})
}

// TestDataKeys runs generate-data-key and generate-data-key-without-plaintext
// and decrypts the wrapped data keys with the CLI.
func TestDataKeys(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		key := e.createKey("data keys")
		e.okEmpty("kms", "create-alias", "--alias-name", "alias/data", "--target-key-id", key)

		cases := []struct {
			name string
			args []string
			size int
		}{
			{"generate-data-key AES_256", []string{"generate-data-key", "--key-spec", "AES_256"}, 32},
			{"generate-data-key AES_128", []string{"generate-data-key", "--key-spec", "AES_128"}, 16},
			{"generate-data-key 64 bytes", []string{"generate-data-key", "--number-of-bytes", "64"}, 64},
			{"generate-data-key-without-plaintext AES_256", []string{"generate-data-key-without-plaintext", "--key-spec", "AES_256"}, 32},
			{"generate-data-key-without-plaintext 7 bytes", []string{"generate-data-key-without-plaintext", "--number-of-bytes", "7"}, 7},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := *e
				e.t = t
				var dk dataKeyOutput
				args := append(append([]string{"kms"}, tc.args...), "--key-id", "alias/data", "--encryption-context", "purpose=cli-test")
				r := e.ok(&dk, args...)
				if dk.KeyId != e.keyARN(key) {
					t.Errorf("KeyId = %q, want %q", dk.KeyId, e.keyARN(key))
				}
				withPlaintext := tc.args[0] == "generate-data-key"
				var plain []byte
				if withPlaintext {
					plain = b64(t, "Plaintext", dk.Plaintext)
					if len(plain) != tc.size {
						t.Errorf("Plaintext has %d bytes, want %d", len(plain), tc.size)
					}
				} else if strings.Contains(r.stdout, `"Plaintext"`) {
					t.Errorf("generate-data-key-without-plaintext printed a Plaintext:\n%s", r)
				}
				e.file("dk", b64(t, "CiphertextBlob", dk.CiphertextBlob))
				var dec decryptOutput
				e.ok(&dec, "kms", "decrypt", "--ciphertext-blob", "fileb://dk", "--encryption-context", "purpose=cli-test")
				got := b64(t, "Plaintext", dec.Plaintext)
				if len(got) != tc.size {
					t.Errorf("decrypted data key has %d bytes, want %d", len(got), tc.size)
				}
				if withPlaintext && !bytes.Equal(got, plain) {
					t.Error("decrypted data key differs from generate-data-key's Plaintext")
				}
				if dec.KeyId != e.keyARN(key) {
					t.Errorf("decrypt KeyId = %q, want %q", dec.KeyId, e.keyARN(key))
				}
			})
		}
	})
}

// TestReEncrypt moves a ciphertext to another key and context with
// re-encrypt; only the new key and context decrypt the result.
func TestReEncrypt(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		src := e.createKey("source")
		dst := e.createKey("destination")
		plain := randomBytes(300)
		e.file("f", plain)
		var enc encryptOutput
		e.ok(&enc, "kms", "encrypt", "--key-id", src, "--plaintext", "fileb://f", "--encryption-context", "stage=one")
		e.file("c1", b64(t, "CiphertextBlob", enc.CiphertextBlob))

		var re reEncryptOutput
		e.ok(&re, "kms", "re-encrypt", "--ciphertext-blob", "fileb://c1",
			"--source-encryption-context", "stage=one",
			"--destination-key-id", dst, "--destination-encryption-context", "stage=two")
		if re.SourceKeyId != e.keyARN(src) || re.KeyId != e.keyARN(dst) {
			t.Errorf("re-encrypt SourceKeyId %q KeyId %q, want %q %q", re.SourceKeyId, re.KeyId, e.keyARN(src), e.keyARN(dst))
		}
		if re.SourceEncryptionAlgorithm != "SYMMETRIC_DEFAULT" || re.DestinationEncryptionAlgorithm != "SYMMETRIC_DEFAULT" {
			t.Errorf("re-encrypt algorithms %q -> %q, want SYMMETRIC_DEFAULT both", re.SourceEncryptionAlgorithm, re.DestinationEncryptionAlgorithm)
		}
		if strings.Contains(e.run("kms", "re-encrypt", "--ciphertext-blob", "fileb://c1", "--source-encryption-context", "stage=one", "--destination-key-id", dst).stdout, `"Plaintext"`) {
			t.Error("re-encrypt printed a Plaintext")
		}
		e.file("c2", b64(t, "CiphertextBlob", re.CiphertextBlob))

		var dec decryptOutput
		e.ok(&dec, "kms", "decrypt", "--ciphertext-blob", "fileb://c2", "--encryption-context", "stage=two")
		if got := b64(t, "Plaintext", dec.Plaintext); !bytes.Equal(got, plain) {
			t.Errorf("decrypt of the re-encrypted blob: %d bytes differing from the original %d", len(got), len(plain))
		}
		if dec.KeyId != e.keyARN(dst) {
			t.Errorf("decrypt of the re-encrypted blob: KeyId %q, want %q", dec.KeyId, e.keyARN(dst))
		}
		e.fails("Decrypt", "InvalidCiphertextException", "kms", "decrypt", "--ciphertext-blob", "fileb://c2", "--encryption-context", "stage=one")
		e.fails("Decrypt", "IncorrectKeyException", "kms", "decrypt", "--ciphertext-blob", "fileb://c2", "--encryption-context", "stage=two", "--key-id", src)
		// re-encrypt with the wrong source context fails like decrypt.
		e.fails("ReEncrypt", "InvalidCiphertextException", "kms", "re-encrypt", "--ciphertext-blob", "fileb://c1",
			"--source-encryption-context", "stage=two", "--destination-key-id", dst)
	})
}

// TestGenerateRandom checks generate-random's lengths and that two calls
// differ.
func TestGenerateRandom(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var seen [][]byte
		for _, n := range []int{1, 32, 1024, 32} {
			var out randomOutput
			e.ok(&out, "kms", "generate-random", "--number-of-bytes", fmt.Sprint(n))
			b := b64(t, "Plaintext", out.Plaintext)
			if len(b) != n {
				t.Errorf("generate-random --number-of-bytes %d: %d bytes", n, len(b))
			}
			seen = append(seen, b)
		}
		if bytes.Equal(seen[1], seen[3]) {
			t.Errorf("two generate-random --number-of-bytes 32 gave the same bytes %x", seen[1])
		}
		// The shell form.
		e.shell(`"$AWS" kms generate-random --number-of-bytes 48 --query Plaintext --output text --endpoint-url "$ENDPOINT" | base64 -d > r`)
		if got := e.readFile("r"); len(got) != 48 {
			t.Errorf("generate-random ... | base64 -d: %d bytes, want 48", len(got))
		}
	})
}

// TestDryRun: --dry-run (an option the CLI knows only from the model in
// AWS_DATA_PATH) answers DryRunOperationException when the call would
// succeed, and the real error when it would not (issue 4).
func TestDryRun(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		key := e.createKey("dry run")
		other := e.createKey("dry run, other")
		e.file("f", []byte("dry"))
		var enc encryptOutput
		e.ok(&enc, "kms", "encrypt", "--key-id", key, "--plaintext", "fileb://f", "--encryption-context", "k=v")
		e.file("c", b64(t, "CiphertextBlob", enc.CiphertextBlob))

		wouldSucceed := []struct {
			op   string
			args []string
		}{
			{"Encrypt", []string{"encrypt", "--key-id", key, "--plaintext", "fileb://f"}},
			{"Decrypt", []string{"decrypt", "--ciphertext-blob", "fileb://c", "--encryption-context", "k=v"}},
			{"ReEncrypt", []string{"re-encrypt", "--ciphertext-blob", "fileb://c", "--source-encryption-context", "k=v", "--destination-key-id", other}},
			{"GenerateDataKey", []string{"generate-data-key", "--key-id", key, "--key-spec", "AES_256"}},
			{"GenerateDataKeyWithoutPlaintext", []string{"generate-data-key-without-plaintext", "--key-id", key, "--number-of-bytes", "16"}},
		}
		for _, tc := range wouldSucceed {
			t.Run(tc.op, func(t *testing.T) {
				e := *e
				e.t = t
				e.fails(tc.op, "DryRunOperationException", append(append([]string{"kms"}, tc.args...), "--dry-run")...)
			})
		}

		t.Run("would fail", func(t *testing.T) {
			e := *e
			e.t = t
			// DryRunModifiers IGNORE_CIPHERTEXT exists to skip validating
			// the ciphertext, so without it a dry run validates it.
			e.fails("Decrypt", "InvalidCiphertextException", "kms", "decrypt", "--ciphertext-blob", "fileb://c", "--encryption-context", "k=w", "--dry-run")
			e.fails("ReEncrypt", "InvalidCiphertextException", "kms", "re-encrypt", "--ciphertext-blob", "fileb://c", "--source-encryption-context", "k=w", "--destination-key-id", other, "--dry-run")
			e.okEmpty("kms", "disable-key", "--key-id", key)
			e.fails("Encrypt", "DisabledException", "kms", "encrypt", "--key-id", key, "--plaintext", "fileb://f", "--dry-run")
			e.fails("GenerateDataKey", "DisabledException", "kms", "generate-data-key", "--key-id", key, "--key-spec", "AES_256", "--dry-run")
		})
	})
}
