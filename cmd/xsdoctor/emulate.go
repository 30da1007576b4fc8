package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"io/fs"
	"net"

	"github.com/xsdoctor/xsdoctor/internal/awsemu"
)

// runEmulate is "xsdoctor emulate --scenario FILE [--listen ADDR]": it serves the scenario until
// ctx is cancelled (main cancels it on SIGINT or SIGTERM).
func runEmulate(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	flags := flag.NewFlagSet("emulate", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	scenario := flags.String("scenario", "", "")
	listen := flags.String("listen", awsemu.DefaultListen, "")
	positional, err := parseFlags(flags, args)
	if isHelp(err) {
		return exitOK, runHelp([]string{"emulate"}, stdout)
	}
	if err != nil {
		return 0, flagError("emulate", err)
	}
	if len(positional) > 0 {
		return 0, usagef("emulate", "pass the file with --scenario "+positional[0], "unexpected argument %q", positional[0])
	}
	if *scenario == "" {
		return 0, usagef("emulate", "xsdoctor emulate --scenario ../shared/scenarios/kms-key-is-disabled.json", "--scenario is required")
	}
	if _, _, err := net.SplitHostPort(*listen); err != nil {
		return 0, usagef("emulate", "give host:port, e.g. --listen 127.0.0.1:4566", "malformed --listen %q", *listen)
	}
	if err := awsemu.Serve(ctx, *scenario, *listen, stdout, stderr); err != nil {
		// A scenario that cannot be read or decoded is the user's to fix, like a bad flag.
		var le *awsemu.LoadError
		if errors.As(err, &le) || errors.Is(err, fs.ErrNotExist) {
			return 0, &usageError{cmd: "emulate", msg: err.Error(), hint: "emulate takes a scenario file in the SPEC §6 format, e.g. ../shared/scenarios/*.json"}
		}
		return exitCannotRun, err
	}
	return exitOK, nil
}
