package seal

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func newTestShamir(t *testing.T, n, th int) (*Shamir, []Share, []byte, []byte) {
	t.Helper()
	s, shares, err := NewShamir(n, th, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	dk := domainKey(t)
	w, err := s.Wrap(t.Context(), dk)
	if err != nil {
		t.Fatal(err)
	}
	return s, shares, dk, w
}

// copyShare returns an independent copy (Submit zeroes what it is given).
func copyShare(s Share) Share {
	c := s
	c.value = new([shareValueSize]byte)
	*c.value = *s.value
	return c
}

func TestShamirUnseal(t *testing.T) {
	s, shares, dk, w := newTestShamir(t, 5, 3)
	if s.Name() != "shamir" || s.Threshold() != 3 || s.Shares() != 5 {
		t.Errorf("Name, Threshold, Shares = %q, %d, %d", s.Name(), s.Threshold(), s.Shares())
	}
	if len(w) != shamirBlobSize || ProviderOf(w) != "shamir" {
		t.Errorf("wrapped %d bytes, provider %q", len(w), ProviderOf(w))
	}
	for i, sh := range shares {
		if sh.Index() != i+1 || sh.Threshold() != 3 || sh.Count() != 5 || sh.SetID() != s.SetID() {
			t.Errorf("share %d: %v", i, sh)
		}
	}
	u, err := NewUnsealer(w)
	if err != nil {
		t.Fatal(err)
	}
	want := UnsealStatus{Sealed: true, Progress: 0, Threshold: 3, Shares: 5, SetID: s.SetID()}
	if got := u.Status(); got != want {
		t.Fatalf("Status = %+v, want %+v", got, want)
	}
	for i, idx := range []int{4, 0} {
		st, p, err := u.Submit(copyShare(shares[idx]))
		if err != nil || p != nil || st.Progress != i+1 || !st.Sealed {
			t.Fatalf("share %d: %+v, %v, %v", idx+1, st, p, err)
		}
	}
	held := u.shares[0]
	st, p, err := u.Submit(copyShare(shares[2]))
	if err != nil || p == nil || st.Sealed || st.Progress != 0 {
		t.Fatalf("third share: %+v, %v, %v", st, p, err)
	}
	defer p.Close()
	if *held.value != [shareValueSize]byte{} {
		t.Error("a share held before the threshold was not zeroed once it was used")
	}
	got, err := p.Unwrap(t.Context(), w)
	if err != nil || !bytes.Equal(got, dk) {
		t.Fatalf("Unwrap with the unsealed provider: %v", err)
	}
	// The reconstructed provider wraps for the original as well.
	w2, err := p.Wrap(t.Context(), dk)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Unwrap(t.Context(), w2); err != nil || !bytes.Equal(got, dk) {
		t.Fatalf("original Unwrap of the reconstructed provider's blob: %v", err)
	}
	if _, _, err := u.Submit(copyShare(shares[1])); !errors.Is(err, ErrUnsealed) {
		t.Errorf("Submit once unsealed: err = %v, want ErrUnsealed", err)
	}

	// Seal starts over.
	u.Seal()
	if got := u.Status(); got != want {
		t.Fatalf("Status after Seal = %+v, want %+v", got, want)
	}
	for _, idx := range []int{1, 3} {
		u.Submit(copyShare(shares[idx]))
	}
	if _, p, err := u.Submit(copyShare(shares[4])); err != nil || p == nil {
		t.Fatalf("unseal again after Seal: %v", err)
	} else {
		p.Close()
	}
}

func TestUnsealerRefusals(t *testing.T) {
	s, shares, _, w := newTestShamir(t, 3, 2)
	_, otherShares, _, _ := newTestShamir(t, 3, 2)
	u, err := NewUnsealer(w)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := u.Submit(copyShare(shares[0])); err != nil {
		t.Fatal(err)
	}
	paramsDiffer := copyShare(shares[1])
	paramsDiffer.threshold = 3
	var unset Share
	tests := []struct {
		name  string
		share Share
		want  error
	}{
		{"another set", copyShare(otherShares[1]), ErrWrongShareSet},
		{"same index again", copyShare(shares[0]), ErrDuplicateShare},
		{"parameters differ from the set's", paramsDiffer, ErrInvalidShare},
		{"zero Share", unset, ErrInvalidShare},
	}
	for _, tt := range tests {
		st, p, err := u.Submit(tt.share)
		if !errors.Is(err, tt.want) || p != nil {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		if st.Progress != 1 || !st.Sealed {
			t.Errorf("%s: status %+v, want progress 1 and sealed", tt.name, st)
		}
	}
	if _, _, err := u.SubmitText([]byte("not a share")); !errors.Is(err, ErrInvalidShare) {
		t.Errorf("SubmitText of junk: err = %v, want ErrInvalidShare", err)
	}
	if _, p, err := u.Submit(copyShare(shares[2])); err != nil || p == nil {
		t.Fatalf("the right share after refusals: %v", err)
	} else {
		p.Close()
	}
	_ = s
}

// TestUnsealerWrongShareResets: a share of the right set whose value is
// wrong is found out by the key check value when the threshold is
// reached; progress resets, every share held is zeroed, and the right
// shares then unseal.
func TestUnsealerWrongShareResets(t *testing.T) {
	_, shares, dk, w := newTestShamir(t, 3, 2)
	u, err := NewUnsealer(w)
	if err != nil {
		t.Fatal(err)
	}
	bad := copyShare(shares[1])
	bad.value[0] ^= 1
	first := copyShare(shares[0])
	u.Submit(first)
	st, p, err := u.Submit(bad)
	if !errors.Is(err, ErrShareMismatch) || p != nil {
		t.Fatalf("err = %v, want ErrShareMismatch", err)
	}
	if st.Progress != 0 || !st.Sealed {
		t.Errorf("status %+v, want progress 0, sealed", st)
	}
	if *first.value != [shareValueSize]byte{} || *bad.value != [shareValueSize]byte{} {
		t.Error("shares not zeroed after a mismatch")
	}
	// The same text submitted with a mistyped character fails its
	// checksum before it costs the others.
	line := shares[1].Encode()
	line[len(sharePrefix)+30] = typo(line[len(sharePrefix)+30])[0]
	if _, _, err := u.SubmitText(line); !errors.Is(err, ErrInvalidShare) {
		t.Errorf("mistyped share: err = %v, want ErrInvalidShare", err)
	}
	u.Submit(copyShare(shares[2]))
	_, p, err = u.Submit(copyShare(shares[0]))
	if err != nil || p == nil {
		t.Fatalf("right shares after a reset: %v", err)
	}
	defer p.Close()
	if got, err := p.Unwrap(t.Context(), w); err != nil || !bytes.Equal(got, dk) {
		t.Fatalf("Unwrap: %v", err)
	}
}

func TestUnsealerConcurrentSubmits(t *testing.T) {
	_, shares, _, w := newTestShamir(t, 10, 10)
	u, _ := NewUnsealer(w)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var providers []*Shamir
	for _, s := range shares {
		wg.Go(func() {
			_, p, err := u.Submit(copyShare(s))
			if err != nil {
				t.Error(err)
			}
			if p != nil {
				mu.Lock()
				providers = append(providers, p)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(providers) != 1 {
		t.Fatalf("%d providers returned, want exactly 1", len(providers))
	}
	providers[0].Close()
}

func TestNewUnsealerErrors(t *testing.T) {
	f := newTestFile(t, 1)
	fw, _ := f.Wrap(t.Context(), domainKey(t))
	if _, err := NewUnsealer(fw); !errors.Is(err, ErrWrongProvider) || !errors.Is(err, ErrWrongRootKey) {
		t.Errorf("file blob: err = %v, want ErrWrongProvider and ErrWrongRootKey", err)
	}
	for _, b := range [][]byte{nil, {0x03}, {0x7f, 1, 2}} {
		if _, err := NewUnsealer(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("NewUnsealer(%x): err = %v, want ErrMalformed", b, err)
		}
	}
	_, _, _, w := newTestShamir(t, 3, 2)
	bad := bytes.Clone(w)
	bad[17] = 4 // threshold above the share count
	if _, err := NewUnsealer(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("threshold 4 of 3: err = %v, want ErrMalformed", err)
	}
}

func TestShamirUnwrapErrors(t *testing.T) {
	s, _, _, w := newTestShamir(t, 3, 2)
	_, _, _, other := newTestShamir(t, 3, 2)
	f := newTestFile(t, 1)
	fw, _ := f.Wrap(t.Context(), domainKey(t))
	flip := func(i int) []byte { c := bytes.Clone(w); c[i] ^= 1; return c }
	tests := []struct {
		name string
		blob []byte
		want error
	}{
		{"another share set", other, ErrWrongRootKey},
		{"file seal blob", fw, ErrWrongProvider},
		{"edited set ID", flip(1), ErrWrongRootKey},
		{"edited check value", flip(19), ErrWrongRootKey},
		{"edited threshold", flip(17), ErrCorrupt},
		{"edited IV", flip(shamirHeader), ErrCorrupt},
		{"edited ciphertext", flip(shamirHeader + ivSize), ErrCorrupt},
		{"edited tag", flip(len(w) - 1), ErrCorrupt},
		{"truncated", w[:len(w)-1], ErrMalformed},
		{"empty", nil, ErrMalformed},
	}
	for _, tt := range tests {
		got, err := s.Unwrap(t.Context(), tt.blob)
		if !errors.Is(err, tt.want) || got != nil {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := s.Wrap(t.Context(), make([]byte, 31)); err == nil {
		t.Error("Wrap of 31 bytes succeeded")
	}
	s.Close()
	if *s.wrapKey != [32]byte{} {
		t.Error("Close left the key in memory")
	}
	if _, err := s.Unwrap(t.Context(), w); !errors.Is(err, ErrClosed) {
		t.Errorf("Unwrap after Close: err = %v, want ErrClosed", err)
	}
	if _, err := s.Wrap(t.Context(), domainKey(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("Wrap after Close: err = %v, want ErrClosed", err)
	}
}

func TestNewShamirParameters(t *testing.T) {
	for _, p := range []struct{ n, t int }{{0, 0}, {3, 1}, {2, 3}, {256, 2}} {
		if _, _, err := NewShamir(p.n, p.t, nil); err == nil {
			t.Errorf("NewShamir(%d, %d) succeeded", p.n, p.t)
		}
	}
	s, shares, err := NewShamir(1, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, _ := s.Wrap(t.Context(), domainKey(t))
	u, _ := NewUnsealer(w)
	if _, p, err := u.Submit(shares[0]); err != nil || p == nil {
		t.Fatalf("1 of 1: %v", err)
	} else {
		p.Close()
	}
}

// TestShamirKnownAnswer unwraps a blob made independently (Python's
// cryptography package) from docs/ciphertext-format.md §4.4: root key
// 32 × 0x33, share set 16 × 0x44, 2 of 3, IV 12 × 0x55, domain key
// 00..1f; and checks a share's encoding against one made the same way.
func TestShamirKnownAnswer(t *testing.T) {
	root := bytes.Repeat([]byte{0x33}, 32)
	var set ShareSetID
	copy(set[:], bytes.Repeat([]byte{0x44}, 16))
	s := newShamir(root, shamirParams{set: set, threshold: 2, count: 3})
	defer s.Close()
	w, _ := hex.DecodeString("03444444444444444444444444444444440203eb01d8b4bb4a6928b9766ae7de4470a555555555555555555555555556b252aca9a6230d42814f40de2fd5d01e64001945f5053254d8a06b713f0396d66e23bf6865f86194b0bac480998ce0")
	got, err := s.Unwrap(t.Context(), w)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 32)
	for i := range want {
		want[i] = byte(i)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Unwrap = %x, want %x", got, want)
	}
	share := Share{set: set, threshold: 2, count: 3, index: 2, value: new([32]byte)}
	copy(share.value[:], bytes.Repeat([]byte{0x66}, 32))
	const line = "trent-share-v1:RERERERERERERERERERERAIDAmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZml25SiQ"
	if got := string(share.Encode()); got != line {
		t.Errorf("Encode = %s, want %s", got, line)
	}
	parsed, err := ParseShare([]byte(line + "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if parsed.set != set || parsed.index != 2 || parsed.threshold != 2 || parsed.count != 3 || *parsed.value != *share.value {
		t.Errorf("ParseShare = %v", parsed)
	}
}

func TestParseShareErrors(t *testing.T) {
	_, shares, err := NewShamir(3, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	good := string(shares[0].Encode())
	body := good[len(sharePrefix):]
	reencode := func(edit func(b []byte)) string {
		b := make([]byte, shareBinarySize)
		decodeForTest(t, body, b)
		edit(b)
		copy(b[51:], shareChecksum(b[:51]))
		return sharePrefix + encodeForTest(b)
	}
	tests := []struct{ name, text, want string }{
		{"empty", "", "does not start with"},
		{"no prefix", body, "does not start with"},
		{"future version", "trent-share-v2:" + body, "format this build does not know"},
		{"short", good[:len(good)-1], "cut short"},
		{"long", good + "A", "cut short"},
		{"two shares run together", good + string(shares[1].Encode()), "characters after the prefix"},
		{"standard base64 padded", sharePrefix + base64.StdEncoding.EncodeToString(make([]byte, shareBinarySize)), "characters after the prefix"},
		{"bad character", good[:len(good)-3] + "!" + good[len(good)-2:], "not base64url"},
		{"typo", good[:30] + typo(good[30]) + good[31:], "checksum"},
		{"index 0", reencode(func(b []byte) { b[18] = 0 }), "not consistent"},
		{"index above count", reencode(func(b []byte) { b[18] = 4 }), "not consistent"},
		{"threshold above count", reencode(func(b []byte) { b[16] = 4 }), "not consistent"},
		{"threshold 1 of 3", reencode(func(b []byte) { b[16] = 1 }), "not consistent"},
		{"huge", strings.Repeat("x", MaxShareLine+1), "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseShare([]byte(tt.text))
			if !errors.Is(err, ErrInvalidShare) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalidShare saying %q", err, tt.want)
			}
			if len(tt.text) > 20 && strings.Contains(err.Error(), tt.text[len(sharePrefix):]) {
				t.Errorf("error %q quotes the input", err)
			}
		})
	}
	for _, ok := range []string{good, " " + good + " \n", good + "\r\n", "\t" + good} {
		if _, err := ParseShare([]byte(ok)); err != nil {
			t.Errorf("ParseShare(%q): %v", ok, err)
		}
	}
}

func FuzzParseShare(f *testing.F) {
	_, shares, err := NewShamir(5, 3, nil)
	if err != nil {
		f.Fatal(err)
	}
	seeds := []string{
		"trent-share-v1:RERERERERERERERERERERAIDAmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZml25SiQ",
		"", "trent-share-v1:", "trent-share-v2:AAAA", strings.Repeat("A", 300),
	}
	for _, s := range shares {
		seeds = append(seeds, string(s.Encode()), string(s.Encode())+"\n")
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := ParseShare(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidShare) {
				t.Fatalf("error %v does not wrap ErrInvalidShare", err)
			}
			if s.value != nil {
				t.Fatal("a share returned with an error")
			}
			return
		}
		if got, want := string(s.Encode()), string(bytes.TrimSpace(in)); got != want {
			t.Fatalf("Encode(ParseShare(%q)) = %q", want, got)
		}
		if s.Index() < 1 || s.Index() > s.Count() || s.Threshold() < 1 || s.Threshold() > s.Count() {
			t.Fatalf("parsed inconsistent parameters: %v", s)
		}
	})
}

func TestUnsealFrom(t *testing.T) {
	_, shares, dk, w := newTestShamir(t, 5, 3)
	line := func(i int) string { return string(shares[i].Encode()) }
	t.Run("threshold of lines", func(t *testing.T) {
		in := "\n" + line(4) + "\r\n\n" + line(1) + "\n" + line(0) + "\n" + line(2) + "\n"
		p, err := UnsealFrom(strings.NewReader(in), w)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if got, err := p.Unwrap(t.Context(), w); err != nil || !bytes.Equal(got, dk) {
			t.Fatalf("Unwrap: %v", err)
		}
	})
	t.Run("last line without newline", func(t *testing.T) {
		p, err := UnsealFrom(strings.NewReader(line(0)+"\n"+line(1)+"\n"+line(2)), w)
		if err != nil {
			t.Fatal(err)
		}
		p.Close()
	})
	for _, tt := range []struct {
		name, in string
		want     error
		says     string
	}{
		{"too few", line(0) + "\n" + line(1) + "\n", ErrNotEnoughShares, "2 of 3"},
		{"none", "", ErrNotEnoughShares, "0 of 3"},
		{"junk", line(0) + "\nhello\n" + line(1) + "\n" + line(2) + "\n", ErrInvalidShare, "line 2"},
		{"repeated", line(0) + "\n" + line(0) + "\n", ErrDuplicateShare, "line 2"},
		{"long line", strings.Repeat("a", 1000) + "\n", ErrInvalidShare, "over"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := UnsealFrom(strings.NewReader(tt.in), w)
			if !errors.Is(err, tt.want) || p != nil || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v, want %v saying %q", err, tt.want, tt.says)
			}
		})
	}
}

func TestWriteShareFiles(t *testing.T) {
	_, shares, _, w := newTestShamir(t, 3, 2)
	dir := filepath.Join(t.TempDir(), "shares")
	paths, err := WriteShareFiles(dir, shares)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
			t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
		}
	}
	u, _ := NewUnsealer(w)
	for i, p := range paths {
		if p != filepath.Join(dir, fmt.Sprintf("share-%d", i+1)) {
			t.Errorf("path %d = %s", i, p)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", p, fi.Mode().Perm())
		}
		data, _ := os.ReadFile(p)
		if !bytes.HasSuffix(data, []byte("\n")) || bytes.Count(data, []byte("\n")) != 1 {
			t.Errorf("%s is not one line: %q", p, data)
		}
		if i < 2 {
			if _, _, err := u.SubmitText(data); err != nil {
				t.Errorf("share file %s does not submit: %v", p, err)
			}
		}
	}
	if u.Status().Sealed {
		t.Error("two share files did not unseal")
	}

	// Never over an existing file, and then nothing is written.
	_, other, _, _ := newTestShamir(t, 4, 2)
	before, _ := os.ReadFile(paths[1])
	if _, err := WriteShareFiles(dir, other); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second WriteShareFiles: err = %v, want fs.ErrExist", err)
	}
	after, _ := os.ReadFile(paths[1])
	if !bytes.Equal(before, after) {
		t.Error("an existing share file was replaced")
	}
	if _, err := os.Stat(filepath.Join(dir, "share-4")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("share-4 was written although share-1 existed")
	}
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o600)
	if _, err := WriteShareFiles(file, other); err == nil {
		t.Error("WriteShareFiles into a file succeeded")
	}
}

func TestShamirNeverPrintsSecrets(t *testing.T) {
	s, shares, _, _ := newTestShamir(t, 3, 2)
	secrets := []string{hex.EncodeToString(s.wrapKey[:]), fmt.Sprint(s.wrapKey[:])}
	for _, sh := range shares {
		secrets = append(secrets, hex.EncodeToString(sh.value[:]), fmt.Sprint(sh.value[:]), string(sh.Encode()[len(sharePrefix):]))
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		for _, v := range []any{s, shares[0], shares, struct{ S Share }{shares[1]}, &shares[2]} {
			out := fmt.Sprintf(verb, v)
			for _, sec := range secrets {
				if strings.Contains(out, sec) {
					t.Errorf("Sprintf(%q, %T) = %q shows a secret", verb, v, out)
				}
			}
		}
	}
}

func decodeForTest(t *testing.T, s string, dst []byte) {
	t.Helper()
	if _, err := base64RawURL.Decode(dst, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

func encodeForTest(b []byte) string { return base64RawURL.EncodeToString(b) }

var base64RawURL = base64.RawURLEncoding

// typo returns another base64url character than c.
func typo(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}
