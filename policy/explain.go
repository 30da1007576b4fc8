package policy

import (
	"fmt"
	"strings"
)

// Explain renders the result as plain text for logs, debugging and tests: the decision, what
// each policy type present contributed, every statement that applied, the near misses and the
// conditions on unknown keys. The report package has its own renderers; this is the engine's.
func (r Result) Explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "decision: %s\n", r.Decision)
	for _, t := range r.Types {
		if t.Outcome != OutcomeAbsent {
			fmt.Fprintf(&b, "  %s: %s\n", t.Type, t.Outcome)
		}
	}
	for _, x := range r.Exempt {
		fmt.Fprintf(&b, "  %s: does not apply (%s)\n", x.Type, x.Reason)
	}
	for _, l := range r.Levels {
		fmt.Fprintf(&b, "  %s level %s: %s\n", l.Type, l.Target, l.Outcome)
	}
	for _, m := range r.Matched {
		fmt.Fprintf(&b, "  applied: %s\n", m)
	}
	for _, m := range r.Misses {
		fmt.Fprintf(&b, "  near miss: %s: %s", m.Statement, m.Element)
		if m.Operator != "" {
			fmt.Fprintf(&b, " %s %s", m.Operator, m.Key)
		}
		fmt.Fprintf(&b, ": expected %s, actual %s\n", list(m.Expected), list(m.Actual))
	}
	for _, u := range r.Conditional {
		fmt.Fprintf(&b, "  depends on unknown %s: %s %s %s\n", u.Key, u.Statement, u.Operator, list(u.Values))
	}
	return strings.TrimRight(b.String(), "\n")
}

// String names a statement the way evidence quotes it: type, policy, Sid or index, line, effect.
func (s StatementRef) String() string {
	id := fmt.Sprintf("statement %d", s.Index)
	if s.Sid != "" {
		id += fmt.Sprintf(" %q", s.Sid)
	}
	if s.Line > 0 {
		id += fmt.Sprintf(" (line %d)", s.Line)
	}
	if s.Target != "" {
		return fmt.Sprintf("%s %s (attached to %s) %s %s", s.Type, s.Policy, s.Target, id, s.Effect)
	}
	return fmt.Sprintf("%s %s %s %s", s.Type, s.Policy, id, s.Effect)
}

func list(v []string) string {
	if len(v) == 0 {
		return "(absent)"
	}
	return "[" + strings.Join(v, ", ") + "]"
}
