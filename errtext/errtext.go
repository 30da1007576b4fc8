// Package errtext reads the error a workload logged when it could not read a secret — the AWS
// message itself, wrapped by an SDK, a CLI, a JSON log line, a stack trace or a CloudWatch line,
// or the CloudTrail record of the failed call — and returns what it says: who was refused, which
// action on which secret, and which policy type the refusal blames (xsdoctor.ErrorText).
//
// The forms it reads (each has a file in testdata/corpus):
//
//   - IAM's message: "User: P is not authorized to perform: A on resource: R because no
//     <type> allows the A action", "… with an explicit deny in a <type>", and the bare form
//     without a reason. <type> is resource-based policy, identity-based policy, service control
//     policy, resource control policy, permissions boundary, session policy or VPC endpoint
//     policy ("Troubleshoot access denied error messages", IAM User Guide).
//   - Secrets Manager's KMS messages: "Access to KMS is not allowed", "… This version of secret is
//     not encrypted with the current KMS key.", "You can't access a secret from a different AWS
//     account if you encrypt the secret with the default KMS service key."
//   - the wrappers of aws-sdk-go-v2 ("operation error Secrets Manager: GetSecretValue, https
//     response error …, api error AccessDeniedException: …"), botocore/boto3 and the AWS CLI ("An
//     error occurred (AccessDeniedException) when calling the GetSecretValue operation: …"), the
//     Java SDKs ("… (Service: SecretsManager, Status Code: 400, Error Code: …, Request ID: …)") and
//     the JavaScript SDKs ("AccessDeniedException: …", "$metadata"), alone or inside a JSON log
//     line (a Lambda's errorMessage), a stack trace or a CloudWatch line;
//   - ECS's "ResourceInitializationError: unable to pull secrets or registry auth: …";
//   - ssm:GetParameter(s) on /aws/reference/secretsmanager/<name or ARN>;
//   - CloudTrail: one event, a {"Records": […]} file, or a LookupEvents result whose
//     CloudTrailEvent is a JSON string.
//
// Parse runs in time linear in the input, never panics, and reports text it cannot use as an
// error that says what it looked for.
package errtext

import (
	"errors"
	"strings"

	"github.com/xsdoctor/xsdoctor"
)

// MaxInput is the most text Parse reads; an error line, a log excerpt or a CloudTrail download is
// far smaller. Longer input is cut, not refused.
const MaxInput = 4 << 20

// ErrNotFound is returned (wrapped) when the text holds no error Parse can use.
var ErrNotFound = errors.New("found no AWS access-denied error in the text: looked for IAM's \"User: ARN is not authorized to perform: ACTION on resource: ARN\", Secrets Manager's \"Access to KMS is not allowed\" and its siblings, and a CloudTrail event (eventName, errorCode, userIdentity.arn)")

// Parse reads text and returns what the first usable error in it says.
func Parse(text string) (xsdoctor.ErrorText, error) {
	if len(text) > MaxInput {
		text = text[:MaxInput]
	}
	text = strings.TrimPrefix(text, "\ufeff")
	if e, ok := parseJSON(text); ok {
		return e, nil
	}
	if e, ok := parseTextDepth(text, 0); ok {
		return e, nil
	}
	return xsdoctor.ErrorText{}, ErrNotFound
}

// parseTextDepth reads plain text: one or more lines, each possibly a JSON log line or a CloudWatch
// line around the message.
func parseTextDepth(text string, depth int) (xsdoctor.ErrorText, bool) {
	// A JSON value on a line of its own (a Lambda or structured log line, possibly behind a
	// CloudWatch timestamp) is read as JSON first: its escapes hide the message from the text scan.
	// Each line is decoded at most once, so the whole pass stays linear.
	var lineHit *xsdoctor.ErrorText
	for line := range strings.Lines(text) {
		i := strings.IndexByte(line, '{')
		if i < 0 {
			continue
		}
		if depth >= maxDepth {
			break
		}
		if e, ok := parseJSONDepth(line[i:], depth+1); ok {
			if cloudWatchPrefix(line[:i]) {
				e.Format = "cloudwatch/" + e.Format
			}
			lineHit = &e
			break
		}
	}
	m, ok := scan(text)
	if lineHit != nil && (!ok || lineHit.Principal != "" || lineHit.Secret != "") {
		return *lineHit, true
	}
	if !ok {
		return xsdoctor.ErrorText{}, false
	}
	return m.result(wrappers(text, m)), true
}
