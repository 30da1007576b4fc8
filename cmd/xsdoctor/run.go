package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xsdoctor/xsdoctor/report"
)

// Exit codes (SPEC §5), all of them here: 0, 1 and 3 map the verdict (exitCode), 2 and 4 are the
// CLI's own.
const (
	exitOK           = 0
	exitClosed       = 1
	exitUsage        = 2
	exitInconclusive = 3
	exitCannotRun    = 4
)

// usage is what every error meaning "the user typed it wrong" provides, whichever package found
// the mistake (the CLI's own usageError, probe.UsageError): the message and a hint. run prints
// every such error the same way and exits 2 (the cli/cli FlagError model).
type usage interface {
	error
	Usage() (msg, hint string)
}

// usageError is a command-line mistake found by the CLI itself.
type usageError struct {
	cmd  string // "check", "demo", … or "" for the top level
	msg  string
	hint string
}

func (e *usageError) Error() string { return e.msg }

func (e *usageError) Usage() (msg, hint string) { return e.msg, e.hint }

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
	case "explain":
		err = runExplain(rest, stdout)
	case "completion":
		err = runCompletion(rest, stdout)
	case "version", "--version":
		if len(rest) == 1 && isHelpArg(rest[0]) {
			err = runHelp([]string{"version"}, stdout)
			break
		}
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
	var u usage
	if errors.As(err, &u) {
		prefix := "xsdoctor " + cmd
		var ue *usageError
		if errors.As(err, &ue) {
			prefix = strings.TrimSpace("xsdoctor " + ue.cmd)
		}
		msg, hint := u.Usage()
		// Usage errors quote what was typed or read (an error text, an ARN): escaped like a report.
		fmt.Fprintf(stderr, "%s: %s\n", prefix, report.ForTerminal(msg))
		if hint != "" {
			fmt.Fprintf(stderr, "hint: %s\n", report.ForTerminal(hint))
		}
		return exitUsage
	}
	fmt.Fprintf(stderr, "xsdoctor %s: %s\n", cmd, report.ForTerminal(err.Error()))
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
