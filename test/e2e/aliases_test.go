package e2e_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/google/go-cmp/cmp"

	"github.com/trentkms/trent/test/harness"
)

// listAliases returns every alias (of keyID, when not empty), following
// NextMarker with the given page size (0: the server's default).
func listAliases(t *testing.T, c *kms.Client, keyID string, limit int32) []types.AliasListEntry {
	t.Helper()
	in := &kms.ListAliasesInput{}
	if keyID != "" {
		in.KeyId = aws.String(keyID)
	}
	if limit > 0 {
		in.Limit = aws.Int32(limit)
	}
	var all []types.AliasListEntry
	for page := 0; ; page++ {
		out, err := c.ListAliases(t.Context(), in)
		if err != nil {
			t.Fatalf("ListAliases(%q): %v", keyID, err)
		}
		if limit > 0 && len(out.Aliases) > int(limit) {
			t.Errorf("ListAliases page of %d entries, over Limit %d", len(out.Aliases), limit)
		}
		all = append(all, out.Aliases...)
		if !out.Truncated {
			if aws.ToString(out.NextMarker) != "" {
				t.Errorf("last ListAliases page has NextMarker %q", aws.ToString(out.NextMarker))
			}
			return all
		}
		if aws.ToString(out.NextMarker) == "" || page > 1000 {
			t.Fatalf("ListAliases: Truncated with NextMarker %q", aws.ToString(out.NextMarker))
		}
		in.Marker = out.NextMarker
	}
}

// aliasNames returns the sorted customer alias names in es.
func aliasNames(es []types.AliasListEntry) []string {
	var names []string
	for _, a := range es {
		// Ignore AWS managed aliases, should the server list them.
		if n := aws.ToString(a.AliasName); !strings.HasPrefix(n, "alias/aws/") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

func findAlias(es []types.AliasListEntry, name string) *types.AliasListEntry {
	for i := range es {
		if aws.ToString(es[i].AliasName) == name {
			return &es[i]
		}
	}
	return nil
}

func TestAliasLifecycle(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		before := time.Now()
		key1 := aws.ToString(createKey(t, e.kms, nil).KeyId)
		key2 := aws.ToString(createKey(t, e.kms, nil).KeyId)
		createAlias(t, e.kms, "alias/app", key1)
		createAlias(t, e.kms, "alias/app-by-arn", e.keyARN(key1))
		createAlias(t, e.kms, "alias/Mixed_Case:chars/ok-1", key2)

		all := listAliases(t, e.kms, "", 0)
		if diff := cmp.Diff([]string{"alias/Mixed_Case:chars/ok-1", "alias/app", "alias/app-by-arn"}, aliasNames(all)); diff != "" {
			t.Errorf("ListAliases names (-want +got):\n%s", diff)
		}
		for _, a := range all {
			name := aws.ToString(a.AliasName)
			target := key1
			if name == "alias/Mixed_Case:chars/ok-1" {
				target = key2
			}
			if got := aws.ToString(a.AliasArn); got != e.aliasARN(name) {
				t.Errorf("%s: AliasArn = %q, want %q", name, got, e.aliasARN(name))
			}
			if got := aws.ToString(a.TargetKeyId); got != target {
				t.Errorf("%s: TargetKeyId = %q, want the bare key ID %q", name, got, target)
			}
			if a.CreationDate == nil || !near(*a.CreationDate, before, time.Minute) {
				t.Errorf("%s: CreationDate = %v, want about %v", name, a.CreationDate, before)
			}
			if a.LastUpdatedDate == nil || !near(*a.LastUpdatedDate, before, time.Minute) {
				t.Errorf("%s: LastUpdatedDate = %v, want about %v", name, a.LastUpdatedDate, before)
			}
		}
		for _, tc := range []struct {
			keyID string
			want  []string
		}{
			{key1, []string{"alias/app", "alias/app-by-arn"}},
			{e.keyARN(key1), []string{"alias/app", "alias/app-by-arn"}},
			{key2, []string{"alias/Mixed_Case:chars/ok-1"}},
		} {
			if diff := cmp.Diff(tc.want, aliasNames(listAliases(t, e.kms, tc.keyID, 0))); diff != "" {
				t.Errorf("ListAliases(KeyId %s) (-want +got):\n%s", tc.keyID, diff)
			}
		}

		err := createAliasErr(t, e.kms, "alias/app", key2)
		wantErr(t, err, "AlreadyExistsException", "An alias with the name "+e.aliasARN("alias/app")+" already exists")

		created := findAlias(all, "alias/app").CreationDate
		time.Sleep(20 * time.Millisecond)
		if _, err := e.kms.UpdateAlias(t.Context(), &kms.UpdateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: aws.String(key2)}); err != nil {
			t.Fatalf("UpdateAlias: %v", err)
		}
		if got := aws.ToString(describe(t, e.kms, "alias/app").KeyId); got != key2 {
			t.Errorf("after UpdateAlias DescribeKey(alias/app) = %s, want %s", got, key2)
		}
		a := findAlias(listAliases(t, e.kms, key2, 0), "alias/app")
		switch {
		case a == nil:
			t.Errorf("after UpdateAlias, ListAliases(KeyId %s) lacks alias/app", key2)
		case a.CreationDate == nil || created == nil || !a.CreationDate.Equal(*created):
			t.Errorf("UpdateAlias changed CreationDate from %v to %v", created, a.CreationDate)
		case a.LastUpdatedDate == nil || !a.LastUpdatedDate.After(*a.CreationDate):
			t.Errorf("after UpdateAlias LastUpdatedDate = %v, want after CreationDate %v", a.LastUpdatedDate, a.CreationDate)
		}
		if diff := cmp.Diff([]string{"alias/app-by-arn"}, aliasNames(listAliases(t, e.kms, key1, 0))); diff != "" {
			t.Errorf("after UpdateAlias ListAliases(KeyId key1) (-want +got):\n%s", diff)
		}

		_, err = e.kms.UpdateAlias(t.Context(), &kms.UpdateAliasInput{AliasName: aws.String("alias/none"), TargetKeyId: aws.String(key1)})
		wantErr(t, err, "NotFoundException", "Alias "+e.aliasARN("alias/none")+" is not found.")
		const unknown = "3f2b8a4c-6d1e-4f0a-8b2c-9d3e4f5a6b7c"
		_, err = e.kms.UpdateAlias(t.Context(), &kms.UpdateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: aws.String(unknown)})
		wantErr(t, err, "NotFoundException", "Key '"+e.keyARN(unknown)+"' does not exist")

		if _, err := e.kms.DeleteAlias(t.Context(), &kms.DeleteAliasInput{AliasName: aws.String("alias/app")}); err != nil {
			t.Fatalf("DeleteAlias: %v", err)
		}
		_, err = e.kms.DescribeKey(t.Context(), &kms.DescribeKeyInput{KeyId: aws.String("alias/app")})
		wantErr(t, err, "NotFoundException", "Alias "+e.aliasARN("alias/app")+" is not found.")
		_, err = e.kms.DeleteAlias(t.Context(), &kms.DeleteAliasInput{AliasName: aws.String("alias/app")})
		wantErr(t, err, "NotFoundException", "Alias "+e.aliasARN("alias/app")+" is not found.")
		describe(t, e.kms, key2) // the key outlives its alias
		if diff := cmp.Diff([]string{"alias/Mixed_Case:chars/ok-1", "alias/app-by-arn"}, aliasNames(listAliases(t, e.kms, "", 0))); diff != "" {
			t.Errorf("after DeleteAlias ListAliases (-want +got):\n%s", diff)
		}
		createAlias(t, e.kms, "alias/app", key1) // the name is free again
		createAlias(t, e.kms, "alias/APP", key2) // names are case-sensitive
		if got := aws.ToString(describe(t, e.kms, "alias/APP").KeyId); got != key2 {
			t.Errorf("alias/APP -> %s, want %s", got, key2)
		}
	})
}

