// Package jsonschema validates JSON documents against the subset of JSON Schema (draft 2020-12)
// that docs/report.schema.json uses. It exists so that a test can hold every report xsdoctor
// prints to the published schema without a new dependency.
//
// Supported keywords: type, properties, required, additionalProperties (boolean or schema),
// items, prefixItems, minItems, maxItems, enum, const, pattern, minLength, minimum, anyOf, $ref
// (to "#/$defs/NAME") and the annotations $schema, $id, $comment, title, description, examples,
// $defs. Any other keyword is an error when the schema is compiled: a schema must never rely on
// a rule this validator would silently skip.
package jsonschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Schema is a compiled schema.
type Schema struct {
	root map[string]any
	defs map[string]any
	res  map[string]*regexp.Regexp
}

var annotations = map[string]bool{"$schema": true, "$id": true, "$comment": true, "title": true, "description": true, "examples": true, "$defs": true}

var keywords = map[string]bool{"type": true, "properties": true, "required": true, "additionalProperties": true,
	"items": true, "prefixItems": true, "minItems": true, "maxItems": true, "enum": true, "const": true,
	"pattern": true, "minLength": true, "minimum": true, "anyOf": true, "$ref": true}

// Compile parses a schema and checks that it uses only the supported keywords.
func Compile(data []byte) (*Schema, error) {
	var root map[string]any
	if err := decode(data, &root); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	s := &Schema{root: root, res: map[string]*regexp.Regexp{}}
	if d, ok := root["$defs"].(map[string]any); ok {
		s.defs = d
	}
	if err := s.check(root, "#"); err != nil {
		return nil, err
	}
	return s, nil
}

func decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// check walks a schema node: every keyword known, every pattern compiles, every $ref resolves.
func (s *Schema) check(node map[string]any, at string) error {
	for k, v := range node {
		if annotations[k] {
			continue
		}
		if !keywords[k] {
			return fmt.Errorf("schema %s: unsupported keyword %q", at, k)
		}
		switch k {
		case "properties":
			props, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("schema %s: properties is not an object", at)
			}
			for name, p := range props {
				if err := s.checkSub(p, at+"/properties/"+name); err != nil {
					return err
				}
			}
		case "items", "additionalProperties":
			if _, isBool := v.(bool); isBool && k == "additionalProperties" {
				continue
			}
			if err := s.checkSub(v, at+"/"+k); err != nil {
				return err
			}
		case "prefixItems", "anyOf":
			list, ok := v.([]any)
			if !ok {
				return fmt.Errorf("schema %s: %s is not an array", at, k)
			}
			for i, p := range list {
				if err := s.checkSub(p, fmt.Sprintf("%s/%s/%d", at, k, i)); err != nil {
					return err
				}
			}
		case "pattern":
			str, _ := v.(string)
			re, err := regexp.Compile(str)
			if err != nil {
				return fmt.Errorf("schema %s: pattern: %w", at, err)
			}
			s.res[str] = re
		case "$ref":
			if _, err := s.resolve(v); err != nil {
				return fmt.Errorf("schema %s: %w", at, err)
			}
		}
	}
	if at == "#" {
		for name, d := range s.defs {
			if err := s.checkSub(d, "#/$defs/"+name); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Schema) checkSub(v any, at string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("schema %s: not a schema object", at)
	}
	return s.check(m, at)
}

func (s *Schema) resolve(ref any) (map[string]any, error) {
	str, _ := ref.(string)
	name, ok := strings.CutPrefix(str, "#/$defs/")
	if !ok {
		return nil, fmt.Errorf("$ref %q: only #/$defs/NAME is supported", str)
	}
	d, ok := s.defs[name].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %q: no such definition", str)
	}
	return d, nil
}

