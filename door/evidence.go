package door

import (
	"fmt"
	"sort"
	"strings"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/policy"
)

// real reports whether a statement reference points at a policy that was read, not at one of
// the stand-ins that let a door be judged on its own.
func fromRead(ref policy.StatementRef) bool {
	return ref.Policy != assumedIdentity && ref.Policy != assumedResource
}

// refEvidence turns a statement reference into evidence.
func (c *check) refEvidence(ref policy.StatementRef, note string) xsdoctor.Evidence {
	src := c.sources[ref.Policy]
	if src == "" {
		src = string(ref.Type) + " policy " + ref.Policy
	}
	return xsdoctor.Evidence{
		Source: src, Policy: ref.Policy, Sid: ref.Sid, Index: ref.Index, Effect: ref.Effect, Note: note,
	}
}

// rawEvidence turns a raw statement into evidence.
func (c *check) rawEvidence(policyName string, s rawStatement, note string) xsdoctor.Evidence {
	return c.refEvidence(policy.StatementRef{Policy: policyName, Sid: s.Sid, Index: s.Index, Effect: s.Effect}, note)
}

// matched returns evidence for the statements of the given types with effect that applied.
func (c *check) matched(res policy.Result, effect string, types ...policy.PolicyType) []xsdoctor.Evidence {
	var out []xsdoctor.Evidence
	for _, m := range res.Matched {
		if !fromRead(m) || !strings.EqualFold(m.Effect, effect) || !hasType(types, m.Type) {
			continue
		}
		note := ""
		if m.Type == policy.TypeGrant {
			note = "grant allows the operation"
		}
		out = append(out, c.refEvidence(m, note))
	}
	return sortEvidence(out)
}

// misses returns the near misses on the given policy types (statements that name the principal
// and action but failed on a condition or resource) as evidence with expected and actual values.
func (c *check) misses(res policy.Result, elements []string, types ...policy.PolicyType) []xsdoctor.Evidence {
	var out []xsdoctor.Evidence
	for _, m := range res.Misses {
		if !fromRead(m.Statement) || !hasType(types, m.Statement.Type) || !hasElement(elements, m.Element) {
			continue
		}
		ev := c.refEvidence(m.Statement, "")
		switch m.Element {
		case "Condition":
			ev.Condition = strings.TrimSpace(m.Operator + " " + m.Key)
		case "Principal", "NotPrincipal":
			ev.Condition = m.Element
			ev.Note = "the statement would apply but names other principals"
		case "Action", "NotAction":
			ev.Condition = m.Element
			ev.Note = "the statement names the consumer but not this action"
		default:
			ev.Condition = m.Element
		}
		ev.Expected = strings.Join(m.Expected, ", ")
		ev.Actual = strings.Join(m.Actual, ", ")
		if len(m.Actual) == 0 {
			ev.Actual = "(absent from the request)"
		}
		out = append(out, ev)
	}
	return sortEvidence(out)
}

// conditional describes the conditions an open-in-the-best-case door depends on.
func (c *check) conditional(res policy.Result) (keys []string, ev []xsdoctor.Evidence) {
	seen := map[string]bool{}
	for _, u := range res.Conditional {
		if !fromRead(u.Statement) {
			continue
		}
		if !seen[u.Key] {
			seen[u.Key] = true
			keys = append(keys, u.Key)
		}
		e := c.refEvidence(u.Statement, "")
		e.Condition = strings.TrimSpace(u.Operator + " " + u.Key)
		e.Expected = strings.Join(u.Values, ", ")
		e.Actual = "(unknown offline)"
		if strings.EqualFold(u.Statement.Effect, "Deny") {
			e.Note = "this Deny must not apply: the request must not satisfy the condition"
		} else {
			e.Note = "this Allow needs the condition to hold"
		}
		ev = append(ev, e)
	}
	sort.Strings(keys)
	return keys, sortEvidence(ev)
}

// conditionalFinding is DOOR_CONDITIONAL for a door whose answer depends on unknown context.
func (c *check) conditionalFinding(door string, res policy.Result) *xsdoctor.Finding {
	keys, ev := c.conditional(res)
	if len(keys) == 0 {
		return nil
	}
	return &xsdoctor.Finding{
		Code:   xsdoctor.DoorConditional,
		Effect: xsdoctor.EffectConditional,
		Summary: fmt.Sprintf("%s opens for %s only if the request satisfies conditions on %s, which cannot be known offline",
			door, c.principal(), strings.Join(keys, ", ")),
		Detail:   "Check the values the workload really sends (for example the VPC endpoint it calls through) against the expected values below.",
		Evidence: ev,
	}
}

// Elements of a Miss, grouped by what they mean for a finding.
var (
	conditionMiss = []string{"Condition"}
	otherMiss     = []string{"Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource"}
)

func hasElement(elements []string, e string) bool {
	for _, x := range elements {
		if x == e {
			return true
		}
	}
	return false
}

func hasType(types []policy.PolicyType, t policy.PolicyType) bool {
	if len(types) == 0 {
		return true
	}
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}

// sortEvidence orders evidence by source, index, condition: deterministic output.
func sortEvidence(ev []xsdoctor.Evidence) []xsdoctor.Evidence {
	sort.SliceStable(ev, func(i, j int) bool {
		a, b := ev[i], ev[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Index != b.Index {
			return a.Index < b.Index
		}
		return a.Condition < b.Condition
	})
	return ev
}

// principal names the consumer in summaries: the principal as given, or its role.
func (c *check) principal() string { return first(c.f.Input.ConsumerArg, c.roleARN) }
