package door

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/arn"
)

// This file sets the error the workload logged (--from-error, Facts.Input.Error) beside the
// doors. The error names a policy type; each type maps to the door that holds such a policy
// (the mapping of the IAM User Guide, "Troubleshoot access denied error messages", onto the three
// doors):
//
//	resource-based policy  → secret-policy (secretsmanager:, ssm:) or key-policy (kms:)
//	resource control policy→ the door of that resource, likewise
//	identity-based policy, permissions boundary, service control policy, VPC endpoint policy
//	                       → consumer-iam
//	Secrets Manager's KMS messages → key-policy and consumer-iam
//	session policy         → no door
//	no reason (bare form)  → any of the three
//
// ERROR_POINTS_ELSEWHERE is added exactly when every door the type maps to is open, when the
// type maps to no door, or when the error's principal is another role than the consumer checked.
// A door that is closed, unknown or conditional is not contradicted: it may well be the reason.

// errorMatch compares the parsed error with the doors of d and, when the error points elsewhere,
// adds ERROR_POINTS_ELSEWHERE to d's top-level findings.
func (c *check) errorMatch(d *xsdoctor.Diagnosis) {
	e := c.f.Input.Error
	if e == nil {
		return
	}
	states := map[xsdoctor.DoorID]xsdoctor.State{}
	for _, door := range d.Doors {
		states[door.Door] = door.State
	}
	blames, mapped := blamedDoors(*e)
	m := &xsdoctor.ErrorMatch{Blames: blames, StandIn: standIn(*e)}
	if m.Blames == nil {
		m.Blames = []xsdoctor.DoorID{}
	}

	otherRole := c.otherPrincipal(e.Principal)
	if notDenial(*e) {
		// ResourceNotFoundException, InvalidRequestException (a secret marked for deletion), …:
		// no policy refused anything, so no door is blamed; the top-level findings explain it.
		m.Blames = []xsdoctor.DoorID{}
		m.Summary = "The error is " + e.ErrorCode + ", not an access denial: it blames no door"
		if otherRole != "" {
			m.Elsewhere = true
			m.Summary += fmt.Sprintf(", and it was raised for %s, but the check judged %s", otherRole, c.roleARN)
		}
		d.ErrorMatch = m
		if m.Elsewhere {
			d.Findings = append(d.Findings, c.pointsElsewhere(*e, m, otherRole, true, d))
		}
		return
	}
	allOpen := mapped
	var found []string
	for _, id := range blames {
		if states[id] != xsdoctor.StateOpen {
			allOpen = false
		}
		found = append(found, doorSentence(d, id))
	}
	m.Elsewhere = otherRole != "" || !mapped || allOpen

	says := "The error blames " + blamedWords(*e)
	switch {
	case otherRole != "":
		m.Summary = fmt.Sprintf("%s for %s, but the check judged %s", says, otherRole, c.roleARN)
	case !mapped:
		m.Summary = says + ", which no door covers"
	default:
		m.Summary = says + "; " + strings.Join(found, "; ")
	}
	d.ErrorMatch = m
	if m.Elsewhere {
		d.Findings = append(d.Findings, c.pointsElsewhere(*e, m, otherRole, mapped, d))
	}
}

// notDenial tells an error that is not an access denial: an error code other than AccessDenied…,
// with neither IAM's nor the KMS wording.
func notDenial(e xsdoctor.ErrorText) bool {
	return e.PolicyType == "" && e.Deny == "" && e.ErrorCode != "" && !strings.Contains(e.ErrorCode, "AccessDenied")
}

// blamedDoors maps the error's policy type to doors; mapped is false for a type no door covers.
func blamedDoors(e xsdoctor.ErrorText) (doors []xsdoctor.DoorID, mapped bool) {
	resourceDoor := xsdoctor.DoorSecretPolicy
	if strings.HasPrefix(strings.ToLower(e.Action), "kms:") {
		resourceDoor = xsdoctor.DoorKeyPolicy
	}
	switch e.PolicyType {
	case xsdoctor.PolicyResourceBased, xsdoctor.PolicyRCP:
		return []xsdoctor.DoorID{resourceDoor}, true
	case xsdoctor.PolicyIdentityBased, xsdoctor.PolicyBoundary, xsdoctor.PolicySCP, xsdoctor.PolicyVPCEndpoint:
		return []xsdoctor.DoorID{xsdoctor.DoorConsumerIAM}, true
	case xsdoctor.PolicyKMS:
		return []xsdoctor.DoorID{xsdoctor.DoorKeyPolicy, xsdoctor.DoorConsumerIAM}, true
	case xsdoctor.PolicySession:
		return nil, false
	}
	// The bare form names no policy: any door may be the reason.
	return append([]xsdoctor.DoorID{}, xsdoctor.Doors...), true
}

// policyTypeWords are the words IAM's messages use for each type.
var policyTypeWords = map[xsdoctor.PolicyType]string{
	xsdoctor.PolicyResourceBased: "resource-based policy",
	xsdoctor.PolicyIdentityBased: "identity-based policy",
	xsdoctor.PolicySCP:           "service control policy",
	xsdoctor.PolicyRCP:           "resource control policy",
	xsdoctor.PolicyBoundary:      "permissions boundary",
	xsdoctor.PolicySession:       "session policy",
	xsdoctor.PolicyVPCEndpoint:   "VPC endpoint policy",
}

