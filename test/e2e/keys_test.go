package e2e_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/trentkms/trent/test/harness"
)

var cmpOpts = cmp.Options{cmpopts.IgnoreUnexported(
	types.KeyMetadata{}, types.MultiRegionConfiguration{}, types.MultiRegionKey{},
	types.Tag{}, types.AliasListEntry{}, types.KeyListEntry{},
)}

func TestCreateKeyDefaults(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		before := time.Now()
		m := createKey(t, e.kms, nil)
		id := aws.ToString(m.KeyId)
		if !uuidRE.MatchString(id) {
			t.Errorf("KeyId = %q, want a lower-case UUID v4", id)
		}
		if !materialIDRE.MatchString(aws.ToString(m.CurrentKeyMaterialId)) {
			t.Errorf("CurrentKeyMaterialId = %q, want 64 lower-case hex digits", aws.ToString(m.CurrentKeyMaterialId))
		}
		if m.CreationDate == nil || !near(*m.CreationDate, before, time.Minute) {
			t.Errorf("CreationDate = %v, want about %v", m.CreationDate, before)
		}
		want := &types.KeyMetadata{
			AWSAccountId:          aws.String(e.account),
			Arn:                   aws.String(e.keyARN(id)),
			CreationDate:          m.CreationDate,
			CurrentKeyMaterialId:  m.CurrentKeyMaterialId,
			CustomerMasterKeySpec: types.CustomerMasterKeySpecSymmetricDefault,
			Description:           aws.String(""),
			Enabled:               true,
			EncryptionAlgorithms:  []types.EncryptionAlgorithmSpec{types.EncryptionAlgorithmSpecSymmetricDefault},
			KeyId:                 aws.String(id),
			KeyManager:            types.KeyManagerTypeCustomer,
			KeySpec:               types.KeySpecSymmetricDefault,
			KeyState:              types.KeyStateEnabled,
			KeyUsage:              types.KeyUsageTypeEncryptDecrypt,
			MultiRegion:           aws.Bool(false),
			Origin:                types.OriginTypeAwsKms,
		}
		if diff := cmp.Diff(want, m, cmpOpts); diff != "" {
			t.Errorf("CreateKey KeyMetadata mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(m, describe(t, e.kms, id), cmpOpts); diff != "" {
			t.Errorf("DescribeKey differs from CreateKey (-create +describe):\n%s", diff)
		}
		m2 := createKey(t, e.kms, nil)
		if aws.ToString(m2.KeyId) == id || aws.ToString(m2.CurrentKeyMaterialId) == aws.ToString(m.CurrentKeyMaterialId) {
			t.Errorf("two keys share KeyId or CurrentKeyMaterialId: %s/%s and %s/%s",
				id, aws.ToString(m.CurrentKeyMaterialId), aws.ToString(m2.KeyId), aws.ToString(m2.CurrentKeyMaterialId))
		}
	})
}

