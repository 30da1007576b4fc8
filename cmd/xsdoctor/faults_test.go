package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/interop"
)

// faultBase is the scenario every fault is injected into: all three doors open, the consumer with
// an inline and a customer managed policy, so that every read the probe makes is on the path.
var faultBase = filepath.Join("testdata", "faults", "all-open.json")

// faultKind is one column of the fault matrix: a scenario fault (SPEC §6) and what the report
// must call it.
type faultKind struct {
	name  string
	fault func(call string) map[string]any
	words string // what the report calls the failure (in a finding, or on stderr for exit 4)
	// noFactExit is the exit code when the fault leaves no fact read: an answer from AWS (a denial,
	// throttling, a server error) is inconclusive (3); the timeout or an endpoint that never
	// answers could not probe at all (4, SPEC §5).
	noFactExit int
}

// matrixTimeout is --timeout for every case: long enough for the in-process emulator to answer
// every unfaulted read on a loaded CI machine, short enough that the latency column stays fast.
const matrixTimeout = "3s"

var faultKinds = []faultKind{
	{"AccessDenied", func(c string) map[string]any { return map[string]any{"call": c, "error": "AccessDeniedException"} }, "denied", 3},
	{"throttled past retries", func(c string) map[string]any { return map[string]any{"call": c, "error": "ThrottlingException"} }, "throttled", 3},
	{"500 past retries", func(c string) map[string]any { return map[string]any{"call": c, "error": "InternalFailure"} }, "server error", 3},
	{"latency past --timeout", func(c string) map[string]any { return map[string]any{"call": c, "latency_ms": 60000} }, "timeout", 4},
	{"ConnectionReset", func(c string) map[string]any { return map[string]any{"call": c, "error": "ConnectionReset"} }, "unreachable", 4},
}

// matrixCell is one run of the matrix.
type matrixCell struct {
	read, fault string
	exit        int
	doors       [3]xsdoctor.State
	codes       []string
	stderr      string
	report      string // every finding's summary, detail and evidence notes
}

// TestFaultMatrix injects every fault kind into every read the probe makes (taken from a clean
// run of the same scenario, so a read added later is covered without editing this test), runs
// demo through the emulator, and holds each run to SPEC §3 and §5: a failed read never closes a
// door (the baseline is all open), the failure is named for what it is in the report, only a
// denial asks for a permission, and the exit code is 3 (or 4 when the timeout or an endpoint
// that never answers left no fact read). The table is printed with -v for the closing note.
func TestFaultMatrix(t *testing.T) {
	// Short retries keep the throttling and 5xx columns fast: the SDK gives up after two attempts.
	t.Setenv("AWS_MAX_ATTEMPTS", "2")
	base, err := os.ReadFile(faultBase)
	if err != nil {
		t.Fatal(err)
	}
	clean := demoOnce(t, faultBase)
	if clean.exit != 0 {
		t.Fatalf("the fault-free baseline exits %d, want 0 (all doors open):\n%s", clean.exit, clean.stderr)
	}
	reads := clean.reads
	if len(reads) < 10 {
		t.Fatalf("the baseline made only %d distinct reads: %v", len(reads), reads)
	}

	var mu sync.Mutex
	var cells []matrixCell
	t.Run("cases", func(t *testing.T) {
		for _, read := range reads {
			for _, fk := range faultKinds {
				t.Run(read+"/"+fk.name, func(t *testing.T) {
					t.Parallel()
					file := withFault(t, base, fk.fault(read))
					r := demoOnce(t, file)
					cell := matrixCell{read: read, fault: fk.name, exit: r.exit, doors: r.doors, codes: r.codes, stderr: r.stderr, report: r.text}
					mu.Lock()
					cells = append(cells, cell)
					mu.Unlock()
					checkCell(t, cell, fk)
				})
			}
		}
	})
	t.Log("fault matrix (doors key-policy/secret-policy/consumer-iam; exit; codes):\n" + matrixTable(cells))
}

