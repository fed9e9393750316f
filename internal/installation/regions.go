package installation

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// regionRE is the shape of an AWS region name (us-east-1, eu-central-2,
// us-gov-west-1, ...).
var regionRE = regexp.MustCompile(`^[a-z]{2,}(-[a-z]+)+-\d+$`)

// maxRegionLen bounds a region name a signature may name under Any.
const maxRegionLen = 32

// Regions is the set of regions a server serves: a list, or any region a
// request is signed for (the flag's "*"). The zero value serves none and
// is only a starting point.
type Regions struct {
	any  bool
	list []string // sorted, no duplicates; nil when any
}

// AnyRegion is the set "*".
var AnyRegion = Regions{any: true}

// ParseRegions reads the --region syntax, which is also how the set is
// stored: "*", or a comma-separated list of region names (spaces around
// names are ignored; duplicates and order do not matter).
func ParseRegions(s string) (Regions, error) {
	if strings.TrimSpace(s) == "*" {
		return AnyRegion, nil
	}
	var r Regions
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if len(name) > maxRegionLen || !regionRE.MatchString(name) {
			return Regions{}, fmt.Errorf("invalid region %q in %q: want names like us-east-1, separated by commas, or *", clipString(name), clipString(s))
		}
		r.list = append(r.list, name)
	}
	slices.Sort(r.list)
	r.list = slices.Compact(r.list)
	return r, nil
}

func clipString(s string) string { return clip([]byte(s)) }

// Of returns the set of the given region names, which must be valid.
func Of(names ...string) Regions {
	r := Regions{list: slices.Clone(names)}
	slices.Sort(r.list)
	r.list = slices.Compact(r.list)
	return r
}

// Any reports whether the set is "*".
func (r Regions) Any() bool { return r.any }

// List returns the regions of a list (nil for "*"), sorted.
func (r Regions) List() []string { return slices.Clone(r.list) }

// String returns the canonical form, which ParseRegions reads back: "*",
// or the sorted list joined by commas.
func (r Regions) String() string {
	if r.any {
		return "*"
	}
	return strings.Join(r.list, ",")
}

// First returns a region of the set to show in examples: DefaultRegion
// when the set serves it, else the first of the list.
func (r Regions) First() string {
	if r.any || len(r.list) == 0 || r.Contains(DefaultRegion) {
		return DefaultRegion
	}
	return r.list[0]
}

// Allow returns the predicate SigV4 verification asks whether a request's
// region is served. It is safe for concurrent use and does not allocate.
func (r Regions) Allow() func(string) bool {
	if r.any {
		return func(name string) bool { return len(name) <= maxRegionLen && regionRE.MatchString(name) }
	}
	set := make(map[string]bool, len(r.list))
	for _, name := range r.list {
		set[name] = true
	}
	return func(name string) bool { return set[name] }
}

// Contains reports whether the set serves region.
func (r Regions) Contains(region string) bool {
	if r.any {
		return regionRE.MatchString(region)
	}
	_, ok := slices.BinarySearch(r.list, region)
	return ok
}

// union returns r with names added.
func (r Regions) union(names []string) Regions {
	if r.any {
		return r
	}
	return Of(append(slices.Clone(r.list), names...)...)
}

// minus returns the names of a that b does not serve.
func minus(a []string, b Regions) []string {
	var out []string
	for _, name := range a {
		if !b.Contains(name) {
			out = append(out, name)
		}
	}
	return out
}

// DefaultRegion is what a start serves when neither --region was given
// nor regions were recorded (the previous releases' default).
const DefaultRegion = "us-east-1"

// Decision is what a start serves and records, and what changed.
type Decision struct {
	// Serve is the set the node serves and the installation records.
	Serve Regions
	// Added and Dropped compare Serve with the recorded set (both nil
	// when nothing was recorded). A list that becomes "*" has Added
	// ["*"]; "*" that becomes a list has Dropped ["*"].
	Added, Dropped []string
	// Adopted are regions that hold keys or aliases in a database that
	// recorded no regions (an earlier release's) and that the given
	// regions lacked: they are served all the same, so that no key
	// becomes unreachable through an upgrade.
	Adopted []string
}

// Changed reports whether Serve differs from the recorded set.
func (d Decision) Changed(recorded string) bool { return d.Serve.String() != recorded }

// DropError is Decide's refusal: the given --region leaves out regions
// that hold keys or aliases.
type DropError struct {
	Given    Regions
	Recorded string // the recorded set
	InUse    []string
	Missing  []string // regions of InUse that Given does not serve
}

func (e *DropError) Error() string {
	keep := e.Given.union(e.Missing)
	return fmt.Sprintf("--region %s would stop serving %s, which %s keys or aliases: they would become unreachable. "+
		"Start with --region %s (the regions given plus those that hold keys), or without --region to serve the recorded regions (%s). "+
		"A region can be dropped only once it holds no keys or aliases (schedule their deletion, wait for it, and start again)",
		e.Given, strings.Join(e.Missing, ", "), pluralHold(len(e.Missing)), keep, e.Recorded)
}

func pluralHold(n int) string {
	if n == 1 {
		return "holds"
	}
	return "hold"
}

// Decide compares a start's regions with the installation's.
//
//   - recorded is the stored set (store.Installation.Regions): "" when
//     none was recorded (a database of an earlier release).
//   - given is the --region flag's set, explicit whether the flag (or
//     TRENT_REGION) was set at all.
//   - inUse are the regions that hold keys or aliases.
//
// The rules (README, Regions):
//
//   - Without --region, the recorded set is served (us-east-1 on a first
//     start).
//   - With --region, the given set is served and recorded: regions it adds
//     are added, recorded regions it leaves out are dropped if they hold
//     no key or alias. If it leaves out a region that does, Decide returns
//     a *DropError and the start must be refused. "*" serves any region,
//     and a later list must name every region that holds keys or aliases.
//   - Nothing recorded (an upgrade): the given set (us-east-1 without
//     --region) plus the regions that hold keys or aliases, which are
//     adopted rather than refused.
//
// Decide returns an error for a recorded value that does not parse.
func Decide(recorded string, given Regions, explicit bool, inUse []string) (Decision, error) {
	if !explicit {
		given = Of(DefaultRegion)
	}
	if recorded == "" {
		d := Decision{Serve: given.union(inUse)}
		if !given.any {
			d.Adopted = minus(inUse, given)
		}
		return d, nil
	}
	rec, err := ParseRegions(recorded)
	if err != nil {
		return Decision{}, fmt.Errorf("the recorded regions: %w", err)
	}
	if !explicit {
		// The recorded set holds every region in use (each start checks
		// it); union keeps that true even for a database edited by hand.
		d := Decision{Serve: rec.union(inUse)}
		d.Adopted = minus(inUse, rec)
		return d, nil
	}
	if missing := minus(inUse, given); len(missing) > 0 {
		return Decision{}, &DropError{Given: given, Recorded: recorded, InUse: inUse, Missing: missing}
	}
	d := Decision{Serve: given}
	switch {
	case rec.any && given.any:
	case given.any:
		d.Added = []string{"*"}
	case rec.any:
		d.Dropped = []string{"*"}
	default:
		d.Added, d.Dropped = minus(given.list, rec), minus(rec.list, given)
	}
	return d, nil
}