// TestConcurrentWrites races writers on one alias name and on one key's
// tags: exactly one CreateAlias wins, and no tag update is lost.
func TestConcurrentWrites(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		const n = 8
		keys := make([]string, n)
		for i := range keys {
			keys[i] = aws.ToString(createKey(t, e.kms, nil).KeyId)
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.kms.CreateAlias(t.Context(), &kms.CreateAliasInput{AliasName: aws.String("alias/race"), TargetKeyId: aws.String(keys[i])})
			}()
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("CreateAlias alias/race succeeded for keys %d and %d", winner, i)
			case err == nil:
				winner = i
			case errorCode(err) != "AlreadyExistsException":
				t.Errorf("losing CreateAlias: %v, want AlreadyExistsException", err)
			}
		}
		if winner >= 0 {
			if got := aws.ToString(describe(t, e.kms, "alias/race").KeyId); got != keys[winner] {
				t.Errorf("alias/race -> %s, want the winner %s", got, keys[winner])
			}
		} else {
			t.Errorf("no CreateAlias alias/race succeeded")
		}

		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.kms.TagResource(t.Context(), &kms.TagResourceInput{KeyId: aws.String(keys[0]), Tags: tagList(fmt.Sprintf("writer-%d", i), "v")})
			}()
		}
		wg.Wait()
		want := []types.Tag{}
		for i, err := range errs {
			if err != nil {
				t.Errorf("concurrent TagResource %d: %v", i, err)
				continue
			}
			want = append(want, tagList(fmt.Sprintf("writer-%d", i), "v")...)
		}
		if diff := cmp.Diff(want, listTags(t, e.kms, keys[0], 0), cmpOpts, sortTags); diff != "" {
			t.Errorf("tags after concurrent TagResource (-want +got):\n%s", diff)
		}
	})
}

