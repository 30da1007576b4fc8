package probe

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/xsdoctor/xsdoctor"
)

func TestClassifyNamesEachFailureByItsTypeNotItsMessage(t *testing.T) {
	api := func(code string) error {
		return &smithy.GenericAPIError{Code: code, Message: "throttled? denied? the words do not matter"}
	}
	status := func(code int, err error) error {
		return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: err}}
	}
	op := func(err error) error {
		return &smithy.OperationError{ServiceID: "KMS", OperationName: "GetKeyPolicy", Err: err}
	}
	for _, tc := range []struct {
		name     string
		err      error
		class    xsdoctor.FailureClass
		attempts int
	}{
		{"an access denial (awsJson)", op(status(400, api("AccessDeniedException"))), xsdoctor.FailureDenied, 0},
		{"an access denial (awsQuery)", op(status(403, api("AccessDenied"))), xsdoctor.FailureDenied, 0},
		{"throttling past the retries, with the attempt count", op(&retry.MaxAttemptsError{Attempt: 3, Err: status(400, api("ThrottlingException"))}), xsdoctor.FailureThrottled, 3},
		{"IAM's Throttling code", op(status(400, api("Throttling"))), xsdoctor.FailureThrottled, 0},
		{"a 500 past the retries", op(&retry.MaxAttemptsError{Attempt: 2, Err: status(500, api("InternalFailure"))}), xsdoctor.FailureServerError, 2},
		{"a 503 without a code", op(status(503, fmt.Errorf("no body"))), xsdoctor.FailureServerError, 0},
		{"a not-found answer", op(status(400, api("ResourceNotFoundException"))), xsdoctor.FailureRejected, 0},
		{"the context's deadline", op(fmt.Errorf("send request: %w", context.DeadlineExceeded)), xsdoctor.FailureTimeout, 0},
		{"a refused connection", op(&retry.MaxAttemptsError{Attempt: 2, Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}), xsdoctor.FailureUnreachable, 2},
		{"a connection reset", op(&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), xsdoctor.FailureUnreachable, 0},
		{"a connection closed before the answer", op(fmt.Errorf("read response: %w", io.ErrUnexpectedEOF)), xsdoctor.FailureUnreachable, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := classify(&waitedError{err: tc.err, waited: 1500 * time.Millisecond})
			if f.Class != tc.class || f.Attempts != tc.attempts || f.WaitedMS != 1500 {
				t.Errorf("classify = %+v, want class %s, %d attempts, waited 1500 ms", f, tc.class, tc.attempts)
			}
		})
	}
}