// checkCell holds one run to the rules every cell shares.
func checkCell(t *testing.T, c matrixCell, fk faultKind) {
	t.Helper()
	if c.exit == 4 {
		// Could not probe at all: no report, and stderr says why in the failure's own words.
		if fk.noFactExit != 4 {
			t.Errorf("exit 4 for %s: only the timeout or an unreachable endpoint may stop the probe; stderr:\n%s", fk.name, c.stderr)
		}
		want := map[string]string{"timeout": "timed out", "unreachable": "did not answer"}[fk.words]
		if !strings.Contains(c.stderr, want) {
			t.Errorf("exit 4 without %q on stderr:\n%s", want, c.stderr)
		}
		return
	}
	for i, s := range c.doors {
		if s == xsdoctor.StateClosed {
			t.Errorf("door %s is closed: a failed read must never close a door (all are open without the fault)", xsdoctor.Doors[i])
		}
	}
	unknown := slices.Contains(c.doors[:], xsdoctor.StateUnknown)
	switch {
	case c.exit != 0 && c.exit != 3:
		t.Errorf("exit %d, want 3 (a door unknown) or 0 (the read could not change the answer)", c.exit)
	case unknown && c.exit != 3:
		t.Errorf("a door is unknown but the exit code is %d, want 3", c.exit)
	}
	if c.exit == 0 && strings.Contains(c.report, c.read) && !strings.Contains(c.report, fk.words) {
		t.Errorf("the report mentions %s but never calls its failure %q:\n%s", c.read, fk.words, c.report)
	}
	if unknown && !strings.Contains(c.report, fk.words) {
		t.Errorf("a door is unknown, but no finding calls the failure %q:\n%s", fk.words, c.report)
	}
	if fk.words != "denied" {
		for _, grant := range []string{"Give the inspector", "the inspector needs"} {
			if strings.Contains(c.report, grant) {
				t.Errorf("%s: the report asks for a permission (%q), but nothing was denied:\n%s", fk.name, grant, c.report)
			}
		}
	}
	if fk.words == "denied" && unknown {
		action := c.read
		if !strings.Contains(c.report, "needs "+action) && !strings.Contains(c.report, action+" (the reads that were denied)") && !strings.Contains(c.report, ", "+action) {
			t.Errorf("a denial of %s that leaves a door unknown must name the action the inspector needs:\n%s", action, c.report)
		}
	}
	if strings.Contains(c.report, "aws/secretsmanager") {
		t.Errorf("the secret uses a customer managed key, but the report points at the AWS managed key:\n%s", c.report)
	}
	if fk.words == "timeout" && !slices.Contains(c.codes, string(xsdoctor.ProbeTimeout)) {
		t.Errorf("the timeout cut %s but the report has no PROBE_TIMEOUT (codes %v)", c.read, c.codes)
	}
	if fk.words == "timeout" && c.exit != 3 {
		t.Errorf("the timeout cut %s but the exit code is %d: a run the timeout cut is inconclusive (3)", c.read, c.exit)
	}
}

// demoResult is one demo run, as the matrix reads it.
type demoResult struct {
	exit   int
	doors  [3]xsdoctor.State
	codes  []string
	reads  []string // distinct service:Operation of the calls (without live)
	text   string   // findings' words
	stderr string
}

func demoOnce(t *testing.T, file string) demoResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"demo", "--scenario", file, "--live=false", "--timeout", matrixTimeout, "-o", "json"}, nil, &stdout, &stderr)
	r := demoResult{exit: code, stderr: stderr.String()}
	if code == exitCannotRun {
		return r
	}
	var d xsdoctor.Diagnosis
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		t.Fatalf("exit %d and stdout is not a JSON report: %v\nstderr:\n%s", code, err, stderr.String())
	}
	for i, door := range d.Doors {
		if i < 3 {
			r.doors[i] = door.State
		}
	}
	r.codes = reportCodes(d)
	var words []string
	all := slices.Clone(d.Findings)
	for _, door := range d.Doors {
		all = append(all, door.Findings...)
	}
	for _, f := range all {
		words = append(words, string(f.Code)+": "+f.Summary, f.Detail)
		for _, e := range f.Evidence {
			words = append(words, e.Source+" "+e.Note)
		}
	}
	r.text = strings.Join(words, "\n")
	seen := map[string]bool{}
	for _, c := range d.Calls {
		name := c.Service + ":" + c.Operation
		if !seen[name] {
			seen[name] = true
			r.reads = append(r.reads, name)
		}
	}
	sort.Strings(r.reads)
	return r
}

