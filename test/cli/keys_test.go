package cli_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadmeFlow types the README's commands, then the rest of key, alias
// and tag management a user does from a shell.
func TestReadmeFlow(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		// aws kms create-key --description demo --tags TagKey=team,TagValue=infra
		var created keyOutput
		e.ok(&created, "kms", "create-key", "--description", "demo", "--tags", "TagKey=team,TagValue=infra")
		m := created.KeyMetadata
		id := m.KeyId
		if !uuidRE.MatchString(id) {
			t.Fatalf("create-key KeyId = %q, want a UUID", id)
		}
		want := keyMetadata{
			AWSAccountId:         account,
			KeyId:                id,
			Arn:                  e.keyARN(id),
			Description:          "demo",
			Enabled:              true,
			KeyState:             "Enabled",
			KeyUsage:             "ENCRYPT_DECRYPT",
			KeySpec:              "SYMMETRIC_DEFAULT",
			KeyManager:           "CUSTOMER",
			Origin:               "AWS_KMS",
			EncryptionAlgorithms: []string{"SYMMETRIC_DEFAULT"},
			CreationDate:         m.CreationDate,
		}
		if diff := cmp.Diff(want, m); diff != "" {
			t.Errorf("create-key KeyMetadata (-want +got):\n%s", diff)
		}
		if m.CreationDate == "" {
			t.Error("create-key printed no CreationDate")
		}
		e.wantTags(id, tag{"team", "infra"})

		// aws kms create-alias --alias-name alias/demo --target-key-id <KeyId>
		e.okEmpty("kms", "create-alias", "--alias-name", "alias/demo", "--target-key-id", id)

		// aws kms describe-key --key-id alias/demo
		var described keyOutput
		e.ok(&described, "kms", "describe-key", "--key-id", "alias/demo")
		if diff := cmp.Diff(m, described.KeyMetadata); diff != "" {
			t.Errorf("describe-key alias/demo differs from create-key (-create +describe):\n%s", diff)
		}
		// ... and by key ARN and alias ARN.
		for _, ref := range []string{e.keyARN(id), e.aliasARN("alias/demo")} {
			var d keyOutput
			e.ok(&d, "kms", "describe-key", "--key-id", ref)
			if d.KeyMetadata.KeyId != id {
				t.Errorf("describe-key --key-id %s: KeyId %q, want %q", ref, d.KeyMetadata.KeyId, id)
			}
		}

		// list-keys shows the key with its ARN.
		var keys listKeysOutput
		e.ok(&keys, "kms", "list-keys")
		if diff := cmp.Diff([]keyEntry{{KeyId: id, KeyArn: e.keyARN(id)}}, keys.Keys); diff != "" {
			t.Errorf("list-keys (-want +got):\n%s", diff)
		}

		// list-aliases, for the account and for the key.
		demo := aliasEntry{AliasName: "alias/demo", AliasArn: e.aliasARN("alias/demo"), TargetKeyId: id}
		if got := e.aliases(); !slices.Contains(got, demo) {
			t.Errorf("list-aliases = %+v, want it to contain %+v", got, demo)
		}
		if diff := cmp.Diff([]aliasEntry{demo}, e.aliases("--key-id", id)); diff != "" {
			t.Errorf("list-aliases --key-id (-want +got):\n%s", diff)
		}

		// tag-resource, untag-resource, list-resource-tags.
		e.okEmpty("kms", "tag-resource", "--key-id", id, "--tags", "TagKey=env,TagValue=prod", "TagKey=team,TagValue=platform")
		e.wantTags(id, tag{"env", "prod"}, tag{"team", "platform"})
		e.okEmpty("kms", "untag-resource", "--key-id", id, "--tag-keys", "team")
		e.wantTags(id, tag{"env", "prod"})

		// disable-key, enable-key.
		e.okEmpty("kms", "disable-key", "--key-id", id)
		e.wantState("alias/demo", false, "Disabled")
		e.okEmpty("kms", "enable-key", "--key-id", e.keyARN(id))
		e.wantState("alias/demo", true, "Enabled")

		// update-key-description.
		e.okEmpty("kms", "update-key-description", "--key-id", id, "--description", "demo key, described again")
		var d keyOutput
		e.ok(&d, "kms", "describe-key", "--key-id", id)
		if got, want := d.KeyMetadata.Description, "demo key, described again"; got != want {
			t.Errorf("Description after update-key-description = %q, want %q", got, want)
		}

		// update-alias points alias/demo at a second key.
		var second keyOutput
		e.ok(&second, "kms", "create-key", "--description", "second")
		id2 := second.KeyMetadata.KeyId
		e.okEmpty("kms", "update-alias", "--alias-name", "alias/demo", "--target-key-id", id2)
		e.ok(&d, "kms", "describe-key", "--key-id", "alias/demo")
		if d.KeyMetadata.KeyId != id2 || d.KeyMetadata.Description != "second" {
			t.Errorf("describe-key alias/demo after update-alias: KeyId %q Description %q, want %q \"second\"", d.KeyMetadata.KeyId, d.KeyMetadata.Description, id2)
		}
		if got := e.aliases("--key-id", id); len(got) != 0 {
			t.Errorf("list-aliases --key-id <first key> after update-alias = %+v, want none", got)
		}
		demo.TargetKeyId = id2
		if diff := cmp.Diff([]aliasEntry{demo}, e.aliases("--key-id", id2)); diff != "" {
			t.Errorf("list-aliases --key-id <second key> (-want +got):\n%s", diff)
		}

		// delete-alias: the name is gone, the keys stay.
		e.okEmpty("kms", "delete-alias", "--alias-name", "alias/demo")
		msg := e.fails("DescribeKey", "NotFoundException", "kms", "describe-key", "--key-id", "alias/demo")
		if want := fmt.Sprintf("Alias %s is not found.", e.aliasARN("alias/demo")); msg != want {
			t.Errorf("describe-key of a deleted alias: message %q, want %q", msg, want)
		}
		for _, a := range e.aliases() {
			if a.AliasName == "alias/demo" {
				t.Errorf("list-aliases after delete-alias still lists %+v", a)
			}
		}
		e.wantState(id, true, "Enabled")
		e.wantState(id2, true, "Enabled")
	})
}

