package symmetric_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/trentkms/trent/test/harness"
)

// outcome is what one Decrypt of a changed blob returned.
type outcome struct {
	code, msg string
	status    int
}

func (o outcome) String() string {
	if o.code == "" {
		return "success"
	}
	return fmt.Sprintf("%s %q (HTTP %d)", o.code, o.msg, o.status)
}

// wantTamper is the error a changed blob must give: a change inside the key
// reference (account, region, key ID) makes the header name another key,
// which AWS answers with AccessDeniedException (no KeyId) or
// IncorrectKeyException (KeyId given); any other change leaves the header
// naming the caller's key (or naming nothing, for the magic, format version
// and length bytes), and the blob is InvalidCiphertextException with AWS's
// empty message.
func wantTamper(s span, withKeyID bool) outcome {
	switch {
	case s.keyRef && withKeyID:
		return outcome{"IncorrectKeyException", msgIncorrectKey, 400}
	case s.keyRef:
		return outcome{"AccessDeniedException", msgForeignBlob, 400}
	default:
		return outcome{"InvalidCiphertextException", "", 400}
	}
}

// mismatches collects wrong answers grouped by field, change and answer,
// so that a systematic bug is reported once with its byte positions.
type mismatches map[string][]int

func (m mismatches) add(key string, pos int) { m[key] = append(m[key], pos) }

func (m mismatches) report(t *testing.T) {
	t.Helper()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Errorf("%s, at byte offsets %v", k, m[k])
	}
}

func decryptOutcome(t *testing.T, c *kms.Client, blob []byte, keyID string, ec map[string]string) (outcome, []byte) {
	t.Helper()
	in := &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: ec}
	if keyID != "" {
		in.KeyId = aws.String(keyID)
	}
	out, err := c.Decrypt(t.Context(), in)
	if err == nil {
		return outcome{}, out.Plaintext
	}
	code, msg, status, ok := apiError(err)
	if !ok {
		t.Fatalf("Decrypt: transport error %v", err)
	}
	return outcome{code, msg, status}, nil
}

// TestTamperEveryByte flips every byte of a blob (XOR 0x01 and XOR 0x80)
// and decrypts it without KeyId and with KeyId (cycling through key ID, key
// ARN, alias name and alias ARN): never plaintext, and the error each field
// of docs/ciphertext-format.md must give.
func TestTamperEveryByte(t *testing.T) {
	t.Parallel()
	e := start(t, harness.Options{})
	k := e.newKey(t, "tamper")
	blobs := []struct {
		name string
		pt   []byte
		ec   map[string]string
	}{
		{"32 bytes with context", []byte("0123456789abcdef0123456789abcdef"), map[string]string{"purpose": "tamper", "鍵": "値"}},
		{"1 byte without context", []byte{0x42}, nil},
	}
	refs := k.refs()
	for _, b := range blobs {
		t.Run(b.name, func(t *testing.T) {
			blob := encrypt(t, e.c, k.id, b.pt, b.ec)
			l := parseBlob(t, blob, e.account, e.region, k.id, len(b.pt))
			decryptOK(t, e.c, blob, "", b.ec, b.pt, k)
			bad := mismatches{}
			n := 0
			for i := range blob {
				s := l.spanAt(i)
				for _, mask := range []byte{0x01, 0x80} {
					changed := bytes.Clone(blob)
					changed[i] ^= mask
					for _, withKey := range []bool{false, true} {
						keyID, keyDesc := "", "no KeyId"
						if withKey {
							r := refs[n%len(refs)]
							keyID, keyDesc = r.ref, "KeyId "+r.name
						}
						n++
						got, pt := decryptOutcome(t, e.c, changed, keyID, b.ec)
						if got.code == "" {
							t.Errorf("byte %d (%s) ^ %#02x, %s: Decrypt RETURNED PLAINTEXT %x", i, s.name, mask, keyDesc, pt)
							continue
						}
						want := wantTamper(s, withKey)
						if got != want {
							kd := "no KeyId"
							if withKey {
								kd = "with KeyId"
							}
							bad.add(fmt.Sprintf("%s byte ^ %#02x, Decrypt %s: got %v, want %v", s.name, mask, kd, got, want), i)
						}
					}
				}
			}
			bad.report(t)
			t.Logf("%d tampered decryptions of a %d-byte blob", n, len(blob))
		})
	}
}

