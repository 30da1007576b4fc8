package awsemu

import (
	"strings"
	"time"
)

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
