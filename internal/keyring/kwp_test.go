package keyring

import (
	"bytes"
	"testing"
)

type kwpGroup struct {
	KeySize int `json:"keySize"`
	Tests   []struct {
		TcID    int      `json:"tcId"`
		Comment string   `json:"comment"`
		Flags   []string `json:"flags"`
		Key     hexBytes `json:"key"`
		Msg     hexBytes `json:"msg"`
		CT      hexBytes `json:"ct"`
		Result  string   `json:"result"`
	} `json:"tests"`
}

// TestWycheproofKWP runs every aes_kwp_test.json case through kwpUnwrap
// (and every valid one through kwpWrap). All key sizes run: kwp.go takes
// any AES key, although KMS wraps only under a 256-bit ephemeral key, so
// nothing is skipped. Rule for "acceptable" cases (the file has none
// today; the test fails if one appears, so that the rule is revisited):
// an acceptable case must either be rejected or unwrap to exactly msg.
// "valid" cases with the SmallKey flag (material under 16 bytes) must
// unwrap: the length policy belongs to ImportMaterial, not to KWP.
func TestWycheproofKWP(t *testing.T) {
	f := loadWycheproof[kwpGroup](t, "aes_kwp_test.json")
	var valid, invalid, acceptable, total int
	sizes := map[int]int{}
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			total++
			sizes[g.KeySize]++
			if len(tc.Key)*8 != g.KeySize {
				t.Fatalf("tc %d: key of %d bytes in a %d-bit group", tc.TcID, len(tc.Key), g.KeySize)
			}
			got, err := kwpUnwrap(tc.Key, tc.CT)
			switch tc.Result {
			case "valid":
				valid++
				if err != nil || !bytes.Equal(got, tc.Msg) {
					t.Errorf("tc %d (%s): unwrap = %x, %v; want %x", tc.TcID, tc.Comment, got, err, tc.Msg)
				}
				ct, err := kwpWrap(tc.Key, tc.Msg)
				if len(tc.Msg) == 0 {
					continue
				}
				if err != nil || !bytes.Equal(ct, tc.CT) {
					t.Errorf("tc %d (%s): wrap = %x, %v; want %x", tc.TcID, tc.Comment, ct, err, tc.CT)
				}
			case "invalid":
				invalid++
				if err == nil {
					t.Errorf("tc %d (%s): invalid ciphertext unwrapped to %x", tc.TcID, tc.Comment, got)
				} else if err != errKWP {
					t.Errorf("tc %d: error %v, want errKWP", tc.TcID, err)
				}
			case "acceptable":
				acceptable++
				t.Errorf("tc %d: acceptable case: review the rule in this test", tc.TcID)
				if err == nil && !bytes.Equal(got, tc.Msg) {
					t.Errorf("tc %d: acceptable case unwrapped to %x, want %x or rejection", tc.TcID, got, tc.Msg)
				}
			default:
				t.Errorf("tc %d: result %q", tc.TcID, tc.Result)
			}
		}
	}
	t.Logf("AES-KWP: %d cases (%d valid, %d invalid, %d acceptable, 0 skipped); by key size %v", total, valid, invalid, acceptable, sizes)
	if total != f.NumberOfTests || total != 254 || valid != 77 || invalid != 177 || acceptable != 0 {
		t.Errorf("ran %d cases (%d valid, %d invalid, %d acceptable); want 254 of %d (77, 177, 0)", total, valid, invalid, acceptable, f.NumberOfTests)
	}
	if sizes[256] != 94 {
		t.Errorf("%d cases with 256-bit keys, want 94", sizes[256])
	}
}

func TestKWPRoundTrip(t *testing.T) {
	kek := bytes.Repeat([]byte{7}, 32)
	for n := 1; n <= 70; n++ {
		pt := bytes.Repeat([]byte{byte(n)}, n)
		ct, err := kwpWrap(kek, pt)
		if err != nil || len(ct) != 8+(n+7)/8*8 {
			t.Fatalf("wrap %d: %d bytes, %v", n, len(ct), err)
		}
		got, err := kwpUnwrap(kek, ct)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("unwrap %d: %x, %v", n, got, err)
		}
		for i := range ct {
			ct[i] ^= 0x80
			if _, err := kwpUnwrap(kek, ct); err == nil {
				t.Fatalf("unwrap %d with byte %d flipped succeeded", n, i)
			}
			ct[i] ^= 0x80
		}
	}
	if _, err := kwpWrap(kek, nil); err == nil {
		t.Error("wrap of empty input succeeded")
	}
	if _, err := kwpUnwrap(kek[:5], make([]byte, 16)); err != errKWP {
		t.Errorf("unwrap with a bad key: %v", err)
	}
}

// FuzzKWPUnwrap: kwpUnwrap never panics, and whatever it accepts wraps
// back to the same ciphertext (KWP is deterministic, so an accepted
// ciphertext is exactly the wrap of its plaintext).
func FuzzKWPUnwrap(f *testing.F) {
	kek := bytes.Repeat([]byte{0x42}, 32)
	for _, n := range []int{1, 8, 9, 32, 64} {
		ct, err := kwpWrap(kek, bytes.Repeat([]byte{1}, n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(kek, ct)
	}
	f.Add(kek[:16], make([]byte, 16))
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, key, ct []byte) {
		pt, err := kwpUnwrap(key, ct)
		if err != nil {
			if pt != nil {
				t.Fatal("output with an error")
			}
			return
		}
		if len(pt) == 0 || len(ct) != 8+(len(pt)+7)/8*8 {
			t.Fatalf("%d bytes from %d of ciphertext", len(pt), len(ct))
		}
		back, err := kwpWrap(key, pt)
		if err != nil || !bytes.Equal(back, ct) {
			t.Fatalf("rewrap = %x, %v; want %x", back, err, ct)
		}
	})
}
