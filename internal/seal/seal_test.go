package seal

import (
	"errors"
	"testing"
)

func TestProviderOf(t *testing.T) {
	f := newTestFile(t, 1)
	fw, _ := f.Wrap(t.Context(), domainKey(t))
	s, _, _ := NewShamir(2, 2, nil)
	defer s.Close()
	sw, _ := s.Wrap(t.Context(), domainKey(t))
	for _, tt := range []struct {
		blob []byte
		want string
	}{
		{fw, "file"}, {sw, "shamir"}, {[]byte{0x02, 1}, "pkcs11"}, {nil, ""}, {[]byte{0x00}, ""}, {[]byte{0x04}, ""},
	} {
		if got := ProviderOf(tt.blob); got != tt.want {
			t.Errorf("ProviderOf(%x...) = %q, want %q", tt.blob[:min(len(tt.blob), 2)], got, tt.want)
		}
	}
	// The file seal names the provider a blob needs rather than calling
	// it malformed.
	_, err := f.Unwrap(t.Context(), sw)
	if !errors.Is(err, ErrWrongProvider) || !errors.Is(err, ErrWrongRootKey) || err.Error() != "seal: the domain key is wrapped by the shamir seal, not the file seal" {
		t.Errorf("file Unwrap of a shamir blob: %v", err)
	}
}
