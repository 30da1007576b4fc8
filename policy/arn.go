package policy

import (
	"strings"

	"github.com/xsdoctor/xsdoctor/arn"
)

// arnParts splits an ARN, or an ARN pattern, into its six colon-separated components (arn.Fields,
// the one place ARNs are split).
func arnParts(s string) ([6]string, bool) { return arn.Fields(s) }

// arnMatcher matches ARNs the way Resource and the Arn* condition operators do: "Each of the six
// colon-delimited components of the ARN is checked separately and each can include multi-character
// match wildcards (*) or single-character match wildcards (?)" (IAM User Guide, "Condition
// operators", Amazon Resource Name (ARN) condition operators). Matching is case-sensitive.
type arnMatcher struct {
	raw   string
	any   bool // "*"
	valid bool // has six components
	exact bool // no wildcard: plain comparison
	parts [6]*matcher
}

func compileARN(p string) *arnMatcher { return compileARNPattern(p, false) }

func compileARNPattern(p string, escaped bool) *arnMatcher {
	a := &arnMatcher{raw: p}
	if p == "*" {
		a.any = true
		return a
	}
	if !strings.ContainsAny(p, "*?\\") {
		a.exact, a.valid = true, true
		return a
	}
	parts, ok := arnParts(p)
	if !ok {
		return a
	}
	a.valid = true
	for i, part := range parts {
		a.parts[i] = compilePattern(part, false, escaped)
	}
	return a
}

func (a *arnMatcher) match(s string) bool {
	switch {
	case a.any:
		return true
	case !a.valid:
		return false
	case a.exact:
		return s == a.raw
	}
	parts, ok := arnParts(s)
	return ok && a.matchParts(&parts)
}

// matchSplit is match for an ARN already split (the request's resource, split once per
// evaluation).
func (a *arnMatcher) matchSplit(s string, parts *[6]string, ok bool) bool {
	switch {
	case a.any:
		return true
	case !a.valid:
		return false
	case a.exact:
		return s == a.raw
	}
	return ok && a.matchParts(parts)
}

func (a *arnMatcher) matchParts(parts *[6]string) bool {
	for i := range parts {
		if !a.parts[i].match(parts[i]) {
			return false
		}
	}
	return true
}
