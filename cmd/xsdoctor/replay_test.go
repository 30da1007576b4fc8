package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/xsdoctor/xsdoctor/internal/awsemu"
)

// msField is calls[].ms in a JSON report: the one field a replay may not reproduce (SPEC §8).
var msField = regexp.MustCompile(`"ms": \d+`)

// TestFactsOutThenReplay: for every shared scenario, "demo --facts-out F" then "replay F" prints
// the same report — JSON identical apart from calls[].ms, text and markdown identical — with the
// same exit code; the facts file holds no secret value and no credential; and replay makes no
// network connection (every AWS endpoint and proxy points at a listener that counts them).
func TestFactsOutThenReplay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(scenarioDir(t), "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	tmp := t.TempDir()
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			factsPath := filepath.Join(tmp, name+".facts.json")
			var live, liveErr bytes.Buffer
			liveCode := run(context.Background(), []string{"demo", "--scenario", file, "--live", "-o", "json", "--facts-out", factsPath}, nil, &live, &liveErr)
			if liveCode == exitUsage || liveCode == exitCannotRun {
				t.Fatalf("demo exit %d: %s", liveCode, liveErr.String())
			}
			facts, err := os.ReadFile(factsPath)
			if err != nil {
				t.Fatalf("--facts-out wrote nothing: %v", err)
			}
			noSecrets(t, file, facts)

			demoOut := map[string]string{}
			for _, format := range []string{"text", "markdown"} {
				var a bytes.Buffer
				run(context.Background(), []string{"demo", "--scenario", file, "--live", "-o", format}, nil, &a, &bytes.Buffer{})
				demoOut[format] = a.String()
			}

			counted := trap(t)
			var replayed, replayErr bytes.Buffer
			code := run(context.Background(), []string{"replay", factsPath, "-o", "json"}, nil, &replayed, &replayErr)
			if code != liveCode {
				t.Errorf("replay exit %d, demo exit %d; stderr: %s", code, liveCode, replayErr.String())
			}
			want := msField.ReplaceAllString(live.String(), `"ms": 0`)
			got := msField.ReplaceAllString(replayed.String(), `"ms": 0`)
			if got != want {
				t.Errorf("replay's JSON differs from the demo's:\n--- demo\n%s\n--- replay\n%s", want, got)
			}
			for _, format := range []string{"text", "markdown"} {
				var b bytes.Buffer
				run(context.Background(), []string{"replay", factsPath, "-o", format}, nil, &b, &bytes.Buffer{})
				// The calls line of the text report counts calls, never their durations.
				if demoOut[format] != b.String() {
					t.Errorf("replay -o %s differs from demo -o %s:\n--- demo\n%s\n--- replay\n%s", format, format, demoOut[format], b.String())
				}
			}
			if n := counted(); n != 0 {
				t.Errorf("replay opened %d network connections; it must make no AWS call", n)
			}
		})
	}
}

