package policy

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Condition is one operator/key pair of a statement's Condition block, with its values. Values
// within a condition are OR'ed; conditions of a statement are AND'ed (IAM User Guide, "Condition
// element", evaluation logic for conditions with multiple keys or values).
type Condition struct {
	Operator string   // as written, e.g. "ForAnyValue:StringLike"
	Key      string   // as written, e.g. "aws:PrincipalOrgID"
	Values   []string // numbers and booleans in their JSON text form

	set      setOp
	base     baseOp
	ifExists bool
	keyLower string
	vals     []*valueMatcher
}

type setOp uint8

const (
	setNone setOp = iota
	setAny        // ForAnyValue:
	setAll        // ForAllValues:
)

type baseOp uint8

const (
	opStringEquals baseOp = iota
	opStringNotEquals
	opStringEqualsIgnoreCase
	opStringNotEqualsIgnoreCase
	opStringLike
	opStringNotLike
	opNumericEquals
	opNumericNotEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateNotEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opNotIPAddress
	opArnEquals
	opArnLike
	opArnNotEquals
	opArnNotLike
	opNull
	opArn // Resource element: ARN matching with wildcards
)

var baseOps = map[string]baseOp{
	"stringequals": opStringEquals, "stringnotequals": opStringNotEquals,
	"stringequalsignorecase": opStringEqualsIgnoreCase, "stringnotequalsignorecase": opStringNotEqualsIgnoreCase,
	"stringlike": opStringLike, "stringnotlike": opStringNotLike,
	"numericequals": opNumericEquals, "numericnotequals": opNumericNotEquals,
	"numericlessthan": opNumericLessThan, "numericlessthanequals": opNumericLessThanEquals,
	"numericgreaterthan": opNumericGreaterThan, "numericgreaterthanequals": opNumericGreaterThanEquals,
	"dateequals": opDateEquals, "datenotequals": opDateNotEquals,
	"datelessthan": opDateLessThan, "datelessthanequals": opDateLessThanEquals,
	"dategreaterthan": opDateGreaterThan, "dategreaterthanequals": opDateGreaterThanEquals,
	"bool": opBool, "binaryequals": opBinaryEquals,
	"ipaddress": opIPAddress, "notipaddress": opNotIPAddress,
	"arnequals": opArnEquals, "arnlike": opArnLike, "arnnotequals": opArnNotEquals, "arnnotlike": opArnNotLike,
	"null": opNull,
}

// negated operators match when the key is absent: "If the policy condition requires that the key
// is not matched, such as StringNotLike or ArnNotLike, and the right key is not present, the
// condition is true" (IAM User Guide, "Condition operators").
func (b baseOp) negated() bool {
	switch b {
	case opStringNotEquals, opStringNotEqualsIgnoreCase, opStringNotLike, opNumericNotEquals,
		opDateNotEquals, opNotIPAddress, opArnNotEquals, opArnNotLike:
		return true
	}
	return false
}

// positive is the operator a negated one negates; the value comparison is done with it.
func (b baseOp) positive() baseOp {
	switch b {
	case opStringNotEquals:
		return opStringEquals
	case opStringNotEqualsIgnoreCase:
		return opStringEqualsIgnoreCase
	case opStringNotLike:
		return opStringLike
	case opNumericNotEquals:
		return opNumericEquals
	case opDateNotEquals:
		return opDateEquals
	case opNotIPAddress:
		return opIPAddress
	case opArnNotEquals:
		return opArnEquals
	case opArnNotLike:
		return opArnLike
	}
	return b
}

func parseOperator(op string) (set setOp, base baseOp, ifExists bool, err error) {
	name := strings.ToLower(op)
	switch {
	case strings.HasPrefix(name, "foranyvalue:"):
		set, name = setAny, name[len("foranyvalue:"):]
	case strings.HasPrefix(name, "forallvalues:"):
		set, name = setAll, name[len("forallvalues:"):]
	}
	if strings.HasSuffix(name, "ifexists") {
		ifExists, name = true, strings.TrimSuffix(name, "ifexists")
	}
	b, ok := baseOps[name]
	if !ok || (b == opNull && (ifExists || set != setNone)) {
		return 0, 0, false, fmt.Errorf("unknown condition operator %q", op)
	}
	return set, b, ifExists, nil
}

