package probe

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/xsdoctor/xsdoctor"
)

// live is --live: assume the consumer principal's role with the operator's base credentials
// (not an inspector's: an inspector must never be able to become the workload), call
// GetSecretValue with the full ARN, and keep only whether it worked and the error code. The
// value is discarded unread; it never reaches Facts, the log or the report.
func (g *gatherer) live(ctx context.Context) *xsdoctor.Live {
	secretARN := g.secretARN.String()
	// A session ARN has no path (IAM User Guide, "IAM identifiers"), and AssumeRole needs the role
	// ARN with it: a pathless ARN names no role, so wait for GetRole.
	roleARN := g.consumer.RoleARN
	if g.consumer.Session != "" {
		roleARN = g.roleID.get().ARN
	}
	s := newSession(g.consumerBase, g.rec, sessionConfig{
		purpose: "live", role: roleARN, account: g.consumer.Account, profile: g.o.ConsumerProfile,
		sessionName: g.sessionName,
		allowed:     func(c string) bool { return readOnly[c] || c == liveOnly },
	})
	if re := s.ready(ctx); re != nil {
		reason := fmt.Sprintf("could not assume %s with the base credentials", roleARN)
		if re.Code != "" {
			reason += " (" + re.Code + ")"
		}
		reason += ": its trust policy must allow them to run --live"
		return &xsdoctor.Live{Result: xsdoctor.LiveSkipped, ErrorCode: re.Code, Reason: reason}
	}
	out, err := s.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretARN)})
	discard(out)
	switch {
	case err == nil:
		return &xsdoctor.Live{Result: xsdoctor.LiveAllowed}
	}
	// The error message is AWS's ("Access to KMS is not allowed", …): it names resources,
	// never the value.
	re := readError("secretsmanager:GetSecretValue", s.accountID(), err)
	if accessDenied[re.Code] {
		return &xsdoctor.Live{Result: xsdoctor.LiveDenied, ErrorCode: re.Code, Reason: re.Message}
	}
	return &xsdoctor.Live{Result: xsdoctor.LiveError, ErrorCode: re.Code, Reason: re.Message}
}

// discard drops a secret value unread: the references go, and the bytes of a binary secret are
// overwritten (a Go string cannot be overwritten; it is only dropped).
func discard(out *secretsmanager.GetSecretValueOutput) {
	if out == nil {
		return
	}
	clear(out.SecretBinary)
	out.SecretBinary = nil
	out.SecretString = nil
}
