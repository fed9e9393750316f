package keyring

import "testing"

func TestAuditKey(t *testing.T) {
	dk1, dk2 := make([]byte, DomainKeySize), make([]byte, DomainKeySize)
	dk2[0] = 1
	open := func(dk []byte) *Keyring {
		k, err := Open(dk, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	a, b, c := open(dk1), open(dk1), open(dk2)
	ka, _ := a.AuditKey()
	kb, _ := b.AuditKey()
	kc, _ := c.AuditKey()
	if len(ka) != 32 || string(ka) != string(kb) {
		t.Errorf("one domain key gives audit keys %x and %x", ka, kb)
	}
	if string(ka) == string(kc) {
		t.Error("two domain keys give one audit key")
	}
	a.Close()
	if _, err := a.AuditKey(); err != ErrClosed {
		t.Errorf("AuditKey after Close: %v, want ErrClosed", err)
	}
}