func parseConditions(raw json.RawMessage, vars bool) ([]Condition, error) {
	var block map[string]json.RawMessage
	if err := json.Unmarshal(raw, &block); err != nil {
		return nil, fmt.Errorf("must be a map of operator to {key: value}: %v", err)
	}
	var out []Condition
	for op, keysRaw := range block {
		set, base, ifExists, err := parseOperator(op)
		if err != nil {
			return nil, err
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(keysRaw, &keys); err != nil {
			return nil, fmt.Errorf("%s must map condition keys to values: %v", op, err)
		}
		for key, valRaw := range keys {
			vals, err := conditionValues(valRaw)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %v", op, key, err)
			}
			c := Condition{Operator: op, Key: key, Values: vals}
			c.set, c.base, c.ifExists, c.keyLower = set, base, ifExists, strings.ToLower(key)
			c.compile(vars)
			out = append(out, c)
		}
	}
	sortConditions(out)
	return out, nil
}

// conditionValues accepts a string, number or boolean, or a list of them.
func conditionValues(raw json.RawMessage) ([]string, error) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return []string{s}, nil
		}
	}
	var v any
	if err := unmarshalNumber(raw, &v); err != nil {
		return nil, err
	}
	one := func(e any) (string, error) {
		switch t := e.(type) {
		case string:
			return t, nil
		case json.Number:
			return t.String(), nil
		case bool:
			return strconv.FormatBool(t), nil
		}
		return "", fmt.Errorf("values must be strings, numbers or booleans, got %v", e)
	}
	if list, ok := v.([]any); ok {
		out := make([]string, 0, len(list))
		for _, e := range list {
			s, err := one(e)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("empty value list")
		}
		return out, nil
	}
	s, err := one(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func (c *Condition) compile(vars bool) {
	c.vals = make([]*valueMatcher, len(c.Values))
	for i, v := range c.Values {
		c.vals[i] = compileValue(v, c.base.positive(), vars)
	}
}

// valueMatcher is one policy value compiled for its operator: a wildcard or ARN matcher, a
// number, a time or a network prefix. A value with policy variables keeps its template and is
// resolved against the request at evaluation time.
type valueMatcher struct {
	raw  string
	op   baseOp
	tmpl []tmplPiece // non-nil when the value holds policy variables or escapes
	last atomic.Pointer[resolvedPattern]
	like *matcher
	arn  *arnMatcher
	num  float64
	tm   time.Time
	pfx  netip.Prefix
	ok   bool // the value parsed for its operator (numbers, dates, IPs, booleans)
}

func compileValue(v string, op baseOp, vars bool) *valueMatcher {
	vm := &valueMatcher{raw: v, op: op, ok: true}
	if vars && (op == opArn || op == opStringEquals || op == opStringEqualsIgnoreCase || op == opStringLike || op == opArnEquals || op == opArnLike) {
		vm.tmpl = parseTemplate(v)
	}
	if vm.tmpl != nil {
		return vm
	}
	switch op {
	case opStringLike:
		vm.like = compileWildcard(v, false)
	case opArn, opArnEquals, opArnLike:
		vm.arn = compileARN(v)
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		f, err := strconv.ParseFloat(v, 64)
		vm.num, vm.ok = f, err == nil
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		vm.tm, vm.ok = parseDate(v)
	case opIPAddress:
		vm.pfx, vm.ok = parsePrefix(v)
	case opBool:
		vm.ok = strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
	}
	return vm
}

// parseDate accepts the forms IAM documents for date conditions: ISO 8601 (with or without
// time, zone or fractional seconds) and epoch seconds.
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02T15:04Z07:00", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	return time.Time{}, false
}