// blamedWords says in words what the error blames: "no resource-based policy allowing
// secretsmanager:GetSecretValue", "an explicit deny in a service control policy", "the KMS side".
func blamedWords(e xsdoctor.ErrorText) string {
	action := first(e.Action, "the call")
	words := policyTypeWords[e.PolicyType]
	switch {
	case e.PolicyType == xsdoctor.PolicyKMS:
		return "the KMS side of " + action + " (" + strings.TrimSuffix(first(e.Message, "Access to KMS is not allowed"), ".") + ")"
	case words == "":
		return "no policy in particular for " + action
	case e.Deny == xsdoctor.DenyExplicit:
		return "an explicit deny in " + article(words) + words + " for " + action
	default:
		return "no " + words + " allowing " + action
	}
}

func article(words string) string {
	if strings.HasPrefix(words, "identity") {
		return "an "
	}
	return "a "
}

// doorSentence says a door's state and the codes that decided it.
func doorSentence(d *xsdoctor.Diagnosis, id xsdoctor.DoorID) string {
	for _, door := range d.Doors {
		if door.Door != id {
			continue
		}
		var codes []string
		for _, f := range door.Findings {
			codes = append(codes, string(f.Code))
		}
		s := fmt.Sprintf("the %s door is %s", id, door.State)
		if len(codes) > 0 && door.State != xsdoctor.StateOpen {
			s += " (" + strings.Join(codes, ", ") + ")"
		}
		return s
	}
	return "the " + string(id) + " door was not judged"
}

// otherPrincipal returns the error's principal when its role is not the consumer checked (another
// role, another account, or not a role at all), else "". A session ARN names its role without the
// path, so roles are compared by account and name.
func (c *check) otherPrincipal(p string) string {
	if p == "" {
		return ""
	}
	acct, name, ok := roleOf(p)
	cAcct, cName, cOK := roleOf(c.roleARN)
	if !cOK {
		cAcct, cName, cOK = roleOf(c.f.Input.ConsumerArg)
	}
	if !cOK {
		return ""
	}
	if ok && acct == cAcct && name == cName {
		return ""
	}
	return p
}

// roleOf returns the account and role name of a role ARN (any path) or an assumed-role session ARN.
func roleOf(s string) (account, name string, ok bool) {
	a, _ := arn.Split(s)
	if !a.IsRole() && !a.IsAssumedRole() {
		return "", "", false
	}
	return a.Account, a.RoleName(), a.RoleName() != ""
}

var (
	instanceSession = regexp.MustCompile(`^i-[0-9a-f]{8,17}$`)
	executionRole   = regexp.MustCompile(`(?i)task.?execution|execution.?role`)
	cfnRole         = regexp.MustCompile(`(?i)cloudformation|cfn`)
)

// standIn recognises the principals that commonly stand in by mistake (SPEC §9): an EC2
// instance's role where a pod's own role was meant, an ECS task execution role, a CloudFormation
// service role. It reads only names, so it says "looks like".
func standIn(e xsdoctor.ErrorText) string {
	a, _ := arn.Split(e.Principal)
	role, session := a.RoleName(), a.Session()
	switch {
	case instanceSession.MatchString(session):
		return "The principal is an EC2 instance's role (session " + session + "): a pod on EKS whose own role (IRSA or EKS Pod Identity) is not in effect falls back to its node's instance role. If the workload is a pod, check its service account and its role, not this one."
	case executionRole.MatchString(role) || strings.HasPrefix(e.Format, "ecs") || strings.Contains(e.Format, "/ecs"):
		return "The principal looks like an ECS task execution role: it, not the task role, fetches the secrets a container definition injects (\"secrets\"/\"valueFrom\"). If the application reads the secret itself with an SDK, its task role is the one to check."
	case cfnRole.MatchString(role) || strings.EqualFold(session, "AWSCloudFormation"):
		return "The principal looks like a CloudFormation service role resolving a {{resolve:secretsmanager:…}} dynamic reference: the stack's role, not the workload's, reads the secret at deploy time."
	}
	return ""
}

