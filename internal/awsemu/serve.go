package awsemu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"
)

// DefaultListen is where `xsdoctor emulate` listens unless told otherwise: loopback only, on
// the port LocalStack made the usual one for local AWS endpoints.
const DefaultListen = "127.0.0.1:4566"

// shutdownGrace bounds how long Serve waits for requests in flight once ctx is cancelled.
const shutdownGrace = 2 * time.Second

// Serve loads the scenario at scenarioPath and answers for it on listen (DefaultListen when
// empty) until ctx is cancelled, then shuts down cleanly. The first line on stdout is the
// endpoint URL, so a script can read it and point any AWS client at it (--endpoint-url,
// AWS_ENDPOINT_URL). Scenario warnings, unknown operations and server errors go to stderr.
func Serve(ctx context.Context, scenarioPath, listen string, stdout, stderr io.Writer) error {
	s, warnings, err := Load(scenarioPath)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "xsdoctor emulate: scenario %s: warning: %s\n", scenarioPath, w)
	}
	if listen == "" {
		listen = DefaultListen
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("emulate: listen on %s: %w (pick another address with --listen, e.g. 127.0.0.1:0 for any free port)", listen, err)
	}
	srv := &http.Server{
		Handler:           New(s, Options{Logger: stderr}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(stderr, "xsdoctor emulate: ", 0),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	if _, err := fmt.Fprintln(stdout, endpointURL(ln.Addr())); err != nil {
		ln.Close()
		return fmt.Errorf("emulate: write the endpoint URL: %w", err)
	}
	fmt.Fprintf(stderr, "xsdoctor emulate: serving scenario %q (%d accounts) as operator %s; interrupt to stop\n",
		s.Name, len(s.AccountIDs), s.Operator)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("emulate: serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// net/http counts a connection that was opened but never sent a request as busy for
		// its first 5 s, so a client's spare connection can outlast the grace. Interrupting an
		// emulator is not a failure: close what is left and stop.
		fmt.Fprintf(stderr, "xsdoctor emulate: closing connections still open after %s\n", shutdownGrace)
		srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("emulate: serve: %w", err)
	}
	return nil
}

// endpointURL is the URL clients use for addr; an unspecified address (0.0.0.0, ::) is reached
// through loopback.
func endpointURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	host := tcp.IP
	if host.IsUnspecified() {
		if host.To4() != nil {
			host = net.IPv4(127, 0, 0, 1)
		} else {
			host = net.IPv6loopback
		}
	}
	return "http://" + net.JoinHostPort(host.String(), fmt.Sprint(tcp.Port))
}