func TestCreateKeyDescriptionTagsMultiRegion(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		tags := []types.Tag{
			{TagKey: aws.String("team"), TagValue: aws.String("infra")},
			{TagKey: aws.String("empty"), TagValue: aws.String("")},
		}
		m := createKey(t, e.kms, &kms.CreateKeyInput{
			Description: aws.String("demo key"),
			Tags:        tags,
			MultiRegion: aws.Bool(true),
			KeySpec:     types.KeySpecSymmetricDefault,
			KeyUsage:    types.KeyUsageTypeEncryptDecrypt,
		})
		id := aws.ToString(m.KeyId)
		if !mrkRE.MatchString(id) {
			t.Errorf("multi-Region KeyId = %q, want mrk- and 32 hex digits", id)
		}
		if got := aws.ToString(m.Description); got != "demo key" {
			t.Errorf("Description = %q, want %q", got, "demo key")
		}
		if !aws.ToBool(m.MultiRegion) {
			t.Errorf("MultiRegion = %v, want true", m.MultiRegion)
		}
		wantMRC := &types.MultiRegionConfiguration{
			MultiRegionKeyType: types.MultiRegionKeyTypePrimary,
			PrimaryKey:         &types.MultiRegionKey{Arn: aws.String(e.keyARN(id)), Region: aws.String(e.region)},
		}
		if diff := cmp.Diff(wantMRC, m.MultiRegionConfiguration, cmpOpts, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("MultiRegionConfiguration mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(m, describe(t, e.kms, id), cmpOpts); diff != "" {
			t.Errorf("DescribeKey differs from CreateKey (-create +describe):\n%s", diff)
		}
		if diff := cmp.Diff(tags, listTags(t, e.kms, id, 0), cmpOpts, sortTags); diff != "" {
			t.Errorf("ListResourceTags mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestCreateKeyInvalid(t *testing.T) {
	long := strings.Repeat("d", 8193)
	tag := func(k, v string) types.Tag { return types.Tag{TagKey: aws.String(k), TagValue: aws.String(v)} }
	var tooMany []types.Tag
	for i := range 51 {
		tooMany = append(tooMany, tag(fmt.Sprintf("k%02d", i), "v"))
	}
	enumOf := func(value, field string, all []string) func(string) bool {
		return func(msg string) bool {
			prefix := validationMsg("'"+value+"'", field, "Member must satisfy enum value set: [")
			rest, ok := strings.CutPrefix(msg, prefix)
			if !ok || !strings.HasSuffix(rest, "]") {
				return false
			}
			got := strings.Split(strings.TrimSuffix(rest, "]"), ", ")
			for _, v := range all {
				if !slices.Contains(got, v) {
					return false
				}
			}
			return true
		}
	}
	exact := func(want string) func(string) bool { return func(got string) bool { return got == want } }
	anyMsg := func(string) bool { return true }
	enumStrings := func(vs []types.KeySpec) (out []string) {
		for _, v := range vs {
			out = append(out, string(v))
		}
		return out
	}
	usages := []string{"ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"}
	cases := []struct {
		name string
		in   kms.CreateKeyInput
		code string
		msg  func(string) bool
	}{
		{"bad KeySpec", kms.CreateKeyInput{KeySpec: "HMAC_random"}, "ValidationException",
			enumOf("HMAC_random", "keySpec", enumStrings(types.KeySpecSymmetricDefault.Values()))},
		{"bad KeyUsage", kms.CreateKeyInput{KeyUsage: "RANDOM"}, "ValidationException", enumOf("RANDOM", "keyUsage", usages)},
		{"bad Origin", kms.CreateKeyInput{Origin: "NOWHERE"}, "ValidationException",
			enumOf("NOWHERE", "origin", []string{"AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"})},
		{"bad CustomerMasterKeySpec", kms.CreateKeyInput{CustomerMasterKeySpec: "AES_999"}, "ValidationException",
			enumOf("AES_999", "customerMasterKeySpec", []string{"RSA_2048", "SYMMETRIC_DEFAULT", "HMAC_256"})},
		{"RSA without KeyUsage", kms.CreateKeyInput{KeySpec: types.KeySpecRsa2048}, "ValidationException",
			exact("You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.")},
		{"HMAC without KeyUsage", kms.CreateKeyInput{KeySpec: types.KeySpecHmac256}, "ValidationException",
			exact("You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.")},
		{"symmetric for signing", kms.CreateKeyInput{KeyUsage: types.KeyUsageTypeSignVerify}, "ValidationException",
			exact("KeyUsage SIGN_VERIFY is not compatible with KeySpec SYMMETRIC_DEFAULT")},
		{"RSA for MAC", kms.CreateKeyInput{KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeGenerateVerifyMac}, "ValidationException",
			exact("KeyUsage GENERATE_VERIFY_MAC is not compatible with KeySpec RSA_2048")},
		{"KeySpec and CustomerMasterKeySpec", kms.CreateKeyInput{KeySpec: types.KeySpecSymmetricDefault, CustomerMasterKeySpec: types.CustomerMasterKeySpecSymmetricDefault},
			"ValidationException", anyMsg},
		{"Ed25519 cannot be imported", kms.CreateKeyInput{KeySpec: types.KeySpecEccNistEdwards25519, KeyUsage: types.KeyUsageTypeSignVerify, Origin: types.OriginTypeExternal}, "UnsupportedOperationException", anyMsg},
		{"ML-KEM cannot be imported", kms.CreateKeyInput{KeySpec: types.KeySpecMlKem768, KeyUsage: types.KeyUsageTypeEncapsulateDecapsulate, Origin: types.OriginTypeExternal}, "UnsupportedOperationException", anyMsg},
		{"description too long", kms.CreateKeyInput{Description: aws.String(long)}, "ValidationException",
			exact(validationMsg("'"+long+"'", "description", "Member must have length less than or equal to 8192"))},
		{"aws: tag", kms.CreateKeyInput{Tags: []types.Tag{tag("aws:x", "v")}}, "TagException", exact("Tags beginning with aws: are reserved")},
		{"AWS: tag", kms.CreateKeyInput{Tags: []types.Tag{tag("AWS:x", "v")}}, "TagException", exact("Tags beginning with aws: are reserved")},
		{"51 tags", kms.CreateKeyInput{Tags: tooMany}, "TagException", exact("Too many tags")},
		{"duplicate tag keys", kms.CreateKeyInput{Tags: []types.Tag{tag("a", "1"), tag("a", "2")}}, "TagException", exact("Duplicate tag keys")},
		{"tag key too long", kms.CreateKeyInput{Tags: []types.Tag{tag("ok", "v"), tag(strings.Repeat("a", 129), "v")}}, "ValidationException",
			exact(validationMsg("'"+strings.Repeat("a", 129)+"'", "tags.2.member.tagKey", "Member must have length less than or equal to 128"))},
		{"tag value too long", kms.CreateKeyInput{Tags: []types.Tag{tag("k", strings.Repeat("v", 257))}}, "ValidationException",
			exact(validationMsg("'"+strings.Repeat("v", 257)+"'", "tags.1.member.tagValue", "Member must have length less than or equal to 256"))},
		{"policy not JSON", kms.CreateKeyInput{Policy: aws.String("not a policy")}, "MalformedPolicyDocumentException", anyMsg},
	}
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := tc.in
				_, err := e.kms.CreateKey(t.Context(), &in)
				wantErrMatch(t, err, tc.code, tc.msg, "the documented message")
			})
		}
		out, err := e.kms.ListKeys(t.Context(), &kms.ListKeysInput{})
		if err != nil {
			t.Fatalf("ListKeys: %v", err)
		}
		if len(out.Keys) != 0 {
			t.Errorf("after only failed CreateKey calls ListKeys has %d keys, want 0", len(out.Keys))
		}
	})
}

