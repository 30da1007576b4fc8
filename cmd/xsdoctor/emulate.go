package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"github.com/xsdoctor/xsdoctor/internal/awsemu"
	"github.com/xsdoctor/xsdoctor/scenarios"
)

// runEmulate is "xsdoctor emulate (NAME | --scenario FILE) [--listen ADDR]": it serves the
// scenario until ctx is cancelled (main cancels it on SIGINT or SIGTERM).
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
	switch {
	case len(positional) > 1:
		return 0, usagef("emulate", "serve one scenario at a time: xsdoctor emulate NAME", "unexpected argument %q", positional[1])
	case len(positional) == 1 && *scenario != "":
		return 0, usagef("emulate", "give a built-in scenario's NAME or --scenario FILE, not both", "both a scenario name %q and --scenario %q", positional[0], *scenario)
	case len(positional) == 0 && *scenario == "":
		return 0, usagef("emulate", "xsdoctor emulate kms-key-is-disabled, or --scenario FILE; 'xsdoctor demo --list' shows the built-in scenarios", "name a scenario to serve")
	}
	if _, _, err := net.SplitHostPort(*listen); err != nil {
		return 0, usagef("emulate", "give host:port, e.g. --listen 127.0.0.1:4566", "malformed --listen %q", *listen)
	}
	if len(positional) == 1 {
		path, cleanup, err := catalogueFile(positional[0])
		if err != nil {
			return 0, err
		}
		defer cleanup()
		*scenario = path
	}
	if err := awsemu.Serve(ctx, *scenario, *listen, stdout, stderr); err != nil {
		// A scenario that cannot be read or decoded is the user's to fix, like a bad flag.
		var le *awsemu.LoadError
		if errors.As(err, &le) || errors.Is(err, fs.ErrNotExist) {
			hint := "a scenario file is JSON in the format of docs/scenarios.md; 'xsdoctor demo --list' shows the built-in ones"
			if _, builtIn := scenarios.Get(*scenario); builtIn {
				hint = "a built-in scenario is named without --scenario: xsdoctor emulate " + *scenario
			}
			return 0, &usageError{cmd: "emulate", msg: err.Error(), hint: hint}
		}
		return exitCannotRun, err
	}
	return exitOK, nil
}

// catalogueFile writes the built-in scenario name to NAME.json in a temporary directory for the
// emulator's loader, which reads files; cleanup removes it.
func catalogueFile(name string) (path string, cleanup func(), err error) {
	data, err := catalogueScenario("emulate", name)
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "xsdoctor-emulate-")
	if err != nil {
		return "", nil, fmt.Errorf("write the built-in scenario %s for the emulator: %w", name, err)
	}
	path = filepath.Join(dir, name+".json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("write the built-in scenario %s for the emulator: %w", name, err)
	}
	return path, func() { os.RemoveAll(dir) }, nil
}
