// Package interop runs the built xsdoctor binary against AWS implementations written by other
// people (moto) and against its own emulator, the way a user runs it: as a process, configured
// only through flags and the environment (AWS_ENDPOINT_URL, static base credentials). The tests
// live in this directory (moto_test.go); the helpers here are shared with bench/.
//
// Nothing here reaches beyond 127.0.0.1: every process gets an environment with the caller's AWS_*
// variables removed, empty shared config files, the instance metadata service disabled, dummy
// static credentials and an explicit loopback endpoint.
package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xsdoctor/xsdoctor"
)

// Dummy base credentials. They are not secret: moto maps any non-STS key to its default account,
// and the emulator treats credentials it did not issue as the scenario's operator.
const (
	BaseAccessKeyID     = "AKIAXSDOCTORINTEROP1"
	BaseSecretAccessKey = "interop-dummy-secret-access-key"
	Region              = "us-east-1"
)

// InCI reports whether the run is a CI run (CI=true), where a missing tool is a failure, not a skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// RequireTool finds an external program or stops the test: under CI=true it fails, anywhere
// else it skips with a message that says what to install. It never lets a test pass without it.
//
// The program is looked up in $<envOverride>, then PATH, then in every pyenv version (moto and
// the AWS CLI come with the machine image's Python, whose shims may not be on a CI PATH).
func RequireTool(tb testing.TB, name, envOverride, hint string) string {
	tb.Helper()
	path, err := FindTool(name, envOverride)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("%s not found (%v); %s", name, err, hint)
	if InCI() {
		tb.Fatalf("CI=true: %s", msg)
	}
	tb.Skipf("skipping: %s (set CI=true to make this a failure)", msg)
	return ""
}

// FindTool locates an external program; see RequireTool.
func FindTool(name, envOverride string) (string, error) {
	if p := os.Getenv(envOverride); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("$%s=%s: %w", envOverride, p, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	root := os.Getenv("PYENV_ROOT")
	if root == "" {
		home, _ := os.UserHomeDir()
		root = filepath.Join(home, ".pyenv")
	}
	// Any pyenv version that has it will do: the program runs with its own interpreter.
	matches, _ := filepath.Glob(filepath.Join(root, "versions", "*", "bin", name))
	if len(matches) > 0 {
		return matches[0], nil
	}
	return "", fmt.Errorf("not in $%s, PATH or %s/versions/*/bin", envOverride, root)
}

// ModuleRoot is the directory holding go.mod, found from this source file.
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

var buildMu sync.Mutex

// BuildXsdoctor compiles ./cmd/xsdoctor into dir and returns the binary's path; with
// $XSDOCTOR_BIN set it returns that binary instead (to test a release build). The go command
// caches the work, so a second build in the same run only links.
func BuildXsdoctor(dir string) (string, error) {
	if p := os.Getenv("XSDOCTOR_BIN"); p != "" {
		return filepath.Abs(p)
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	out := filepath.Join(dir, "xsdoctor")
	cmd := exec.Command(gobin, "build", "-o", out, "./cmd/xsdoctor")
	cmd.Dir = ModuleRoot()
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/xsdoctor: %w\n%s", err, msg)
	}
	return out, nil
}

// Env is a process environment.
type Env map[string]string

// CleanEnv returns the base environment for an AWS client talking to endpoint (none when empty):
// the parent's environment minus every AWS_* variable (profiles, web identity, container
// credentials, endpoints), then dummy static credentials, region us-east-1, empty shared config
// and credentials files (created in dir), IMDS disabled, no colour.
func CleanEnv(dir, endpoint string) Env {
	empty := filepath.Join(dir, "aws-empty-config")
	_ = os.WriteFile(empty, nil, 0o600)
	env := Env{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") {
			continue
		}
		env[k] = v
	}
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           BaseAccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       BaseSecretAccessKey,
		"AWS_DEFAULT_REGION":          Region,
		"AWS_REGION":                  Region,
		"AWS_CONFIG_FILE":             empty,
		"AWS_SHARED_CREDENTIALS_FILE": empty,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_PAGER":                   "",
		"NO_COLOR":                    "1",
	} {
		env[k] = v
	}
	if endpoint != "" {
		env["AWS_ENDPOINT_URL"] = endpoint
	}
	return env
}

