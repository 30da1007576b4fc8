package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
)

// Document is a parsed policy document. The exported fields are the policy as written (lists
// always as lists); the compiled form used by Evaluate is kept alongside, built once by Parse.
// Build documents with Parse (to change one, Marshal it, edit the JSON and Parse again): a
// Document assembled by hand has no compiled form and matches nothing. A parsed Document is
// read-only and safe to share between goroutines.
type Document struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one statement of a Document.
type Statement struct {
	Sid    string
	Effect string // "Allow" or "Deny"
	Index  int    // 1-based position in the Statement list
	Line   int    // line of the statement's opening brace in the parsed text, 1-based
	Text   string // the statement's JSON as written, for quoting in evidence and fixes

	Principal    *Principals // nil when the element is absent
	NotPrincipal *Principals
	Action       []string // Action, as written (nil when NotAction is used)
	NotAction    []string
	Resource     []string // Resource, as written (nil when NotResource is used or both absent)
	NotResource  []string
	Conditions   []Condition // sorted by operator, then key

	deny      bool // Effect is "Deny"
	actions   []*matcher
	resources []*valueMatcher
	principal []principalEntry // compiled Principal or NotPrincipal
}

// Principals is the value of a Principal or NotPrincipal element.
type Principals struct {
	Wildcard      bool // "Principal": "*"
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// Versions AWS accepts. Policy variables are only interpreted in 2012-10-17 documents; in
// 2008-10-17 (the default when Version is absent) "${…}" is literal text (IAM User Guide,
// "IAM JSON policy elements: Version" and "Policy variables").
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// SyntaxError is a malformed policy document: where (byte offset into the parsed JSON text,
// 1-based line and column) and what.
type SyntaxError struct {
	Offset int64
	Line   int
	Column int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("policy document line %d column %d (offset %d): %s", e.Line, e.Column, e.Offset, e.Msg)
}

// ErrTooLarge is wrapped by the error ParseLimit returns for a document past its size limit.
var ErrTooLarge = errors.New("policy document exceeds the AWS size limit")

// Parse parses a policy document as AWS returns it: JSON text, or URL-encoded JSON text (decoded
// only when the text does not start with '{'), as IAM's GetPolicyVersion/GetRolePolicy return it.
func Parse(text string) (*Document, error) { return ParseLimit(text, 0) }

// ParseLimit is Parse with a size limit in bytes (MaxKeyPolicyBytes, MaxSecretPolicyBytes); 0
// means none. The limit applies to the JSON text after URL decoding.
func ParseLimit(text string, limit int) (*Document, error) { return parse(text, limit, false) }

func parse(text string, limit int, trust bool) (*Document, error) {
	src := text
	trimmed := strings.TrimLeft(text, " \t\r\n\ufeff")
	if trimmed == "" {
		return nil, &SyntaxError{Line: 1, Column: 1, Msg: "empty policy document (hint: a policy is a JSON object {\"Version\":…,\"Statement\":[…]})"}
	}
	if trimmed[0] != '{' {
		// IAM encodes documents per RFC 3986, where '+' is a plus, not a space: PathUnescape
		// (QueryUnescape would turn a literal '+' in a condition value into a space).
		dec, err := url.PathUnescape(strings.TrimSpace(text))
		if err != nil {
			return nil, &SyntaxError{Line: 1, Column: 1, Msg: fmt.Sprintf("not JSON and not URL-encoded JSON: %v", err)}
		}
		src = dec
	}
	src = strings.TrimPrefix(src, "\ufeff")
	if limit > 0 && len(src) > limit {
		return nil, fmt.Errorf("%w: %d bytes, limit %d (KMS key policies: 32 KB; Secrets Manager resource policies: 20 KB)", ErrTooLarge, len(src), limit)
	}
	p := parser{src: src, trust: trust}
	return p.document()
}

// ParseTrust parses a role's trust policy (the resource-based policy of an IAM role), as
// Parse does. Its statements carry no Resource element: the resource is the role itself (IAM
// User Guide, "AWS JSON policy elements: Resource": in a role trust policy the Resource element
// is not used), so a statement without one applies to the role.
func ParseTrust(text string) (*Document, error) { return parse(text, 0, true) }

type parser struct {
	src   string
	dec   *json.Decoder
	trust bool // a role trust policy: statements need no Resource
}

func (p *parser) errAt(off int64, format string, args ...any) *SyntaxError {
	if off < 0 {
		off = 0
	}
	if off > int64(len(p.src)) {
		off = int64(len(p.src))
	}
	before := p.src[:off]
	line := strings.Count(before, "\n") + 1
	col := int(off) - strings.LastIndexByte(before, '\n')
	return &SyntaxError{Offset: off, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// jsonErr turns an encoding/json error into a SyntaxError with its position.
func (p *parser) jsonErr(base int64, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return p.errAt(base+se.Offset, "invalid JSON: %v", se)
	case errors.As(err, &te):
		return p.errAt(base+te.Offset, "invalid JSON: %v", te)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return p.errAt(int64(len(p.src)), "unexpected end of policy document")
	}
	return p.errAt(p.dec.InputOffset(), "invalid JSON: %v", err)
}

func (p *parser) document() (*Document, error) {
	p.dec = json.NewDecoder(strings.NewReader(p.src))
	p.dec.UseNumber()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.jsonErr(0, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, p.errAt(0, "policy document must be a JSON object")
	}
	doc := &Document{}
	var raws []rawStatement
	seenStatement := false
	for p.dec.More() {
		keyOff := p.dec.InputOffset()
		tok, err := p.dec.Token()
		if err != nil {
			return nil, p.jsonErr(0, err)
		}
		key, _ := tok.(string)
		switch key {
		case "Version":
			if err := p.decodeString(&doc.Version, "Version"); err != nil {
				return nil, err
			}
		case "Id":
			if err := p.decodeString(&doc.ID, "Id"); err != nil {
				return nil, err
			}
		case "Statement":
			seenStatement = true
			raws, err = p.statements()
			if err != nil {
				return nil, err
			}
		default:
			return nil, p.errAt(p.skipSpace(keyOff), "unknown top-level element %q (hint: a policy has Version, Id and Statement; element names are case-sensitive)", key)
		}
	}
	if _, err := p.dec.Token(); err != nil { // closing '}'
		return nil, p.jsonErr(0, err)
	}
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, p.errAt(p.dec.InputOffset(), "unexpected data after the policy document")
	}
	switch doc.Version {
	case Version2012, Version2008, "":
	default:
		return nil, p.errAt(0, "unsupported Version %q (hint: use \"2012-10-17\")", doc.Version)
	}
	if !seenStatement {
		return nil, p.errAt(0, "policy document has no Statement element")
	}
	vars := doc.Version == Version2012
	for i, raw := range raws {
		st, err := p.statement(raw, i+1, vars)
		if err != nil {
			return nil, err
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc, nil
}

func (p *parser) decodeString(dst *string, name string) error {
	off := p.skipSpace(p.dec.InputOffset())
	var v any
	if err := p.dec.Decode(&v); err != nil {
		return p.jsonErr(0, err)
	}
	s, ok := v.(string)
	if !ok {
		return p.errAt(off, "%s must be a string", name)
	}
	*dst = s
	return nil
}

// skipSpace moves off past whitespace, ':' and ',' to the next JSON value.
func (p *parser) skipSpace(off int64) int64 {
	for off < int64(len(p.src)) {
		switch p.src[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

type rawStatement struct {
	off int64
	raw json.RawMessage
}

// statements reads the Statement value: one object or an array of objects.
func (p *parser) statements() ([]rawStatement, error) {
	off := p.skipSpace(p.dec.InputOffset())
	if off < int64(len(p.src)) && p.src[off] == '[' {
		if _, err := p.dec.Token(); err != nil {
			return nil, p.jsonErr(0, err)
		}
		var out []rawStatement
		for p.dec.More() {
			st := p.skipSpace(p.dec.InputOffset())
			var raw json.RawMessage
			if err := p.dec.Decode(&raw); err != nil {
				return nil, p.jsonErr(0, err)
			}
			out = append(out, rawStatement{st, raw})
		}
		if _, err := p.dec.Token(); err != nil {
			return nil, p.jsonErr(0, err)
		}
		return out, nil
	}
	var raw json.RawMessage
	if err := p.dec.Decode(&raw); err != nil {
		return nil, p.jsonErr(0, err)
	}
	return []rawStatement{{off, raw}}, nil
}

func (p *parser) statement(rs rawStatement, index int, vars bool) (Statement, error) {
	st := Statement{Index: index, Text: string(rs.raw)}
	st.Line = strings.Count(p.src[:rs.off], "\n") + 1
	// at is where an element's name appears in the statement, so that an error points at the
	// element (its line) rather than at the statement's opening brace.
	element := ""
	at := func() int64 {
		if element != "" {
			if i := bytes.Index(rs.raw, []byte(`"`+element+`"`)); i >= 0 {
				return rs.off + int64(i)
			}
		}
		return rs.off
	}
	fail := func(format string, args ...any) (Statement, error) {
		e := p.errAt(at(), format, args...)
		e.Msg = fmt.Sprintf("statement %d: %s", index, e.Msg)
		return Statement{}, e
	}
	if len(rs.raw) == 0 || rs.raw[0] != '{' {
		return fail("a statement must be a JSON object")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(rs.raw, &fields); err != nil {
		return Statement{}, p.jsonErr(rs.off, err)
	}
	var err error
	for name, raw := range fields {
		element = name
		switch name {
		case "Sid":
			if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &st.Sid) != nil {
				return fail("Sid must be a string")
			}
		case "Effect":
			var s string
			_ = json.Unmarshal(raw, &s)
			if s != "Allow" && s != "Deny" {
				return fail("Effect must be \"Allow\" or \"Deny\", got %s", raw)
			}
			st.Effect = s
		case "Principal", "NotPrincipal":
			pr, err := parsePrincipals(raw)
			if err != nil {
				return fail("%s: %v", name, err)
			}
			if name == "Principal" {
				st.Principal = pr
			} else {
				st.NotPrincipal = pr
			}
		case "Action", "NotAction", "Resource", "NotResource":
			list, err := stringOrList(raw)
			if err != nil {
				return fail("%s: %v", name, err)
			}
			if len(list) == 0 {
				return fail("%s must not be empty", name)
			}
			switch name {
			case "Action":
				st.Action = list
			case "NotAction":
				st.NotAction = list
			case "Resource":
				st.Resource = list
			case "NotResource":
				st.NotResource = list
			}
		case "Condition":
			st.Conditions, err = parseConditions(raw, vars)
			if err != nil {
				return fail("Condition: %v", err)
			}
		default:
			return fail("unknown element %q (element names are case-sensitive)", name)
		}
	}
	element = ""
	switch {
	case st.Effect == "":
		return fail("missing Effect")
	case st.Action == nil && st.NotAction == nil:
		return fail("missing Action or NotAction")
	case st.Action != nil && st.NotAction != nil:
		return fail("Action and NotAction cannot both be present")
	case st.Resource != nil && st.NotResource != nil:
		return fail("Resource and NotResource cannot both be present")
	case st.Principal != nil && st.NotPrincipal != nil:
		return fail("Principal and NotPrincipal cannot both be present")
	case st.Resource == nil && st.NotResource == nil && !p.trust:
		return fail("missing Resource or NotResource")
	}
	st.compile(vars)
	if st.Resource == nil && st.NotResource == nil {
		st.resources = []*valueMatcher{compileValue("*", opArn, false)} // the role itself
	}
	return st, nil
}

func unmarshalNumber(raw json.RawMessage, v *any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// stringOrList accepts a string or a list of strings (IAM accepts both for Action, Resource and
// the Principal map values).
func stringOrList(raw json.RawMessage) ([]string, error) {
	// Fast paths for the usual shapes; anything else goes through the general decoding, which
	// also words the error.
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return []string{s}, nil
		}
	}
	if len(raw) > 0 && raw[0] == '[' {
		var list []string
		if !bytes.Contains(raw, []byte("null")) && json.Unmarshal(raw, &list) == nil && list != nil {
			return list, nil
		}
	}
	var v any
	if err := unmarshalNumber(raw, &v); err != nil {
		return nil, err
	}
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("list elements must be strings, got %v", e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("must be a string or a list of strings")
}

func parsePrincipals(raw json.RawMessage) (*Principals, error) {
	var v any
	if err := unmarshalNumber(raw, &v); err != nil {
		return nil, err
	}
	switch t := v.(type) {
	case string:
		if t != "*" {
			return nil, fmt.Errorf("a string principal must be \"*\"; name principals as {\"AWS\": %q}", t)
		}
		return &Principals{Wildcard: true}, nil
	case map[string]any:
		pr := &Principals{}
		if len(t) == 0 {
			return nil, fmt.Errorf("empty principal map")
		}
		for k := range t {
			b, _ := json.Marshal(t[k])
			list, err := stringOrList(b)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", k, err)
			}
			if len(list) == 0 {
				return nil, fmt.Errorf("%s must not be empty", k)
			}
			switch k {
			case "AWS":
				pr.AWS = list
			case "Service":
				pr.Service = list
			case "Federated":
				pr.Federated = list
			case "CanonicalUser":
				pr.CanonicalUser = list
			default:
				return nil, fmt.Errorf("unknown principal type %q (AWS, Service, Federated or CanonicalUser)", k)
			}
		}
		return pr, nil
	}
	return nil, fmt.Errorf("must be \"*\" or a map such as {\"AWS\": …}")
}

// compile precompiles the statement's matchers: lower-cased action patterns, resource ARN
// matchers (or templates when they hold policy variables) and principal entries.
func (st *Statement) compile(vars bool) {
	st.deny = st.Effect == "Deny"
	acts := st.Action
	if acts == nil {
		acts = st.NotAction
	}
	st.actions = make([]*matcher, len(acts))
	for i, a := range acts {
		st.actions[i] = compileWildcard(a, true)
	}
	res := st.Resource
	if res == nil {
		res = st.NotResource
	}
	st.resources = make([]*valueMatcher, len(res))
	for i, r := range res {
		st.resources[i] = compileValue(r, opArn, vars)
	}
	pr := st.Principal
	if pr == nil {
		pr = st.NotPrincipal
	}
	st.principal = compilePrincipals(pr)
}

// sortConditions orders conditions by operator, then key, so evaluation and evidence are
// deterministic whatever the JSON object order was.
func sortConditions(cs []Condition) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Operator != cs[j].Operator {
			return cs[i].Operator < cs[j].Operator
		}
		return cs[i].Key < cs[j].Key
	})
}
