package main

import (
	"fmt"
	"io"

	"github.com/xsdoctor/xsdoctor/explain"
)

// runExplain is "xsdoctor explain CODE" (and "explain --list"): the reference text of a finding
// code, from the same entries as docs/codes.md.
func runExplain(args []string, stdout io.Writer) error {
	if len(args) == 1 {
		switch {
		case isHelpArg(args[0]):
			return runHelp([]string{"explain"}, stdout)
		case args[0] == "--list" || args[0] == "-list":
			return explain.Index(stdout)
		}
	}
	if len(args) != 1 {
		return usagef("explain", "name one finding code, e.g. xsdoctor explain KEY_AWS_MANAGED; xsdoctor explain --list shows them all", "explain takes one finding code, got %d arguments", len(args))
	}
	e, ok := explain.Lookup(args[0])
	if !ok {
		near := suggest(explain.Normalize(args[0]), explain.Codes(), 3)
		return usagef("explain", didYouMean(near)+"xsdoctor explain --list shows every code", "unknown finding code %q", args[0])
	}
	if err := explain.Text(stdout, e); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}