// TestListKeysPages checks the CLI's automatic pagination (Limit, Marker,
// Truncated) and its --max-items/--starting-token on top of it.
func TestListKeysPages(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var want []string
		for i := range 5 {
			var k keyOutput
			e.ok(&k, "kms", "create-key", "--description", fmt.Sprintf("page key %d", i))
			want = append(want, k.KeyMetadata.KeyId)
		}
		slices.Sort(want)

		var all listKeysOutput
		e.ok(&all, "kms", "list-keys", "--page-size", "2")
		if got := keyIDs(all.Keys); !slices.Equal(got, want) {
			t.Errorf("list-keys --page-size 2 = %v, want %v", got, want)
		}
		if all.NextToken != "" {
			t.Errorf("list-keys --page-size 2 left NextToken %q after the last page", all.NextToken)
		}

		var first listKeysOutput
		e.ok(&first, "kms", "list-keys", "--page-size", "2", "--max-items", "3")
		if len(first.Keys) != 3 || first.NextToken == "" {
			t.Fatalf("list-keys --max-items 3: %d keys, NextToken %q; want 3 keys and a NextToken", len(first.Keys), first.NextToken)
		}
		var rest listKeysOutput
		e.ok(&rest, "kms", "list-keys", "--page-size", "2", "--starting-token", first.NextToken)
		got := keyIDs(append(first.Keys, rest.Keys...))
		if !slices.Equal(got, want) {
			t.Errorf("list-keys in two runs (--max-items 3, then --starting-token) = %v, want %v", got, want)
		}
	})
}

func keyIDs(keys []keyEntry) []string {
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.KeyId)
	}
	slices.Sort(ids)
	return ids
}

// aliases runs list-aliases with args.
func (e *env) aliases(args ...string) []aliasEntry {
	e.t.Helper()
	var out listAliasesOutput
	e.ok(&out, append([]string{"kms", "list-aliases"}, args...)...)
	return out.Aliases
}

// wantTags checks list-resource-tags for key (any order).
func (e *env) wantTags(key string, want ...tag) {
	e.t.Helper()
	var out tagsOutput
	e.ok(&out, "kms", "list-resource-tags", "--key-id", key)
	got := slices.Clone(out.Tags)
	byKey := func(a, b tag) int { return strings.Compare(a.TagKey, b.TagKey) }
	slices.SortFunc(got, byKey)
	slices.SortFunc(want, byKey)
	if diff := cmp.Diff(want, got); diff != "" {
		e.t.Errorf("list-resource-tags --key-id %s (-want +got):\n%s", key, diff)
	}
	if out.Truncated {
		e.t.Errorf("list-resource-tags --key-id %s: Truncated true for %d tags", key, len(got))
	}
}

// wantState checks describe-key's Enabled and KeyState.
func (e *env) wantState(key string, enabled bool, state string) {
	e.t.Helper()
	var out keyOutput
	e.ok(&out, "kms", "describe-key", "--key-id", key)
	if out.KeyMetadata.Enabled != enabled || out.KeyMetadata.KeyState != state {
		e.t.Errorf("describe-key --key-id %s: Enabled %v KeyState %q, want %v %q", key, out.KeyMetadata.Enabled, out.KeyMetadata.KeyState, enabled, state)
	}
}
