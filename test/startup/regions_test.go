package startup_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"

	"github.com/trentkms/trent/test/harness"
)

// regionLine checks the region line the server printed.
func regionLine(t *testing.T, s *harness.Server, want string) {
	t.Helper()
	if !slices.Contains(strings.Split(s.Stdout(), "\n"), "trent: region "+want) {
		t.Errorf("stdout lacks %q:\n%s", "trent: region "+want, s.Stdout())
	}
}

// served reports whether the server accepts requests signed for region.
func served(t *testing.T, s *harness.Server, region string) bool {
	t.Helper()
	_, err := s.KMS(t, region).ListKeys(t.Context(), &kms.ListKeysInput{})
	var ae smithy.APIError
	switch {
	case err == nil:
		return true
	case errors.As(err, &ae) && ae.ErrorCode() == "InvalidSignatureException" && strings.Contains(ae.ErrorMessage(), "valid region"):
		return false
	}
	t.Fatalf("ListKeys in %s: %v", region, err)
	return false
}

// TestRegionsRemembered: the regions of the first start are recorded; a
// start without --region serves them; --region extends them, drops a
// region that holds nothing, and is refused when it would drop a region
// that holds keys; "*" is recorded as such.
func TestRegionsRemembered(t *testing.T) {
	t.Parallel()
	s := harness.Start(t, harness.Options{AccountID: account, Regions: []string{"us-east-1", "eu-west-1"}})
	dir := s.DataDir
	regionLine(t, s, "eu-west-1,us-east-1")
	eu := createKey(t, s.KMS(t, "eu-west-1"))
	s.Stop(t)

	start := func(opts harness.Options) *harness.Server {
		t.Helper()
		opts.DataDir = dir
		return harness.Start(t, opts)
	}
	stop := func(s *harness.Server) { t.Helper(); s.Stop(t) }

	t.Run("no --region serves the recorded regions", func(t *testing.T) {
		s := start(harness.Options{OmitRegion: true})
		defer stop(s)
		regionLine(t, s, "eu-west-1,us-east-1")
		describe(t, s.KMS(t, "eu-west-1"), eu)
	})
	t.Run("dropping a region with keys is refused", func(t *testing.T) {
		refused(t, harness.Options{DataDir: dir, Regions: []string{"us-east-1"}},
			"--region us-east-1 would stop serving eu-west-1, which holds keys or aliases",
			"Start with --region eu-west-1,us-east-1", "Nothing was written")
		s := start(harness.Options{OmitRegion: true}) // the recorded set is unchanged
		defer stop(s)
		regionLine(t, s, "eu-west-1,us-east-1")
	})
	t.Run("--region extends the set", func(t *testing.T) {
		s := start(harness.Options{Regions: []string{"us-east-1", "eu-west-1", "ap-south-1"}})
		if !strings.Contains(s.Stderr(), "added=ap-south-1") || !served(t, s, "ap-south-1") {
			t.Errorf("ap-south-1 not added; log:\n%s", s.Stderr())
		}
		stop(s)
		s = start(harness.Options{OmitRegion: true})
		defer stop(s)
		regionLine(t, s, "ap-south-1,eu-west-1,us-east-1")
		if !served(t, s, "ap-south-1") {
			t.Errorf("a start without --region does not serve the added ap-south-1")
		}
	})
	t.Run("dropping an empty region is allowed and logged", func(t *testing.T) {
		s := start(harness.Options{Regions: []string{"us-east-1", "eu-west-1"}})
		if !strings.Contains(s.Stderr(), "dropped=ap-south-1") {
			t.Errorf("the log does not say ap-south-1 was dropped:\n%s", s.Stderr())
		}
		if served(t, s, "ap-south-1") {
			t.Errorf("the dropped ap-south-1 is still served")
		}
		stop(s)
		s = start(harness.Options{OmitRegion: true})
		defer stop(s)
		regionLine(t, s, "eu-west-1,us-east-1")
	})
	t.Run("* is recorded, and a list must name every region in use", func(t *testing.T) {
		s := start(harness.Options{Regions: []string{"*"}})
		regionLine(t, s, "*")
		ap := createKey(t, s.KMS(t, "ap-northeast-1"))
		stop(s)
		s = start(harness.Options{OmitRegion: true})
		regionLine(t, s, "*")
		describe(t, s.KMS(t, "ap-northeast-1"), ap)
		stop(s)
		refused(t, harness.Options{DataDir: dir, Regions: []string{"us-east-1", "eu-west-1"}},
			"would stop serving ap-northeast-1, which holds keys", "Start with --region ap-northeast-1,eu-west-1,us-east-1")
		s = start(harness.Options{Regions: []string{"us-east-1", "eu-west-1", "ap-northeast-1"}})
		defer stop(s)
		regionLine(t, s, "ap-northeast-1,eu-west-1,us-east-1")
		if served(t, s, "ap-south-1") {
			t.Errorf("a list after * still serves any region")
		}
	})
}