// Validate checks a JSON document and returns every violation, each with its JSON path
// ("$.doors[0].state"), sorted; none means the document is valid.
func (s *Schema) Validate(data []byte) []string {
	var doc any
	if err := decode(data, &doc); err != nil {
		return []string{"$: not JSON: " + err.Error()}
	}
	var errs []string
	s.validate(s.root, doc, "$", &errs)
	sort.Strings(errs)
	return errs
}

func (s *Schema) validate(sch map[string]any, v any, path string, errs *[]string) {
	fail := func(format string, args ...any) { *errs = append(*errs, path+": "+fmt.Sprintf(format, args...)) }
	if ref, ok := sch["$ref"]; ok {
		d, err := s.resolve(ref)
		if err != nil {
			fail("%v", err)
			return
		}
		s.validate(d, v, path, errs)
	}
	if t, ok := sch["type"]; ok && !typeMatches(t, v) {
		fail("is %s, want %v", typeOf(v), t)
		return
	}
	if e, ok := sch["enum"].([]any); ok {
		found := false
		for _, x := range e {
			if equal(x, v) {
				found = true
			}
		}
		if !found {
			fail("%s is not one of %s", show(v), show(e))
		}
	}
	if c, ok := sch["const"]; ok && !equal(c, v) {
		fail("%s, want %s", show(v), show(c))
	}
	if alts, ok := sch["anyOf"].([]any); ok {
		matched := false
		for _, sub := range alts {
			var subErrs []string
			s.validate(sub.(map[string]any), v, path, &subErrs)
			if len(subErrs) == 0 {
				matched = true
				break
			}
		}
		if !matched {
			fail("matches none of the %d alternatives", len(alts))
		}
	}
	switch x := v.(type) {
	case string:
		if p, ok := sch["pattern"].(string); ok && !s.res[p].MatchString(x) {
			fail("%s does not match %s", show(x), p)
		}
		if n, ok := number(sch["minLength"]); ok && float64(len([]rune(x))) < n {
			fail("is shorter than %v", n)
		}
	case json.Number:
		if n, ok := number(sch["minimum"]); ok {
			if f, _ := x.Float64(); f < n {
				fail("%s is less than %v", x, n)
			}
		}
	case []any:
		if n, ok := number(sch["minItems"]); ok && float64(len(x)) < n {
			fail("has %d items, want at least %v", len(x), n)
		}
		if n, ok := number(sch["maxItems"]); ok && float64(len(x)) > n {
			fail("has %d items, want at most %v", len(x), n)
		}
		prefix, _ := sch["prefixItems"].([]any)
		for i, item := range x {
			p := path + "[" + strconv.Itoa(i) + "]"
			if i < len(prefix) {
				s.validate(prefix[i].(map[string]any), item, p, errs)
			} else if it, ok := sch["items"].(map[string]any); ok {
				s.validate(it, item, p, errs)
			}
		}
	case map[string]any:
		props, _ := sch["properties"].(map[string]any)
		if req, ok := sch["required"].([]any); ok {
			for _, r := range req {
				if _, ok := x[r.(string)]; !ok {
					fail("lacks required field %q", r)
				}
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := path + "." + k
			if ps, ok := props[k].(map[string]any); ok {
				s.validate(ps, x[k], p, errs)
				continue
			}
			switch ap := sch["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("unexpected field %q", k)
				}
			case map[string]any:
				s.validate(ap, x[k], p, errs)
			}
		}
	}
}

func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

func typeOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func typeMatches(t, v any) bool {
	var types []string
	switch x := t.(type) {
	case string:
		types = []string{x}
	case []any:
		for _, e := range x {
			s, _ := e.(string)
			types = append(types, s)
		}
	}
	got := typeOf(v)
	for _, want := range types {
		if want == got || want == "number" && got == "integer" {
			return true
		}
	}
	return false
}

func equal(a, b any) bool {
	if na, ok := a.(json.Number); ok {
		if nb, ok := b.(json.Number); ok {
			fa, _ := na.Float64()
			fb, _ := nb.Float64()
			return fa == fb
		}
		return false
	}
	return reflect.DeepEqual(a, b)
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
