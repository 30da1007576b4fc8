package probe

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/xsdoctor/xsdoctor"
)

// classify says what made a call fail, from the error's types alone (aws-sdk-go-v2 developer
// guide, "Handling errors": errors.As with smithy.APIError, the HTTP response error and
// retry.MaxAttemptsError; never the message text):
//
//   - an AWS error code of access denial → denied; one of the SDK's throttling codes → throttled;
//     an HTTP status of 500 or more (InternalFailure, ServiceUnavailable) → server error; any other
//     code → rejected (AWS answered: not found, invalid request);
//   - no AWS answer and the context's deadline passed → timeout;
//   - no AWS answer because the connection failed (refused, reset, closed before the answer,
//     DNS) → unreachable; a response that could not be read as one → server error.
//
// Attempts is the SDK's attempt count when its retries ran out (retry.MaxAttemptsError), and
// WaitedMS how long the call waited in all (recorded by the timing middleware, waitedError).
func classify(err error) xsdoctor.Failure {
	var f xsdoctor.Failure
	var maxed *retry.MaxAttemptsError
	if errors.As(err, &maxed) {
		f.Attempts = maxed.Attempt
	}
	var waited *waitedError
	if errors.As(err, &waited) {
		f.WaitedMS = waited.waited.Milliseconds()
	}
	var apiErr smithy.APIError
	var resp *awshttp.ResponseError
	var deser *smithy.DeserializationError
	var netErr net.Error
	switch {
	case errors.As(err, &apiErr):
		code := apiErr.ErrorCode()
		_, throttle := retry.DefaultThrottleErrorCodes[code]
		switch {
		case accessDenied[code]:
			f.Class = xsdoctor.FailureDenied
		case throttle:
			f.Class = xsdoctor.FailureThrottled
		case errors.As(err, &resp) && resp.HTTPStatusCode() >= 500:
			f.Class = xsdoctor.FailureServerError
		default:
			f.Class = xsdoctor.FailureRejected
		}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		f.Class = xsdoctor.FailureTimeout
	case errors.As(err, &resp) && resp.HTTPStatusCode() >= 500:
		f.Class = xsdoctor.FailureServerError
	case errors.As(err, &deser):
		f.Class = xsdoctor.FailureServerError
	case errors.As(err, &netErr) && netErr.Timeout():
		f.Class = xsdoctor.FailureTimeout
	case errors.As(err, &netErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		f.Class = xsdoctor.FailureUnreachable
	default:
		f.Class = xsdoctor.FailureRejected
	}
	return f
}

// waitedError carries how long a failed call waited, retries included, from the timing
// middleware to the ReadError; it unwraps to the SDK's own error, so errors.As and errors.Is see
// through it.
type waitedError struct {
	err    error
	waited time.Duration
}

func (e *waitedError) Error() string { return e.err.Error() }
func (e *waitedError) Unwrap() error { return e.err }
