package kmsapi

// Tests that tie the generated code to what Trent serves today through
// the hand-written types of internal/service, so that switching the
// request path to this package changes nothing a client sees. They go
// away with those types.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/trentkms/trent/internal/kmsmodel"
	"github.com/trentkms/trent/internal/service"
)

var update = flag.Bool("update", false, "rewrite ../kmsmodel/wire.json from internal/service's response types")

// servedOps are the operations Trent serves today (internal/api's route
// table).
var servedOps = []string{
	"CreateKey", "DescribeKey", "ListKeys", "EnableKey", "DisableKey", "UpdateKeyDescription",
	"CreateAlias", "UpdateAlias", "DeleteAlias", "ListAliases", "TagResource", "UntagResource",
	"ListResourceTags", "EnableKeyRotation", "DisableKeyRotation", "GetKeyRotationStatus",
	"RotateKeyOnDemand", "ListKeyRotations", "ScheduleKeyDeletion", "CancelKeyDeletion",
	"GetParametersForImport", "ImportKeyMaterial", "DeleteImportedKeyMaterial", "Encrypt", "Decrypt",
	"ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateRandom", "Sign",
	"Verify", "GenerateMac", "VerifyMac", "GetPublicKey", "DeriveSharedSecret", "Encapsulate",
	"Decapsulate", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "CreateGrant",
	"ListGrants", "ListRetirableGrants", "RetireGrant", "RevokeGrant", "GetKeyPolicy", "PutKeyPolicy",
	"ListKeyPolicies",
}

// served is one served operation: its service types and generated types.
type served struct {
	op                *Operation
	svcIn, svcOut     reflect.Type // struct types
	genIn, genOut     reflect.Type
	outShape, inShape string
}

var (
	ctxType    = reflect.TypeFor[context.Context]()
	callerType = reflect.TypeFor[*service.Caller]()
	errType    = reflect.TypeFor[error]()
)

// servedOperations pairs each served operation's service method types
// with the generated types.
func servedOperations(t testing.TB) []served {
	t.Helper()
	byName := map[string]*Operation{}
	for _, op := range Operations() {
		byName[op.Name] = op
	}
	svc := reflect.TypeFor[*service.Service]()
	var out []served
	for _, name := range servedOps {
		op := byName[name]
		if op == nil {
			t.Fatalf("served operation %s is not in the generated code", name)
		}
		if op.Target != "TrentService."+name {
			t.Fatalf("%s: Target %q", name, op.Target)
		}
		m, ok := svc.MethodByName(name)
		if !ok {
			t.Fatalf("service has no method %s", name)
		}
		ft := m.Type
		if ft.NumIn() != 4 || ft.In(1) != ctxType || ft.In(2) != callerType || ft.NumOut() != 2 || ft.Out(1) != errType {
			t.Fatalf("service method %s has signature %v", name, ft)
		}
		s := served{op: op, svcIn: ft.In(3).Elem(), svcOut: ft.Out(0).Elem(),
			genIn: reflect.TypeOf(op.NewInput()).Elem(), genOut: reflect.TypeOf(op.NewOutput()).Elem(),
			inShape: op.Input, outShape: op.Output}
		out = append(out, s)
	}
	return out
}

// deriveWire computes wire.json's outputs from the service's response
// types: for every structure they carry, the order of its members and
// which ones have no omitempty.
func deriveWire(t *testing.T, m *kmsmodel.Model) map[string]kmsmodel.WireShape {
	t.Helper()
	out := map[string]kmsmodel.WireShape{}
	var walk func(typ reflect.Type, shape string)
	walk = func(typ reflect.Type, shape string) {
		s := m.Shapes[shape]
		var ws kmsmodel.WireShape
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			mem := s.Member(name)
			if mem == nil {
				// A member the model does not have for this shape (a type
				// shared between operations): it must never be written.
				if opts != "omitempty" {
					t.Fatalf("%s.%s: not in the model's %s, and written even when empty", typ, name, shape)
				}
				continue
			}
			ws.Order = append(ws.Order, name)
			if opts != "omitempty" {
				ws.Always = append(ws.Always, name)
			}
			ft := f.Type
			if ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			target := m.Shapes[mem.Shape]
			if target.Type == "list" {
				target = m.Shapes[target.ListMember]
			}
			if target.Type == "structure" {
				walk(ft, target.Name)
			}
		}
		if prev, ok := out[shape]; ok && !reflect.DeepEqual(prev, ws) {
			t.Fatalf("%s is written two ways: %+v and %+v", shape, prev, ws)
		}
		out[shape] = ws
	}
	for _, s := range servedOperations(t) {
		if s.outShape != "" {
			walk(s.svcOut, s.outShape)
		}
	}
	return out
}

