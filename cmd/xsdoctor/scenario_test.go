package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/internal/awsemu"
	"github.com/xsdoctor/xsdoctor/scenarios"
)

// accessKeyID is the shape of an AWS access key id ("Understanding unique ID prefixes", IAM
// User Guide): AKIA long-term, ASIA temporary.
var debugCall = regexp.MustCompile(`(?m)^xsdoctor: (secretsmanager|sts|kms|iam|organizations|ec2):[A-Z][A-Za-z]+ account=`)

var accessKeyID = regexp.MustCompile(`\b(AKIA|ASIA)[A-Z0-9]{16}\b`)

// scenarioDir is $XSDOCTOR_SCENARIOS, or ../shared/scenarios beside the module. A missing
// directory fails the test: the scenarios are the end-to-end proof, never silently skipped.
func scenarioDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("XSDOCTOR_SCENARIOS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "scenarios")
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("scenario directory %s is missing (set XSDOCTOR_SCENARIOS or check out ../shared beside the module): %v", dir, err)
	}
	return dir
}

// TestScenarios runs every shared scenario through "demo --scenario F --live --debug -o json"
// and compares the report with the scenario's expect block (SPEC §6, "What a test compares"):
// each listed door exactly, the exit code exactly, every expected finding code somewhere in the
// report, and the live result. No secret value of the scenario, and no credential, may appear
// on stdout or stderr. A second run without --live must give the same doors, verdict and exit
// code: live only reports.
func TestScenarios(t *testing.T) {
	dir := scenarioDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("no scenarios in %s", dir)
	}
	// The repository's own scenarios (top-level scenarios/), which the product ships.
	own, err := filepath.Glob(filepath.Join("..", "..", "scenarios", "*.json"))
	if err != nil || len(own) == 0 {
		t.Fatalf("no scenarios in the repository's scenarios/ directory (%v)", err)
	}
	files = append(files, own...)
	passed := 0
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		if t.Run(name, func(t *testing.T) {
			s, _, err := awsemu.Load(file)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			runScenario(t, s, "--scenario", file)
		}) {
			passed++
		}
	}
	summary := fmt.Sprintf("scenarios: %d/%d", passed, len(files))
	t.Log(summary)
	fmt.Println(summary)
}

// TestCatalogue runs every built-in scenario by name, "demo NAME", the same way: each must
// match its expect block, and its report must validate against docs/report.schema.json.
func TestCatalogue(t *testing.T) {
	entries, err := scenarios.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 21 {
		t.Fatalf("the catalogue has %d scenarios, want at least 21", len(entries))
	}
	passed := 0
	for _, e := range entries {
		if t.Run(e.Name, func(t *testing.T) {
			data, _ := scenarios.Get(e.Name)
			s, _, err := awsemu.Parse(data)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			runScenario(t, s, e.Name)
		}) {
			passed++
		}
	}
	fmt.Printf("catalogue: %d/%d\n", passed, len(entries))
}

