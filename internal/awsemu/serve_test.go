package awsemu

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func writeScenario(t testing.TB, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.json")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestServePrintsTheEndpointFirstAndStopsWhenCancelled(t *testing.T) {
	isolateSDK(t)
	path := writeScenario(t, wireScenario)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, path, "127.0.0.1:0", outW, &stderr)
		outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	if !lines.Scan() {
		t.Fatalf("no endpoint line; stderr:\n%s", stderr.String())
	}
	endpoint := lines.Text()
	go io.Copy(io.Discard, outR)
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") {
		t.Fatalf("first line %q is not the loopback endpoint URL", endpoint)
	}

	e := &emu{t: t, url: endpoint}
	out, err := e.sts(e.cfg()).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil || *out.Arn != DefaultOperator {
		t.Fatalf("GetCallerIdentity through Serve: %v %v", out, err)
	}

	// A client's spare connection that never sends a request must not turn an interrupt into
	// a failure.
	idle, err := net.Dial("tcp", strings.TrimPrefix(endpoint, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after cancellation: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context was cancelled")
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(endpoint, "http://"), time.Second); err == nil {
		t.Error("the listener is still open after Serve returned")
	}
}

func TestServeReportsWhatStopsItFromStarting(t *testing.T) {
	var stdout, stderr syncBuffer
	err := Serve(context.Background(), filepath.Join(t.TempDir(), "missing.json"), "127.0.0.1:0", &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing scenario: %v", err)
	}
	bad := writeScenario(t, `{"name": "x", "accounts": {"1": {}}, "check": {}}`)
	if err := Serve(context.Background(), bad, "127.0.0.1:0", &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "accounts.1") {
		t.Errorf("invalid scenario: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = Serve(context.Background(), writeScenario(t, wireScenario), ln.Addr().String(), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "--listen") {
		t.Errorf("busy address: %v", err)
	}
	if stdout.String() != "" {
		t.Errorf("nothing should be printed on stdout when Serve cannot start: %q", stdout.String())
	}
}

func TestServeBindsLoopbackByDefault(t *testing.T) {
	if DefaultListen != "127.0.0.1:4566" {
		t.Errorf("DefaultListen = %s", DefaultListen)
	}
	if got := endpointURL(&net.TCPAddr{IP: net.IPv4zero, Port: 80}); got != "http://127.0.0.1:80" {
		t.Errorf("endpoint for 0.0.0.0 = %s", got)
	}
	if got := endpointURL(&net.TCPAddr{IP: net.IPv6unspecified, Port: 80}); got != "http://[::1]:80" {
		t.Errorf("endpoint for [::] = %s", got)
	}
}
