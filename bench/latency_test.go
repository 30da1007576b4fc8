// Package bench_test measures `xsdoctor check` against the emulator with 50 ms of latency on
// every AWS call, beside the AWS CLI runbook an engineer would type for the same facts
// (runbook.sh). See README.md for how to run it and what the numbers mean.
package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/interop"
)

const (
	latency = 50 * time.Millisecond
	// The target allows 30% over each scenario's own critical path (benchScenario.roundTrips),
	// plus process start-up.
	slack = 1.3

	sharedScenario = "account-root-principals-open-all-three-doors.json"
)

// benchScenario is one scenario the benchmark runs, with the number of dependent round trips
// its facts need at best (the floor no implementation can beat).
type benchScenario struct {
	name         string
	file         string
	roundTrips   int
	runbookCalls int // AWS calls runbook.sh and the sequential baseline make for it
}

var benchScenarios = []benchScenario{
	// The shared baseline, unchanged but for the latency: the consumer role has one inline
	// policy, so its side is AssumeRole → ListRolePolicies → GetRolePolicy. The owner side sets
	// the floor: the KMS simulation is asked with the key's tags and aliases (SPEC §3, the
	// simulator's context entries are exactly the known keys of the request door evaluates),
	// which are read with the key: AssumeRole → DescribeSecret → ListResourceTags →
	// SimulatePrincipalPolicy.
	{"shared-baseline", "testdata/shared-baseline-latency-50ms.json", 4, 15},
	// The same with the consumer's KMS statement moved into a customer managed policy under
	// /apps/: AssumeRole → ListAttachedRolePolicies → GetPolicy → GetPolicyVersion.
	{"inline-and-managed", "testdata/inline-and-managed-latency-50ms.json", 4, 17},
	// The same with an organization and --org-role: the organization reader's reads (AssumeRole →
	// ListParents → ListParents and ListPoliciesForTarget → DescribePolicy; the root's listing
	// starts from ListRoots at once) run beside the others and add no round trip. The runbook and
	// the sequential baseline do not read the organization.
	{"org-reader", "testdata/org-reader-latency-50ms.json", 4, 17},
}

var runbookRuns = flag.Int("runbook-runs", 3, "how many times the benchmark runs bench/runbook.sh")

// scenario is the part of the scenario file the benchmark reads: how to invoke check and what
// it must answer.
type scenario struct {
	Check struct {
		Secret       string `json:"secret"`
		Consumer     string `json:"consumer"`
		OwnerRole    string `json:"owner_role"`
		ConsumerRole string `json:"consumer_role"`
		OrgRole      string `json:"org_role"`
	} `json:"check"`
	Expect struct {
		Doors    map[xsdoctor.DoorID]xsdoctor.State `json:"doors"`
		ExitCode int                                `json:"exit_code"`
	} `json:"expect"`
}

