package e2e_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/trentkms/trent/test/harness"
)

var sortTags = cmpopts.SortSlices(func(a, b types.Tag) bool { return aws.ToString(a.TagKey) < aws.ToString(b.TagKey) })

func tagList(kv ...string) []types.Tag {
	tags := []types.Tag{}
	for i := 0; i+1 < len(kv); i += 2 {
		tags = append(tags, types.Tag{TagKey: aws.String(kv[i]), TagValue: aws.String(kv[i+1])})
	}
	return tags
}

// listTags returns all of a key's tags, following NextMarker with the
// given page size (0: the server's default).
func listTags(t *testing.T, c *kms.Client, keyID string, limit int32) []types.Tag {
	t.Helper()
	in := &kms.ListResourceTagsInput{KeyId: aws.String(keyID)}
	if limit > 0 {
		in.Limit = aws.Int32(limit)
	}
	all := []types.Tag{}
	for page := 0; ; page++ {
		out, err := c.ListResourceTags(t.Context(), in)
		if err != nil {
			t.Fatalf("ListResourceTags(%s): %v", keyID, err)
		}
		if limit > 0 && len(out.Tags) > int(limit) {
			t.Errorf("ListResourceTags page of %d tags, over Limit %d", len(out.Tags), limit)
		}
		all = append(all, out.Tags...)
		if !out.Truncated {
			if aws.ToString(out.NextMarker) != "" {
				t.Errorf("last ListResourceTags page has NextMarker %q", aws.ToString(out.NextMarker))
			}
			return all
		}
		if aws.ToString(out.NextMarker) == "" || page > 100 {
			t.Fatalf("ListResourceTags: Truncated with NextMarker %q", aws.ToString(out.NextMarker))
		}
		in.Marker = out.NextMarker
	}
}

func TestTagUntagList(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		id := aws.ToString(createKey(t, e.kms, nil).KeyId)
		if got := listTags(t, e.kms, id, 0); len(got) != 0 {
			t.Errorf("new key has tags %v", got)
		}
		steps := []struct {
			name string
			call func() error
			want []types.Tag
		}{
			{"tag three", func() error {
				_, err := e.kms.TagResource(t.Context(), &kms.TagResourceInput{KeyId: aws.String(id), Tags: tagList("tag1", "value1", "tag2", "value2", "tag3", "value3")})
				return err
			}, tagList("tag1", "value1", "tag2", "value2", "tag3", "value3")},
			{"overwrite and add, by ARN", func() error {
				_, err := e.kms.TagResource(t.Context(), &kms.TagResourceInput{KeyId: aws.String(e.keyARN(id)), Tags: tagList("tag2", "updated_value2", "tag4", "value4", "tag5", "")})
				return err
			}, tagList("tag1", "value1", "tag2", "updated_value2", "tag3", "value3", "tag4", "value4", "tag5", "")},
			{"untag one and an unknown one", func() error {
				_, err := e.kms.UntagResource(t.Context(), &kms.UntagResourceInput{KeyId: aws.String(id), TagKeys: []string{"tag2", "no-such-tag"}})
				return err
			}, tagList("tag1", "value1", "tag3", "value3", "tag4", "value4", "tag5", "")},
			{"untag the rest, by ARN", func() error {
				_, err := e.kms.UntagResource(t.Context(), &kms.UntagResourceInput{KeyId: aws.String(e.keyARN(id)), TagKeys: []string{"tag1", "tag3", "tag4", "tag5"}})
				return err
			}, tagList()},
		}
		for _, st := range steps {
			if err := st.call(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if diff := cmp.Diff(st.want, listTags(t, e.kms, id, 0), cmpOpts, sortTags); diff != "" {
				t.Errorf("after %s, tags (-want +got):\n%s", st.name, diff)
			}
		}
	})
}

