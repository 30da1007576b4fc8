package awsemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// decoder decodes a scenario strictly by hand rather than with json.Unmarshal, so that a wrong
// type is reported by its JSON path (accounts.111111111111.keys.<id>.policy: …) and every
// problem is reported at once, and so that unknown fields become warnings instead of being
// silently dropped (SPEC §6: "unknown fields are ignored with a warning").
type decoder struct {
	errs  []string
	warns []string
}

var policyDocType = reflect.TypeOf(PolicyDoc{})

func (d *decoder) fail(path, format string, args ...any) {
	d.errs = append(d.errs, pathPrefix(path)+fmt.Sprintf(format, args...))
}

func pathPrefix(path string) string {
	if path == "" {
		return "(top level): "
	}
	return path + ": "
}

func (d *decoder) decodeRoot(data []byte, s *Scenario) {
	if off := checkDepth(data, maxDepth); off >= 0 {
		line := bytes.Count(data[:off], []byte("\n")) + 1
		d.fail("", "nested deeper than %d levels at line %d (byte %d); no scenario nests that deep", maxDepth, line, off)
		return
	}
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		d.fail("", "not valid JSON: %v", err)
		return
	}
	d.decode("", data, reflect.ValueOf(s).Elem())
}

// jsonKind names the JSON type of raw for messages.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d *decoder) decode(path string, raw json.RawMessage, v reflect.Value) {
	kind := jsonKind(raw)
	if kind == "null" {
		return // absent: the default applies
	}
	if v.Type() == policyDocType {
		d.decodePolicy(path, raw, v.Addr().Interface().(*PolicyDoc))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.decode(path, raw, elem.Elem())
		v.Set(elem)
	case reflect.String:
		var s string
		if kind != "string" || json.Unmarshal(raw, &s) != nil {
			d.fail(path, "want a string, got %s", kind)
			return
		}
		v.SetString(s)
	case reflect.Bool:
		if kind != "boolean" {
			d.fail(path, "want true or false, got %s", kind)
			return
		}
		v.SetBool(bytes.Equal(bytes.TrimSpace(raw), []byte("true")))
	case reflect.Int:
		n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
		if kind != "number" || err != nil {
			d.fail(path, "want an integer, got %s", kind)
			return
		}
		v.SetInt(n)
	case reflect.Slice:
		var items []json.RawMessage
		if kind != "array" || json.Unmarshal(raw, &items) != nil {
			d.fail(path, "want an array, got %s", kind)
			return
		}
		out := reflect.MakeSlice(v.Type(), len(items), len(items))
		for i, item := range items {
			d.decode(fmt.Sprintf("%s[%d]", path, i), item, out.Index(i))
		}
		v.Set(out)
	case reflect.Map:
		fields, ok := d.object(path, raw, kind)
		if !ok {
			return
		}
		out := reflect.MakeMapWithSize(v.Type(), len(fields))
		for _, k := range slices.Sorted(maps.Keys(fields)) {
			elem := reflect.New(v.Type().Elem()).Elem()
			d.decode(join(path, k), fields[k], elem)
			out.SetMapIndex(reflect.ValueOf(k), elem)
		}
		v.Set(out)
	case reflect.Struct:
		fields, ok := d.object(path, raw, kind)
		if !ok {
			return
		}
		known := map[string]bool{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" || !t.Field(i).IsExported() {
				continue
			}
			known[name] = true
			if fraw, ok := fields[name]; ok {
				d.decode(join(path, name), fraw, v.Field(i))
			}
		}
		for _, k := range slices.Sorted(maps.Keys(fields)) {
			if !known[k] {
				d.warns = append(d.warns, join(path, k)+": unknown field, ignored")
			}
		}
	default:
		panic("awsemu: scenario field of unsupported kind " + v.Kind().String())
	}
}

func (d *decoder) object(path string, raw json.RawMessage, kind string) (map[string]json.RawMessage, bool) {
	var fields map[string]json.RawMessage
	if kind != "object" || json.Unmarshal(raw, &fields) != nil {
		d.fail(path, "want an object, got %s", kind)
		return nil, false
	}
	return fields, true
}

// decodePolicy keeps a policy document's text, re-indented so that statement line numbers in
// MatchedStatements refer to the text GetKeyPolicy and friends return, and its compact form, whose
// size AWS limits. Parsing happens in the builder, which knows the size limit that applies.
// String values are kept exactly as written, escapes included: policy text may hold any JSON
// string, control characters too, as AWS's may.
func (d *decoder) decodePolicy(path string, raw json.RawMessage, doc *PolicyDoc) {
	if kind := jsonKind(raw); kind != "object" {
		d.fail(path, "want a policy document (a JSON object), got %s", kind)
		return
	}
	var compact, indented bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		d.fail(path, "policy document: %v", err)
		return
	}
	if err := json.Indent(&indented, compact.Bytes(), "", "  "); err != nil {
		d.fail(path, "policy document: %v", err)
		return
	}
	doc.Text, doc.compact = indented.Bytes(), compact.Bytes()
}

// maxDepth bounds how deeply a scenario file may nest arrays and objects. A scenario nests about
// a dozen levels (a condition value inside a policy inside a key inside an account); the bound is
// checked by one linear scan before anything is decoded, so a hostile file fails at once instead
// of making every later step work on each level.
const maxDepth = 64

// checkDepth returns the offset at which data first nests deeper than limit, or -1.
func checkDepth(data []byte, limit int) int {
	depth, inString, escaped := 0, false, false
	for i, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > limit {
				return i
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return -1
}