func TestDescribeKeyReferences(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		m := createKey(t, e.kms, &kms.CreateKeyInput{Description: aws.String("by any name")})
		id := aws.ToString(m.KeyId)
		createAlias(t, e.kms, "alias/by-name", id)
		for _, ref := range []string{id, e.keyARN(id), "alias/by-name", e.aliasARN("alias/by-name")} {
			t.Run(ref, func(t *testing.T) {
				if diff := cmp.Diff(m, describe(t, e.kms, ref), cmpOpts); diff != "" {
					t.Errorf("DescribeKey(%s) mismatch (-want +got):\n%s", ref, diff)
				}
			})
		}
	})
}

func TestDescribeKeyErrors(t *testing.T) {
	const unknown = "0b7f0d53-5d3c-4a5e-9c1e-6a4d6f2e9a11"
	const unknownMRK = "mrk-0b7f0d535d3c4a5e9c1e6a4d6f2e9a11"
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		id := aws.ToString(createKey(t, e.kms, nil).KeyId)
		createAlias(t, e.kms, "alias/exists", id)
		long := strings.Repeat("k", 2049)
		cases := []struct {
			name, keyID, code, msg string
			prefix                 bool
		}{
			{"unknown key ID", unknown, "NotFoundException", "Key '" + e.keyARN(unknown) + "' does not exist", false},
			{"unknown key ARN", e.keyARN(unknown), "NotFoundException", "Key '" + e.keyARN(unknown) + "' does not exist", false},
			{"unknown mrk ID", unknownMRK, "NotFoundException", "Key '" + e.keyARN(unknownMRK) + "' does not exist", false},
			{"malformed ID", "fake-key-id", "NotFoundException", "Invalid keyId 'fake-key-id'", false},
			{"UUID without hyphens", "134f2428cec14b25a1ae9048164dba47", "NotFoundException", "Invalid keyId '134f2428cec14b25a1ae9048164dba47'", false},
			{"malformed mrk ID", "mrk-fake-key-id", "NotFoundException", "Invalid keyId 'mrk-fake-key-id'", false},
			{"unknown alias", "alias/nope", "NotFoundException", "Alias " + e.aliasARN("alias/nope") + " is not found.", false},
			{"unknown alias ARN", e.aliasARN("alias/nope"), "NotFoundException", "Alias " + e.aliasARN("alias/nope") + " is not found.", false},
			{"ARN of a region not served", "arn:aws:kms:eu-west-1:" + e.account + ":key/" + id, "NotFoundException", "Invalid arn eu-west-1", false},
			{"key ARN of another account", "arn:aws:kms:us-east-1:999999999999:key/" + id, "AccessDeniedException",
				"User: arn:aws:iam::" + e.account + ":root is not authorized to perform: kms:DescribeKey on resource: arn:aws:kms:us-east-1:999999999999:key/" + id, true},
			{"alias ARN of another account", "arn:aws:kms:us-east-1:999999999999:alias/exists", "AccessDeniedException",
				"User: arn:aws:iam::" + e.account + ":root is not authorized to perform: kms:DescribeKey", true},
			{"ARN of another service", "arn:aws:kms:us-east-1:" + e.account + ":bucket/x", "InvalidArnException", "", false},
			{"empty", "", "ValidationException", validationMsg("''", "keyId", "Member must have length greater than or equal to 1"), false},
			{"too long", long, "ValidationException", validationMsg("'"+long+"'", "keyId", "Member must have length less than or equal to 2048"), false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.kms.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String(tc.keyID)})
				if tc.prefix {
					wantErrPrefix(t, err, tc.code, tc.msg)
				} else {
					wantErr(t, err, tc.code, tc.msg)
				}
			})
		}
	})
}

