package awsemu

import (
	"fmt"
	"net/http"
)

// apiError is an error an operation answers with. The protocol writer turns it into the error
// shape of the service that was called: a JSON body with __type (awsJson1_1) or an
// <ErrorResponse> envelope (awsQuery).
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// errorf builds an apiError with AWS's usual status for code (see statusFor).
func errorf(code, format string, args ...any) *apiError {
	return &apiError{Status: statusFor(code), Code: code, Message: fmt.Sprintf(format, args...)}
}

// statusFor is the HTTP status AWS uses for an error code. Clients classify by code, never by
// status (wire.md), but the AWS CLI and the SDK's retryer do look at 5xx, so server-side faults
// must really be 5xx and throttling must stay 400 (the SDK retries throttling codes by name).
func statusFor(code string) int {
	switch code {
	case "AccessDenied", "InvalidClientTokenId", "MissingAuthenticationToken",
		"SignatureDoesNotMatch", "RegionDisabledException", "IncompleteSignature":
		// awsQuery (IAM, STS) access errors are 403 ("Common Errors", STS and IAM API references).
		return http.StatusForbidden
	case "NoSuchEntity":
		return http.StatusNotFound
	case "InternalServiceError", "InternalFailure", "ServiceFailure", "KMSInternalException",
		"PolicyEvaluation", "InternalError", "InternalErrorException":
		return http.StatusInternalServerError
	case "ServiceUnavailable", "ServiceUnavailableException", "DependencyTimeoutException":
		return http.StatusServiceUnavailable
	default:
		// awsJson1_1 services answer client errors (AccessDeniedException included) with 400.
		return http.StatusBadRequest
	}
}

// accessDenied is the service's own access-denied error: AccessDeniedException for the JSON
// services, AccessDenied for the query ones ("Troubleshoot access denied error messages").
func accessDenied(svc service, caller *principal, action, resource string, why string) *apiError {
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", caller.ARN, action, resource)
	if why != "" {
		msg += " " + why
	}
	if svc.query() {
		return &apiError{Status: http.StatusForbidden, Code: "AccessDenied", Message: msg}
	}
	return &apiError{Status: http.StatusBadRequest, Code: "AccessDeniedException", Message: msg}
}

// validationError is the Coral validation message AWS returns for a missing required member
// (the SDKs validate first, so only hand-built requests see it).
func validationError(svc service, member string) *apiError {
	msg := fmt.Sprintf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
	if svc.query() {
		return &apiError{Status: http.StatusBadRequest, Code: "ValidationError", Message: msg}
	}
	return &apiError{Status: http.StatusBadRequest, Code: "ValidationException", Message: msg}
}

// fromModel gives a refusal of the scenario model AWS's status for its code.
func fromModel(e *AWSError) *apiError {
	if e == nil {
		return nil
	}
	return &apiError{Status: statusFor(e.Code), Code: e.Code, Message: e.Message}
}
