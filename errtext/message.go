package errtext

import (
	"strings"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/arn"
)

// The phrases of IAM's access-denied message ("Troubleshoot access denied error messages", IAM
// User Guide): "User: P is not authorized to perform: A on resource: R because no T allows the A
// action" (implicit), "… with an explicit deny in a T" (explicit), or without a reason (bare).
const (
	notAuthorized = " is not authorized to perform: "
	userPrefix    = "User: "
	onResource    = " on resource: "
	becauseNo     = " because no "
	explicitIn    = " with an explicit deny in "
)

// maxToken bounds every token read around a phrase (an ARN is at most 2048 characters), so that
// each occurrence costs a bounded amount of work and the whole scan stays linear.
const maxToken = 2048

// policyWords maps the policy-type words of the messages to the vocabulary, longest first where
// one is a prefix of another.
var policyWords = []struct {
	words string
	t     xsdoctor.PolicyType
}{
	{"resource-based policy", xsdoctor.PolicyResourceBased},
	{"identity-based policy", xsdoctor.PolicyIdentityBased},
	{"service control policy", xsdoctor.PolicySCP},
	{"service control policies", xsdoctor.PolicySCP},
	{"resource control policy", xsdoctor.PolicyRCP},
	{"permissions boundary", xsdoctor.PolicyBoundary},
	{"session policy", xsdoctor.PolicySession},
	{"vpc endpoint policy", xsdoctor.PolicyVPCEndpoint},
}

// kmsMessages are Secrets Manager's words when the KMS side refuses the decrypt it makes for the
// caller (Secrets Manager User Guide: "Troubleshoot AWS Secrets Manager"). They name neither the
// caller nor the secret.
var kmsMessages = []string{
	"Access to KMS is not allowed",
	"This version of secret is not encrypted with the current KMS key",
	"You can't access a secret from a different AWS account if you encrypt the secret with the default KMS service key",
}

// match is one error message found in a text, and where.
type match struct {
	start, end int // the message's bytes in the scanned text
	text       string
	e          xsdoctor.ErrorText
}

// scan finds the first usable message in text: the first IAM message about Secrets Manager, KMS
// or SSM if there is one, else the first IAM message, else the first KMS message — whichever
// comes first when both kinds are there. Text that is JSON-escaped (a log line cut short) is
// scanned again unescaped.
func scan(text string) (match, bool) {
	if m, ok := scanOnce(text); ok {
		return m, true
	}
	if strings.Contains(text, `\"`) || strings.Contains(text, `\/`) || strings.Contains(text, `\n`) {
		u := unescapeJSON(text)
		if m, ok := scanOnce(u); ok {
			return m, true
		}
	}
	return match{}, false
}

func scanOnce(text string) (match, bool) {
	iam, iamOK := scanIAM(text)
	kms, kmsOK := scanKMS(text)
	switch {
	case iamOK && kmsOK:
		if kms.start < iam.start {
			return kms, true
		}
		return iam, true
	case iamOK:
		return iam, true
	case kmsOK:
		return kms, true
	}
	return match{}, false
}

// scanIAM returns the first IAM message about a secret (secretsmanager:, kms:, ssm:), or the
// first IAM message when none is.
func scanIAM(text string) (match, bool) {
	var first match
	found := false
	for off := 0; off < len(text); {
		i := strings.Index(text[off:], notAuthorized)
		if i < 0 {
			break
		}
		i += off
		off = i + len(notAuthorized)
		m, ok := iamAt(text, i)
		if !ok {
			continue
		}
		if relevant(m.e.Action) {
			return m, true
		}
		if !found {
			first, found = m, true
		}
	}
	return first, found
}

func relevant(action string) bool {
	a := strings.ToLower(action)
	return strings.HasPrefix(a, "secretsmanager:") || strings.HasPrefix(a, "kms:") || strings.HasPrefix(a, "ssm:")
}