func TestListKeysPagination(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		var want []string
		for range 7 {
			want = append(want, aws.ToString(createKey(t, e.kms, nil).KeyId))
		}
		slices.Sort(want)

		var got []string
		var marker *string
		for page := 1; ; page++ {
			out, err := e.kms.ListKeys(t.Context(), &kms.ListKeysInput{Limit: aws.Int32(3), Marker: marker})
			if err != nil {
				t.Fatalf("ListKeys page %d: %v", page, err)
			}
			wantN, wantTrunc := 3, page < 3
			if page == 3 {
				wantN = 1
			}
			if len(out.Keys) != wantN || out.Truncated != wantTrunc {
				t.Errorf("page %d: %d keys, Truncated %v; want %d, %v", page, len(out.Keys), out.Truncated, wantN, wantTrunc)
			}
			for _, k := range out.Keys {
				got = append(got, aws.ToString(k.KeyId))
				if aws.ToString(k.KeyArn) != e.keyARN(aws.ToString(k.KeyId)) {
					t.Errorf("KeyArn = %q, want %q", aws.ToString(k.KeyArn), e.keyARN(aws.ToString(k.KeyId)))
				}
			}
			if !out.Truncated {
				if aws.ToString(out.NextMarker) != "" {
					t.Errorf("last page has NextMarker %q", aws.ToString(out.NextMarker))
				}
				break
			}
			if aws.ToString(out.NextMarker) == "" || page > 7 {
				t.Fatalf("page %d: Truncated but NextMarker %q", page, aws.ToString(out.NextMarker))
			}
			marker = out.NextMarker
		}
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("keys over all pages (-want +got):\n%s", diff)
		}

		all, err := e.kms.ListKeys(t.Context(), &kms.ListKeysInput{})
		if err != nil {
			t.Fatalf("ListKeys: %v", err)
		}
		if len(all.Keys) != 7 || all.Truncated {
			t.Errorf("ListKeys without Limit: %d keys, Truncated %v; want 7, false", len(all.Keys), all.Truncated)
		}
		var viaPaginator []string
		p := kms.NewListKeysPaginator(e.kms, &kms.ListKeysInput{Limit: aws.Int32(2)})
		for p.HasMorePages() {
			out, err := p.NextPage(t.Context())
			if err != nil {
				t.Fatalf("paginator: %v", err)
			}
			for _, k := range out.Keys {
				viaPaginator = append(viaPaginator, aws.ToString(k.KeyId))
			}
		}
		slices.Sort(viaPaginator)
		if diff := cmp.Diff(want, viaPaginator); diff != "" {
			t.Errorf("keys via SDK paginator (-want +got):\n%s", diff)
		}

		_, err = e.kms.ListKeys(t.Context(), &kms.ListKeysInput{Limit: aws.Int32(0)})
		wantErr(t, err, "ValidationException", validationMsg("'0'", "limit", "Member must have value greater than or equal to 1"))
		_, err = e.kms.ListKeys(t.Context(), &kms.ListKeysInput{Limit: aws.Int32(1001)})
		wantErr(t, err, "ValidationException", validationMsg("'1001'", "limit", "Member must have value less than or equal to 1000"))
		_, err = e.kms.ListKeys(t.Context(), &kms.ListKeysInput{Marker: aws.String("not-a-marker")})
		wantErr(t, err, "InvalidMarkerException", "")
	})
}

