package awsemu

import (
	"net"
	"net/http"
	"strings"
	"time"
)

// FaultConnectionReset is the fault error that closes the connection without an answer, as a
// peer that crashes or a middlebox that drops the flow does (SPEC §6, "faults").
const FaultConnectionReset = "ConnectionReset"

// resetConnection closes the client's connection without writing a byte of the response. On TCP
// the close is abortive (SO_LINGER 0), so the client reads a reset rather than a clean EOF.
// Where the connection cannot be taken over (HTTP/2), the handler is aborted, which the server
// answers by resetting the stream.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}

// applyFaults plays the scenario's faults for c (SPEC §6, "faults"): every matching fault's
// latency is waited out, then the first fault that still has failures left fails the call. A
// fault with an error and no times fails every matching call. Counting is per fault and shared
// by all callers, as a throttled API is throttled for everyone.
func (s *server) applyFaults(c *call) *apiError {
	var delay time.Duration
	var fail *Fault
	s.mu.Lock()
	for i := range s.sc.Faults {
		f := &s.sc.Faults[i]
		if f.Call != "*" && !strings.EqualFold(f.Call, c.name()) {
			continue
		}
		delay += time.Duration(f.LatencyMS) * time.Millisecond
		if fail != nil || f.Error == "" {
			continue
		}
		if f.Times > 0 && s.fired[i] >= f.Times {
			continue
		}
		s.fired[i]++
		fail = f
	}
	s.mu.Unlock()

	if err := sleep(c.ctx, delay); err != nil {
		// The client went away; what is written now is never read.
		return errorf("RequestTimeout", "the client abandoned the request: %v", err)
	}
	if fail == nil {
		return nil
	}
	if fail.Error == FaultConnectionReset {
		return &apiError{Code: FaultConnectionReset}
	}
	code := protocolCode(c.svc, fail.Error)
	msg := fail.Message
	if msg == "" {
		msg = faultMessage(code)
	}
	return &apiError{Status: statusFor(code), Code: code, Message: msg}
}

// protocolCode adapts a fault's error code to the protocol of the service called: the query
// services (IAM, STS) spell throttling and access denial "Throttling" and "AccessDenied", the
// JSON ones "ThrottlingException" and "AccessDeniedException" (each service's "Common Errors"),
// so one scenario fault can name either spelling for any service.
func protocolCode(svc service, code string) string {
	query := map[string]string{"ThrottlingException": "Throttling", "AccessDeniedException": "AccessDenied"}
	if svc.query() {
		if q, ok := query[code]; ok {
			return q
		}
		return code
	}
	for j, q := range query {
		if code == q {
			return j
		}
	}
	return code
}

// faultMessage is the message AWS sends with the error codes faults usually inject.
func faultMessage(code string) string {
	switch code {
	case "ThrottlingException", "Throttling":
		return "Rate exceeded"
	case "InternalServiceError", "InternalFailure", "ServiceFailure", "KMSInternalException":
		return "An internal error occurred. Try again later."
	case "ServiceUnavailable", "ServiceUnavailableException":
		return "Service is unavailable. Try again later."
	case "DependencyTimeoutException":
		return "The system timed out while trying to fulfill the request. The request can be retried."
	default:
		return "Injected fault " + code + " (scenario faults)."
	}
}