// With returns a copy of env with the given key/value pairs set.
func (e Env) With(kv ...string) Env {
	c := make(Env, len(e)+len(kv)/2)
	for k, v := range e {
		c[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		c[kv[i]] = kv[i+1]
	}
	return c
}

// List renders env for exec.Cmd, sorted so runs are reproducible.
func (e Env) List() []string {
	l := make([]string, 0, len(e))
	for k, v := range e {
		l = append(l, k+"="+v)
	}
	sort.Strings(l)
	return l
}

// Result is one finished process.
type Result struct {
	Args     []string
	Stdout   string
	Stderr   string
	ExitCode int
	Wall     time.Duration
}

func (r Result) String() string {
	return fmt.Sprintf("%s: exit %d in %v\nstdout:\n%s\nstderr:\n%s",
		strings.Join(r.Args, " "), r.ExitCode, r.Wall.Round(time.Millisecond), r.Stdout, r.Stderr)
}

// Run runs a program to completion. A non-zero exit is a Result, not an error; an error means
// the program could not be run at all (or ctx expired).
func Run(ctx context.Context, env Env, name string, args ...string) (Result, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env.List()
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := Result{Args: append([]string{filepath.Base(name)}, args...), Stdout: stdout.String(),
		Stderr: stderr.String(), Wall: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && ctx.Err() == nil:
		res.ExitCode = exit.ExitCode()
	default:
		return res, fmt.Errorf("run %s: %w\n%s", res.Args[0], err, res.Stderr)
	}
	return res, nil
}

// CheckJSON runs `xsdoctor check ARGS… -o json --debug` and decodes the report on stdout. The
// exit code is the caller's to judge; a process that cannot run, or prints no JSON report, stops
// the test.
func CheckJSON(tb testing.TB, timeout time.Duration, env Env, bin string, args ...string) (xsdoctor.Diagnosis, Result) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res, err := Run(ctx, env, bin, append(append([]string{"check"}, args...), "-o", "json", "--debug")...)
	if err != nil {
		tb.Fatal(err)
	}
	var d xsdoctor.Diagnosis
	if err := json.Unmarshal([]byte(res.Stdout), &d); err != nil {
		tb.Fatalf("stdout is not a JSON report: %v\n%s", err, res)
	}
	return d, res
}

// FreePort asks the kernel for a free TCP port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Server is a background process serving HTTP on loopback.
type Server struct {
	Endpoint string
	cmd      *exec.Cmd
	log      *lockedBuffer
	done     chan struct{}
}

// Log is what the server wrote to stdout and stderr so far.
func (s *Server) Log() string { return s.log.String() }

// Stop ends the server's process group (moto_server runs under a pyenv shim that execs, but a
// Python server may still fork) and waits for it.
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// StartMoto starts `moto_server -H 127.0.0.1 -p PORT` and waits until it answers. It is stopped
// by tb's cleanup. MOTO_ACCOUNT_ID is never set: it would force every request into one account
// (wire.md, "What moto does").
func StartMoto(tb testing.TB, motoServer string, env Env) *Server {
	tb.Helper()
	port, err := FreePort()
	if err != nil {
		tb.Fatalf("%v", err)
	}
	env = env.With() // a copy: the caller keeps its own
	delete(env, "MOTO_ACCOUNT_ID")
	srv, err := startServer(env, nil, motoServer, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err != nil {
		tb.Fatalf("start moto_server: %v", err)
	}
	tb.Cleanup(srv.Stop)
	srv.Endpoint = fmt.Sprintf("http://127.0.0.1:%d", port)
	// moto answers its own dashboard API once the Flask app is up.
	if err := waitHTTP(srv, srv.Endpoint+"/moto-api/", 60*time.Second); err != nil {
		tb.Fatalf("moto_server did not become ready: %v\nmoto log:\n%s", err, srv.Log())
	}
	return srv
}

// StartEmulator starts `xsdoctor emulate --scenario FILE --listen 127.0.0.1:PORT`, reads the
// endpoint URL from the first line of its stdout, and waits until it answers HTTP.
func StartEmulator(tb testing.TB, xsdoctor, scenario string, env Env) *Server {
	tb.Helper()
	port, err := FreePort()
	if err != nil {
		tb.Fatalf("%v", err)
	}
	first := make(chan string, 1)
	srv, err := startServer(env, first, xsdoctor, "emulate", "--scenario", scenario,
		"--listen", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		tb.Fatalf("start xsdoctor emulate: %v", err)
	}
	tb.Cleanup(srv.Stop)
	select {
	case line := <-first:
		// The first line is the endpoint URL; take the URL out of it should it come with words.
		srv.Endpoint = strings.TrimRight(loopbackURL.FindString(line), ".,;")
	case <-srv.done:
		tb.Fatalf("xsdoctor emulate exited before printing its endpoint:\n%s", srv.Log())
	case <-time.After(30 * time.Second):
		tb.Fatalf("xsdoctor emulate printed no endpoint within 30s:\n%s", srv.Log())
	}
	if srv.Endpoint == "" {
		tb.Fatalf("xsdoctor emulate: the first line of its output holds no http://127.0.0.1 endpoint URL:\n%s", srv.Log())
	}
	if err := waitHTTP(srv, srv.Endpoint, 30*time.Second); err != nil {
		tb.Fatalf("emulator did not answer: %v\n%s", err, srv.Log())
	}
	return srv
}

var loopbackURL = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)

func startServer(env Env, firstLine chan<- string, name string, args ...string) (*Server, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env.List()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	log := &lockedBuffer{}
	cmd.Stderr = log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	srv := &Server{cmd: cmd, log: log, done: make(chan struct{})}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		r := bufio.NewReader(stdout)
		if firstLine != nil {
			line, _ := r.ReadString('\n')
			firstLine <- line
			log.Write([]byte(line))
		}
		_, _ = io.Copy(log, r)
	}()
	go func() {
		<-copied
		_ = cmd.Wait()
		close(srv.done)
	}()
	return srv, nil
}

// waitHTTP polls url until any HTTP answer comes back, the server exits, or the time is up.
func waitHTTP(srv *Server, url string, limit time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(limit)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-srv.done:
			return fmt.Errorf("process exited: %v", srv.cmd.ProcessState)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer from %s within %v: %w", url, limit, err)
		}
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