// withFault writes the base scenario with the faults to a temporary file.
func withFault(t *testing.T, base []byte, faults ...map[string]any) string {
	t.Helper()
	var s map[string]any
	if err := json.Unmarshal(base, &s); err != nil {
		t.Fatal(err)
	}
	var list []any
	for _, f := range faults {
		list = append(list, f)
	}
	s["faults"] = list
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "scenario.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// matrixTable renders the cells as a markdown table, one row per read, one column per fault:
// the three door states (o open, u unknown, c conditional, x closed), the exit code and the
// finding codes that are not about the doors being open.
func matrixTable(cells []matrixCell) string {
	byRead := map[string]map[string]matrixCell{}
	var reads []string
	for _, c := range cells {
		if byRead[c.read] == nil {
			byRead[c.read] = map[string]matrixCell{}
			reads = append(reads, c.read)
		}
		byRead[c.read][c.fault] = c
	}
	sort.Strings(reads)
	var b strings.Builder
	b.WriteString("| read |")
	for _, fk := range faultKinds {
		b.WriteString(" " + fk.name + " |")
	}
	b.WriteString("\n|---|")
	for range faultKinds {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	letter := map[xsdoctor.State]string{xsdoctor.StateOpen: "o", xsdoctor.StateUnknown: "u", xsdoctor.StateConditional: "c", xsdoctor.StateClosed: "x"}
	for _, read := range reads {
		b.WriteString("| " + read + " |")
		for _, fk := range faultKinds {
			c, ok := byRead[read][fk.name]
			switch {
			case !ok:
				b.WriteString(" — |")
			case c.exit == exitCannotRun:
				b.WriteString(" exit 4 (no fact read) |")
			default:
				var codes []string
				for _, code := range c.codes {
					if code != string(xsdoctor.ResidualGuardrails) {
						codes = append(codes, code)
					}
				}
				fmt.Fprintf(&b, " %s%s%s exit %d %s |", letter[c.doors[0]], letter[c.doors[1]], letter[c.doors[2]], c.exit, strings.Join(codes, " "))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestAssumeRoleLatencyJustUnderTheTimeoutIsATimeout is the run of issue #13 whose exit code
// varied between 3 and 4: both AssumeRoles answer just before --timeout expires, so every read
// after them is cut and no fact is read. That is exit 4 every time, with the word timeout, and
// never "could not be assumed" (both roles were assumed).
func TestAssumeRoleLatencyJustUnderTheTimeoutIsATimeout(t *testing.T) {
	base, err := os.ReadFile(faultBase)
	if err != nil {
		t.Fatal(err)
	}
	// AssumeRole answers after 2.3 + 0.6 s, inside the 3 s timeout; every read after it needs
	// another 0.6 s, past it.
	file := withFault(t, base, map[string]any{"call": "sts:AssumeRole", "latency_ms": 2300}, map[string]any{"call": "*", "latency_ms": 600})
	for i := range 2 {
		r := demoOnce(t, file)
		if r.exit != exitCannotRun || !strings.Contains(r.stderr, "timed out") {
			t.Fatalf("run %d: exit %d, want 4 with \"timed out\" on stderr:\n%s", i+1, r.exit, r.stderr)
		}
		if strings.Contains(r.stderr, "could not be assumed") || strings.Contains(r.stderr, "permission") && !strings.Contains(r.stderr, "not a missing permission") {
			t.Errorf("run %d: a timeout worded as an AssumeRole or permission failure:\n%s", i+1, r.stderr)
		}
	}
}

// TestEmulatorStoppedOrKilledMidRun runs the real binary against a real `xsdoctor emulate`
// process and signals that process: stopped with SIGSTOP (its socket accepts, nothing answers),
// the run ends at --timeout with exit 4 and says it timed out; killed while the check is waiting
// on it, the run ends promptly and calls the endpoint unreachable (exit 4 when no fact was read
// yet, else 3 with the word in the report) — never a verdict, never a hang.
func TestEmulatorStoppedOrKilledMidRun(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGSTOP is POSIX")
	}
	dir := t.TempDir()
	bin, err := interop.BuildXsdoctor(dir)
	if err != nil {
		t.Fatal(err)
	}
	base, err := os.ReadFile(faultBase)
	if err != nil {
		t.Fatal(err)
	}
	var sc struct {
		Check struct {
			Secret, Consumer, OwnerRole, ConsumerRole string
		} `json:"check"`
	}
	var raw map[string]map[string]any
	_ = json.Unmarshal(base, &raw)
	sc.Check.Secret, _ = raw["check"]["secret"].(string)
	sc.Check.Consumer, _ = raw["check"]["consumer"].(string)
	sc.Check.OwnerRole, _ = raw["check"]["owner_role"].(string)
	sc.Check.ConsumerRole, _ = raw["check"]["consumer_role"].(string)
	check := func(t *testing.T, env interop.Env) interop.Result {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := sc.Check
		res, err := interop.Run(ctx, env.With("AWS_MAX_ATTEMPTS", "2"), bin, "check", c.Secret, "--consumer", c.Consumer,
			"--owner-role", c.OwnerRole, "--consumer-role", c.ConsumerRole, "--timeout", "3s", "-o", "json")
		if err != nil {
			t.Fatalf("the check did not end on its own: %v", err)
		}
		return res
	}

	t.Run("stopped with SIGSTOP", func(t *testing.T) {
		t.Parallel()
		emu := startEmulate(t, bin, faultBase)
		if err := emu.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		defer emu.Process.Signal(syscall.SIGCONT)
		res := check(t, interop.CleanEnv(t.TempDir(), emu.endpoint))
		if res.ExitCode != exitCannotRun || !strings.Contains(res.Stderr, "timed out") {
			t.Errorf("exit %d, want 4 with \"timed out\":\n%s", res.ExitCode, res)
		}
		if res.Wall > 15*time.Second {
			t.Errorf("the run took %v against a stopped endpoint; --timeout is 3s", res.Wall)
		}
	})

	t.Run("killed mid-run", func(t *testing.T) {
		t.Parallel()
		slow := withFault(t, base, map[string]any{"call": "*", "latency_ms": 400})
		emu := startEmulate(t, bin, slow)
		// AssumeRole answers after 400 ms; the reads that follow are in flight when the emulator
		// dies at 600 ms.
		time.AfterFunc(600*time.Millisecond, func() { _ = emu.Process.Kill() })
		res := check(t, interop.CleanEnv(t.TempDir(), emu.endpoint))
		switch res.ExitCode {
		case exitCannotRun:
			if !strings.Contains(res.Stderr, "did not answer") {
				t.Errorf("exit 4 without \"did not answer\":\n%s", res)
			}
		case exitInconclusive:
			if !strings.Contains(res.Stdout, "unreachable") {
				t.Errorf("exit 3 but the report never says the endpoint was unreachable:\n%s", res)
			}
		default:
			t.Errorf("exit %d, want 4 (or 3 if a fact was read before the kill):\n%s", res.ExitCode, res)
		}
		if res.Wall > 15*time.Second {
			t.Errorf("the run took %v after the endpoint died", res.Wall)
		}
	})
}

// emulateProcess is a running `xsdoctor emulate`.
type emulateProcess struct {
	*os.Process
	endpoint string
}

// startEmulate starts `xsdoctor emulate --scenario FILE --listen 127.0.0.1:0` and reads its
// endpoint from the first line of its output; the process is killed at the end of the test.
func startEmulate(t *testing.T, bin, scenario string) emulateProcess {
	t.Helper()
	cmd := exec.Command(bin, "emulate", "--scenario", scenario, "--listen", "127.0.0.1:0")
	cmd.Env = interop.CleanEnv(t.TempDir(), "").List()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("emulate printed no endpoint: %v", err)
	}
	return emulateProcess{Process: cmd.Process, endpoint: strings.TrimSpace(line)}
}

// TestAFailedDescribeOrganizationLeavesTheOrgDoorUnknown: the secret's policy denies principals
// outside the owner's organization, and the consumer account's DescribeOrganization fails. The
// secret-policy door then depends on a fact that was not read: unknown, naming the call and what
// the inspector needs for a denial (or the failure's own words otherwise) — never
// DOOR_CONDITIONAL, which is for context nobody can know offline (SPEC §3).
func TestAFailedDescribeOrganizationLeavesTheOrgDoorUnknown(t *testing.T) {
	t.Setenv("AWS_MAX_ATTEMPTS", "2")
	base, err := os.ReadFile(filepath.Join(scenarioDir(t), "secret-policy-denies-principals-outside-owner-org.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		error, words string
	}{
		{"AccessDeniedException", "the inspector needs organizations:DescribeOrganization"},
		{"ThrottlingException", "throttled"},
	} {
		t.Run(tc.error, func(t *testing.T) {
			r := demoOnce(t, withFault(t, base, map[string]any{"call": "organizations:DescribeOrganization", "error": tc.error}))
			if r.exit != exitInconclusive || r.doors[1] != xsdoctor.StateUnknown {
				t.Fatalf("exit %d, secret-policy %s; want 3 and unknown:\n%s", r.exit, r.doors[1], r.text)
			}
			if slices.Contains(r.codes, string(xsdoctor.DoorConditional)) {
				t.Errorf("DOOR_CONDITIONAL for a fact that failed to be read:\n%s", r.text)
			}
			if !slices.Contains(r.codes, string(xsdoctor.SecretPolicyUnreadable)) || !strings.Contains(r.text, "organizations:DescribeOrganization") || !strings.Contains(r.text, tc.words) {
				t.Errorf("the report does not name the failed organizations:DescribeOrganization with %q:\n%s", tc.words, r.text)
			}
		})
	}
}
