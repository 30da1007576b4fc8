package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/internal/awsemu"
	"github.com/xsdoctor/xsdoctor/scenarios"
)

const (
	trapSecret   = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:prod/billing/stripe-api-key-Xk3pQ9"
	trapConsumer = "arn:aws:iam::222222222222:role/service/billing-worker"
	trapOwner    = "arn:aws:iam::111111111111:role/xsdoctor-inspector"
	trapReader   = "arn:aws:iam::222222222222:role/xsdoctor-inspector"
)

// awsEnv points the SDK's default chain at an emulator serving the classic trap, the way a user
// points xsdoctor at LocalStack or moto: AWS_ENDPOINT_URL and static keys, with this machine's
// shared config, credentials and IMDS out of reach.
func awsEnv(t *testing.T) {
	t.Helper()
	classicTrap, _ := scenarios.Get(scenarios.Default)
	s, _, err := awsemu.Parse(classicTrap)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(awsemu.New(s, awsemu.Options{}))
	t.Cleanup(srv.Close)
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            srv.URL,
		"AWS_ACCESS_KEY_ID":           "test-operator",
		"AWS_SECRET_ACCESS_KEY":       "test-operator",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             empty,
		"AWS_SHARED_CREDENTIALS_FILE": empty,
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
}

func TestCheckFindsTheClassicTrapThroughAWSEndpointURL(t *testing.T) {
	awsEnv(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"check", trapSecret,
		"--consumer", trapConsumer, "--owner-role", trapOwner, "--consumer-role=" + trapReader,
		"-o", "json", "--timeout", "20s"}, nil, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr.String())
	}
	var d xsdoctor.Diagnosis
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d.Doors[0].State != xsdoctor.StateClosed || !strings.Contains(stdout.String(), `"KEY_AWS_MANAGED"`) {
		t.Errorf("key-policy door %s, want closed with KEY_AWS_MANAGED:\n%s", d.Doors[0].State, stdout.String())
	}
	if len(d.Calls) == 0 {
		t.Error("the report lists no AWS calls")
	}
	if d.Live != nil {
		t.Errorf("live present without --live: %+v", d.Live)
	}
}

func TestCheckResolvesASecretNameAndSaysSo(t *testing.T) {
	awsEnv(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"check", "prod/billing/stripe-api-key", "--region", "eu-west-1",
		"--consumer", trapConsumer, "--owner-role", trapOwner, "--consumer-role", trapReader,
		"-o", "json"}, nil, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr.String())
	}
	var d xsdoctor.Diagnosis
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d.Secret.ARN != trapSecret {
		t.Errorf("secret ARN %q, want the resolved %q", d.Secret.ARN, trapSecret)
	}
	if !strings.Contains(stdout.String(), `"INPUT_NOT_FULL_ARN"`) {
		t.Errorf("no INPUT_NOT_FULL_ARN finding:\n%s", stdout.String())
	}
}

func TestCheckCannotResolveAnUnknownSecretName(t *testing.T) {
	awsEnv(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"check", "prod/no-such-secret", "--region", "eu-west-1",
		"--consumer", trapConsumer, "--owner-role", trapOwner, "--consumer-role", trapReader}, nil, &stdout, &stderr)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d (usage); stderr:\n%s", code, exitUsage, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout not empty on a usage error:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "xsdoctor check: ") {
		t.Errorf("stderr does not name the command:\n%s", stderr.String())
	}
}

// TestEmulateServesUntilCancelled runs "emulate" as the AWS CLI test and a user would, and stops
// it the way main does on Ctrl-C: by cancelling the context.
func TestEmulateServesUntilCancelled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	var stdout, stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"emulate", "classic-trap", "--listen", addr}, nil, &stdout, &stderr)
	}()

	// An unsigned GetCallerIdentity is enough to see the emulator answer in the STS wire format.
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Post("http://"+addr+"/", "application/x-www-form-urlencoded",
			strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
		if err == nil {
			resp.Body.Close()
			if resp.Header.Get("x-amzn-RequestId") == "" {
				t.Errorf("the emulator's answer has no x-amzn-RequestId header")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("emulate never answered on %s: %v", addr, err)
		}
		select {
		case code := <-done:
			t.Fatalf("emulate exited %d before serving; stderr:\n%s", code, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("emulate exited %d after cancellation, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("emulate did not stop after its context was cancelled")
	}
}

func TestDemoJSONIsDeterministic(t *testing.T) {
	render := func() string {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"demo", "-o", "json"}, nil, &stdout, &stderr); code != 1 {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
		}
		var d xsdoctor.Diagnosis
		if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		for i := range d.Calls {
			d.Calls[i].MS = 0 // SPEC §3: the one field allowed to vary
			d.Calls[i].RequestID = ""
		}
		b, _ := json.Marshal(d)
		return string(b)
	}
	if a, b := render(), render(); a != b {
		t.Errorf("two demo runs differ beyond calls[].ms:\n%s\n%s", a, b)
	}
}

func TestColourOnlyOnATerminalWithoutNO_COLOR(t *testing.T) {
	var buf bytes.Buffer
	if colorFor(&buf, env{}) {
		t.Error("colour for a buffer")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if colorFor(f, env{}) {
		t.Error("colour for a regular file")
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		if !colorFor(tty, env{}) {
			t.Error("no colour for a terminal")
		}
		if colorFor(tty, env{"NO_COLOR": "1"}) {
			t.Error("colour on a terminal with NO_COLOR set")
		}
	}
}

// BenchmarkDemo is the whole command in process: load the built-in scenario, serve it on
// loopback, probe both accounts through the real SDK clients, judge, render JSON.
func BenchmarkDemo(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"demo", "-o", "json"}, nil, &stdout, &stderr); code != 1 {
			b.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
		}
	}
}
