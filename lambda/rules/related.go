package rules

import (
	"slices"
	"strconv"
	"strings"
)

// MaxRelatedRequirements is ASFF's limit on Compliance.RelatedRequirements.
const MaxRelatedRequirements = 32

// RelatedRequirements returns r's framework mappings as ASFF
// Compliance.RelatedRequirements strings in Security Hub's formats: CIS by
// version ("CIS AWS Foundations Benchmark v5.0.0/1.13"), then NIST SP 800-53
// ("NIST.800-53.r5 AC-2(1)"), PCI DSS ("PCI DSS v4.0.1/8.4.2") and Other as
// written. Duplicates are dropped and the list is cut at 32 entries, so the
// same rule always yields the same list.
func RelatedRequirements(r *Rule) []string {
	f := r.Frameworks
	out := make([]string, 0, len(f.CIS)+len(f.NIST80053)+len(f.PCIDSS)+len(f.Other))
	add := func(s string) {
		if len(out) < MaxRelatedRequirements && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	versions := make([]string, 0, len(f.CIS))
	for v := range f.CIS {
		versions = append(versions, v)
	}
	slices.SortFunc(versions, compareVersions)
	for _, v := range versions {
		add("CIS AWS Foundations Benchmark v" + fullVersion(v) + "/" + f.CIS[v])
	}
	for _, c := range f.NIST80053 {
		add("NIST.800-53.r5 " + c)
	}
	for _, c := range f.PCIDSS {
		add("PCI DSS " + c)
	}
	for _, c := range f.Other {
		add(c)
	}
	return out
}

// fullVersion writes a CIS version as Security Hub does: "1.2" → "1.2.0".
func fullVersion(v string) string {
	if strings.Count(v, ".") >= 2 {
		return v
	}
	return v + ".0"
}

// compareVersions orders dotted versions numerically ("3.0" < "10.0").
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, errX := strconv.Atoi(as[i])
		y, errY := strconv.Atoi(bs[i])
		if errX != nil || errY != nil {
			if c := strings.Compare(as[i], bs[i]); c != 0 {
				return c
			}
			continue
		}
		if x != y {
			return x - y
		}
	}
	return len(as) - len(bs)
}
