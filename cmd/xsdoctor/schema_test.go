package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/explain"
	"github.com/xsdoctor/xsdoctor/internal/jsonschema"
)

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// reportSchema is docs/report.schema.json, compiled once.
func reportSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		data, err := os.ReadFile(filepath.Join("..", "..", "docs", "report.schema.json"))
		if err != nil {
			schemaErr = err
			return
		}
		schema, schemaErr = jsonschema.Compile(data)
	})
	if schemaErr != nil {
		t.Fatalf("docs/report.schema.json: %v", schemaErr)
	}
	return schema
}

// TestTheSchemaRejectsWhatARealReportMustNotBe takes a real report (the classic trap, with
// --live) and breaks it the ways a consumer of the JSON would be hurt by: the schema must refuse
// each, naming the place.
func TestTheSchemaRejectsWhatARealReportMustNotBe(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"demo", "--live", "-o", "json"}, nil, &stdout, &stderr); code != 1 {
		t.Fatalf("demo exit %d: %s", code, stderr.String())
	}
	s := reportSchema(t)
	if errs := s.Validate(stdout.Bytes()); len(errs) > 0 {
		t.Fatalf("the unbroken report does not validate: %v", errs)
	}
	tests := []struct {
		name   string
		mutate func(r map[string]any)
		want   string // part of a violation
	}{
		{"a misspelt top-level field", func(r map[string]any) { r["verdit"] = r["verdict"] }, `unexpected field "verdit"`},
		{"a missing verdict", func(r map[string]any) { delete(r, "verdict") }, `lacks required field "verdict"`},
		{"a wrong door state", func(r map[string]any) { doorOf(r, 0)["state"] = "shut" }, `$.doors[0].state: "shut" is not one of`},
		{"a verdict of conditional", func(r map[string]any) { r["verdict"] = "conditional" }, `$.verdict`},
		{"doors out of order", func(r map[string]any) {
			d := r["doors"].([]any)
			d[0], d[1] = d[1], d[0]
		}, `$.doors[0].door`},
		{"two doors only", func(r map[string]any) { r["doors"] = r["doors"].([]any)[:2] }, `has 2 items, want at least 3`},
		{"a misspelt finding field", func(r map[string]any) {
			f := doorOf(r, 0)["findings"].([]any)[0].(map[string]any)
			f["sumary"] = f["summary"]
			delete(f, "summary")
		}, `unexpected field "sumary"`},
		{"an unknown finding code", func(r map[string]any) {
			doorOf(r, 0)["findings"].([]any)[0].(map[string]any)["code"] = "KEY_AWS_MANGED"
		}, `$.doors[0].findings[0].code: "KEY_AWS_MANGED" is not one of`},
		{"a finding without an effect", func(r map[string]any) {
			delete(doorOf(r, 0)["findings"].([]any)[0].(map[string]any), "effect")
		}, `$.doors[0].findings[0]: lacks required field "effect"`},
		{"a wrong effect", func(r map[string]any) {
			doorOf(r, 0)["findings"].([]any)[0].(map[string]any)["effect"] = "blocks"
		}, `$.doors[0].findings[0].effect`},
		{"a fix account that is no account id", func(r map[string]any) {
			doorOf(r, 0)["findings"].([]any)[0].(map[string]any)["fix"].(map[string]any)["account"] = "owner"
		}, `$.doors[0].findings[0].fix.account: "owner" does not match`},
		{"a wrong live result", func(r map[string]any) { r["live"].(map[string]any)["result"] = "ok" }, `$.live.result`},
		{"a string for ms", func(r map[string]any) { r["calls"].([]any)[0].(map[string]any)["ms"] = "12" }, `$.calls[0].ms: is string, want integer`},
		{"a wrong schema version", func(r map[string]any) { r["schema_version"] = "2" }, `$.schema_version`},
		{"a guardrail of an unknown type", func(r map[string]any) {
			r["guardrails"] = []any{map[string]any{"type": "SCP", "id": "p-1", "target": "r-root", "read": true}}
		}, `$.guardrails[0].type`},
		{"an implicit-or-not deny", func(r map[string]any) {
			r["input"] = map[string]any{"error": map[string]any{"deny": "maybe"}}
		}, `$.input.error.deny`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r map[string]any
			dec := json.NewDecoder(bytes.NewReader(stdout.Bytes()))
			dec.UseNumber()
			if err := dec.Decode(&r); err != nil {
				t.Fatal(err)
			}
			tt.mutate(r)
			broken, _ := json.Marshal(r)
			errs := s.Validate(broken)
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, tt.want) }) {
				t.Errorf("violations %q do not include %q", errs, tt.want)
			}
		})
	}
}

func doorOf(r map[string]any, i int) map[string]any { return r["doors"].([]any)[i].(map[string]any) }

// TestTheSchemaKnowsEveryCode: the schema's enum of codes is exactly the documented codes, so a
// new code is added to both.
func TestTheSchemaKnowsEveryCode(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "report.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs struct {
			Code struct {
				Enum []string `json:"enum"`
			} `json:"code"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(slices.Values(s.Defs.Code.Enum))
	if want := explain.Codes(); !slices.Equal(got, want) {
		t.Errorf("docs/report.schema.json $defs.code.enum is\n  %v\nwant the documented codes\n  %v", got, want)
	}
}

// checkDocumentedEffects: every finding's effect is one that explain (and docs/codes.md) says
// its code can have, so the reference cannot tell a user "closes" where the report says "info".
func checkDocumentedEffects(t *testing.T, d xsdoctor.Diagnosis) {
	t.Helper()
	all := d.Findings
	for _, door := range d.Doors {
		all = append(all, door.Findings...)
	}
	for _, f := range all {
		e, ok := explain.Lookup(string(f.Code))
		if !ok {
			t.Errorf("finding %s has no entry in explain", f.Code)
			continue
		}
		if !slices.Contains(strings.Split(e.Effect, " or "), string(f.Effect)) {
			t.Errorf("finding %s has effect %q; explain documents %q", f.Code, f.Effect, e.Effect)
		}
	}
}