// pointsElsewhere is ERROR_POINTS_ELSEWHERE: the summary says why the error is not explained by
// the doors, the detail what else explains it, wrong principal first.
func (c *check) pointsElsewhere(e xsdoctor.ErrorText, m *xsdoctor.ErrorMatch, otherRole string, mapped bool, d *xsdoctor.Diagnosis) xsdoctor.Finding {
	f := xsdoctor.Finding{Code: xsdoctor.ErrorPointsElsewhere, Effect: xsdoctor.EffectInfo}
	switch {
	case otherRole != "":
		f.Summary = fmt.Sprintf("The error was raised for %s, not for the consumer checked (%s): the doors above are not the ones the error is about", otherRole, c.roleARN)
	case !mapped:
		f.Summary = "The error blames a session policy, which no door covers: the doors above cannot explain it"
	default:
		var names []string
		for _, id := range m.Blames {
			names = append(names, string(id))
		}
		door := "door " + strings.Join(names, " and ")
		if len(names) > 1 {
			door = "doors " + strings.Join(names, " and ")
		}
		f.Summary = fmt.Sprintf("The error blames %s, but the %s %s open here", blamedWords(e), door, map[bool]string{true: "are", false: "is"}[len(names) > 1])
	}

	var why []string
	if otherRole != "" {
		why = append(why, "Check the principal the error names: xsdoctor check … --consumer "+otherRole+" judges its doors.")
	}
	if m.StandIn != "" {
		why = append(why, m.StandIn)
	}
	if a := strings.ToLower(e.Action); a != "" && a != "secretsmanager:getsecretvalue" && a != "kms:decrypt" {
		why = append(why, "The error is about "+e.Action+", which the doors do not judge (they judge secretsmanager:GetSecretValue and the kms:Decrypt behind it): "+actionNote(a))
	}
	session := "A session policy passed when the workload's session was created (AssumeRole's Policy or PolicyArns, or a web identity or SSO session) narrows it and no IAM API shows it: find the AssumeRole event of the session in CloudTrail and read its requestParameters.policy and policyArns."
	vpce := "A Secrets Manager VPC endpoint policy in account " + first(c.consumer, "of the consumer") + " can deny calls that go through it: aws ec2 describe-vpc-endpoints --filters Name=service-name,Values=com.amazonaws." + first(c.region, "REGION") + ".secretsmanager shows each endpoint's PolicyDocument."
	guardrails := "A resource control policy in the owner's organization or a service control policy in the consumer's"
	switch e.PolicyType {
	case xsdoctor.PolicyRCP:
		guardrails = "A resource control policy of the owner's organization (on the root, an OU or account " + first(c.owner, "of the owner") + ")"
	case xsdoctor.PolicySCP:
		guardrails = "A service control policy of the consumer's organization (on the root, an OU or account " + first(c.consumer, "of the consumer") + ")"
	}
	guard := guardrails + " can deny the read and cannot be read from a member account" + residualNote(d, e.PolicyType) +
		": someone in the management account can list them (aws organizations list-policies-for-target)."
	switch e.PolicyType {
	case xsdoctor.PolicySession:
		why = append(why, session, vpce, guard)
	case xsdoctor.PolicyVPCEndpoint:
		why = append(why, vpce, session, guard)
	case xsdoctor.PolicySCP, xsdoctor.PolicyRCP:
		why = append(why, guard, session, vpce)
	default:
		why = append(why, guard, session, vpce)
	}
	why = append(why,
		"IAM is eventually consistent: a policy changed in the last minutes may not yet apply everywhere; retry the workload before changing anything.",
		"Something may have changed since the error: compare its time with the policies' last changes in CloudTrail.")
	f.Detail = strings.Join(why, " ")
	f.Evidence = []xsdoctor.Evidence{{Source: "--from-error (" + first(e.Format, "error text") + ")", Note: first(e.Message, e.ErrorCode)}}
	for _, id := range m.Blames {
		for _, door := range d.Doors {
			if door.Door == id {
				f.Evidence = append(f.Evidence, xsdoctor.Evidence{Source: "door " + string(id), Note: string(door.State)})
			}
		}
	}
	return f
}

// actionNote says what an action other than GetSecretValue needs.
func actionNote(action string) string {
	switch {
	case strings.HasPrefix(action, "ssm:"):
		return "reading a secret through /aws/reference/secretsmanager/ needs ssm:GetParameter(s) on the parameter as well as the doors of the secret."
	case action == "secretsmanager:batchgetsecretvalue":
		return "BatchGetSecretValue needs an identity policy allowing it on \"*\", and then GetSecretValue on each secret."
	case action == "secretsmanager:describesecret":
		return "DescribeSecret (called by the CSI driver's provider and caching clients) needs its own allow, in the identity policy and, across accounts, in the secret policy."
	}
	return "grant that action where the error says."
}

// residualNote points to what the report lists as unread: the SCPs or RCPs in its guardrails
// list that could not be read (with --org-role), else RESIDUAL_GUARDRAILS.
func residualNote(d *xsdoctor.Diagnosis, t xsdoctor.PolicyType) string {
	var unread []string
	for _, g := range d.Guardrails {
		relevant := g.Type == xsdoctor.PolicyTypeRCP && t != xsdoctor.PolicySCP || g.Type == xsdoctor.PolicyTypeSCP && t != xsdoctor.PolicyRCP
		if !g.Read && relevant {
			unread = append(unread, strings.TrimSpace(g.ID+" "+g.Name)+" on "+g.Target)
		}
	}
	if len(unread) > 0 {
		return " (the guardrails list shows these as not read: " + strings.Join(unread, ", ") + ")"
	}
	for _, f := range d.Findings {
		if f.Code == xsdoctor.ResidualGuardrails {
			return " (listed as not read under RESIDUAL_GUARDRAILS)"
		}
	}
	return ""
}
