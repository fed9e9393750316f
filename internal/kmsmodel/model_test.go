package kmsmodel

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// TestVendoredModelVerbatim pins service-2.json to botocore's bytes: it
// is vendored verbatim, and changes go in overlay.json.
func TestVendoredModelVerbatim(t *testing.T) {
	sum := sha256.Sum256(ServiceJSON())
	if got, want := hex.EncodeToString(sum[:]), vendoredSHA256; got != want {
		t.Errorf("service-2.json SHA-256 %s, want %s: update the hash only with a new botocore model", got, want)
	}
}

const vendoredSHA256 = "e46c319dda3fad44819291b2a46cdfaeee6ece271504ae48b69fc2a7cf9158f1"

func TestLoadMergesOverlay(t *testing.T) {
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if m.TargetPrefix != "TrentService" || m.APIVersion != "2014-11-01" {
		t.Errorf("metadata %q %q", m.TargetPrefix, m.APIVersion)
	}
	for _, name := range []string{"Encapsulate", "Decapsulate", "Encrypt", "RotateKeyOnDemand"} {
		if m.Operation(name) == nil {
			t.Errorf("no operation %s", name)
		}
	}
	enc := m.Operation("Encapsulate")
	if enc.Input != "EncapsulateRequest" || enc.Output != "EncapsulateResponse" || len(enc.Errors) == 0 {
		t.Errorf("Encapsulate %+v", enc)
	}
	for shape, value := range map[string]string{"KeySpec": "ML_KEM_768", "DataKeyPairSpec": "ML_KEM_1024",
		"KeyUsageType": "ENCAPSULATE_DECAPSULATE", "GrantOperation": "Decapsulate",
		"KeyLastUsageTrackingOperation": "Encapsulate", "EncapsulationAlgorithmSpec": "ML_KEM"} {
		if !contains(m.Shapes[shape].Enum, value) {
			t.Errorf("%s lacks %s", shape, value)
		}
	}
	if m.Shapes["KeyMetadata"].Member("EncapsulationAlgorithms") == nil {
		t.Error("KeyMetadata lacks EncapsulationAlgorithms")
	}
	if !m.Shapes["DecapsulateRequest"].IsRequired("SharedSecretCiphertextBlob") {
		t.Error("DecapsulateRequest does not require SharedSecretCiphertextBlob")
	}
	// The merged document reads back as the same model.
	again, err := Parse(m.MergedJSON(), []byte(`{"x-trent-source":"none"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Operations) != len(m.Operations) || len(again.Shapes) != len(m.Shapes) {
		t.Errorf("merged model has %d operations and %d shapes, want %d and %d",
			len(again.Operations), len(again.Shapes), len(m.Operations), len(m.Shapes))
	}
	if strings.Contains(string(m.MergedJSON()), "x-trent-source") {
		t.Error("merged model carries the overlay's source note")
	}
	if _, err := LoadWire(m); err != nil {
		t.Error(err)
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestOverlayOnlyAdds checks the merge rules: an overlay can add, never
// redefine, and must name its source.
func TestOverlayOnlyAdds(t *testing.T) {
	for name, overlay := range map[string]string{
		"no source":          `{"shapes":{}}`,
		"existing operation": `{"x-trent-source":"s","operations":{"Encrypt":{"name":"Encrypt","input":{"shape":"EncryptRequest"}}}}`,
		"existing value":     `{"x-trent-source":"s","shapes":{"KeySpec":{"enum":["RSA_2048"]}}}`,
		"existing member":    `{"x-trent-source":"s","shapes":{"EncryptRequest":{"members":{"KeyId":{"shape":"KeyIdType"}}}}}`,
		"changed constraint": `{"x-trent-source":"s","shapes":{"KeyIdType":{"max":10}}}`,
		"unknown shape ref":  `{"x-trent-source":"s","shapes":{"EncryptRequest":{"members":{"New":{"shape":"Nope"}}}}}`,
		"unknown top level":  `{"x-trent-source":"s","metadata":{}}`,
		"duplicate key":      `{"x-trent-source":"s","x-trent-source":"t"}`,
		"required unknown":   `{"x-trent-source":"s","shapes":{"EncryptRequest":{"required":["Nope"]}}}`,
	} {
		if _, err := Parse(ServiceJSON(), []byte(overlay)); err == nil {
			t.Errorf("%s: overlay accepted", name)
		}
	}
	m, err := Parse(ServiceJSON(), []byte(`{"x-trent-source":"s","shapes":{"EncryptRequest":{"members":{"New":{"shape":"KeyIdType"}},"required":["New"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	s := m.Shapes["EncryptRequest"]
	if last := s.Members[len(s.Members)-1]; last.Name != "New" || !s.IsRequired("New") {
		t.Errorf("new member not appended and required: %+v", s.Members)
	}
}

func TestWireChecked(t *testing.T) {
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range map[string]string{
		"unknown shape":  `{"outputs":{"Nope":{"order":[],"always":[]}}}`,
		"unknown member": `{"outputs":{"EncryptResponse":{"order":["Nope"],"always":[]}}}`,
		"unknown field":  `{"outputs":{},"other":1}`,
		"enum set":       `{"enumMessageOrder":{"MacAlgorithmSpec":["HMAC_SHA_256"]}}`,
	} {
		if _, err := ParseWire(m, []byte(w)); err == nil {
			t.Errorf("%s: wire.json accepted", name)
		}
	}
}
