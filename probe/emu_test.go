package probe

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/internal/awsemu"
)

// sharedScenarios is where the team's scenarios live (SPEC §6); XSDOCTOR_SCENARIOS overrides.
func sharedScenarios(t testing.TB) string {
	if d := os.Getenv("XSDOCTOR_SCENARIOS"); d != "" {
		return d
	}
	d, err := filepath.Abs("../../shared/scenarios")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func sharedScenario(t testing.TB, name string) string {
	p := filepath.Join(sharedScenarios(t), name+".json")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared scenario %s: %v", name, err)
	}
	return p
}

// isolate keeps the SDK away from the machine's AWS configuration and from the network beyond
// loopback: no IMDS, empty config and credentials files, no ambient endpoint, profile or keys.
func isolate(t testing.TB) {
	dir := t.TempDir()
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_RETRY_MODE",
		"AWS_MAX_ATTEMPTS", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// operatorCreds are keys the emulator did not issue: it treats them as the scenario's operator.
var operatorCreds = credentials.NewStaticCredentialsProvider("AKIAOPERATOREXAMPLE1", "operator-secret-key-not-a-real-one", "")

// fastRetries keeps the standard retryer (throttling and 5xx are retried, 3 attempts) with a
// short backoff, so that fault scenarios stay fast.
func fastRetries(o *config.LoadOptions) error {
	o.Retryer = func() aws.Retryer {
		return retry.AddWithMaxBackoffDelay(retry.NewStandard(), 5*time.Millisecond)
	}
	return nil
}

// httpRequest is one HTTP request the emulator received.
type httpRequest struct {
	Op         string // "TrentService.DescribeKey", "GetRole", …
	AccessKey  string
	Invocation string // amz-sdk-invocation-id: the same for every attempt of one call
	Body       string
	Status     int
	Start, End time.Time
}

// emu is the emulator behind httptest on 127.0.0.1, with every request logged.
type emu struct {
	t       testing.TB
	sc      *awsemu.Scenario
	url     string
	mu      sync.Mutex
	reqs    []httpRequest
	handler http.Handler // the emulator itself, for intercepts that edit its answers
	// intercept, when set, may answer a request itself (returns true).
	intercept func(w http.ResponseWriter, r *http.Request, op string) bool
}

func startEmu(t testing.TB, path string, opts awsemu.Options) *emu {
	t.Helper()
	sc, _, err := awsemu.Load(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return startEmuScenario(t, sc, opts)
}

func startEmuScenario(t testing.TB, sc *awsemu.Scenario, opts awsemu.Options) *emu {
	t.Helper()
	e := &emu{t: t, sc: sc}
	h := awsemu.New(sc, opts)
	e.handler = h
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		op := r.Header.Get("X-Amz-Target")
		if op == "" {
			v, _ := url.ParseQuery(string(body))
			op = v.Get("Action")
		}
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		if e.intercept == nil || !e.intercept(rec, r, op) {
			h.ServeHTTP(rec, r)
		}
		e.mu.Lock()
		e.reqs = append(e.reqs, httpRequest{Op: op, AccessKey: accessKey(r), Invocation: r.Header.Get("Amz-Sdk-Invocation-Id"),
			Body: string(body), Status: rec.status, Start: start, End: time.Now()})
		e.mu.Unlock()
	}))
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

var credRE = regexp.MustCompile(`Credential=([^/]+)/`)

func accessKey(r *http.Request) string {
	m := credRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return ""
	}
	return m[1]
}

func (e *emu) requests() []httpRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]httpRequest(nil), e.reqs...)
}

// duplicates lists the calls made twice: the same request (operation, credentials, body) sent
// under two different SDK invocations. Retries of one call share an invocation id and are not
// duplicates.
func (e *emu) duplicates() []string {
	seen := map[string]map[string]bool{}
	for _, r := range e.requests() {
		k := r.Op + " " + r.AccessKey + " " + r.Body
		if seen[k] == nil {
			seen[k] = map[string]bool{}
		}
		seen[k][r.Invocation] = true
	}
	var dups []string
	for k, inv := range seen {
		if len(inv) > 1 {
			dups = append(dups, fmt.Sprintf("%d× %s", len(inv), k))
		}
	}
	sort.Strings(dups)
	return dups
}

// options are the probe options for the scenario's check block, against the emulator.
func (e *emu) options() Options {
	c := e.sc.Check
	return Options{
		Secret: c.Secret, Consumer: c.Consumer,
		OwnerRole: c.OwnerRole, ConsumerRole: c.ConsumerRole, KeyRole: c.KeyRole,
		ExternalID: c.ExternalID, Region: c.Region, Live: c.Live,
		Endpoint:      e.url,
		Timeout:       20 * time.Second,
		SessionName:   "xsdoctor-test",
		ConfigOptions: []func(*config.LoadOptions) error{config.WithCredentialsProvider(operatorCreds), fastRetries},
		Now:           func() time.Time { return time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC) },
	}
}

// gather runs Gather against the emulator and fails the test on an error.
func (e *emu) gather(o Options) xsdoctor.Facts {
	e.t.Helper()
	f, err := Gather(context.Background(), o)
	if err != nil {
		e.t.Fatalf("Gather: %v", err)
	}
	return f
}

// secretValues are the canaries of every secret in the scenario.
func secretValues(sc *awsemu.Scenario) []string {
	var vals []string
	for _, id := range sc.AccountIDs {
		for _, s := range sc.Accounts[id].Secrets {
			if s.Value != "" {
				vals = append(vals, s.Value)
			}
		}
	}
	return vals
}

func callNames(f xsdoctor.Facts) []string {
	var names []string
	for _, c := range f.Calls {
		names = append(names, c.Service+":"+c.Operation)
	}
	return names
}

func hasCall(f xsdoctor.Facts, name string) bool {
	for _, n := range callNames(f) {
		if n == name {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// depth is the length of the longest chain of calls where each started after the previous one
// ended: the number of dependent round trips, whatever the latency. Attempts of one call (same
// invocation) count as one link per attempt, as they are sequential.
func (e *emu) depth() int {
	reqs := e.requests()
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].Start.Before(reqs[j].Start) })
	d := make([]int, len(reqs))
	best := 0
	for i, r := range reqs {
		d[i] = 1
		for j := 0; j < i; j++ {
			if !reqs[j].End.After(r.Start) && d[j]+1 > d[i] {
				d[i] = d[j] + 1
			}
		}
		if d[i] > best {
			best = d[i]
		}
	}
	return best
}
