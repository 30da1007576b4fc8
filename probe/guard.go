package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/xsdoctor/xsdoctor"
)

// serviceNames maps the SDK's ServiceID to the IAM service prefix (the signing name), which is
// how calls are named everywhere in xsdoctor: "kms:GetKeyPolicy".
var serviceNames = map[string]string{
	"STS":             "sts",
	"IAM":             "iam",
	"KMS":             "kms",
	"Secrets Manager": "secretsmanager",
	"Organizations":   "organizations",
	"EC2":             "ec2",
}

// readOnly is the allowlist: every operation the probe makes, all of them reads (aws-semantics
// §5.1), plus the two STS calls that only obtain credentials or identify them.
var readOnly = map[string]bool{
	"sts:AssumeRole":                      true,
	"sts:GetCallerIdentity":               true,
	"secretsmanager:DescribeSecret":       true,
	"secretsmanager:GetResourcePolicy":    true,
	"secretsmanager:ListSecretVersionIds": true,
	"kms:DescribeKey":                     true,
	"kms:GetKeyPolicy":                    true,
	"kms:ListGrants":                      true,
	"kms:ListAliases":                     true,
	"kms:ListResourceTags":                true,
	"iam:GetRole":                         true,
	"iam:ListRolePolicies":                true,
	"iam:GetRolePolicy":                   true,
	"iam:ListAttachedRolePolicies":        true,
	"iam:GetPolicy":                       true,
	"iam:GetPolicyVersion":                true,
	"iam:SimulatePrincipalPolicy":         true,
	"organizations:DescribeOrganization":  true,
	// The organization reader (--org-role, --org-profile) and the consumer's VPC endpoints.
	"organizations:ListRoots":             true,
	"organizations:ListParents":           true,
	"organizations:ListPoliciesForTarget": true,
	"organizations:DescribePolicy":        true,
	"ec2:DescribeVpcEndpoints":            true,
}

// liveOnly is allowed only on the client --live builds.
const liveOnly = "secretsmanager:GetSecretValue"

// RefusedError is returned, before any request is built, for an operation the allowlist does not
// hold. It means a bug in xsdoctor, never a problem in AWS.
type RefusedError struct{ Call string }

func (e *RefusedError) Error() string {
	return fmt.Sprintf("xsdoctor refused to call %s: not on the read-only allowlist (this is a bug in xsdoctor)", e.Call)
}

// callName is "<service>:<Operation>" for the operation in ctx.
func callName(ctx context.Context) string {
	svc, ok := serviceNames[awsmiddleware.GetServiceID(ctx)]
	if !ok {
		svc = awsmiddleware.GetServiceID(ctx)
	}
	return svc + ":" + awsmiddleware.GetOperationName(ctx)
}

// recorder collects every call the probe makes, and writes one line per call to the --debug log.
type recorder struct {
	mu    sync.Mutex
	calls []recorded
	log   io.Writer
}

type recorded struct {
	call xsdoctor.Call
	sess *session // the session whose account the call is attributed to
	ok   bool     // the call succeeded
	api  bool     // the call failed with an AWS error code (the service answered)
}

// allowlist returns the Initialize-step middleware that refuses any operation outside allowed.
// Initialize is the first step of every operation, before serialization, signing and the
// retry loop, so a refused call never reaches the HTTP client (smithy-go: "Initialize: prepares
// the input, and sets any default parameters as needed").
func allowlist(allowed func(string) bool, log func(string)) middleware.InitializeMiddleware {
	return middleware.InitializeMiddlewareFunc("xsdoctorAllowlist", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		name := callName(ctx)
		if !allowed(name) {
			log(fmt.Sprintf("xsdoctor: %s refused: not on the read-only allowlist", name))
			return middleware.InitializeOutput{}, middleware.Metadata{}, &RefusedError{Call: name}
		}
		return next.HandleInitialize(ctx, in)
	})
}

// timing returns the middleware that records one Call per operation, retries included, with the
// request id and the AWS error code (classified with smithy.APIError, never by message).
func (r *recorder) timing(sess *session) middleware.InitializeMiddleware {
	return middleware.InitializeMiddlewareFunc("xsdoctorCalls", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		start := time.Now()
		out, md, err := next.HandleInitialize(ctx, in)
		name := callName(ctx)
		svc, op := splitCall(name)
		c := xsdoctor.Call{Account: sess.accountID(), Service: svc, Operation: op, MS: time.Since(start).Milliseconds()}
		c.RequestID, _ = awsmiddleware.GetRequestIDMetadata(md)
		var withID interface{ ServiceRequestID() string }
		if c.RequestID == "" && errors.As(err, &withID) {
			c.RequestID = withID.ServiceRequestID()
		}
		var apiErr smithy.APIError
		isAPI := errors.As(err, &apiErr)
		if err != nil {
			c.ErrorCode = callErrorCode(err)
		}
		r.add(recorded{call: c, sess: sess, ok: err == nil, api: isAPI})
		return out, md, err
	})
}

// callErrorCode names a failure for the calls list: the AWS error code when the service
// answered with one, else a short word for what went wrong locally.
func callErrorCode(err error) string {
	var apiErr smithy.APIError
	var deser *smithy.DeserializationError
	switch {
	case errors.As(err, &apiErr):
		return apiErr.ErrorCode()
	case errors.Is(err, context.DeadlineExceeded):
		return "Timeout"
	case errors.Is(err, context.Canceled):
		return "Canceled"
	case errors.As(err, &deser):
		return "DeserializationError"
	}
	return "TransportError"
}

func (r *recorder) add(c recorded) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
	if r.log != nil {
		code := c.call.ErrorCode
		if code == "" {
			code = "-"
		}
		id := c.call.RequestID
		if id == "" {
			id = "-"
		}
		acct := c.call.Account
		if acct == "" {
			acct = "-"
		}
		// Metadata only: never an argument, a response body or a credential.
		fmt.Fprintf(r.log, "xsdoctor: %s:%s account=%s duration=%dms request_id=%s error_code=%s\n",
			c.call.Service, c.call.Operation, acct, c.call.MS, id, code)
	}
}

func (r *recorder) logf(s string) {
	if r.log == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(r.log, s)
}

// result returns the calls in a deterministic order (SPEC §3: the JSON is deterministic except
// calls[].ms), and whether any call got an answer from AWS.
func (r *recorder) result() (calls []xsdoctor.Call, answered, succeeded bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.calls {
		if c.call.Account == "" && c.sess != nil {
			c.call.Account = c.sess.accountID()
		}
		calls = append(calls, c.call)
		answered = answered || c.ok || c.api
		succeeded = succeeded || c.ok
	}
	slices.SortStableFunc(calls, xsdoctor.CompareCalls)
	return calls, answered, succeeded
}

func splitCall(name string) (svc, op string) {
	for i := 0; i < len(name); i++ {
		if name[i] == ':' {
			return name[:i], name[i+1:]
		}
	}
	return name, ""
}