func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// matchValue compares one request value with this policy value (for a negated operator, with
// its positive form; the caller negates).
func (vm *valueMatcher) matchValue(e *evaluation, s string) bool {
	if vm.tmpl != nil {
		return vm.matchTemplate(e, s)
	}
	if !vm.ok {
		return false
	}
	switch vm.op {
	case opStringEquals:
		return s == vm.raw
	case opStringEqualsIgnoreCase:
		return strings.EqualFold(s, vm.raw)
	case opStringLike:
		return vm.like.match(s)
	case opArn, opArnEquals, opArnLike:
		return vm.arn.match(s)
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return false
		}
		switch vm.op {
		case opNumericEquals:
			return f == vm.num
		case opNumericLessThan:
			return f < vm.num
		case opNumericLessThanEquals:
			return f <= vm.num
		case opNumericGreaterThan:
			return f > vm.num
		default:
			return f >= vm.num
		}
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(s)
		if !ok {
			return false
		}
		switch vm.op {
		case opDateEquals:
			return t.Equal(vm.tm)
		case opDateLessThan:
			return t.Before(vm.tm)
		case opDateLessThanEquals:
			return !t.After(vm.tm)
		case opDateGreaterThan:
			return t.After(vm.tm)
		default:
			return !t.Before(vm.tm)
		}
	case opBool:
		return strings.EqualFold(s, vm.raw)
	case opBinaryEquals:
		return s == vm.raw
	case opIPAddress:
		a, err := netip.ParseAddr(s)
		if err != nil {
			return false
		}
		return vm.pfx.Contains(a.Unmap())
	}
	return false
}

// tri is a condition outcome that may be unknown.
type tri uint8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

// eval decides the condition against the request. A policy variable that cannot be resolved
// makes the condition fail whatever the operator: "any attempt to match it fails and causes the
// statement to be invalid" (IAM User Guide, "Policy variables", principal key values).
func (c *Condition) eval(e *evaluation) tri {
	was := e.unresolved
	e.unresolved = false
	r := c.evalValues(e)
	if e.unresolved {
		r = triFalse
	}
	e.unresolved = was
	return r
}

func (c *Condition) evalValues(e *evaluation) tri {
	if e.isUnknown(c.keyLower) {
		return triUnknown
	}
	vals, present := e.lookup(c.keyLower)
	if c.base == opNull {
		// Null: "true" means the key must be absent, "false" that it must be present.
		for _, v := range c.Values {
			if strings.EqualFold(v, "true") != present {
				return triTrue
			}
		}
		return triFalse
	}
	neg := c.base.negated()
	anyMatch := func(s string) bool {
		for _, vm := range c.vals {
			if vm.matchValue(e, s) {
				return true
			}
		}
		return false
	}
	switch c.set {
	case setAny:
		// ForAnyValue: true if at least one request value satisfies the operator; false for a
		// missing or empty set (IAM User Guide, "Single-valued vs. multivalued condition keys").
		if !present || len(vals) == 0 {
			return boolTri(c.ifExists && !present)
		}
		for _, s := range vals {
			if anyMatch(s) != neg {
				return triTrue
			}
		}
		return triFalse
	case setAll:
		// ForAllValues: true if every request value satisfies it, and true for a missing or
		// empty set.
		for _, s := range vals {
			if anyMatch(s) == neg {
				return triFalse
			}
		}
		return triTrue
	}
	if !present {
		return boolTri(c.ifExists || neg)
	}
	for _, s := range vals {
		if anyMatch(s) {
			return boolTri(!neg)
		}
	}
	return boolTri(neg)
}

func boolTri(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// expected lists the condition's values as the request resolves them, for evidence.
func (c *Condition) expected(e *evaluation) []string {
	out := make([]string, len(c.vals))
	for i, vm := range c.vals {
		out[i] = vm.display(e)
	}
	return out
}

// keysOf returns the sorted keys of a string map (deterministic output helper).
func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