func TestEnableDisableKey(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		id := aws.ToString(createKey(t, e.kms, nil).KeyId)
		createAlias(t, e.kms, "alias/toggle", id)
		check := func(step string, state types.KeyState, enabled bool) {
			t.Helper()
			m := describe(t, e.kms, id)
			if m.KeyState != state || m.Enabled != enabled {
				t.Errorf("after %s: KeyState %s, Enabled %v; want %s, %v", step, m.KeyState, m.Enabled, state, enabled)
			}
		}
		steps := []struct {
			name  string
			call  func() error
			state types.KeyState
		}{
			{"DisableKey(id)", func() error {
				_, err := e.kms.DisableKey(t.Context(), &kms.DisableKeyInput{KeyId: aws.String(id)})
				return err
			}, types.KeyStateDisabled},
			{"DisableKey again", func() error {
				_, err := e.kms.DisableKey(t.Context(), &kms.DisableKeyInput{KeyId: aws.String(id)})
				return err
			}, types.KeyStateDisabled},
			{"EnableKey(arn)", func() error {
				_, err := e.kms.EnableKey(t.Context(), &kms.EnableKeyInput{KeyId: aws.String(e.keyARN(id))})
				return err
			}, types.KeyStateEnabled},
			{"EnableKey again", func() error {
				_, err := e.kms.EnableKey(t.Context(), &kms.EnableKeyInput{KeyId: aws.String(id)})
				return err
			}, types.KeyStateEnabled},
			{"DisableKey(arn)", func() error {
				_, err := e.kms.DisableKey(t.Context(), &kms.DisableKeyInput{KeyId: aws.String(e.keyARN(id))})
				return err
			}, types.KeyStateDisabled},
		}
		for _, st := range steps {
			if err := st.call(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			check(st.name, st.state, st.state == types.KeyStateEnabled)
		}
		// A disabled key can still be described, tagged and aliased.
		createAlias(t, e.kms, "alias/toggle-2", id)
		if _, err := e.kms.TagResource(t.Context(), &kms.TagResourceInput{KeyId: aws.String(id), Tags: []types.Tag{{TagKey: aws.String("k"), TagValue: aws.String("v")}}}); err != nil {
			t.Errorf("TagResource on a disabled key: %v", err)
		}

		const unknown = "5a1c7c1e-3c84-4b7e-9f3e-0d0f9d8a7b61"
		_, err := e.kms.EnableKey(t.Context(), &kms.EnableKeyInput{KeyId: aws.String(unknown)})
		wantErr(t, err, "NotFoundException", "Key '"+e.keyARN(unknown)+"' does not exist")
		_, err = e.kms.DisableKey(t.Context(), &kms.DisableKeyInput{KeyId: aws.String(unknown)})
		wantErr(t, err, "NotFoundException", "Key '"+e.keyARN(unknown)+"' does not exist")
		// EnableKey and DisableKey take a key ID or key ARN, not an alias.
		_, err = e.kms.EnableKey(t.Context(), &kms.EnableKeyInput{KeyId: aws.String("alias/toggle")})
		wantErrContains(t, err, "NotFoundException", "alias/toggle")
		_, err = e.kms.DisableKey(t.Context(), &kms.DisableKeyInput{KeyId: aws.String("arn:aws:kms:us-east-1:999999999999:key/" + id)})
		wantErrPrefix(t, err, "AccessDeniedException", "User: arn:aws:iam::"+e.account+":root is not authorized to perform: kms:DisableKey")
	})
}

