package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain registers xsdoctor as a command the txtar scripts run with exec: the test binary
// itself, calling run, so the scripts exercise the real command line, exit codes included.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"xsdoctor": func() {
			os.Exit(run(context.Background(), os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs testdata/script/*.txtar: usage errors, --help, version, exit codes and the
// demo in every output format.
func TestScripts(t *testing.T) {
	scenarios, err := filepath.Abs(scenarioDir(t))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			// No AWS configuration of this machine may leak into a script (common.md: tests
			// touch nothing beyond loopback).
			empty := filepath.Join(e.WorkDir, ".aws-empty")
			if err := os.WriteFile(empty, nil, 0o600); err != nil {
				return err
			}
			e.Setenv("AWS_CONFIG_FILE", empty)
			e.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
			e.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			e.Setenv("SCENARIOS", scenarios)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits": exitsCmd,
		},
	})
}

// exitsCmd is "exits N command args...": run the command and require exit code N (testscript's
// own "! exec" only knows zero from non-zero, and SPEC §5 gives each code a meaning). The
// command's stdout and stderr are kept for the stdout/stderr assertions that follow.
func exitsCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("exits does not support !")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exits CODE command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		code, ok := exitCode(err)
		if !ok {
			ts.Fatalf("exits: %v", err)
		}
		got = code
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

func exitCode(err error) (int, bool) {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), true
	}
	return 0, false
}