func loadScenario(tb testing.TB, file string) scenario {
	tb.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	var s scenario
	if err := json.Unmarshal(b, &s); err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	return s
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// xsdoctorBin builds the binary once per test process.
func xsdoctorBin(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "xsdoctor-bench-")
		if buildErr == nil {
			binPath, buildErr = interop.BuildXsdoctor(buildDir)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binPath
}

// fixture is a running emulator with the latency scenario and the environment to reach it.
type fixture struct {
	bin string
	env interop.Env
	sc  scenario
}

func newFixture(tb testing.TB, file string) fixture {
	tb.Helper()
	bin := xsdoctorBin(tb)
	dir := tb.TempDir()
	scenarioPath, err := filepath.Abs(file)
	if err != nil {
		tb.Fatal(err)
	}
	emu := interop.StartEmulator(tb, bin, scenarioPath, interop.CleanEnv(dir, ""))
	return fixture{bin: bin, env: interop.CleanEnv(dir, emu.Endpoint), sc: loadScenario(tb, file)}
}

// check runs `xsdoctor check` as the scenario says, through endpoint, with -o json --debug.
func (f fixture) check(tb testing.TB, endpoint string) (xsdoctor.Diagnosis, interop.Result) {
	tb.Helper()
	c := f.sc.Check
	args := []string{c.Secret, "--consumer", c.Consumer, "--owner-role", c.OwnerRole, "--consumer-role", c.ConsumerRole}
	if c.OrgRole != "" {
		args = append(args, "--org-role", c.OrgRole)
	}
	d, res := interop.CheckJSON(tb, time.Minute, f.env.With("AWS_ENDPOINT_URL", endpoint), f.bin, args...)
	if res.ExitCode != f.sc.Expect.ExitCode {
		tb.Fatalf("exit code %d, want %d\n%s", res.ExitCode, f.sc.Expect.ExitCode, res)
	}
	for _, door := range d.Doors {
		if want, ok := f.sc.Expect.Doors[door.Door]; ok && door.State != want {
			tb.Fatalf("door %s is %s, want %s\n%s", door.Door, door.State, want, res)
		}
	}
	return d, res
}

// TestBenchScenariosAreTheSharedOneWithLatency keeps the benchmark honest: each scenario is the
// shared baseline with the latency fault added and, for the second, the consumer's KMS statement
// moved from its inline policy into a managed policy — nothing else.
func TestBenchScenariosAreTheSharedOneWithLatency(t *testing.T) {
	dir := os.Getenv("XSDOCTOR_SCENARIOS")
	if dir == "" {
		dir = filepath.Join(interop.ModuleRoot(), "..", "shared", "scenarios")
	}
	shared, err := os.ReadFile(filepath.Join(dir, sharedScenario))
	if err != nil {
		if interop.InCI() {
			t.Fatalf("CI=true: shared scenario: %v", err)
		}
		t.Skipf("skipping: shared scenarios not found (%v); set XSDOCTOR_SCENARIOS", err)
	}
	var want map[string]any
	if err := json.Unmarshal(shared, &want); err != nil {
		t.Fatal(err)
	}
	for _, bs := range benchScenarios {
		t.Run(bs.name, func(t *testing.T) {
			ours, err := os.ReadFile(bs.file)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(ours, &got); err != nil {
				t.Fatal(err)
			}
			wantFaults := []any{map[string]any{"call": "*", "latency_ms": float64(latency / time.Millisecond)}}
			if diff := cmp.Diff(wantFaults, got["faults"]); diff != "" {
				t.Errorf("faults (-want +got):\n%s", diff)
			}
			delete(got, "faults")
			got["name"], got["summary"] = want["name"], want["summary"] // labels only
			withoutOrganizationReader(got)
			inlineManagedPolicies(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s differs from shared %s beyond the documented changes (-shared +bench):\n%s", bs.file, sharedScenario, diff)
			}
		})
	}
}

// withoutOrganizationReader undoes the org-reader variant: the organization (which replaces the
// accounts' org_id: each member gets it back), the management account that holds the
// organization reader role, and --org-role.
func withoutOrganizationReader(sc map[string]any) {
	org, ok := sc["organization"].(map[string]any)
	if !ok {
		return
	}
	delete(sc, "organization")
	accounts, _ := sc["accounts"].(map[string]any)
	delete(accounts, org["management_account"].(string))
	members, _ := org["accounts"].(map[string]any)
	for id := range members {
		if a, ok := accounts[id].(map[string]any); ok {
			a["org_id"] = org["id"]
		}
	}
	check, _ := sc["check"].(map[string]any)
	delete(check, "org_role")
}

// inlineManagedPolicies undoes the inline-and-managed variant: every customer managed policy
// attached to a role goes back, statement by statement, to the end of the role's first inline
// policy. Scenario JSON is navigated as decoded maps (SPEC §6).
func inlineManagedPolicies(sc map[string]any) {
	accounts, _ := sc["accounts"].(map[string]any)
	for _, a := range accounts {
		acct, _ := a.(map[string]any)
		policies, _ := acct["policies"].(map[string]any)
		roles, _ := acct["roles"].(map[string]any)
		for _, r := range roles {
			role, _ := r.(map[string]any)
			managed, _ := role["managed_policies"].([]any)
			if len(managed) == 0 {
				continue
			}
			inline, _ := role["inline_policies"].(map[string]any)
			names := make([]string, 0, len(inline))
			for n := range inline {
				names = append(names, n)
			}
			sort.Strings(names)
			first, _ := inline[names[0]].(map[string]any)
			for _, arn := range managed {
				name := arn.(string)[strings.LastIndex(arn.(string), "/")+1:]
				p, _ := policies[name].(map[string]any)
				doc, _ := p["document"].(map[string]any)
				first["Statement"] = append(first["Statement"].([]any), doc["Statement"].([]any)...)
				delete(policies, name)
			}
			delete(role, "managed_policies")
		}
		if len(policies) == 0 {
			delete(acct, "policies")
		}
	}
}

// TestCheckMakesNoCallTwice runs check once through a recording proxy in front of the emulator:
// no request may be sent twice with the same credentials and the same body, and the report's
// calls and the --debug log must account for every request that reached the wire.
func TestCheckMakesNoCallTwice(t *testing.T) {
	for _, bs := range benchScenarios {
		t.Run(bs.name, func(t *testing.T) {
			f := newFixture(t, bs.file)
			rec := newRecorder(t, f.env["AWS_ENDPOINT_URL"])
			d, res := f.check(t, rec.URL)
			seen := rec.requests()
			if len(seen) == 0 {
				t.Fatal("no request reached the recording proxy: is AWS_ENDPOINT_URL honoured?")
			}
			assertNoCallTwice(t, seen)

			var wire, reported []string
			for _, r := range seen {
				wire = append(wire, r.Service+":"+r.Operation)
			}
			for _, c := range d.Calls {
				reported = append(reported, c.Service+":"+c.Operation)
				if !strings.Contains(res.Stderr, c.Service+":"+c.Operation) {
					t.Errorf("--debug did not log %s:%s", c.Service, c.Operation)
				}
			}
			sort.Strings(wire)
			sort.Strings(reported)
			if diff := cmp.Diff(wire, reported); diff != "" {
				t.Errorf("report calls differ from the requests on the wire (-wire +report):\n%s", diff)
			}
			t.Logf("%d calls: %s", len(wire), strings.Join(wire, " "))
		})
	}
}

// TestRunbookAgainstTheEmulator runs bench/runbook.sh once: the AWS CLI (botocore, not the Go SDK)
// against the emulator, so the baseline of the benchmark cannot rot unnoticed.
func TestRunbookAgainstTheEmulator(t *testing.T) {
	awsBin := interop.RequireTool(t, "aws", "XSDOCTOR_AWS_CLI", "install the AWS CLI (pip install awscli)")
	jq := interop.RequireTool(t, "jq", "XSDOCTOR_JQ", "install jq")
	// The variant with both an inline and a managed policy walks every loop of the runbook.
	f := newFixture(t, benchScenarios[1].file)
	res := runRunbook(t, f, awsBin, jq, false)
	if !strings.Contains(res.Stdout, "$ aws kms get-key-policy") || !strings.Contains(res.Stdout, `"Policy"`) {
		t.Errorf("runbook did not read the key policy:\n%s", res)
	}
	if strings.Contains(res.Stdout, "SecretAccessKey") || strings.Contains(res.Stdout, "SessionToken") {
		t.Errorf("runbook printed credentials")
	}
	for _, cmd := range []string{"get-role-policy", "get-policy-version", "simulate-principal-policy"} {
		if !strings.Contains(res.Stdout, "$ aws iam "+cmd) {
			t.Errorf("runbook never ran aws iam %s", cmd)
		}
	}
	if n := runbookCalls(t, res); n != 17 {
		t.Errorf("runbook made %d calls, want 17 (2 AssumeRole, 6 owner reads, 9 consumer reads)", n)
	}
}

// BenchmarkCheckVsRunbook50msLatency is the end-to-end latency target: the median wall time of
// `xsdoctor check` (a fresh process each time, as a user runs it) against the emulator with
// 50 ms on every call, compared with 1.3 × the scenario's critical path × 50 ms plus the process
// start-up (the median of `xsdoctor version`); then, in the same run against the same endpoint,
// the one-process sequential baseline (sequentialBaseline) and bench/runbook.sh.
//
//	go test ./bench -run '^$' -bench CheckVsRunbook -benchtime 20x
func BenchmarkCheckVsRunbook50msLatency(b *testing.B) {
	for _, bs := range benchScenarios {
		b.Run(bs.name, func(b *testing.B) { benchCheckVsRunbook(b, bs) })
	}
}

func benchCheckVsRunbook(b *testing.B, bs benchScenario) {
	f := newFixture(b, bs.file)
	endpoint := f.env["AWS_ENDPOINT_URL"]

	startup := medianOf(b, 7, func() time.Duration {
		res, err := interop.Run(context.Background(), f.env, f.bin, "version")
		if err != nil || res.ExitCode != 0 {
			b.Fatalf("xsdoctor version: %v\n%s", err, res)
		}
		return res.Wall
	})
	floor := time.Duration(bs.roundTrips) * latency
	target := time.Duration(slack * float64(floor))

	// One verified run first: no duplicate request on the wire; its call counts are the
	// reference every timed run is held to.
	rec := newRecorder(b, endpoint)
	ref, _ := f.check(b, rec.URL)
	assertNoCallTwice(b, rec.requests())
	refCounts := callCounts(ref)

	var times []time.Duration
	for b.Loop() {
		d, res := f.check(b, endpoint)
		if diff := cmp.Diff(refCounts, callCounts(d)); diff != "" {
			b.Fatalf("calls differ from the verified run (-verified +this):\n%s", diff)
		}
		times = append(times, res.Wall)
	}
	check := median(times)
	b.ReportMetric(ms(check), "check-median-ms")
	b.ReportMetric(ms(startup), "startup-ms")
	b.ReportMetric(ms(target+startup), "target-ms")
	b.ReportMetric(ms(floor+startup), "floor-ms")
	b.ReportMetric(float64(len(ref.Calls)), "calls")
	b.Logf("xsdoctor check: median %v over %d runs (min %v, max %v), %d calls, none twice",
		check.Round(time.Millisecond), len(times), slices.Min(times).Round(time.Millisecond),
		slices.Max(times).Round(time.Millisecond), len(ref.Calls))
	b.Logf("target: %.1f × %d × %v = %v + start-up %v (median of xsdoctor version) = %v; floor (the critical path): %d × %v + start-up = %v",
		slack, bs.roundTrips, latency, target, startup.Round(time.Millisecond), (target + startup).Round(time.Millisecond),
		bs.roundTrips, latency, (floor + startup).Round(time.Millisecond))
	if check > target+startup {
		b.Errorf("median check %v exceeds the target %v", check.Round(time.Millisecond), (target + startup).Round(time.Millisecond))
	}

	// The one-process sequential baseline: the same reads through one SDK client per identity,
	// one after another, in this process (no start-up counted for it).
	var seq []time.Duration
	for range *runbookRuns {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		start := time.Now()
		n, err := sequentialBaseline(ctx, endpoint, f.sc)
		seq = append(seq, time.Since(start))
		cancel()
		if err != nil || n != bs.runbookCalls {
			b.Fatalf("sequential baseline: %d calls, want %d: %v", n, bs.runbookCalls, err)
		}
	}
	sequential := median(seq)
	b.ReportMetric(ms(sequential), "sequential-median-ms")
	b.ReportMetric(float64(sequential)/float64(check), "sequential/check")
	b.Logf("one-process sequential baseline (Go SDK): median %v over %d runs, %d calls one after another; ratio sequential / check = %.1f×",
		sequential.Round(time.Millisecond), len(seq), bs.runbookCalls, float64(sequential)/float64(check))

	awsBin, errAWS := interop.FindTool("aws", "XSDOCTOR_AWS_CLI")
	jq, errJQ := interop.FindTool("jq", "XSDOCTOR_JQ")
	if err := errors.Join(errAWS, errJQ); err != nil {
		if interop.InCI() {
			b.Fatalf("CI=true: the runbook needs the AWS CLI and jq: %v", err)
		}
		b.Logf("runbook NOT run (%v): install the AWS CLI and jq for the comparison", err)
		return
	}
	var rb []time.Duration
	var rbCalls int
	for i := 0; i < *runbookRuns; i++ {
		res := runRunbook(b, f, awsBin, jq, true)
		rbCalls = runbookCalls(b, res)
		rb = append(rb, res.Wall)
	}
	runbook := median(rb)
	b.ReportMetric(ms(runbook), "runbook-median-ms")
	b.ReportMetric(float64(runbook)/float64(check), "runbook/check")
	b.Logf("AWS CLI runbook: median %v over %d runs, %d calls, one after another", runbook.Round(time.Millisecond), len(rb), rbCalls)
	b.Logf("ratio runbook / check = %.1f×", float64(runbook)/float64(check))
}

// runRunbook runs bench/runbook.sh against the fixture's endpoint.
func runRunbook(tb testing.TB, f fixture, awsBin, jq string, quiet bool) interop.Result {
	tb.Helper()
	q := "0"
	if quiet {
		q = "1"
	}
	path := filepath.Dir(awsBin) + string(os.PathListSeparator) + filepath.Dir(jq) +
		string(os.PathListSeparator) + f.env["PATH"]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := f.sc.Check
	res, err := interop.Run(ctx, f.env.With("PATH", path, "RUNBOOK_QUIET", q), "./runbook.sh",
		c.Secret, c.Consumer, c.OwnerRole, c.ConsumerRole)
	if err != nil {
		tb.Fatal(err)
	}
	if res.ExitCode != 0 {
		tb.Fatalf("runbook.sh failed:\n%s", res)
	}
	return res
}

var runbookSummary = regexp.MustCompile(`runbook: (\d+) AWS CLI calls`)

func runbookCalls(tb testing.TB, res interop.Result) int {
	tb.Helper()
	m := runbookSummary.FindStringSubmatch(res.Stdout)
	if m == nil {
		tb.Fatalf("runbook printed no summary line:\n%s", res)
	}
	var n int
	fmt.Sscan(m[1], &n)
	return n
}

// recorded is one request seen on the wire.
type recorded struct {
	AccessKey string // who signed it (the base credentials or an assumed role's)
	Service   string // the signing name from the credential scope
	Operation string
	Body      string
}

// recorder is a reverse proxy in front of an AWS endpoint that remembers every request.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	seen []recorded
}