func TestTagErrors(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		id := aws.ToString(createKey(t, e.kms, &kms.CreateKeyInput{Tags: tagList("keep", "me")}).KeyId)
		createAlias(t, e.kms, "alias/tagged", id)
		const unknown = "1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b"
		long := strings.Repeat("a", 129)
		tagCases := []struct {
			name, keyID string
			tags        []types.Tag
			code, msg   string
		}{
			{"aws: prefix", id, tagList("aws:reserved", "v"), "TagException", "Tags beginning with aws: are reserved"},
			{"Aws: prefix", id, tagList("ok", "v", "Aws:reserved", "v"), "TagException", "Tags beginning with aws: are reserved"},
			{"duplicate keys", id, tagList("dup", "1", "dup", "2"), "TagException", "Duplicate tag keys"},
			{"key too long", id, tagList(long, "v"), "ValidationException",
				validationMsg("'"+long+"'", "tags.1.member.tagKey", "Member must have length less than or equal to 128")},
			{"unknown key", unknown, tagList("k", "v"), "NotFoundException", "Key '" + e.keyARN(unknown) + "' does not exist"},
			{"alias is not a key ID", "alias/tagged", tagList("k", "v"), "NotFoundException", ""},
		}
		for _, tc := range tagCases {
			t.Run("TagResource "+tc.name, func(t *testing.T) {
				_, err := e.kms.TagResource(t.Context(), &kms.TagResourceInput{KeyId: aws.String(tc.keyID), Tags: tc.tags})
				wantErr(t, err, tc.code, tc.msg)
			})
		}
		_, err := e.kms.UntagResource(t.Context(), &kms.UntagResourceInput{KeyId: aws.String(unknown), TagKeys: []string{"k"}})
		wantErr(t, err, "NotFoundException", "Key '"+e.keyARN(unknown)+"' does not exist")
		_, err = e.kms.ListResourceTags(t.Context(), &kms.ListResourceTagsInput{KeyId: aws.String(unknown)})
		wantErr(t, err, "NotFoundException", "Key '"+e.keyARN(unknown)+"' does not exist")
		_, err = e.kms.ListResourceTags(t.Context(), &kms.ListResourceTagsInput{KeyId: aws.String(id), Limit: aws.Int32(51)})
		wantErr(t, err, "ValidationException", validationMsg("'51'", "limit", "Member must have value less than or equal to 50"))
		_, err = e.kms.ListResourceTags(t.Context(), &kms.ListResourceTagsInput{KeyId: aws.String(id), Marker: aws.String("garbage")})
		wantErr(t, err, "InvalidMarkerException", "")

		if diff := cmp.Diff(tagList("keep", "me"), listTags(t, e.kms, id, 0), cmpOpts, sortTags); diff != "" {
			t.Errorf("failed tag calls changed the tags (-want +got):\n%s", diff)
		}
	})
}

func TestTagLimitAndPagination(t *testing.T) {
	each(t, harness.Options{}, func(t *testing.T, e *env) {
		id := aws.ToString(createKey(t, e.kms, nil).KeyId)
		var kv []string
		for i := range 7 {
			kv = append(kv, fmt.Sprintf("page-%d", i), fmt.Sprintf("v%d", i))
		}
		if _, err := e.kms.TagResource(t.Context(), &kms.TagResourceInput{KeyId: aws.String(id), Tags: tagList(kv...)}); err != nil {
			t.Fatalf("TagResource: %v", err)
		}
		first, err := e.kms.ListResourceTags(t.Context(), &kms.ListResourceTagsInput{KeyId: aws.String(id), Limit: aws.Int32(3)})
		if err != nil {
			t.Fatalf("ListResourceTags: %v", err)
		}
		if len(first.Tags) != 3 || !first.Truncated || aws.ToString(first.NextMarker) == "" {
			t.Errorf("first page of 7 tags with Limit 3: %d tags, Truncated %v, NextMarker %q", len(first.Tags), first.Truncated, aws.ToString(first.NextMarker))
		}
		for _, limit := range []int32{0, 1, 3, 50} {
			if diff := cmp.Diff(tagList(kv...), listTags(t, e.kms, id, limit), cmpOpts, sortTags); diff != "" {
				t.Errorf("tags with Limit %d (-want +got):\n%s", limit, diff)
			}
		}

		// Fill up to 50 tags; one more is refused and changes nothing.
		var more []string
		for i := 7; i < 50; i++ {
			more = append(more, fmt.Sprintf("fill-%02d", i), "v")
		}
		if _, err := e.kms.TagResource(t.Context(), &kms.TagResourceInput{KeyId: aws.String(id), Tags: tagList(more...)}); err != nil {
			t.Fatalf("TagResource up to 50 tags: %v", err)
		}
		_, err = e.kms.TagResource(t.Context(), &kms.TagResourceInput{KeyId: aws.String(id), Tags: tagList("one-too-many", "v")})
		if err == nil {
			t.Errorf("TagResource of a 51st tag succeeded")
		} else if code := errorCode(err); code != "TagException" && code != "LimitExceededException" {
			t.Errorf("TagResource of a 51st tag: %v, want TagException or LimitExceededException", err)
		}
		if got := listTags(t, e.kms, id, 0); len(got) != 50 {
			t.Errorf("key has %d tags, want 50", len(got))
		}
		// Overwriting an existing tag at the limit is fine.
		if _, err := e.kms.TagResource(t.Context(), &kms.TagResourceInput{KeyId: aws.String(id), Tags: tagList("page-0", "new")}); err != nil {
			t.Errorf("overwriting a tag on a key with 50 tags: %v", err)
		}
	})
}
