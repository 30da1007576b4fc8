package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/factsfile"
)

// runReplay is "xsdoctor replay FACTS_FILE [-o text|json|markdown]": the judgement of check, run
// again on saved facts, offline. It makes no AWS call: nothing here can reach probe.
func runReplay(args []string, e env, stdout io.Writer) (int, error) {
	var f checkFlags
	fs := newReplayFlagSet(&f)
	positional, err := parseFlags(fs, args)
	if isHelp(err) {
		return exitOK, runHelp([]string{"replay"}, stdout)
	}
	if err != nil {
		return 0, flagError("replay", err)
	}
	switch len(positional) {
	case 0:
		return 0, usagef("replay", "write one with xsdoctor check … --facts-out FILE, then xsdoctor replay FILE", "missing the facts file")
	case 1:
	default:
		return 0, usagef("replay", "replay one facts file at a time", "unexpected argument %q after the facts file", positional[1])
	}
	switch f.output {
	case "text", "json", "markdown":
	default:
		return 0, usagef("replay", "use -o text, -o json or -o markdown", "unknown output format %q", f.output)
	}
	path := positional[0]
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, usagef("replay", "pass the file written by --facts-out", "%v", err)
	}
	facts, _, err := factsfile.Read(data)
	if err != nil {
		var newer *factsfile.NewerSchemaError
		hint := "pass the file written by xsdoctor check … --facts-out FILE (not the report)"
		if errors.As(err, &newer) {
			hint = "replay it with a newer xsdoctor"
		}
		return 0, usagef("replay", hint, "%s: %v", path, err)
	}
	return judge(facts, runOptions{output: f.output, color: colorFor(stdout, e)}, stdout)
}

func newReplayFlagSet(f *checkFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by run, with a hint
	fs.StringVar(&f.output, "output", "text", "")
	fs.StringVar(&f.output, "o", "text", "")
	return fs
}

// writeFacts writes --facts-out: to a temporary file in the same directory, renamed into place, so
// that a reader never sees half a file.
func writeFacts(path string, facts xsdoctor.Facts) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".xsdoctor-facts-*")
	if err != nil {
		return fmt.Errorf("--facts-out: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := factsfile.Write(tmp, facts, versionString()); err != nil {
		tmp.Close()
		return fmt.Errorf("--facts-out %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--facts-out %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("--facts-out: %w", err)
	}
	return nil
}