// iamAt reads the IAM message whose " is not authorized to perform: " is at i.
func iamAt(text string, i int) (match, bool) {
	var m match
	// The principal: the token just before, preceded by "User: " in IAM's wording. Only the token
	// is read backwards, at most maxToken bytes; role and session names may hold commas.
	tokStart := i
	for tokStart > 0 && i-tokStart < maxToken && (tokenByte(text[tokStart-1]) || text[tokStart-1] == ',') {
		tokStart--
	}
	m.e.Principal = text[tokStart:i]
	start := tokStart
	if strings.HasSuffix(text[max(0, tokStart-len(userPrefix)):tokStart], userPrefix) {
		start = tokStart - len(userPrefix)
	}
	if m.e.Principal == "" {
		return match{}, false
	}

	p := i + len(notAuthorized)
	m.e.Action = token(text, p)
	if m.e.Action == "" || !strings.Contains(m.e.Action, ":") {
		return match{}, false
	}
	p += len(m.e.Action)
	if strings.HasPrefix(text[p:], onResource) {
		p += len(onResource)
		m.e.Resource = token(text, p)
		p += len(m.e.Resource)
		m.e.Resource = trimTrailing(m.e.Resource)
	}
	m.e.Action = trimTrailing(m.e.Action)

	rest := text[p:min(len(text), p+300)]
	switch {
	case hasPrefixFold(rest, becauseNo):
		m.e.Deny = xsdoctor.DenyImplicit
		m.e.PolicyType, p = policyAfter(text, p+len(becauseNo))
		// "… allows the A action"
		if j := strings.Index(text[p:min(len(text), p+maxToken)], " action"); j >= 0 {
			p += j + len(" action")
		}
	case hasPrefixFold(rest, explicitIn):
		m.e.Deny = xsdoctor.DenyExplicit
		q := p + len(explicitIn)
		for _, art := range []string{"a ", "an "} {
			if hasPrefixFold(text[q:min(len(text), q+3)], art) {
				q += len(art)
				break
			}
		}
		m.e.PolicyType, p = policyAfter(text, q)
		// Newer messages add ": <policy ARN>" after the type.
		if strings.HasPrefix(text[p:], ": arn:") {
			p += 2 + len(token(text, p+2))
		}
	}
	if (m.e.Deny != "") && m.e.PolicyType == "" {
		// A reason in words this version does not know: keep the deny, name no door.
		m.e.Deny = ""
	}
	m.start, m.end = start, p
	m.text = text
	return m, true
}

// policyAfter reads the policy-type words at p and returns the type and the offset after them.
func policyAfter(text string, p int) (xsdoctor.PolicyType, int) {
	window := text[p:min(len(text), p+40)]
	for _, w := range policyWords {
		if hasPrefixFold(window, w.words) {
			return w.t, p + len(w.words)
		}
	}
	return "", p
}

// scanKMS finds the first of Secrets Manager's KMS messages.
func scanKMS(text string) (match, bool) {
	best := match{start: -1}
	for _, msg := range kmsMessages {
		if i := strings.Index(text, msg); i >= 0 && (best.start < 0 || i < best.start) {
			best = match{start: i, end: i + len(msg), text: text}
		}
	}
	if best.start < 0 {
		return match{}, false
	}
	// "Access to KMS is not allowed. This version of secret is not encrypted with the current KMS
	// key." is one message: keep the whole of it.
	for _, msg := range kmsMessages {
		if strings.HasPrefix(strings.TrimLeft(text[best.end:min(len(text), best.end+3+len(msg))], ". "), msg) {
			best.end = strings.Index(text[best.end:], msg) + best.end + len(msg)
		}
	}
	if best.end < len(text) && text[best.end] == '.' {
		best.end++
	}
	best.e.PolicyType = xsdoctor.PolicyKMS
	return best, true
}

// result turns a match into the parsed error, with the secret, region and account the message
// and its surroundings give.
func (m match) result(format string) xsdoctor.ErrorText {
	e := m.e
	e.Format = format
	e.Message = clip(strings.TrimSpace(m.text[m.start:m.end]), 1000)
	e.ErrorCode = errorCode(m.text, m.start)
	if e.Action == "" {
		e.Action = operation(m.text)
	}
	setSecretFromResource(&e, e.Resource)
	if e.Secret == "" {
		// Not in the message (the KMS messages, BatchGetSecretValue): a secret ARN elsewhere in
		// the text (ECS: "failed to fetch secret <ARN> from secrets manager") or an SSM reference.
		if a := firstSecretARN(m.text); a != "" {
			setSecretFromResource(&e, a)
		} else if ref := ssmReference(m.text); ref != "" {
			setSecretFromReference(&e, ref, "", "", "aws")
		}
	}
	return e
}

// setSecretFromResource fills the secret fields from a resource ARN: a secret ARN, or an SSM
// parameter that references a secret.
func setSecretFromResource(e *xsdoctor.ErrorText, resource string) {
	a, ok := arn.Split(resource)
	if !ok {
		return
	}
	switch {
	case a.Service == "secretsmanager" && strings.HasPrefix(a.Resource, "secret:"):
		e.Secret, e.SecretARN, e.Region, e.Account = resource, resource, a.Region, a.Account
	case a.Service == "ssm" && strings.HasPrefix(a.Resource, "parameter"):
		name := strings.TrimPrefix(a.Resource, "parameter")
		if ref, ok := strings.CutPrefix(name, ssmPrefix); ok {
			setSecretFromReference(e, ref, a.Region, a.Account, a.Partition)
		}
	}
}

// ssmPrefix is the parameter path through which SSM Parameter Store reads Secrets Manager
// ("Referencing AWS Secrets Manager secrets from Parameter Store parameters").
const ssmPrefix = "/aws/reference/secretsmanager/"

// setSecretFromReference fills the secret fields from what follows /aws/reference/secretsmanager/:
// a secret ARN (cross-account), or a name, which SSM looks up in the caller's own account and
// region — those of the parameter ARN.
func setSecretFromReference(e *xsdoctor.ErrorText, ref, region, account, partition string) {
	if strings.HasPrefix(ref, "arn:") {
		setSecretFromResource(e, ref)
		return
	}
	if ref == "" {
		return
	}
	e.Secret = ref
	e.Region, e.Account = region, account
	if region != "" && account != "" {
		e.SecretARN = "arn:" + partition + ":secretsmanager:" + region + ":" + account + ":secret:" + ref
	}
}

