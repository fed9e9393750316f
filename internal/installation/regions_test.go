package installation

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRegions(t *testing.T) {
	tests := []struct {
		in, want string // want "" for an error
	}{
		{"us-east-1", "us-east-1"},
		{"eu-west-1, us-east-1,eu-west-1", "eu-west-1,us-east-1"},
		{" * ", "*"},
		{"us-gov-west-1", "us-gov-west-1"},
		{"", ""},
		{"us-east-1,", ""},
		{"*,us-east-1", ""},
		{"US-EAST-1", ""},
		{"us-east", ""},
		{"us-east-1;eu-west-1", ""},
		{"a" + strings.Repeat("-b", 20) + "-1", ""},
	}
	for _, tt := range tests {
		r, err := ParseRegions(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseRegions(%q) = %v, want an error", tt.in, r)
			}
			continue
		}
		if err != nil || r.String() != tt.want {
			t.Errorf("ParseRegions(%q) = %q, %v; want %q", tt.in, r, err, tt.want)
		}
	}
}

func TestAllow(t *testing.T) {
	list := Of("us-east-1", "eu-west-1").Allow()
	any := AnyRegion.Allow()
	for _, tt := range []struct {
		region        string
		inList, inAny bool
	}{
		{"us-east-1", true, true},
		{"eu-west-1", true, true},
		{"ap-south-1", false, true},
		{"not a region", false, false},
		{"", false, false},
	} {
		if got := list(tt.region); got != tt.inList {
			t.Errorf("list allows %q = %v, want %v", tt.region, got, tt.inList)
		}
		if got := any(tt.region); got != tt.inAny {
			t.Errorf("* allows %q = %v, want %v", tt.region, got, tt.inAny)
		}
	}
}

func TestDecide(t *testing.T) {
	usEU := Of("us-east-1", "eu-west-1")
	tests := []struct {
		name     string
		recorded string
		given    Regions
		explicit bool
		inUse    []string
		want     Decision
		missing  []string // a DropError naming these
	}{
		{name: "first start, no flag", want: Decision{Serve: Of("us-east-1")}},
		{name: "first start, flag", given: usEU, explicit: true, want: Decision{Serve: usEU}},
		{name: "first start, *", given: AnyRegion, explicit: true, want: Decision{Serve: AnyRegion}},
		{name: "upgrade adopts regions with keys", given: Of("us-east-1"), explicit: true, inUse: []string{"eu-west-1", "us-east-1"},
			want: Decision{Serve: usEU, Adopted: []string{"eu-west-1"}}},
		{name: "upgrade without flag adopts and keeps the old default", inUse: []string{"eu-west-1"},
			want: Decision{Serve: usEU, Adopted: []string{"eu-west-1"}}},
		{name: "upgrade with *", given: AnyRegion, explicit: true, inUse: []string{"eu-west-1"}, want: Decision{Serve: AnyRegion}},
		{name: "restart without flag serves the recorded", recorded: "eu-west-1,us-east-1", inUse: []string{"eu-west-1"},
			want: Decision{Serve: usEU}},
		{name: "restart without flag, recorded *", recorded: "*", inUse: []string{"ap-south-1"}, want: Decision{Serve: AnyRegion}},
		{name: "same flag", recorded: "eu-west-1,us-east-1", given: usEU, explicit: true, inUse: []string{"eu-west-1"}, want: Decision{Serve: usEU}},
		{name: "extend", recorded: "eu-west-1,us-east-1", given: Of("us-east-1", "eu-west-1", "ap-south-1"), explicit: true,
			want: Decision{Serve: Of("us-east-1", "eu-west-1", "ap-south-1"), Added: []string{"ap-south-1"}}},
		{name: "drop an empty region", recorded: "eu-west-1,us-east-1", given: Of("us-east-1"), explicit: true, inUse: []string{"us-east-1"},
			want: Decision{Serve: Of("us-east-1"), Dropped: []string{"eu-west-1"}}},
		{name: "refuse to drop a region with keys", recorded: "eu-west-1,us-east-1", given: Of("us-east-1"), explicit: true,
			inUse: []string{"eu-west-1", "us-east-1"}, missing: []string{"eu-west-1"}},
		{name: "replace, refused for both", recorded: "eu-west-1,us-east-1", given: Of("ap-south-1"), explicit: true,
			inUse: []string{"eu-west-1", "us-east-1"}, missing: []string{"eu-west-1", "us-east-1"}},
		{name: "list to *", recorded: "us-east-1", given: AnyRegion, explicit: true, inUse: []string{"us-east-1"},
			want: Decision{Serve: AnyRegion, Added: []string{"*"}}},
		{name: "* to a list that holds every region in use", recorded: "*", given: usEU, explicit: true, inUse: []string{"eu-west-1"},
			want: Decision{Serve: usEU, Dropped: []string{"*"}}},
		{name: "* to a list that leaves one out", recorded: "*", given: usEU, explicit: true, inUse: []string{"ap-south-1", "eu-west-1"},
			missing: []string{"ap-south-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decide(tt.recorded, tt.given, tt.explicit, tt.inUse)
			if tt.missing != nil {
				var de *DropError
				if !errors.As(err, &de) {
					t.Fatalf("Decide = %+v, %v; want a DropError", got, err)
				}
				if diff := cmp.Diff(tt.missing, de.Missing); diff != "" {
					t.Errorf("DropError.Missing (-want +got):\n%s", diff)
				}
				for _, r := range tt.missing {
					if !strings.Contains(err.Error(), r) {
						t.Errorf("message does not name %s: %v", r, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b Regions) bool { return a.String() == b.String() })); diff != "" {
				t.Errorf("Decide (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecideRecordedInvalid(t *testing.T) {
	if _, err := Decide("us-east-1,,", Of("us-east-1"), true, nil); err == nil {
		t.Fatal("Decide accepted an unparsable recorded set")
	}
}

func TestDropErrorMessage(t *testing.T) {
	_, err := Decide("eu-west-1,us-east-1", Of("us-east-1"), true, []string{"eu-west-1"})
	want := "--region us-east-1 would stop serving eu-west-1, which holds keys or aliases: they would become unreachable. " +
		"Start with --region eu-west-1,us-east-1 (the regions given plus those that hold keys), or without --region to serve the recorded regions (eu-west-1,us-east-1)."
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error = %v\nwant prefix %s", err, want)
	}
}

func FuzzParseRegions(f *testing.F) {
	for _, s := range []string{"us-east-1", "*", "eu-west-1, us-east-1", "", ",", "us-gov-west-1,us-east-1,us-east-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRegions(s)
		if err != nil {
			return
		}
		back, err := ParseRegions(r.String())
		if err != nil || back.String() != r.String() {
			t.Fatalf("round trip of %q: %q -> %q, %v", s, r, back, err)
		}
		for _, name := range r.List() {
			if !r.Allow()(name) || !r.Contains(name) {
				t.Fatalf("%q does not allow its own region %q", r, name)
			}
		}
	})
}
