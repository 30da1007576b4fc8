package policy

import "strings"

// tmplPiece is literal text or a policy variable (IAM User Guide, "IAM policy elements: Variables
// and tags"): ${key} or ${key, 'default'}; ${*}, ${?} and ${$} stand for the literal characters.
type tmplPiece struct {
	text    string // literal text (escape already applied)
	key     string // variable key, lower-case; "" for literal text
	def     string
	hasDef  bool
	special bool // text came from ${*} ${?} ${$}: never a wildcard
}

// parseTemplate returns nil when v holds no variable or escape.
func parseTemplate(v string) []tmplPiece {
	if !strings.Contains(v, "${") {
		return nil
	}
	var out []tmplPiece
	found := false
	for {
		i := strings.Index(v, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(v[i:], '}')
		if j < 0 {
			break
		}
		inner := v[i+2 : i+j]
		if i > 0 {
			out = append(out, tmplPiece{text: v[:i]})
		}
		switch inner {
		case "*", "?", "$":
			out = append(out, tmplPiece{text: inner, special: true})
		default:
			p := tmplPiece{}
			if k := strings.IndexByte(inner, ','); k >= 0 {
				def := strings.TrimSpace(inner[k+1:])
				if len(def) >= 2 && def[0] == '\'' && def[len(def)-1] == '\'' {
					p.def, p.hasDef = def[1:len(def)-1], true
				}
				inner = inner[:k]
			}
			p.key = strings.ToLower(strings.TrimSpace(inner))
			out = append(out, p)
		}
		found = true
		v = v[i+j+1:]
	}
	if !found {
		return nil
	}
	if v != "" {
		out = append(out, tmplPiece{text: v})
	}
	return out
}

// resolve substitutes the request's values. For wildcard operators the substituted text is
// escaped, so only the policy's own '*' and '?' are wildcards. ok is false when a variable has no
// single value in the request and no default: the value then matches nothing.
func (vm *valueMatcher) resolve(e *evaluation, escape bool) (string, bool) {
	var b strings.Builder
	lit := func(s string) {
		if !escape {
			b.WriteString(s)
			return
		}
		for i := 0; i < len(s); i++ {
			if s[i] == '*' || s[i] == '?' || s[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[i])
		}
	}
	for _, p := range vm.tmpl {
		switch {
		case p.special:
			lit(p.text)
		case p.key == "":
			if escape {
				b.WriteString(strings.ReplaceAll(p.text, "\\", "\\\\"))
			} else {
				b.WriteString(p.text)
			}
		default:
			vals, present := e.lookup(p.key)
			switch {
			case present && len(vals) == 1:
				lit(vals[0])
			case p.hasDef:
				lit(p.def)
			default:
				return "", false
			}
		}
	}
	return b.String(), true
}

func (vm *valueMatcher) matchTemplate(e *evaluation, s string) bool {
	wild := vm.op != opStringEquals && vm.op != opStringEqualsIgnoreCase
	v, ok := vm.resolve(e, wild)
	switch {
	case !ok:
		e.unresolved = true
		return false
	case vm.op == opStringEquals:
		return s == v
	case vm.op == opStringEqualsIgnoreCase:
		return strings.EqualFold(s, v)
	case vm.op == opStringLike:
		return vm.compiled(v).like.match(s)
	}
	return vm.compiled(v).arn.match(s) // ARN forms
}

// display is the value as the request resolved it, for evidence.
func (vm *valueMatcher) display(e *evaluation) string {
	if vm.tmpl == nil {
		return vm.raw
	}
	v, ok := vm.resolve(e, false)
	if !ok {
		return vm.raw
	}
	if v != vm.raw {
		return vm.raw + " (= " + v + ")"
	}
	return v
}

// resolvedPattern is a templated value compiled for one resolution.
type resolvedPattern struct {
	text string
	like *matcher
	arn  *arnMatcher
}

// compiled returns the matcher for the resolved text v, reusing the last one compiled when the
// variables resolved the same way (the usual case: the same principal asks again). The cache is
// one atomic pointer, so concurrent evaluations stay safe.
func (vm *valueMatcher) compiled(v string) *resolvedPattern {
	if rp := vm.last.Load(); rp != nil && rp.text == v {
		return rp
	}
	rp := &resolvedPattern{text: v}
	if vm.op == opStringLike {
		rp.like = compilePattern(v, false, true)
	} else {
		rp.arn = compileARNPattern(v, true)
	}
	vm.last.Store(rp)
	return rp
}
