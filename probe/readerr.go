package probe

import (
	"errors"

	"github.com/aws/smithy-go"

	"github.com/xsdoctor/xsdoctor"
)

// accessDenied holds the error codes AWS uses for an authorization failure on the calls the
// probe makes: AccessDeniedException (Secrets Manager, KMS, Organizations; awsJson), AccessDenied
// (IAM, STS; awsQuery) (aws-semantics §7.2, §7.3).
var accessDenied = map[string]bool{
	"AccessDenied":                       true,
	"AccessDeniedException":              true,
	"AccessDeniedForDependencyException": true,
	"UnauthorizedOperation":              true,
}

// errorCode is the AWS error code of err, or "" when AWS did not answer with one (a transport
// or deserialization failure, a timeout).
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// isCode reports whether err is an AWS error with that code. Codes, not messages, are stable
// (aws-sdk-go-v2 developer guide, "Handling errors": use errors.As and smithy.APIError).
func isCode(err error, code string) bool { return errorCode(err) == code }

// readError records a failed read: the call, the account it was made in, the AWS error code, and
// for an access denial the IAM action the inspector lacks (for every read the probe makes, the
// action has the operation's name; Service Authorization Reference).
func readError(call, account string, err error) *xsdoctor.ReadError {
	re := &xsdoctor.ReadError{Call: call, Account: account}
	if err == nil {
		re.Message = "empty response"
		return re
	}
	re.Failure = classify(err)
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		re.Code = apiErr.ErrorCode()
		re.Message = apiErr.ErrorMessage()
		if accessDenied[re.Code] {
			re.Action = call
		}
		return re
	}
	re.Message = err.Error()
	return re
}

// cause records a read that was not made because what it needed failed first (an AssumeRole,
// the DescribeSecret that names the key): the fact carries the failure that stopped it, so the
// report names the call and the permission that actually failed.
func cause(e *xsdoctor.ReadError) *xsdoctor.ReadError {
	c := *e
	return &c
}
