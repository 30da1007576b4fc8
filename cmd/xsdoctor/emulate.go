package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/xsdoctor/xsdoctor/internal/awsemu"
)

// runEmulate is "xsdoctor emulate --scenario FILE [--listen ADDR]": it serves the scenario until
// ctx is cancelled (main cancels it on SIGINT or SIGTERM).
func runEmulate(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("emulate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	scenario := fs.String("scenario", "", "")
	listen := fs.String("listen", "127.0.0.1:4566", "")
	positional, err := parseFlags(fs, args)
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
	if err := serve(ctx, *scenario, *listen, stdout, stderr); err != nil {
		return exitCannotRun, fmt.Errorf("emulate %s: %w", *scenario, err)
	}
	return exitOK, nil
}

// serve loads the scenario and serves it on listen until ctx is cancelled, then shuts down
// gracefully (in-flight calls finish).
func serve(ctx context.Context, path, listen string, stdout, stderr io.Writer) error {
	s, warnings, err := awsemu.Load(path)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "xsdoctor emulate: scenario: %s\n", w)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: awsemu.New(s, awsemu.Options{Logger: stderr}), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "xsdoctor emulate: serving %s (%s) on http://%s\n", s.Name, path, ln.Addr())
	fmt.Fprintf(stdout, "  export AWS_ENDPOINT_URL=http://%s AWS_ACCESS_KEY_ID=operator AWS_SECRET_ACCESS_KEY=operator\n", ln.Addr())
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// Let in-flight calls finish, briefly: a client's unused keep-alive connection would
	// otherwise hold Shutdown for five seconds.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