// TestWireMatchesService checks that wire.json records what the service's
// response types write (with -update, rewrites it).
func TestWireMatchesService(t *testing.T) {
	m, err := kmsmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	w, err := kmsmodel.LoadWire(m)
	if err != nil {
		t.Fatal(err)
	}
	derived := deriveWire(t, m)
	if *update {
		w.Outputs = derived
		b, err := json.MarshalIndent(w, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("../kmsmodel/wire.json", append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !reflect.DeepEqual(w.Outputs, derived) {
		t.Errorf("wire.json's outputs differ from the service's response types; run go test ./internal/kmsapi -run TestWireMatchesService -update, then go generate ./internal/kmsapi")
	}
}

// knownFieldDifferences lists, per operation, request members that the
// service's input type accepts and the model's request shape does not
// have: the service type is shared with other operations. The generated
// decoder skips them as unknown members, which changes nothing a client
// sees since the service ignores them for these operations.
var knownFieldDifferences = map[string][]string{
	"EnableKey":                           {"GrantTokens"},
	"DisableKey":                          {"GrantTokens"},
	"DisableKeyRotation":                  {"GrantTokens"},
	"GetKeyRotationStatus":                {"GrantTokens"},
	"RotateKeyOnDemand":                   {"GrantTokens"},
	"CancelKeyDeletion":                   {"GrantTokens"},
	"ListKeys":                            {"KeyId"},
	"GenerateMac":                         {"Mac"},
	"GenerateDataKeyWithoutPlaintext":     {"Recipient"},
	"GenerateDataKeyPairWithoutPlaintext": {"Recipient"},
}

// TestFieldMapping checks that every field of the service's request and
// response types has a generated field of the same name and Go type (up
// to the package of named types), except knownFieldDifferences.
func TestFieldMapping(t *testing.T) {
	for _, s := range servedOperations(t) {
		var missing []string
		compareFields(t, s.op.Name, s.svcIn, s.genIn, &missing)
		slices.Sort(missing)
		want := slices.Clone(knownFieldDifferences[s.op.Name])
		slices.Sort(want)
		if !slices.Equal(missing, want) {
			t.Errorf("%s: service request fields without a generated field: %v, want %v", s.op.Name, missing, want)
		}
		var outMissing []string
		if s.outShape != "" {
			compareFields(t, s.op.Name, s.svcOut, s.genOut, &outMissing)
		}
		for _, f := range outMissing {
			sf, _ := s.svcOut.FieldByName(f)
			if !strings.HasSuffix(sf.Tag.Get("json"), ",omitempty") {
				t.Errorf("%s: response field %s is written but not generated", s.op.Name, f)
			}
		}
	}
}

// compareFields compares the fields of svc with those of gen, recursing
// into nested structures; top-level service fields that gen lacks are
// appended to missing, nested ones fail the test.
func compareFields(t *testing.T, op string, svc, gen reflect.Type, missing *[]string) {
	t.Helper()
	for i := range svc.NumField() {
		sf := svc.Field(i)
		gf, ok := gen.FieldByName(sf.Name)
		if !ok {
			if missing == nil {
				t.Errorf("%s: %s.%s has no generated field", op, svc, sf.Name)
			} else {
				*missing = append(*missing, sf.Name)
			}
			continue
		}
		if sf.Tag.Get("json") != gf.Tag.Get("json") {
			t.Errorf("%s: %s.%s has tag %q, generated %s.%s has %q", op, svc, sf.Name, sf.Tag, gen, gf.Name, gf.Tag)
		}
		st, gt := sf.Type, gf.Type
		for st.Kind() == gt.Kind() && (st.Kind() == reflect.Pointer || st.Kind() == reflect.Slice) {
			st, gt = st.Elem(), gt.Elem()
		}
		switch {
		case st.Kind() != gt.Kind():
			t.Errorf("%s: %s.%s is %s, generated is %s", op, svc, sf.Name, sf.Type, gf.Type)
		case st.Kind() == reflect.Struct && st.Name() == "Epoch":
			if gt.Name() != "Epoch" {
				t.Errorf("%s: %s.%s is %s, generated is %s", op, svc, sf.Name, sf.Type, gf.Type)
			}
		case st.Kind() == reflect.Struct:
			compareFields(t, op, st, gt, nil)
		case st.Kind() == reflect.Map && (st.Key() != gt.Key() || st.Elem() != gt.Elem()):
			t.Errorf("%s: %s.%s is %s, generated is %s", op, svc, sf.Name, sf.Type, gf.Type)
		}
	}
}

// TestServedEnumValues checks that every enum value Trent serves today is
// a value of the generated enum, so that Validate accepts it.
func TestServedEnumValues(t *testing.T) {
	keyringSpecs := []string{"SYMMETRIC_DEFAULT", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "RSA_2048",
		"RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1",
		"ECC_NIST_EDWARDS25519", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "ML_KEM_512", "ML_KEM_768", "ML_KEM_1024"}
	for _, c := range []struct {
		enum   string
		values []string
		valid  func(string) bool
		all    []string
	}{
		{"KeySpec", service.KeySpecs, isKeySpec, KeySpecValues()},
		{"KeySpec (keyring)", keyringSpecs, isKeySpec, KeySpecValues()},
		{"KeyUsageType", service.KeyUsages, isKeyUsageType, KeyUsageTypeValues()},
		{"OriginType", service.Origins, isOriginType, OriginTypeValues()},
		{"SigningAlgorithmSpec", service.SigningAlgorithms, isSigningAlgorithmSpec, SigningAlgorithmSpecValues()},
		{"EncryptionAlgorithmSpec", service.EncryptionAlgorithms, isEncryptionAlgorithmSpec, EncryptionAlgorithmSpecValues()},
		{"GrantOperation", service.GrantOperations, isGrantOperation, GrantOperationValues()},
		{"WrappingKeySpec", service.WrappingKeySpecs, isWrappingKeySpec, WrappingKeySpecValues()},
		{"AlgorithmSpec", service.WrappingAlgorithms, isAlgorithmSpec, AlgorithmSpecValues()},
		{"ExpirationModelType", service.ExpirationModels, isExpirationModelType, ExpirationModelTypeValues()},
		{"ImportType", service.ImportTypes, isImportType, ImportTypeValues()},
		{"IncludeKeyMaterial", service.IncludeKeyMaterialValues, isIncludeKeyMaterial, IncludeKeyMaterialValues()},
		// Unexported lists of internal/service.
		{"MessageType", []string{"RAW", "DIGEST", "EXTERNAL_MU"}, isMessageType, MessageTypeValues()},
		{"MacAlgorithmSpec", []string{"HMAC_SHA_384", "HMAC_SHA_256", "HMAC_SHA_224", "HMAC_SHA_512"}, isMacAlgorithmSpec, MacAlgorithmSpecValues()},
		{"DataKeyPairSpec", []string{"RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
			"ECC_SECG_P256K1", "SM2", "ECC_NIST_EDWARDS25519", "ML_KEM_512", "ML_KEM_768", "ML_KEM_1024"}, isDataKeyPairSpec, DataKeyPairSpecValues()},
		{"DataKeySpec", []string{"AES_256", "AES_128"}, isDataKeySpec, DataKeySpecValues()},
		{"KeyAgreementAlgorithmSpec", []string{"ECDH"}, isKeyAgreementAlgorithmSpec, KeyAgreementAlgorithmSpecValues()},
		{"EncapsulationAlgorithmSpec", []string{"ML_KEM"}, isEncapsulationAlgorithmSpec, EncapsulationAlgorithmSpecValues()},
		{"DryRunModifierType", []string{"IGNORE_CIPHERTEXT"}, isDryRunModifierType, DryRunModifierTypeValues()},
		{"KeyState", []string{service.StateEnabled, service.StateDisabled, service.StatePendingDeletion, service.StatePendingImport}, isKeyState, KeyStateValues()},
		{"ImportState", []string{"IMPORTED", "PENDING_IMPORT"}, isImportState, ImportStateValues()},
		{"KeyLastUsageTrackingOperation", []string{"Encapsulate", "Decapsulate"}, isKeyLastUsageTrackingOperation, KeyLastUsageTrackingOperationValues()},
	} {
		for _, v := range c.values {
			if !c.valid(v) || !slices.Contains(c.all, v) {
				t.Errorf("%s: %q is not a generated value", c.enum, v)
			}
		}
	}
	// The service's own validation lists enums in an order; the generated
	// messages must list them the same way.
	for _, c := range []struct {
		set    string
		values []string
	}{
		{setKeySpec, service.KeySpecs},
		{setKeyUsageType, service.KeyUsages},
		{setOriginType, service.Origins},
		{setSigningAlgorithmSpec, service.SigningAlgorithms},
		{setEncryptionAlgorithmSpec, service.EncryptionAlgorithms},
		{setGrantOperation, service.GrantOperations},
		{setWrappingKeySpec, service.WrappingKeySpecs},
		{setAlgorithmSpec, service.WrappingAlgorithms},
		{setMacAlgorithmSpec, []string{"HMAC_SHA_384", "HMAC_SHA_256", "HMAC_SHA_224", "HMAC_SHA_512"}},
	} {
		if want := "[" + strings.Join(c.values, ", ") + "]"; c.set != want {
			t.Errorf("message set %s, want %s", c.set, want)
		}
	}
}

// sortedJSON re-encodes a JSON object with sorted keys, for comparisons
// that ignore member order.
func sortedJSON(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}