// TestTamperReEncrypt checks ReEncrypt against a changed blob: one byte of
// each field, without SourceKeyId and with it.
func TestTamperReEncrypt(t *testing.T) {
	t.Parallel()
	e := start(t, harness.Options{})
	k := e.newKey(t, "tamper-re")
	dst := e.newKey(t, "tamper-re-dst")
	ec := map[string]string{"purpose": "tamper"}
	pt := []byte("re-encrypt me")
	blob := encrypt(t, e.c, k.id, pt, ec)
	l := parseBlob(t, blob, e.account, e.region, k.id, len(pt))
	for _, s := range l.spans {
		for _, withKey := range []bool{false, true} {
			changed := bytes.Clone(blob)
			changed[(s.from+s.to)/2] ^= 0x01
			in := &kms.ReEncryptInput{CiphertextBlob: changed, SourceEncryptionContext: ec, DestinationKeyId: aws.String(dst.id)}
			if withKey {
				in.SourceKeyId = aws.String(k.arn)
			}
			out, err := e.c.ReEncrypt(t.Context(), in)
			what := fmt.Sprintf("ReEncrypt of a blob with byte %d (%s) ^ 0x01, SourceKeyId given %v", (s.from+s.to)/2, s.name, withKey)
			if err == nil {
				t.Errorf("%s: succeeded with a new blob of %d bytes", what, len(out.CiphertextBlob))
				continue
			}
			w := wantTamper(s, withKey)
			wantErr(t, what, err, w.code, w.msg)
		}
	}
}

// TestTruncatedAndExtended: every truncation, and bytes appended up to and
// past the 6144-byte limit.
func TestTruncatedAndExtended(t *testing.T) {
	t.Parallel()
	e := start(t, harness.Options{})
	k := e.newKey(t, "truncate")
	ec := map[string]string{"purpose": "truncate"}
	pt := []byte("0123456789abcdef0123456789abcdef")
	blob := encrypt(t, e.c, k.id, pt, ec)
	parseBlob(t, blob, e.account, e.region, k.id, len(pt))

	t.Run("truncated", func(t *testing.T) {
		bad := mismatches{}
		for n := 0; n < len(blob); n++ {
			for _, keyID := range []string{"", k.arn} {
				got, out := decryptOutcome(t, e.c, blob[:n:n], keyID, ec)
				if got.code == "" {
					t.Errorf("blob truncated to %d bytes, KeyId %q: Decrypt RETURNED PLAINTEXT %x", n, keyID, out)
					continue
				}
				want := outcome{"InvalidCiphertextException", "", 400}
				if n == 0 {
					want = outcome{"ValidationException", validationMsg("", "ciphertextBlob", "Member must have length greater than or equal to 1"), 400}
				}
				if got != want {
					bad.add(fmt.Sprintf("truncated, KeyId %q: got %v, want %v", keyID, got, want), n)
				}
			}
		}
		bad.report(t)
	})

	t.Run("appended", func(t *testing.T) {
		for _, extra := range []int{1, 2, 12, 16, 32, 100, 6144 - len(blob)} {
			long := append(bytes.Clone(blob), bytes.Repeat([]byte{0}, extra)...)
			long[len(long)-1] = byte(extra)
			for _, keyID := range []string{"", k.arn} {
				got, out := decryptOutcome(t, e.c, long, keyID, ec)
				if got.code == "" {
					t.Errorf("blob + %d bytes (%d), KeyId %q: Decrypt RETURNED PLAINTEXT %x", extra, len(long), keyID, out)
					continue
				}
				if want := (outcome{"InvalidCiphertextException", "", 400}); got != want {
					t.Errorf("blob + %d bytes (%d bytes), KeyId %q: got %v, want %v", extra, len(long), keyID, got, want)
				}
			}
		}
		long := append(bytes.Clone(blob), make([]byte, 6145-len(blob))...)
		_, err := e.c.Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: long, EncryptionContext: ec})
		wantErr(t, "Decrypt of the blob padded to 6145 bytes", err, "ValidationException",
			validationMsg("", "ciphertextBlob", "Member must have length less than or equal to 6144"))
	})
}