var credentialScope = regexp.MustCompile(`Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/aws4_request`)

func newRecorder(tb testing.TB, target string) *recorder {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		rec := recorded{Body: string(body)}
		if m := credentialScope.FindStringSubmatch(req.Header.Get("Authorization")); m != nil {
			rec.AccessKey, rec.Service = m[1], m[2]
		}
		// awsJson names the operation in X-Amz-Target ("TrentService.GetKeyPolicy"), awsQuery
		// in the form body (Action=GetRole).
		if t := req.Header.Get("X-Amz-Target"); t != "" {
			rec.Operation = t[strings.LastIndex(t, ".")+1:]
		} else if form, err := url.ParseQuery(string(body)); err == nil {
			rec.Operation = form.Get("Action")
		}
		r.mu.Lock()
		r.seen = append(r.seen, rec)
		r.mu.Unlock()
		proxy.ServeHTTP(w, req)
	}))
	tb.Cleanup(r.Close)
	return r
}

func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

// assertNoCallTwice fails when two requests carry the same credentials, operation and body:
// the same question asked twice.
func assertNoCallTwice(tb testing.TB, seen []recorded) {
	tb.Helper()
	first := map[recorded]int{}
	for i, r := range seen {
		if j, dup := first[r]; dup {
			tb.Errorf("request %d repeats request %d: %s:%s %s", i+1, j+1, r.Service, r.Operation, r.Body)
			continue
		}
		first[r] = i
	}
}

func callCounts(d xsdoctor.Diagnosis) map[string]int {
	n := map[string]int{}
	for _, c := range d.Calls {
		n[c.Account+" "+c.Service+":"+c.Operation]++
	}
	return n
}

func medianOf(tb testing.TB, n int, f func() time.Duration) time.Duration {
	tb.Helper()
	var d []time.Duration
	for i := 0; i < n; i++ {
		d = append(d, f())
	}
	return median(d)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
