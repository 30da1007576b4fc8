package xsdoctor

// FailureClass says what made a read fail, so that every report names the failure for what it
// is and gives the advice that fits it: a missing permission is granted, throttling and server
// errors are waited out, a timeout is given more time, an unreachable endpoint is a network
// problem. Only a denial ever asks for a permission.
type FailureClass string

const (
	FailureDenied      FailureClass = "denied"       // AWS refused the inspector: it lacks the action
	FailureThrottled   FailureClass = "throttled"    // throttling outlasted the SDK's retries
	FailureServerError FailureClass = "server_error" // a 5xx answer outlasted the SDK's retries
	FailureTimeout     FailureClass = "timeout"      // --timeout expired while the call was waiting
	FailureUnreachable FailureClass = "unreachable"  // no answer: connection refused, reset or closed, DNS
	FailureRejected    FailureClass = "rejected"     // AWS answered with another error (not found, invalid request)
)

// Failure classifies a failed call (ReadError, AssumeFailure). The zero value is a failure
// recorded before classes existed (an old facts file): its Code alone describes it.
type Failure struct {
	Class    FailureClass `json:"class,omitempty"`
	Attempts int          `json:"attempts,omitempty"`  // how many times the SDK sent the call, when known
	WaitedMS int64        `json:"waited_ms,omitempty"` // how long the call waited before it failed
}
