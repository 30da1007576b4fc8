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

// runCheck is "xsdoctor check SECRET_ARN --consumer ARN [flags]", or "xsdoctor check
// --from-error FILE|- [flags]".
func runCheck(ctx context.Context, args []string, e env, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	var f checkFlags
	fs := newCheckFlagSet("check", &f)
	positional, err := parseFlags(fs, args)
	if isHelp(err) {
		return exitOK, runHelp([]string{"check"}, stdout)
	}
	if err != nil {
		return 0, flagError("check", err)
	}
	f.set = given(fs)
	secret := ""
	switch len(positional) {
	case 0:
		if f.fromError == "" {
			return 0, usagef("check", "xsdoctor check arn:aws:secretsmanager:REGION:OWNER:secret:NAME-AbCdEf --consumer ROLE_ARN, or xsdoctor check --from-error FILE", "missing the secret ARN")
		}
	case 1:
		secret = positional[0]
	default:
		return 0, usagef("check", "check one secret at a time; quote arguments that contain spaces", "unexpected argument %q after the secret", positional[1])
	}
	var parsed *xsdoctor.ErrorText
	if f.fromError != "" {
		pe, err := readErrorText("check", f.fromError, stdin)
		if err != nil {
			return 0, err
		}
		if secret, err = f.applyError("check", pe, secret, "", ""); err != nil {
			return 0, err
		}
		parsed = &pe
	}
	if err := f.validate("check"); err != nil {
		return 0, err
	}
	opts := f.probeOptions(secret)
	if f.debug {
		opts.Log = stderr
	}
	return diagnose(ctx, "check", opts, f.runOptions(parsed, colorFor(stdout, e)), stdout)
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

// runOptions is what diagnose does besides probing: the report format, --facts-out, and the error
// parsed from --from-error.
type runOptions struct {
	output   string
	color    bool
	factsOut string
	errText  *xsdoctor.ErrorText
}

func (f *checkFlags) runOptions(errText *xsdoctor.ErrorText, color bool) runOptions {
	return runOptions{output: f.output, color: color, factsOut: f.factsOut, errText: errText}
}

// diagnose is the data flow of style.md: probe.Gather → Facts → door.Check → Diagnosis → report.
// It returns the exit code of SPEC §5.
func diagnose(ctx context.Context, cmd string, opts probe.Options, ro runOptions, stdout io.Writer) (int, error) {
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
	recordInput(&facts.Input, opts, ro.errText)
	if ro.factsOut != "" {
		if err := writeFacts(ro.factsOut, facts); err != nil {
			return exitCannotRun, err
		}
	}
	return judge(facts, ro, stdout)
}

// judge is the offline half of the data flow, shared by check, demo and replay: door.Check, the
// report, and the exit code.
func judge(facts xsdoctor.Facts, ro runOptions, stdout io.Writer) (int, error) {
	d := door.Check(facts)
	if err := render(stdout, d, ro.output, ro.color); err != nil {
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

// recordInput adds to the facts' input what the user gave beyond the secret and the consumer: the
// inspector roles and profiles, and the error parsed from --from-error.
func recordInput(in *xsdoctor.Input, opts probe.Options, errText *xsdoctor.ErrorText) {
	in.OwnerRole, in.ConsumerRole, in.KeyRole = opts.OwnerRole, opts.ConsumerRole, opts.KeyRole
	in.OwnerProfile, in.ConsumerProfile = opts.OwnerProfile, opts.ConsumerProfile
	in.OrgRole, in.OrgProfile = opts.OrgRole, opts.OrgProfile
	in.Error = errText
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