// TestFromErrorFactsReplay: the parsed error travels in the facts, so a replay opens with the
// same error and the same ERROR_POINTS_ELSEWHERE.
func TestFromErrorFactsReplay(t *testing.T) {
	file := filepath.Join(scenarioDir(t), "account-root-principals-open-all-three-doors.json")
	tmp := t.TempDir()
	errFile := filepath.Join(tmp, "error.txt")
	msg := "An error occurred (AccessDeniedException) when calling the GetSecretValue operation: User: arn:aws:sts::222222222222:assumed-role/invoice-renderer/i-0123456789abcdef0 is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/billing/stripe-api-key-cfryBI with an explicit deny in a resource control policy"
	if err := os.WriteFile(errFile, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	factsPath := filepath.Join(tmp, "facts.json")
	var a, b bytes.Buffer
	codeA := run(context.Background(), []string{"demo", "--scenario", file, "--from-error", errFile, "--facts-out", factsPath, "-o", "json"}, nil, &a, &bytes.Buffer{})
	codeB := run(context.Background(), []string{"replay", factsPath, "-o", "json"}, nil, &b, &bytes.Buffer{})
	if codeA != codeB || msField.ReplaceAllString(a.String(), "") != msField.ReplaceAllString(b.String(), "") {
		t.Errorf("replay differs: exit %d vs %d\n%s\n%s", codeA, codeB, a.String(), b.String())
	}
	for _, want := range []string{`"ERROR_POINTS_ELSEWHERE"`, `"principal": "arn:aws:sts::222222222222:assumed-role/invoice-renderer/i-0123456789abcdef0"`, `"policy_type": "resource-control-policy"`, `"format": "aws-cli"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the replayed report lacks %s", want)
		}
	}
}

// TestReplayRefusesWhatIsNotFacts: a report, a scenario, text, a newer schema — exit 2 naming which.
func TestReplayRefusesWhatIsNotFacts(t *testing.T) {
	tmp := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name, body, want string
	}{
		{"newer.json", `{"schema_version": "2", "kind": "xsdoctor-facts", "tool_version": "v9.0.0"}`, `schema_version "2", newer than "1"`},
		{"report.json", `{"schema_version": "1", "secret": {}, "doors": []}`, "it looks like a report"},
		{"scenario.json", `{"name": "x", "accounts": {}}`, `not an xsdoctor facts file: it has no "kind"`},
		{"other-kind.json", `{"schema_version": "1", "kind": "something-else"}`, `"kind" is "something-else"`},
		{"text.txt", "User: x is not authorized", "not JSON"},
		{"bad-version.json", `{"schema_version": "one", "kind": "xsdoctor-facts"}`, "not a version number"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"replay", write(c.name, c.body)}, nil, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 saying %q", c.name, code, stderr.String(), c.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("%s: a report on stdout: %s", c.name, stdout.String())
		}
	}
}

// noSecrets fails when the facts file holds a secret value of the scenario or credential material.
func noSecrets(t *testing.T, scenarioFile string, facts []byte) {
	t.Helper()
	s, _, err := awsemu.Load(scenarioFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, acct := range s.Accounts {
		for name, sec := range acct.Secrets {
			if sec.Value != "" && bytes.Contains(facts, []byte(sec.Value)) {
				t.Errorf("the facts file holds the value of secret %s", name)
			}
		}
	}
	for _, cred := range []string{"xsdoctor-demo-operator", "SecretAccessKey", "SessionToken", "secret_access_key", "session_token"} {
		if bytes.Contains(facts, []byte(cred)) {
			t.Errorf("the facts file holds credential material %q", cred)
		}
	}
	if k := accessKeyID.Find(facts); k != nil {
		t.Errorf("the facts file holds access key id %s", k)
	}
	var head struct {
		SchemaVersion string `json:"schema_version"`
		Kind          string `json:"kind"`
		ToolVersion   string `json:"tool_version"`
	}
	if err := json.Unmarshal(facts, &head); err != nil || head.SchemaVersion != "1" || head.Kind != "xsdoctor-facts" || head.ToolVersion == "" {
		t.Errorf("facts header %+v (%v)", head, err)
	}
}

// trap points every way the AWS SDK could leave the process — AWS_ENDPOINT_URL, the proxies, the
// instance metadata endpoint — at a loopback listener, and returns how many connections it got.
func trap(t *testing.T) func() int64 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	url := "http://" + ln.Addr().String()
	for _, k := range []string{"AWS_ENDPOINT_URL", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "AWS_EC2_METADATA_SERVICE_ENDPOINT"} {
		t.Setenv(k, url)
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "trap")
	t.Setenv("AWS_REGION", "us-east-1")
	return n.Load
}

// TestTrapCatchesACheck proves the trap works: a real check under it connects.
func TestTrapCatchesACheck(t *testing.T) {
	counted := trap(t)
	run(context.Background(), []string{"check", "arn:aws:secretsmanager:us-east-1:111111111111:secret:x-AbCdEf",
		"--consumer", "arn:aws:iam::222222222222:role/app", "--timeout", "2s"}, nil, &bytes.Buffer{}, &bytes.Buffer{})
	if counted() == 0 {
		t.Fatal("a check under the trap made no connection: the trap would not catch replay either")
	}
}