// firstSecretARN returns the first secret ARN anywhere in text.
func firstSecretARN(text string) string {
	for off := 0; off < len(text); {
		i := strings.Index(text[off:], ":secretsmanager:")
		if i < 0 {
			return ""
		}
		i += off
		off = i + 1
		// Back to "arn:" within a partition's length.
		lo := max(0, i-20)
		j := strings.LastIndex(text[lo:i], "arn:")
		if j < 0 {
			continue
		}
		a := trimTrailing(token(text, lo+j))
		if p, ok := arn.Split(a); ok && p.Service == "secretsmanager" && strings.HasPrefix(p.Resource, "secret:") && len(p.Resource) > len("secret:") {
			return a
		}
	}
	return ""
}

// ssmReference returns what follows the first /aws/reference/secretsmanager/ in text.
func ssmReference(text string) string {
	i := strings.Index(text, ssmPrefix)
	if i < 0 {
		return ""
	}
	return trimTrailing(token(text, i+len(ssmPrefix)))
}

// errorCode finds the AWS error code next to the message: "api error CODE:" (aws-sdk-go-v2), "An
// error occurred (CODE)" (botocore), "Error Code: CODE" (Java), or "CODE: " just before it.
func errorCode(text string, start int) string {
	lo := max(0, start-400)
	window := text[lo:min(len(text), start+maxToken+400)]
	for _, pre := range []string{"api error ", "An error occurred (", "Error Code: ", `"errorCode":"`, `"errorCode": "`} {
		if i := strings.Index(window, pre); i >= 0 {
			if c := codeToken(window[i+len(pre):]); c != "" {
				return c
			}
		}
	}
	// "AccessDeniedException: User: …" (JavaScript, Go SDK v1 inside ECS's message).
	before := strings.TrimRight(text[lo:start], " ")
	if strings.HasSuffix(before, ":") {
		before = strings.TrimSuffix(before, ":")
		k := len(before)
		for k > 0 && isCodeByte(before[k-1]) {
			k--
		}
		// A qualified exception type (Amazon.SecretsManager.Model.AccessDeniedException) ends
		// with the code.
		c := before[k:]
		c = c[strings.LastIndexByte(c, '.')+1:]
		if len(c) > 3 && c[0] >= 'A' && c[0] <= 'Z' {
			return c
		}
	}
	return ""
}

func codeToken(s string) string {
	k := 0
	for k < len(s) && k < 64 && isCodeByte(s[k]) {
		k++
	}
	return s[:k]
}

func isCodeByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.'
}

// operation names the action from the SDK's wrapper when the message does not (the KMS
// messages): "operation error Secrets Manager: GetSecretValue" (aws-sdk-go-v2), "when calling the
// GetSecretValue operation" (botocore).
func operation(text string) string {
	op := ""
	if i := strings.Index(text, "operation error "); i >= 0 {
		rest := text[i+len("operation error ") : min(len(text), i+200)]
		if _, after, ok := strings.Cut(rest, ": "); ok {
			op = codeToken(after)
		}
	} else if i := strings.Index(text, "when calling the "); i >= 0 {
		op = codeToken(text[i+len("when calling the ") : min(len(text), i+100)])
	}
	return actionFor(op)
}

// actionFor maps an operation name to its IAM action, for the services that read a secret.
func actionFor(op string) string {
	switch op {
	case "GetSecretValue", "DescribeSecret", "BatchGetSecretValue", "ListSecretVersionIds", "GetResourcePolicy":
		return "secretsmanager:" + op
	case "GetParameter", "GetParameters":
		return "ssm:" + op
	case "Decrypt":
		return "kms:Decrypt"
	}
	return ""
}

// token reads an ARN-like token at p: up to whitespace, a quote, a backslash or a bracket.
func token(text string, p int) string {
	end := p
	for end < len(text) && end-p < maxToken && tokenByte(text[end]) {
		end++
	}
	return text[p:end]
}

func tokenByte(b byte) bool {
	switch b {
	case ' ', '\t', '\r', '\n', '"', '\'', '`', '\\', ',', ';', '(', ')', '[', ']', '{', '}', '<', '>':
		return false
	}
	return b >= 0x20 && b != 0x7f
}

// trimTrailing drops the sentence punctuation a log may put after an ARN.
func trimTrailing(s string) string {
	return strings.TrimRight(s, ".:")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// unescapeJSON undoes the escapes of a JSON string well enough to find a message in a log line
// that is not valid JSON (cut short, or several values on one line).
func unescapeJSON(s string) string {
	r := strings.NewReplacer(`\"`, `"`, `\/`, `/`, `\n`, "\n", `\t`, "\t", `\\`, `\`)
	return r.Replace(s)
}
