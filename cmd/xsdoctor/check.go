package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/door"
	"github.com/xsdoctor/xsdoctor/probe"
	"github.com/xsdoctor/xsdoctor/report"
)

// runCheck is "xsdoctor check SECRET_ARN --consumer ARN [flags]".
func runCheck(ctx context.Context, args []string, e env, stdout, stderr io.Writer) (int, error) {
	var f checkFlags
	fs := newCheckFlagSet("check", &f)
	positional, err := parseFlags(fs, args)
	if isHelp(err) {
		return exitOK, runHelp([]string{"check"}, stdout)
	}
	if err != nil {
		return 0, flagError("check", err)
	}
	switch len(positional) {
	case 0:
		return 0, usagef("check", "xsdoctor check arn:aws:secretsmanager:REGION:OWNER:secret:NAME-AbCdEf --consumer ROLE_ARN", "missing the secret ARN")
	case 1:
	default:
		return 0, usagef("check", "check one secret at a time; quote arguments that contain spaces", "unexpected argument %q after the secret", positional[1])
	}
	if err := f.validate("check"); err != nil {
		return 0, err
	}
	opts := f.probeOptions(positional[0])
	if f.debug {
		opts.Log = stderr
	}
	return diagnose(ctx, "check", opts, f.output, colorFor(stdout, e), stdout)
}

// probeOptions maps the flags onto probe.Options.
func (f *checkFlags) probeOptions(secret string) probe.Options {
	return probe.Options{
		Secret:          secret,
		Consumer:        f.consumer,
		OwnerRole:       f.ownerRole,
		ConsumerRole:    f.consumerRole,
		KeyRole:         f.keyRole,
		OwnerProfile:    f.ownerProfile,
		ConsumerProfile: f.consumerProfile,
		OrgRole:         f.orgRole,
		OrgProfile:      f.orgProfile,
		ExternalID:      f.externalID,
		SessionName:     cmp.Or(f.sessionName, defaultSessionName()),
		Region:          f.region,
		Live:            f.live,
		Timeout:         f.timeout,
	}
}

// diagnose is the data flow of style.md: probe.Gather → Facts → door.Check → Diagnosis → report.
// It returns the exit code of SPEC §5.
func diagnose(ctx context.Context, cmd string, opts probe.Options, output string, color bool, stdout io.Writer) (int, error) {
	facts, err := probe.Gather(ctx, opts)
	if err != nil {
		var u usage
		if errors.As(err, &u) {
			return 0, err // run prints it as a usage error, exit 2
		}
		// *probe.ProbeError, or anything else that left no facts: exit 4 (its message carries
		// the hint).
		return exitCannotRun, fmt.Errorf("could not probe: %w", err)
	}
	d := door.Check(facts)
	if err := render(stdout, d, output, color); err != nil {
		return exitCannotRun, err
	}
	return verdictExit(d.Verdict), nil
}

// verdictExit maps a verdict to SPEC §5: 0 open, 1 closed, 3 inconclusive (a door unknown or
// conditional). The other two codes are the CLI's own: 2 usage, 4 could not probe.
func verdictExit(v xsdoctor.State) int {
	switch v {
	case xsdoctor.StateOpen:
		return exitOK
	case xsdoctor.StateClosed:
		return exitClosed
	default:
		return exitInconclusive
	}
}

func render(w io.Writer, d xsdoctor.Diagnosis, output string, color bool) error {
	switch output {
	case "json":
		return report.JSON(w, d)
	case "markdown":
		return report.Markdown(w, d)
	default:
		return report.Text(w, d, report.Options{Color: color})
	}
}