// TestHeaderEdits rewrites header fields to other well-formed values: a
// header naming another key of the caller (spliced), another material
// version, and a blob made of two blobs.
func TestHeaderEdits(t *testing.T) {
	t.Parallel()
	e := start(t, harness.Options{})
	a := e.newKey(t, "splice-a")
	b := e.newKey(t, "splice-b")
	ec := map[string]string{"purpose": "splice"}
	pt := []byte("spliced header")
	blobA := encrypt(t, e.c, a.id, pt, ec)
	blobB := encrypt(t, e.c, b.id, pt, ec)
	la := parseBlob(t, blobA, e.account, e.region, a.id, len(pt))
	lb := parseBlob(t, blobB, e.account, e.region, b.id, len(pt))

	// B's blob relabelled as A's: the header now names a key the caller
	// may use, so the rest of the blob must fail authentication.
	relabelled := bytes.Clone(blobB)
	copy(relabelled[16+lb.r:], a.id)
	for _, keyID := range []string{"", a.id, a.alias} {
		got, out := decryptOutcome(t, e.c, relabelled, keyID, ec)
		if got.code == "" {
			t.Errorf("B's blob relabelled as A's, KeyId %q: Decrypt RETURNED PLAINTEXT %q", keyID, out)
		} else if want := (outcome{"InvalidCiphertextException", "", 400}); got != want {
			t.Errorf("B's blob relabelled as A's, KeyId %q: got %v, want %v", keyID, got, want)
		}
	}
	got, _ := decryptOutcome(t, e.c, relabelled, b.id, ec)
	if want := (outcome{"IncorrectKeyException", msgIncorrectKey, 400}); got != want {
		t.Errorf("B's blob relabelled as A's, KeyId B: got %v, want %v", got, want)
	}

	// A's header with B's body.
	spliced := append(bytes.Clone(blobA[:la.h]), blobB[lb.h:]...)
	if got, out := decryptOutcome(t, e.c, spliced, "", ec); got.code == "" {
		t.Errorf("A's header + B's body: Decrypt RETURNED PLAINTEXT %q", out)
	} else if want := (outcome{"InvalidCiphertextException", "", 400}); got != want {
		t.Errorf("A's header + B's body: got %v, want %v", got, want)
	}

	// Another material version of the same key (none exists but 1).
	if v := la.version(blobA); v != 1 {
		t.Errorf("first material version of a new key = %d, want 1", v)
	}
	for _, v := range []uint32{0, 2, 1 << 31, ^uint32(0)} {
		changed := bytes.Clone(blobA)
		binary.BigEndian.PutUint32(changed[16+la.r+36:], v)
		for _, keyID := range []string{"", a.arn} {
			got, out := decryptOutcome(t, e.c, changed, keyID, ec)
			if got.code == "" {
				t.Errorf("material version %d, KeyId %q: Decrypt RETURNED PLAINTEXT %q", v, keyID, out)
			} else if want := (outcome{"InvalidCiphertextException", "", 400}); got != want {
				t.Errorf("material version set to %d, KeyId %q: got %v, want %v", v, keyID, got, want)
			}
		}
	}

	// Random bytes of a blob's length, and random bytes after a valid
	// header.
	junk := randBytes(t, len(blobA))
	if got, _ := decryptOutcome(t, e.c, junk, "", ec); got != (outcome{"InvalidCiphertextException", "", 400}) {
		t.Errorf("random bytes: got %v, want InvalidCiphertextException", got)
	}
	withJunk := append(bytes.Clone(blobA[:la.h]), randBytes(t, len(blobA)-la.h)...)
	if got, _ := decryptOutcome(t, e.c, withJunk, a.alias, ec); got != (outcome{"InvalidCiphertextException", "", 400}) {
		t.Errorf("valid header + random body: got %v, want InvalidCiphertextException", got)
	}
	// The originals still decrypt.
	decryptOK(t, e.c, blobA, "", ec, pt, a)
	decryptOK(t, e.c, blobB, "", ec, pt, b)
}
