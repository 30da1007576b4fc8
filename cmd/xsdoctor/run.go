package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes (SPEC §5). 0, 1 and 3 come from the diagnosis (door.ExitCode); the CLI adds 2 and 4.
const (
	exitOK        = 0
	exitUsage     = 2
	exitCannotRun = 4
)

// usageError is a command-line mistake: it is printed with a hint and exits 2. It is the one
// typed error that decides an exit code here (the cli/cli FlagError model).
type usageError struct {
	cmd  string // "check", "demo", … or "" for the top level
	msg  string
	hint string
}

func (e *usageError) Error() string { return e.msg }

func usagef(cmd, hint, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...), hint: hint}
}

// env is the process environment as the command sees it; tests pass their own.
type env map[string]string

func parseEnv(kv []string) env {
	e := env{}
	for _, s := range kv {
		if k, v, ok := strings.Cut(s, "="); ok {
			e[k] = v
		}
	}
	return e
}

// run is the whole command: it parses args (without the program name), does the work and returns
// the exit code. stdout carries the report only; errors, progress and --debug go to stderr.
func run(ctx context.Context, args []string, environ []string, stdout, stderr io.Writer) int {
	return runWith(ctx, args, environ, os.Stdin, stdout, stderr)
}

// runWith is run with its standard input given (check --from-error - reads the error from it).
func runWith(ctx context.Context, args []string, environ []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := parseEnv(environ)
	if len(args) == 0 {
		fmt.Fprint(stderr, shortUsage)
		fmt.Fprintln(stderr, "\nxsdoctor: no command given\nhint: try 'xsdoctor demo', or 'xsdoctor help' for what the three doors are")
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	var err error
	code := exitOK
	switch cmd {
	case "check":
		code, err = runCheck(ctx, rest, e, stdin, stdout, stderr)
	case "demo":
		code, err = runDemo(ctx, rest, e, stdin, stdout, stderr)
	case "replay":
		code, err = runReplay(rest, e, stdout)
	case "emulate":
		code, err = runEmulate(ctx, rest, stdout, stderr)
	case "version", "--version":
		if len(rest) > 0 {
			err = usagef("version", "run 'xsdoctor version' without arguments", "version takes no arguments, got %q", rest[0])
			break
		}
		fmt.Fprintf(stdout, "xsdoctor %s\n", versionString())
	case "help", "-h", "-help", "--help":
		err = runHelp(rest, stdout)
	default:
		err = usagef("", "run 'xsdoctor help' for the commands", "unknown command %q", cmd)
		if strings.HasPrefix(cmd, "arn:") {
			err = usagef("", "put the command first: xsdoctor check "+cmd+" --consumer ROLE_ARN", "unknown command %q", cmd)
		}
	}
	if err == nil {
		return code
	}
	var ue *usageError
	if errors.As(err, &ue) {
		prefix := "xsdoctor"
		if ue.cmd != "" {
			prefix += " " + ue.cmd
		}
		fmt.Fprintf(stderr, "%s: %s\n", prefix, ue.msg)
		if ue.hint != "" {
			fmt.Fprintf(stderr, "hint: %s\n", ue.hint)
		}
		return exitUsage
	}
	fmt.Fprintf(stderr, "xsdoctor %s: %v\n", cmd, err)
	if code == exitOK {
		code = exitCannotRun
	}
	return code
}

// colorFor decides whether the text report is coloured: only when stdout is a terminal and
// NO_COLOR is unset or empty (https://no-color.org), and not for TERM=dumb.
func colorFor(stdout io.Writer, e env) bool {
	if e["NO_COLOR"] != "" || e["TERM"] == "dumb" {
		return false
	}
	f, ok := stdout.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
