package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestNewLogger(t *testing.T) {
	tests := []struct {
		format, level string
		wantErr       string
		wantDebug     bool
		json          bool
	}{
		{"text", "info", "", false, false},
		{"json", "debug", "", true, true},
		{"text", "debug", "", true, false},
		{"xml", "info", "--log-format", false, false},
		{"json", "loud", "--log-level", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.format+"/"+tc.level, func(t *testing.T) {
			var buf bytes.Buffer
			l, err := newLogger(&buf, tc.format, tc.level)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			l.Debug("d", "k", "v")
			l.Info("i", "k", "v")
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if got := len(lines) == 2; got != tc.wantDebug {
				t.Errorf("debug line written: %v, want %v (%q)", got, tc.wantDebug, buf.String())
			}
			var m map[string]any
			if isJSON := json.Unmarshal([]byte(lines[0]), &m) == nil; isJSON != tc.json {
				t.Errorf("JSON lines: %v, want %v (%q)", isJSON, tc.json, lines[0])
			}
		})
	}
}
