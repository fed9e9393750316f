package service

import (
	"context"
	"strconv"
	"strings"

	"github.com/trentkms/trent/internal/kmsapi"
	"github.com/trentkms/trent/internal/store"
)

func reservedTagKey(k string) bool {
	return len(k) >= 4 && strings.EqualFold(k[:4], "aws:")
}

// checkNewTags merges add into existing (a tag key already present takes
// the new value) and applies AWS's tag rules.
func checkNewTags(existing []store.Tag, add []kmsapi.Tag) ([]store.Tag, error) {
	seen := make(map[string]bool, len(add))
	for _, t := range add {
		if reservedTagKey(*t.TagKey) {
			return nil, errorf(KindTag, "Tags beginning with aws: are reserved")
		}
		if seen[*t.TagKey] {
			return nil, errorf(KindTag, "Duplicate tag keys")
		}
		seen[*t.TagKey] = true
	}
	out := append([]store.Tag(nil), existing...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if out[i].Key == *t.TagKey {
				out[i].Value = *t.TagValue
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, store.Tag{Key: *t.TagKey, Value: *t.TagValue})
		}
	}
	if len(out) > maxTagsPerKey {
		return nil, errorf(KindTag, "Too many tags")
	}
	return out, nil
}

// TagResource adds or overwrites tags on a key.
func (s *Service) TagResource(ctx context.Context, c *Caller, in *kmsapi.TagResourceRequest) (*kmsapi.Empty, error) {
	_, err := s.updateKey(ctx, c, "TagResource", *in.KeyId, refKeyOnly, func(k *store.Key) (bool, error) {
		if k.State == StatePendingDeletion {
			return false, stateError(k)
		}
		tags, err := checkNewTags(k.Tags, in.Tags)
		if err != nil {
			return false, err
		}
		k.Tags = tags
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.Empty{}, nil
}

// UntagResource removes tags from a key; unknown tag keys are ignored.
func (s *Service) UntagResource(ctx context.Context, c *Caller, in *kmsapi.UntagResourceRequest) (*kmsapi.Empty, error) {
	for _, tk := range in.TagKeys {
		if reservedTagKey(tk) {
			return nil, errorf(KindTag, "Tags beginning with aws: are reserved")
		}
	}
	_, err := s.updateKey(ctx, c, "UntagResource", *in.KeyId, refKeyOnly, func(k *store.Key) (bool, error) {
		if k.State == StatePendingDeletion {
			return false, stateError(k)
		}
		kept := k.Tags[:0:0]
		for _, t := range k.Tags {
			drop := false
			for _, tk := range in.TagKeys {
				if t.Key == tk {
					drop = true
					break
				}
			}
			if !drop {
				kept = append(kept, t)
			}
		}
		if len(kept) == len(k.Tags) {
			return true, nil
		}
		k.Tags = kept
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.Empty{}, nil
}

// ListResourceTags lists a key's tags. The marker is the offset of the next
// tag, as an opaque decimal string.
func (s *Service) ListResourceTags(ctx context.Context, c *Caller, in *kmsapi.ListResourceTagsRequest) (*kmsapi.ListResourceTagsResponse, error) {
	if err := checkLimit(in.Limit, 50); err != nil {
		return nil, err
	}
	limit := 50
	if in.Limit != nil {
		limit = *in.Limit
	}
	start := 0
	if in.Marker != nil {
		n, err := strconv.Atoi(*in.Marker)
		if err != nil || n < 0 {
			return nil, errorf(KindInvalidMarker, "Invalid marker: %s", *in.Marker)
		}
		start = n
	}
	k, err := s.loadKey(ctx, c, "ListResourceTags", *in.KeyId, refKeyOnly)
	if err != nil {
		return nil, err
	}
	out := &kmsapi.ListResourceTagsResponse{Tags: []kmsapi.Tag{}}
	if start > len(k.Tags) {
		return nil, errorf(KindInvalidMarker, "Invalid marker: %s", *in.Marker)
	}
	end := min(start+limit, len(k.Tags))
	for _, t := range k.Tags[start:end] {
		out.Tags = append(out.Tags, kmsapi.Tag{TagKey: &t.Key, TagValue: &t.Value})
	}
	if end < len(k.Tags) {
		out.Truncated = true
		out.NextMarker = strconv.Itoa(end)
	}
	return out, nil
}
