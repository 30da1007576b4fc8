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

// fromErrorGoldens are whole reports that open with the error: the AWS CLI's real text for a
// secret without a resource policy (the error and the doors agree), and an RCP's explicit deny
// logged by a Python Lambda while every readable door is open (the error points elsewhere).
var fromErrorGoldens = []struct{ label, scenario, errorFile string }{
	{"from-error-agrees", "secret-has-no-resource-policy", filepath.Join(realCorpus, "real-aws-cli-resource-policy.txtar")},
	{"from-error-points-elsewhere", "account-root-principals-open-all-three-doors", ""},
}

// TestFromErrorReportsMatchTheGoldenFiles: the opening of a --from-error report, text and markdown
// (go test ./cmd/xsdoctor -run TestFromErrorReports -update rewrites them).
func TestFromErrorReportsMatchTheGoldenFiles(t *testing.T) {
	dir := scenarioDir(t)
	tmp := t.TempDir()
	for _, g := range fromErrorGoldens {
		t.Run(g.label, func(t *testing.T) {
			text := `{"errorType": "ClientError", "errorMessage": "An error occurred (AccessDeniedException) when calling the GetSecretValue operation: User: arn:aws:sts::222222222222:assumed-role/invoice-renderer/invoice-renderer-prod is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/billing/stripe-api-key-cfryBI with an explicit deny in a resource control policy"}`
			if g.errorFile != "" {
				text = readRealCorpus(t, g.errorFile)
			}
			errFile := filepath.Join(tmp, g.label+".txt")
			if err := os.WriteFile(errFile, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, format := range []string{"text", "markdown"} {
				var stdout, stderr bytes.Buffer
				run(context.Background(), []string{"demo", "--scenario", filepath.Join(dir, g.scenario+".json"), "--from-error", errFile, "--live=false", "-o", format}, nil, &stdout, &stderr)
				if stdout.Len() == 0 {
					t.Fatalf("%s: no report; stderr:\n%s", format, stderr.String())
				}
				path := filepath.Join("testdata", "golden", g.label+map[string]string{"text": ".txt", "markdown": ".md"}[format]+".golden")
				if *update {
					if err := os.WriteFile(path, stdout.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (go test ./cmd/xsdoctor -run TestFromErrorReports -update creates it)", err)
				}
				if diff := cmp.Diff(string(want), stdout.String()); diff != "" {
					t.Errorf("%s differs (-want +got):\n%s", path, diff)
				}
			}
		})
	}
}
