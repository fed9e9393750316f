package installation

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testID = "0f8fad5b-d9cb-469f-a165-70867728950e"

func TestNewID(t *testing.T) {
	a, err := NewID()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewID()
	if err != nil {
		t.Fatal(err)
	}
	if !ValidID(a) || !ValidID(b) || a == b {
		t.Fatalf("NewID gave %q and %q, want two different valid IDs", a, b)
	}
}

func TestParseMarker(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // "" for an error
	}{
		{"canonical", "trent-installation-v1\n" + testID + "\n", testID},
		{"CRLF", "trent-installation-v1\r\n" + testID + "\r\n", testID},
		{"no final newline", "trent-installation-v1\n" + testID, testID},
		{"empty", "", ""},
		{"header only", "trent-installation-v1\n", ""},
		{"other header", "trent-root-key-v1\n" + testID + "\n", ""},
		{"upper case", "trent-installation-v1\n" + strings.ToUpper(testID) + "\n", ""},
		{"braces", "trent-installation-v1\n{" + testID + "}\n", ""},
		{"trailing line", "trent-installation-v1\n" + testID + "\nmore\n", ""},
		{"blank line after", "trent-installation-v1\n" + testID + "\n\n", ""},
		{"spaces", "trent-installation-v1\n " + testID + "\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMarker([]byte(tt.in))
			if tt.want == "" {
				if !errors.Is(err, ErrInvalidMarker) {
					t.Fatalf("ParseMarker(%q) = %q, %v; want ErrInvalidMarker", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseMarker(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestMarkerFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadMarker(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadMarker without a marker: %v, want fs.ErrNotExist", err)
	}
	if err := WriteMarker(dir, "not-an-id"); err == nil {
		t.Fatal("WriteMarker wrote an invalid ID")
	}
	if err := WriteMarker(dir, testID); err != nil {
		t.Fatalf("WriteMarker: %v", err)
	}
	fi, err := os.Stat(MarkerPath(dir))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("marker file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	if got, err := ReadMarker(dir); err != nil || got != testID {
		t.Fatalf("ReadMarker = %q, %v; want %q", got, err, testID)
	}
	if err := WriteMarker(dir, testID); err != nil {
		t.Errorf("WriteMarker of the same ID again: %v", err)
	}
	other, _ := NewID()
	if err := WriteMarker(dir, other); err == nil || !strings.Contains(err.Error(), testID) {
		t.Errorf("WriteMarker over another installation's marker: %v, want an error naming %s", err, testID)
	}
	if got, _ := ReadMarker(dir); got != testID {
		t.Errorf("the marker changed to %q", got)
	}
	if err := os.WriteFile(filepath.Join(dir, MarkerName), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadMarker(dir); !errors.Is(err, ErrInvalidMarker) {
		t.Errorf("ReadMarker of junk: %v, want ErrInvalidMarker", err)
	}
}

func FuzzParseMarker(f *testing.F) {
	seeds := []string{"trent-installation-v1\n" + testID + "\n", "trent-installation-v1\r\n" + testID, "", "\n\n", "trent-installation-v1\n\n"}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := ParseMarker(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidMarker) {
				t.Fatalf("error %v does not wrap ErrInvalidMarker", err)
			}
			return
		}
		if !ValidID(id) {
			t.Fatalf("ParseMarker accepted invalid ID %q", id)
		}
		back, err := ParseMarker(FormatMarker(id))
		if err != nil || back != id {
			t.Fatalf("round trip of %q: %q, %v", id, back, err)
		}
	})
}
