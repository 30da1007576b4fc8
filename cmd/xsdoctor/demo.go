package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/internal/awsemu"
	"github.com/xsdoctor/xsdoctor/scenarios"
)

// runDemo is "xsdoctor demo [NAME | --scenario FILE] [flags]" (the check against the in-process
// emulator) and "xsdoctor demo --list" (the built-in catalogue).
func runDemo(ctx context.Context, args []string, e env, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	var f checkFlags
	fs := newCheckFlagSet("demo", &f)
	positional, err := parseFlags(fs, args)
	if isHelp(err) {
		return exitOK, runHelp([]string{"demo"}, stdout)
	}
	if err != nil {
		return 0, flagError("demo", err)
	}
	if f.list {
		if len(positional) > 0 || f.scenario != "" {
			return 0, usagef("demo", "run 'xsdoctor demo --list' alone, then 'xsdoctor demo NAME'", "--list takes no scenario")
		}
		return exitOK, listCatalogue(stdout)
	}
	name := ""
	switch {
	case len(positional) > 1:
		return 0, usagef("demo", "run one scenario at a time: xsdoctor demo NAME", "unexpected argument %q", positional[1])
	case len(positional) == 1 && f.scenario != "":
		return 0, usagef("demo", "give a built-in scenario's NAME or --scenario FILE, not both", "both a scenario name %q and --scenario %q", positional[0], f.scenario)
	case len(positional) == 1:
		name = positional[0]
	}
	f.set = given(fs)

	// With --from-error the error supplies the secret and the consumer, so the scenario's check
	// block may leave them out; the error wins over the block, the command line over both.
	var parsed *xsdoctor.ErrorText
	if f.fromError != "" {
		pe, err := readErrorText("demo", f.fromError, stdin)
		if err != nil {
			return 0, err
		}
		parsed = &pe
	}
	scenario, warnings, err := loadScenario("demo", name, f.scenario, parsed != nil)
	if err != nil {
		return 0, err
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "xsdoctor demo: scenario: %s\n", w)
	}
	secret := ""
	if parsed != nil {
		if secret, err = f.applyError("demo", *parsed, "", scenario.Check.Secret, scenario.Check.Consumer); err != nil {
			return 0, err
		}
	}
	// Without --from-error the loader insists on check.secret and check.consumer (SPEC §6).
	if fromBlock := f.fromScenario(scenario.Check); secret == "" {
		secret = fromBlock
	}
	if err := f.validate("demo"); err != nil {
		return 0, err
	}

	// Serve the emulator on a loopback port of our own for the length of the check.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return exitCannotRun, fmt.Errorf("listen on loopback for the emulator: %w", err)
	}
	emuOpts := awsemu.Options{}
	if f.debug {
		emuOpts.Logger = stderr // unknown operations only: the probe logs each call itself
	}
	srv := &http.Server{Handler: awsemu.New(scenario, emuOpts), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		// Close, not Shutdown: the probe has returned, so no call is in flight, and Shutdown
		// would wait up to five seconds for a connection the SDK dialled but never used.
		_ = srv.Close()
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(stderr, "xsdoctor demo: emulator: %v\n", err)
		}
	}()

	opts := f.probeOptions(secret)
	opts.Endpoint = "http://" + ln.Addr().String()
	opts.ConfigOptions = demoConfig()
	if f.debug {
		opts.Log = stderr
		fmt.Fprintf(stderr, "xsdoctor demo: scenario %q served in process on %s; checking %s for %s\n",
			scenario.Name, opts.Endpoint, secret, f.consumer)
	}
	return diagnose(ctx, "demo", opts, f.runOptions(parsed, colorFor(stdout, e)), stdout)
}

// demoConfig makes the SDK talk to the emulator as the scenario's operator: static credentials the
// emulator did not issue (SPEC §6, "Identity and reads"), and no shared config or credentials
// files, so nothing on this machine leaks into, or is read by, the demo.
func demoConfig() []func(*config.LoadOptions) error {
	return []func(*config.LoadOptions) error{
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("xsdoctor-demo-operator", "xsdoctor-demo-operator", "")),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
	}
}

// loadScenario loads the scenario file path, else the built-in scenario name, else the default
// one (the classic trap). Its errors are usage errors of cmd. fromError lets the check block omit
// the secret and the consumer, which the error supplies.
func loadScenario(cmd, name, path string, fromError bool) (*awsemu.Scenario, []string, error) {
	o := awsemu.LoadOptions{CheckFromElsewhere: fromError}
	if path != "" {
		s, warnings, err := awsemu.LoadWith(path, o)
		if err != nil {
			hint := "a scenario file is JSON in the format of docs/scenarios.md; 'xsdoctor demo --list' shows the built-in ones"
			if _, builtIn := scenarios.Get(path); builtIn {
				hint = "a built-in scenario is named without --scenario: xsdoctor " + cmd + " " + path
			}
			return nil, warnings, &usageError{cmd: cmd, msg: err.Error(), hint: hint}
		}
		return s, warnings, nil
	}
	data, err := catalogueScenario(cmd, name)
	if err != nil {
		return nil, nil, err
	}
	s, warnings, err := awsemu.ParseWith(data, o)
	if err != nil {
		return nil, warnings, fmt.Errorf("built-in scenario %s: %w", name, err)
	}
	return s, warnings, nil
}

// catalogueScenario is the file of a built-in scenario (the default one for ""), or a usage
// error that suggests the nearest names.
func catalogueScenario(cmd, name string) ([]byte, error) {
	if name == "" {
		name = scenarios.Default
	}
	if data, ok := scenarios.Get(name); ok {
		return data, nil
	}
	hint := didYouMean(suggest(name, scenarios.Names(), 3)) + "'xsdoctor demo --list' shows the built-in scenarios"
	if strings.HasSuffix(name, ".json") || strings.ContainsRune(name, '/') || strings.ContainsRune(name, os.PathSeparator) {
		hint = "a file is given with --scenario " + name
	}
	return nil, usagef(cmd, hint, "no built-in scenario %q", name)
}

// listCatalogue prints the catalogue: one scenario a line, its name, spaces, its summary.
func listCatalogue(w io.Writer) error {
	entries, err := scenarios.List()
	if err != nil {
		return err
	}
	width := 0
	for _, e := range entries {
		width = max(width, len(e.Name))
	}
	for _, e := range entries {
		fmt.Fprintf(w, "%-*s  %s\n", width, e.Name, e.Summary)
	}
	return nil
}

// fromScenario fills every flag the command line did not set from the scenario's check block,
// and returns the secret to check.
func (f *checkFlags) fromScenario(c awsemu.Check) string {
	fill := func(name string, dst *string, v string) {
		if !f.set[name] {
			*dst = v
		}
	}
	fill("consumer", &f.consumer, c.Consumer)
	fill("owner-role", &f.ownerRole, c.OwnerRole)
	fill("consumer-role", &f.consumerRole, c.ConsumerRole)
	fill("key-role", &f.keyRole, c.KeyRole)
	fill("org-role", &f.orgRole, c.OrgRole)
	fill("external-id", &f.externalID, c.ExternalID)
	fill("session-name", &f.sessionName, c.SessionName)
	fill("region", &f.region, c.Region)
	if !f.set["live"] {
		f.live = c.Live
	}
	return c.Secret
}
