package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/trentkms/trent/internal/kmsmodel"
)

// TestGeneratedFilesUpToDate fails when package kmsapi or the merged
// model for AWS clients is not what the generator writes from the model
// as it is: run go generate ./internal/kmsapi.
func TestGeneratedFilesUpToDate(t *testing.T) {
	files, err := load()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 7 {
		t.Fatalf("generator wrote %d files", len(files))
	}
	for name, want := range files {
		path := filepath.Join("..", "..", "kmsapi", name)
		if name == mergedModel {
			path = mergedModelPath(filepath.Join("..", "awsdata"))
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./internal/kmsapi", path)
		}
	}
}

// probeOverlay adds members to the model, as a newer model would.
const probeOverlay = `{
  "x-trent-source": "kmsgen's test",
  "shapes": {
    "EncryptRequest": {
      "members": {
        "TrentProbe": {"shape": "KeyIdType"},
        "ProbeCount": {"shape": "NumberOfBytesType"},
        "ProbeTags": {"shape": "TagList"}
      },
      "required": ["TrentProbe"]
    },
    "EncryptResponse": {
      "members": {"ProbeOut": {"shape": "KeyIdType"}}
    }
  }
}`

// probeTest runs inside package kmsapi generated from the model plus
// probeOverlay.
const probeTest = `package kmsapi

import (
	"testing"

	"github.com/trentkms/trent/internal/awsjson"
)

func TestAddedMemberProbe(t *testing.T) {
	var in EncryptRequest
	d := awsjson.NewDecoder([]byte(` + "`" + `{"KeyId":"k","Plaintext":"AQ==","TrentProbe":"hello","ProbeCount":7,"ProbeTags":[{"TagKey":"a","TagValue":"b"}]}` + "`" + `))
	in.DecodeJSON(d)
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	if in.TrentProbe == nil || *in.TrentProbe != "hello" || in.ProbeCount == nil || *in.ProbeCount != 7 ||
		len(in.ProbeTags) != 1 || *in.ProbeTags[0].TagKey != "a" {
		t.Fatalf("added members not decoded: %+v", in)
	}
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	in.TrentProbe = nil
	n := 2000
	in.ProbeCount = &n
	want := "2 validation errors detected: Value null at 'trentProbe' failed to satisfy constraint: Member must not be null; " +
		"Value '2000' at 'probeCount' failed to satisfy constraint: Member must have value less than or equal to 1024"
	if err := in.Validate(); err == nil || err.Error() != want {
		t.Fatalf("Validate: %v\nwant %s", err, want)
	}
	var e awsjson.Encoder
	(&EncryptResponse{KeyId: "k", ProbeOut: "p"}).EncodeJSON(&e)
	if got := string(e.Bytes()); got != ` + "`" + `{"CiphertextBlob":null,"EncryptionAlgorithm":"","KeyId":"k","ProbeOut":"p"}` + "`" + ` {
		t.Fatalf("added response member: %s", got)
	}
}
`

// TestAddedMemberDecoded generates package kmsapi from the model plus
// members that only a test overlay has, compiles it with the go command
// (-overlay, so nothing on disk changes) and runs a test inside it that
// decodes, validates and encodes the new members.
func TestAddedMemberDecoded(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("the go command is needed to compile the generated package: ", err)
	}
	// Apply Trent's overlay first, then the probe's, on the merged model.
	m0, err := kmsmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	m, err := kmsmodel.Parse(m0.MergedJSON(), []byte(probeOverlay))
	if err != nil {
		t.Fatal(err)
	}
	w, err := kmsmodel.LoadWire(m)
	if err != nil {
		t.Fatal(err)
	}
	files, err := generate(m, w)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pkg, err := filepath.Abs(filepath.Join("..", "..", "kmsapi"))
	if err != nil {
		t.Fatal(err)
	}
	replace := map[string]string{}
	for name, b := range files {
		if name == mergedModel {
			continue
		}
		tmp := filepath.Join(dir, name)
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			t.Fatal(err)
		}
		replace[filepath.Join(pkg, name)] = tmp
	}
	probe := filepath.Join(dir, "probe_test.go")
	if err := os.WriteFile(probe, []byte(probeTest), 0o644); err != nil {
		t.Fatal(err)
	}
	replace[filepath.Join(pkg, "probe_test.go")] = probe
	ovJSON, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		t.Fatal(err)
	}
	ovFile := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ovFile, ovJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gobin, "test", "-count=1", "-overlay="+ovFile, "-run=^TestAddedMemberProbe$", "-v", ".")
	cmd.Dir = pkg
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: TestAddedMemberProbe")) {
		t.Fatalf("probe: %v\n%s", err, out)
	}
}