// runScenario runs "demo SOURCE... --live --debug -o json" (SOURCE is a catalogue name, or
// --scenario FILE) and checks the report against the scenario's expect block and the schema.
func runScenario(t *testing.T, s *awsemu.Scenario, source ...string) {
	if s.Expect == nil {
		t.Fatalf("%s has no expect block", s.Name)
	}
	demo := append([]string{"demo"}, source...)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append(demo, "--live", "--debug", "-o", "json"), nil, &stdout, &stderr)

	// Secrets and credentials first: a leak is a failure whatever else happened.
	for _, acct := range s.Accounts {
		for secretName, sec := range acct.Secrets {
			if sec.Value == "" {
				continue
			}
			if strings.Contains(stdout.String(), sec.Value) || strings.Contains(stderr.String(), sec.Value) {
				t.Errorf("the value of secret %s appears in the output", secretName)
			}
		}
	}
	for _, cred := range []string{"xsdoctor-demo-operator", "aws_secret_access_key", "SessionToken"} {
		if strings.Contains(stdout.String()+stderr.String(), cred) {
			t.Errorf("credential material %q appears in the output", cred)
		}
	}
	// The emulator issues ASIA… access key ids on AssumeRole, as STS does.
	if k := accessKeyID.FindString(stdout.String() + stderr.String()); k != "" {
		t.Errorf("access key id %s appears in the output", k)
	}
	// --debug logs every call as service:Operation (DescribeSecret, unless the owner side could
	// not even be reached).
	if !debugCall.MatchString(stderr.String()) {
		t.Errorf("--debug logged no AWS call; stderr:\n%s", stderr.String())
	}

	var d xsdoctor.Diagnosis
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		t.Fatalf("stdout is not a JSON report (exit %d): %v\nstdout:\n%s\nstderr:\n%s", code, err, stdout.String(), stderr.String())
	}
	for _, v := range reportSchema(t).Validate(stdout.Bytes()) {
		t.Errorf("the report does not validate against docs/report.schema.json: %s", v)
	}
	checkDocumentedEffects(t, d)
	e := s.Expect
	var problems []string
	if e.ExitCode != nil && code != *e.ExitCode {
		problems = append(problems, fmt.Sprintf("exit code %d, want %d", code, *e.ExitCode))
	}
	states := map[string]string{}
	for _, door := range d.Doors {
		states[string(door.Door)] = string(door.State)
	}
	for _, id := range sortedKeys(e.Doors) {
		if states[id] != e.Doors[id] {
			problems = append(problems, fmt.Sprintf("door %s is %q, want %q", id, states[id], e.Doors[id]))
		}
	}
	problems = append(problems, effectProblems(d)...)
	codes := reportCodes(d)
	for _, want := range e.Findings {
		if !slices.Contains(codes, want) {
			problems = append(problems, fmt.Sprintf("finding %s missing (report has %v)", want, codes))
		}
	}
	if e.Live != "" {
		switch {
		case d.Live == nil:
			problems = append(problems, fmt.Sprintf("no live result, want %q", e.Live))
		case d.Live.Result != e.Live:
			problems = append(problems, fmt.Sprintf("live %q (%s %s), want %q", d.Live.Result, d.Live.ErrorCode, d.Live.Reason, e.Live))
		}
	}
	// Live only reports (SPEC §2): without --live the doors, verdict and exit code are the same.
	var quiet, quietErr bytes.Buffer
	quietCode := run(context.Background(), append(demo, "--live=false", "-o", "json"), nil, &quiet, &quietErr)
	var dq xsdoctor.Diagnosis
	if err := json.Unmarshal(quiet.Bytes(), &dq); err != nil {
		problems = append(problems, fmt.Sprintf("without --live: stdout is not a JSON report (exit %d): %v", quietCode, err))
	} else {
		if quietCode != code {
			problems = append(problems, fmt.Sprintf("exit code %d with --live, %d without: live changed it", code, quietCode))
		}
		if dq.Verdict != d.Verdict {
			problems = append(problems, fmt.Sprintf("verdict %s with --live, %s without: live changed it", d.Verdict, dq.Verdict))
		}
		for i := range dq.Doors {
			if i < len(d.Doors) && dq.Doors[i].State != d.Doors[i].State {
				problems = append(problems, fmt.Sprintf("door %s is %s with --live, %s without: live changed it", dq.Doors[i].Door, d.Doors[i].State, dq.Doors[i].State))
			}
		}
		if dq.Live != nil {
			problems = append(problems, "a live result without --live")
		}
	}
	if len(problems) > 0 {
		t.Errorf("%s:\n  %s\nstderr (last lines):\n%s", s.Name, strings.Join(problems, "\n  "), lastLines(stderr.String(), 15))
	}
}

// effectProblems checks SPEC §3's rule that states follow from effects: every finding carries one
// of the four effects, each door's state is what its findings' effects make it, and the verdict
// is closed when a door is closed or a top-level finding closes, else unknown when a door is
// unknown or conditional or a top-level finding is unknown, else open.
func effectProblems(d xsdoctor.Diagnosis) []string {
	var problems []string
	valid := []xsdoctor.Effect{xsdoctor.EffectCloses, xsdoctor.EffectUnknown, xsdoctor.EffectConditional, xsdoctor.EffectInfo}
	check := func(where string, fs []xsdoctor.Finding) {
		for _, f := range fs {
			if !slices.Contains(valid, f.Effect) {
				problems = append(problems, fmt.Sprintf("%s: finding %s has effect %q", where, f.Code, f.Effect))
			}
		}
	}
	want := xsdoctor.StateOpen
	rank := map[xsdoctor.State]int{xsdoctor.StateOpen: 0, xsdoctor.StateUnknown: 1, xsdoctor.StateClosed: 2}
	raise := func(s xsdoctor.State) {
		if s == xsdoctor.StateConditional {
			s = xsdoctor.StateUnknown
		}
		if rank[s] > rank[want] {
			want = s
		}
	}
	for _, door := range d.Doors {
		check("door "+string(door.Door), door.Findings)
		if got := xsdoctor.DoorState(door.Findings); got != door.State {
			problems = append(problems, fmt.Sprintf("door %s is %s but its findings' effects make it %s", door.Door, door.State, got))
		}
		raise(door.State)
	}
	check("top level", d.Findings)
	raise(xsdoctor.DoorState(d.Findings))
	if d.Verdict != want {
		problems = append(problems, fmt.Sprintf("verdict %s, but the doors and top-level effects make it %s", d.Verdict, want))
	}
	return problems
}

// reportCodes is every finding code in the report, doors and top level.
func reportCodes(d xsdoctor.Diagnosis) []string {
	var codes []string
	for _, door := range d.Doors {
		for _, f := range door.Findings {
			codes = append(codes, string(f.Code))
		}
	}
	for _, f := range d.Findings {
		codes = append(codes, string(f.Code))
	}
	sort.Strings(codes)
	return slices.Compact(codes)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestTheDocumentedScenarioRuns: the example file of docs/scenarios.md loads and gives the
// diagnosis its own expect block states.
func TestTheDocumentedScenarioRuns(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "scenarios.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## A scenario file.*?```json\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/scenarios.md has no example scenario")
	}
	file := filepath.Join(t.TempDir(), "my-setup.json")
	if err := os.WriteFile(file, m[1], 0o600); err != nil {
		t.Fatal(err)
	}
	s, warnings, err := awsemu.Load(file)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("the documented scenario does not load cleanly: %v %v", err, warnings)
	}
	runScenario(t, s, "--scenario", file)
}
