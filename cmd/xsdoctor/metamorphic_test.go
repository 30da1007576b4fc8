package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/arn"
)

// TestDenyingOneInspectorReadNeverClosesAnOpenDoor is the metamorphic test of SPEC §3's rule "a
// fact that was not read can only make a door unknown (or conditional), never closed": for every
// scenario, each read the inspectors made is denied in turn (the scenario's denied_calls on
// every inspector role of its check block), and no door that is open with every fact read may
// then be closed.
func TestDenyingOneInspectorReadNeverClosesAnOpenDoor(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(scenarioDir(t), "*.json"))
	own, _ := filepath.Glob(filepath.Join("..", "..", "scenarios", "*.json"))
	files = append(files, own...)
	if len(own) == 0 {
		t.Fatal("no scenarios in the repository's scenarios/ directory")
	}
	variants := 0
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			base := demoJSON(t, raw)
			var open []xsdoctor.DoorID
			for _, d := range base.Doors {
				if d.State == xsdoctor.StateOpen {
					open = append(open, d.Door)
				}
			}
			if len(open) == 0 {
				return
			}
			var reads []string
			for _, c := range base.Calls {
				call := c.Service + ":" + c.Operation
				if c.Service != "sts" && !slices.Contains(reads, call) {
					reads = append(reads, call)
				}
			}
			for _, read := range reads {
				denied, ok := denyRead(t, raw, read)
				if !ok {
					continue
				}
				variants++
				got := demoJSON(t, denied)
				for _, d := range got.Doors {
					if slices.Contains(open, d.Door) && d.State == xsdoctor.StateClosed {
						t.Errorf("denying %s closes the %s door, which is open with every fact read: %v", read, d.Door, findingCodes(d.Findings))
					}
				}
			}
		})
	}
	if variants == 0 {
		t.Fatal("no read was denied in any scenario")
	}
	t.Logf("%d scenarios, %d single-read denials", len(files), variants)
}

// denyRead adds read to the denied_calls of every inspector role the scenario's check block
// names. ok is false when the check uses no inspector role.
func denyRead(t *testing.T, raw []byte, read string) ([]byte, bool) {
	t.Helper()
	var sc map[string]any
	if err := json.Unmarshal(raw, &sc); err != nil {
		t.Fatal(err)
	}
	check, _ := sc["check"].(map[string]any)
	accounts, _ := sc["accounts"].(map[string]any)
	ok := false
	for _, k := range []string{"owner_role", "consumer_role", "key_role"} {
		s, _ := check[k].(string)
		a, err := arn.Parse(s)
		if err != nil {
			continue
		}
		acct, _ := accounts[a.Account].(map[string]any)
		roles, _ := acct["roles"].(map[string]any)
		role, _ := roles[a.RoleName()].(map[string]any)
		if role == nil {
			continue
		}
		calls, _ := role["denied_calls"].([]any)
		role["denied_calls"] = append(calls, read)
		ok = true
	}
	out, err := json.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	return out, ok
}

// demoJSON runs "demo --scenario F -o json" on the scenario text and returns the report.
func demoJSON(t *testing.T, scenario []byte) xsdoctor.Diagnosis {
	t.Helper()
	file := filepath.Join(t.TempDir(), "scenario.json")
	if err := os.WriteFile(file, scenario, 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"demo", "--scenario", file, "-o", "json"}, nil, &stdout, &stderr)
	var d xsdoctor.Diagnosis
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		t.Fatalf("exit %d, no JSON report: %v\n%s", code, err, stderr.String())
	}
	return d
}

func findingCodes(fs []xsdoctor.Finding) []xsdoctor.Code {
	var out []xsdoctor.Code
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}
