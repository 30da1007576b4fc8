package jsonschema

import (
	"slices"
	"strings"
	"testing"
)

const person = `{
  "type": "object",
  "required": ["name", "state"],
  "additionalProperties": false,
  "properties": {
    "name": {"type": "string", "minLength": 1},
    "state": {"$ref": "#/$defs/state"},
    "age": {"type": "integer", "minimum": 0},
    "id": {"type": "string", "pattern": "^[0-9]{12}$"},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
    "pair": {"type": "array", "minItems": 2, "prefixItems": [{"const": "a"}, {"const": "b"}]},
    "either": {"anyOf": [{"type": "boolean"}, {"enum": ["yes", "no"]}]},
    "extra": {"type": "object", "additionalProperties": {"type": "number"}}
  },
  "$defs": {"state": {"enum": ["open", "closed"]}}
}`

func TestValidateFindsEachViolationByPath(t *testing.T) {
	s, err := Compile([]byte(person))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		doc  string
		want string // "" for valid
	}{
		{"a valid document", `{"name":"x","state":"open","age":3,"id":"111111111111","tags":["a"],"pair":["a","b"],"either":"yes","extra":{"k":1.5}}`, ""},
		{"a misspelt field", `{"name":"x","state":"open","nmae":"y"}`, `$: unexpected field "nmae"`},
		{"a missing field", `{"name":"x"}`, `$: lacks required field "state"`},
		{"a state outside the enum, through $ref", `{"name":"x","state":"shut"}`, `$.state: "shut" is not one of ["open","closed"]`},
		{"a wrong type", `{"name":3,"state":"open"}`, `$.name: is integer, want string`},
		{"a float for an integer", `{"name":"x","state":"open","age":1.5}`, `$.age: is number, want integer`},
		{"below the minimum", `{"name":"x","state":"open","age":-1}`, `$.age: -1 is less than 0`},
		{"an empty string", `{"name":"","state":"open"}`, `$.name: is shorter than 1`},
		{"a pattern", `{"name":"x","state":"open","id":"12"}`, `$.id: "12" does not match`},
		{"an item of the wrong type", `{"name":"x","state":"open","tags":["a",1]}`, `$.tags[1]: is integer, want string`},
		{"too many items", `{"name":"x","state":"open","tags":["a","b","c"]}`, `$.tags: has 3 items, want at most 2`},
		{"a prefix item", `{"name":"x","state":"open","pair":["b","a"]}`, `$.pair[0]: "b", want "a"`},
		{"too few items", `{"name":"x","state":"open","pair":["a"]}`, `$.pair: has 1 items, want at least 2`},
		{"no alternative", `{"name":"x","state":"open","either":"maybe"}`, `$.either: matches none of the 2 alternatives`},
		{"a schema for additional properties", `{"name":"x","state":"open","extra":{"k":"v"}}`, `$.extra.k: is string, want number`},
		{"not JSON", `{"name":`, `$: not JSON`},
		{"two documents", `{} {}`, `$: not JSON`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := s.Validate([]byte(tt.doc))
			if tt.want == "" {
				if len(errs) > 0 {
					t.Errorf("valid document rejected: %v", errs)
				}
				return
			}
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.HasPrefix(e, tt.want) }) {
				t.Errorf("violations %q do not include %q", errs, tt.want)
			}
		})
	}
}

func TestCompileRefusesWhatItWouldNotCheck(t *testing.T) {
	for _, schema := range []string{
		`{"type": "object", "patternProperties": {}}`,
		`{"properties": {"a": {"format": "date-time"}}}`,
		`{"$ref": "#/$defs/missing"}`,
		`{"$ref": "other.json#/x"}`,
		`{"pattern": "("}`,
		`{"items": true}`,
		`not json`,
	} {
		if _, err := Compile([]byte(schema)); err == nil {
			t.Errorf("Compile(%s) accepted it", schema)
		}
	}
}