func createAliasErr(t *testing.T, c *kms.Client, name, target string) error {
	t.Helper()
	_, err := c.CreateAlias(t.Context(), &kms.CreateAliasInput{AliasName: aws.String(name), TargetKeyId: aws.String(target)})
	return err
}

func TestCreateAliasInvalid(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		key := aws.ToString(createKey(t, e.kms, nil).KeyId)
		createAlias(t, e.kms, "alias/target", key)
		const unknown = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
		long := "alias/" + strings.Repeat("a", 251)
		cases := []struct {
			name, alias, target, code, msg string
			contains                       bool
		}{
			{"reserved prefix", "alias/aws/x", key, "InvalidAliasNameException", "", false},
			{"missing prefix", "noprefix", key, "ValidationException",
				`Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html`, false},
			{"bad characters", "alias/bad name!", key, "ValidationException",
				validationMsg("'alias/bad name!'", "aliasName", "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"), false},
			{"too long", long, key, "ValidationException",
				validationMsg("'"+long+"'", "aliasName", "Member must have length less than or equal to 256"), false},
			{"target is an alias", "alias/new", "alias/target", "NotFoundException", "alias/target", true},
			{"target is an alias ARN", "alias/new", e.aliasARN("alias/target"), "NotFoundException", "alias/target", true},
			{"unknown target", "alias/new", unknown, "NotFoundException", "Key '" + e.keyARN(unknown) + "' does not exist", false},
			{"malformed target", "alias/new", "not-a-key", "NotFoundException", "Invalid keyId 'not-a-key'", false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				err := createAliasErr(t, e.kms, tc.alias, tc.target)
				if tc.contains {
					wantErrContains(t, err, tc.code, tc.msg)
				} else {
					wantErr(t, err, tc.code, tc.msg)
				}
			})
		}
		if diff := cmp.Diff([]string{"alias/target"}, aliasNames(listAliases(t, e.kms, "", 0))); diff != "" {
			t.Errorf("failed CreateAlias calls left aliases behind (-want +got):\n%s", diff)
		}
		// 256 characters is allowed.
		ok256 := "alias/" + strings.Repeat("b", 250)
		createAlias(t, e.kms, ok256, key)
	})
}

func TestAliasLimitsAndPagination(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		key := aws.ToString(createKey(t, e.kms, nil).KeyId)
		var want []string
		for i := range 50 {
			name := fmt.Sprintf("alias/many-%02d", i)
			createAlias(t, e.kms, name, key)
			want = append(want, name)
		}
		err := createAliasErr(t, e.kms, "alias/many-50", key)
		wantErr(t, err, "LimitExceededException", "")

		for _, limit := range []int32{0, 1, 7, 100} {
			if diff := cmp.Diff(want, aliasNames(listAliases(t, e.kms, "", limit))); diff != "" {
				t.Errorf("ListAliases with Limit %d (-want +got):\n%s", limit, diff)
			}
		}
		if diff := cmp.Diff(want, aliasNames(listAliases(t, e.kms, key, 7))); diff != "" {
			t.Errorf("ListAliases(KeyId) with Limit 7 (-want +got):\n%s", diff)
		}
		first, err := e.kms.ListAliases(t.Context(), &kms.ListAliasesInput{Limit: aws.Int32(20)})
		if err != nil {
			t.Fatalf("ListAliases: %v", err)
		}
		if len(first.Aliases) != 20 || !first.Truncated || aws.ToString(first.NextMarker) == "" {
			t.Errorf("ListAliases Limit 20 of 50: %d entries, Truncated %v, NextMarker %q", len(first.Aliases), first.Truncated, aws.ToString(first.NextMarker))
		}
		def, err := e.kms.ListAliases(t.Context(), &kms.ListAliasesInput{})
		if err != nil {
			t.Fatalf("ListAliases: %v", err)
		}
		if len(def.Aliases) != 50 || def.Truncated {
			t.Errorf("ListAliases default Limit (50): %d entries, Truncated %v; want 50, false", len(def.Aliases), def.Truncated)
		}

		_, err = e.kms.ListAliases(t.Context(), &kms.ListAliasesInput{Limit: aws.Int32(101)})
		wantErr(t, err, "ValidationException", validationMsg("'101'", "limit", "Member must have value less than or equal to 100"))
		const unknown = "9b2e6f0a-1c3d-4e5f-8a7b-6c5d4e3f2a1b"
		_, err = e.kms.ListAliases(t.Context(), &kms.ListAliasesInput{KeyId: aws.String(unknown)})
		wantErr(t, err, "NotFoundException", "Key '"+e.keyARN(unknown)+"' does not exist")
		_, err = e.kms.ListAliases(t.Context(), &kms.ListAliasesInput{Marker: aws.String("garbage")})
		wantErr(t, err, "InvalidMarkerException", "")
	})
}
