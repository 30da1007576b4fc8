package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEKeepsItsPromises checks what the README's first screen and its example output claim:
// the two newcomer commands, that the test command is exactly what .ci/run runs, and that the
// shown demo output is what demo prints (the header and every door's state).
func TestREADMEKeepsItsPromises(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}

	// The first code block is the newcomer's: the demo and the test command, nothing else.
	first := regexp.MustCompile("(?s)```sh\n(.*?)```").FindSubmatch(readme)
	if first == nil {
		t.Fatal("README has no sh code block")
	}
	cmds := strings.Split(strings.TrimSpace(string(first[1])), "\n")
	if len(cmds) != 2 || cmds[0] != "go run ./cmd/xsdoctor demo" {
		t.Fatalf("README's first code block is %q, want the demo and the test command", cmds)
	}
	testCmd := cmds[1]
	if !strings.HasPrefix(testCmd, "go test ") {
		t.Fatalf("README's test command %q is not a go test command", testCmd)
	}
	if !regexp.MustCompile(`(?m)^go test \./\.\.\. 2>&1 \| tee`).Match(ci) || testCmd != "go test ./..." {
		t.Errorf(".ci/run does not run the README's test command %q as its test step", testCmd)
	}
	if !bytes.Contains(ci, []byte("go vet ./...")) {
		t.Error(".ci/run does not run go vet ./...")
	}

	// The example output: its header lines and door states are what demo prints today.
	block := regexp.MustCompile("(?s)Real output of `xsdoctor demo`.*?```text\n(.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README has no demo output block")
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"demo"}, nil, &stdout, &stderr); code != 1 {
		t.Fatalf("demo exit %d; stderr:\n%s", code, stderr.String())
	}
	shown, printed := strings.Split(string(block[1]), "\n"), strings.Split(stdout.String(), "\n")
	for i := 0; i < 5; i++ { // verdict, blank, secret, kms key, consumer
		if i >= len(shown) || i >= len(printed) || shown[i] != printed[i] {
			t.Errorf("README demo output line %d differs from demo:\n README: %q\n demo:   %q", i+1, at(shown, i), at(printed, i))
		}
	}
	doorState := regexp.MustCompile(`^  (key-policy|secret-policy|consumer-iam) +(\S+)`)
	states := func(lines []string) []string {
		var out []string
		for _, l := range lines {
			if m := doorState.FindStringSubmatch(l); m != nil {
				out = append(out, m[1]+"="+m[2])
			}
		}
		return out
	}
	if got, want := strings.Join(states(shown), " "), strings.Join(states(printed), " "); got != want {
		t.Errorf("README shows doors %q, demo prints %q", got, want)
	}
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return ""
}

// TestREADMEFromErrorExample: the error line the README shows under "Run it from the error" is the
// AWS CLI's real text (kept in the parser's corpus by TestRealClientErrors), and the sentence the
// README quotes from the report is what the report says for it.
func TestREADMEFromErrorExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## 3. Run it from the error\n.*?```text\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no error example under \"## 3. Run it from the error\"")
	}
	example := strings.TrimSpace(string(m[1]))
	real := strings.TrimSpace(readRealCorpus(t, filepath.Join(realCorpus, "real-aws-cli-resource-policy.txtar")))
	if example != real {
		t.Errorf("the README's error line is not the AWS CLI's real text:\n%s\nwant\n%s", example, real)
	}
	errFile := filepath.Join(t.TempDir(), "error.txt")
	if err := os.WriteFile(errFile, []byte(example), 0o600); err != nil {
		t.Fatal(err)
	}
	d, _ := demoReport(t, "--scenario", filepath.Join(scenarioDir(t), "secret-has-no-resource-policy.json"), "--from-error", errFile, "--live=false")
	quoted := "the error blames no resource-based policy allowing secretsmanager:GetSecretValue; the secret-policy door is closed (SECRET_POLICY_MISSING)"
	flat := strings.Join(strings.Fields(string(readme)), " ")
	if d.ErrorMatch == nil || !strings.EqualFold(d.ErrorMatch.Summary, quoted) || !strings.Contains(flat, "*"+quoted+"*") {
		t.Errorf("the README quotes %q; the report says %+v", quoted, d.ErrorMatch)
	}
}