func TestPendingImportKey(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		m := createKey(t, e.kms, &kms.CreateKeyInput{Origin: types.OriginTypeExternal, Description: aws.String("bring your own")})
		id := aws.ToString(m.KeyId)
		want := &types.KeyMetadata{
			AWSAccountId:          aws.String(e.account),
			Arn:                   aws.String(e.keyARN(id)),
			CreationDate:          m.CreationDate,
			CustomerMasterKeySpec: types.CustomerMasterKeySpecSymmetricDefault,
			Description:           aws.String("bring your own"),
			Enabled:               false,
			EncryptionAlgorithms:  []types.EncryptionAlgorithmSpec{types.EncryptionAlgorithmSpecSymmetricDefault},
			KeyId:                 aws.String(id),
			KeyManager:            types.KeyManagerTypeCustomer,
			KeySpec:               types.KeySpecSymmetricDefault,
			KeyState:              types.KeyStatePendingImport,
			KeyUsage:              types.KeyUsageTypeEncryptDecrypt,
			MultiRegion:           aws.Bool(false),
			Origin:                types.OriginTypeExternal,
		}
		if diff := cmp.Diff(want, m, cmpOpts); diff != "" {
			t.Errorf("CreateKey(Origin EXTERNAL) mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, describe(t, e.kms, id), cmpOpts); diff != "" {
			t.Errorf("DescribeKey of a PendingImport key mismatch (-want +got):\n%s", diff)
		}
		pending := e.keyARN(id) + " is pending import."
		_, err := e.kms.EnableKey(t.Context(), &kms.EnableKeyInput{KeyId: aws.String(id)})
		wantErr(t, err, "KMSInvalidStateException", pending)
		_, err = e.kms.DisableKey(t.Context(), &kms.DisableKeyInput{KeyId: aws.String(id)})
		wantErr(t, err, "KMSInvalidStateException", pending)
		if got := describe(t, e.kms, id).KeyState; got != types.KeyStatePendingImport {
			t.Errorf("after refused EnableKey/DisableKey KeyState = %s, want PendingImport", got)
		}
		// Allowed in PendingImport (key-state table).
		if _, err := e.kms.UpdateKeyDescription(t.Context(), &kms.UpdateKeyDescriptionInput{KeyId: aws.String(id), Description: aws.String("x")}); err != nil {
			t.Errorf("UpdateKeyDescription on a PendingImport key: %v", err)
		}
		createAlias(t, e.kms, "alias/pending", id)
		if _, err := e.kms.TagResource(t.Context(), &kms.TagResourceInput{KeyId: aws.String(id), Tags: []types.Tag{{TagKey: aws.String("k"), TagValue: aws.String("v")}}}); err != nil {
			t.Errorf("TagResource on a PendingImport key: %v", err)
		}
	})
}

func TestUpdateKeyDescription(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		id := aws.ToString(createKey(t, e.kms, &kms.CreateKeyInput{Description: aws.String("old")}).KeyId)
		for _, tc := range []struct{ ref, desc string }{
			{id, "new description"},
			{e.keyARN(id), "via ARN ✓ unicode"},
			{id, ""},
			{id, strings.Repeat("x", 8192)},
		} {
			if _, err := e.kms.UpdateKeyDescription(t.Context(), &kms.UpdateKeyDescriptionInput{KeyId: aws.String(tc.ref), Description: aws.String(tc.desc)}); err != nil {
				t.Fatalf("UpdateKeyDescription(%q): %v", tc.desc, err)
			}
			if got := aws.ToString(describe(t, e.kms, id).Description); got != tc.desc {
				t.Errorf("Description = %q, want %q", got, tc.desc)
			}
		}
		long := strings.Repeat("x", 8193)
		_, err := e.kms.UpdateKeyDescription(t.Context(), &kms.UpdateKeyDescriptionInput{KeyId: aws.String(id), Description: aws.String(long)})
		wantErr(t, err, "ValidationException", validationMsg("'"+long+"'", "description", "Member must have length less than or equal to 8192"))
		const unknown = "8d5b0a0e-2f4e-4c1a-b7a5-7e2b3c4d5e6f"
		_, err = e.kms.UpdateKeyDescription(t.Context(), &kms.UpdateKeyDescriptionInput{KeyId: aws.String(unknown), Description: aws.String("x")})
		wantErr(t, err, "NotFoundException", "Key '"+e.keyARN(unknown)+"' does not exist")
	})
}
