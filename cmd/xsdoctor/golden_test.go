package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.golden from the current output")

// goldenScenarios are the scenarios whose whole text and markdown reports are kept as golden
// files: the built-in trap, a closed secret policy, an unreadable key policy (unknown), a grant
// that opens the key door, a consumer statement naming a KMS alias, and a precondition (a secret
// scheduled for deletion).
var goldenScenarios = []string{
	"", // the built-in classic trap
	"secret-has-no-resource-policy",
	"inspector-denied-get-key-policy",
	"kms-grant-to-consumer-role-opens-key-door",
	"consumer-kms-statement-names-alias-arn",
	"secret-is-scheduled-for-deletion",
}

// TestReportsOfScenariosMatchTheGoldenFiles renders real diagnoses — the whole pipeline, probe
// through door to report, against the emulator — as text and markdown and compares them with
// testdata/golden. After an intended change to a report, finding or fix, run
//
//	go test ./cmd/xsdoctor -run TestReportsOfScenarios -update
//
// and review the diff.
func TestReportsOfScenariosMatchTheGoldenFiles(t *testing.T) {
	dir := scenarioDir(t)
	for _, name := range goldenScenarios {
		label := name
		args := []string{"demo"}
		if name == "" {
			label = "classic-trap"
		} else {
			args = append(args, "--scenario", filepath.Join(dir, name+".json"))
		}
		t.Run(label, func(t *testing.T) {
			for _, format := range []string{"text", "markdown"} {
				var stdout, stderr bytes.Buffer
				run(context.Background(), append(args, "-o", format), nil, &stdout, &stderr)
				if stdout.Len() == 0 {
					t.Fatalf("%s: no report; stderr:\n%s", format, stderr.String())
				}
				ext := map[string]string{"text": ".txt", "markdown": ".md"}[format]
				path := filepath.Join("testdata", "golden", label+ext+".golden")
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, stdout.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (go test ./cmd/xsdoctor -run TestReportsOfScenarios -update creates it)", err)
				}
				if diff := cmp.Diff(string(want), stdout.String()); diff != "" {
					t.Errorf("%s differs (-want +got); if the change is intended, run go test ./cmd/xsdoctor -run TestReportsOfScenarios -update:\n%s", path, diff)
				}
			}
		})
	}
}
