package door

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/xsdoctor/xsdoctor"
)

// fixStatement is a policy statement a fix proposes, rendered both as JSON and as a Terraform
// aws_iam_policy_document statement block so the two never disagree.
type fixStatement struct {
	Sid        string
	Effect     string
	Principals []string // Principal.AWS; empty for identity policies
	Actions    []string
	Resources  []string
	Conditions []fixCondition
}

type fixCondition struct {
	Op, Key string
	Values  []string
}

// JSON renders the statement as indented JSON with keys in the order people write them.
func (s fixStatement) JSON() string {
	var b bytes.Buffer
	b.WriteString("{\n")
	var lines []string
	if s.Sid != "" {
		lines = append(lines, fmt.Sprintf("  \"Sid\": %s", jsonString(s.Sid)))
	}
	lines = append(lines, fmt.Sprintf("  \"Effect\": %s", jsonString(s.Effect)))
	if len(s.Principals) > 0 {
		lines = append(lines, fmt.Sprintf("  \"Principal\": {\"AWS\": %s}", jsonList(s.Principals)))
	}
	lines = append(lines, fmt.Sprintf("  \"Action\": %s", jsonList(s.Actions)))
	lines = append(lines, fmt.Sprintf("  \"Resource\": %s", jsonList(s.Resources)))
	if len(s.Conditions) > 0 {
		var cb strings.Builder
		cb.WriteString("  \"Condition\": {\n")
		ops := s.conditionsByOp()
		for i, op := range ops {
			fmt.Fprintf(&cb, "    %s: {\n", jsonString(op.op))
			for j, c := range op.conds {
				fmt.Fprintf(&cb, "      %s: %s", jsonString(c.Key), jsonList(c.Values))
				if j < len(op.conds)-1 {
					cb.WriteString(",")
				}
				cb.WriteString("\n")
			}
			cb.WriteString("    }")
			if i < len(ops)-1 {
				cb.WriteString(",")
			}
			cb.WriteString("\n")
		}
		cb.WriteString("  }")
		lines = append(lines, cb.String())
	}
	b.WriteString(strings.Join(lines, ",\n"))
	b.WriteString("\n}")
	return b.String()
}

type opGroup struct {
	op    string
	conds []fixCondition
}

// conditionsByOp groups conditions by operator, keeping first-seen order (a JSON object cannot
// repeat an operator).
func (s fixStatement) conditionsByOp() []opGroup {
	var out []opGroup
	idx := map[string]int{}
	for _, c := range s.Conditions {
		i, ok := idx[c.Op]
		if !ok {
			i = len(out)
			idx[c.Op] = i
			out = append(out, opGroup{op: c.Op})
		}
		out[i].conds = append(out[i].conds, c)
	}
	return out
}

// TerraformStatement renders the statement as a `statement { … }` block of
// data "aws_iam_policy_document", indented by indent.
func (s fixStatement) TerraformStatement(indent string) string {
	var b strings.Builder
	w := func(format string, a ...any) { b.WriteString(indent + fmt.Sprintf(format, a...) + "\n") }
	w("statement {")
	if s.Sid != "" {
		w("  sid       = %s", jsonString(s.Sid))
	}
	w("  effect    = %s", jsonString(s.Effect))
	w("  actions   = %s", hclList(s.Actions))
	w("  resources = %s", hclList(s.Resources))
	if len(s.Principals) > 0 {
		w("")
		w("  principals {")
		w("    type        = \"AWS\"")
		w("    identifiers = %s", hclList(s.Principals))
		w("  }")
	}
	for _, c := range s.Conditions {
		w("")
		w("  condition {")
		w("    test     = %s", jsonString(c.Op))
		w("    variable = %s", jsonString(c.Key))
		w("    values   = %s", hclList(c.Values))
		w("  }")
	}
	w("}")
	return strings.ReplaceAll(b.String(), indent+"\n", "\n")
}

// policyDocument renders a data "aws_iam_policy_document" block holding the statement, with an
// optional comment line inside it (e.g. "keep the existing statements").
func (s fixStatement) policyDocument(name, keepComment string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "data \"aws_iam_policy_document\" %q {\n", name)
	if keepComment != "" {
		fmt.Fprintf(&b, "  # %s\n\n", keepComment)
	}
	b.WriteString(s.TerraformStatement("  "))
	b.WriteString("}\n")
	return b.String()
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// jsonList renders one value as a string and several as a list, as AWS policies are written.
func jsonList(vals []string) string {
	if len(vals) == 1 {
		return jsonString(vals[0])
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = jsonString(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func hclList(vals []string) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		// HCL string escapes match JSON's for these values; "${" would interpolate, so escape it.
		parts[i] = strings.ReplaceAll(jsonString(v), "${", "$${")
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// tfName makes a Terraform identifier from a resource name.
func tfName(s string) string {
	s = nonIdent.ReplaceAllString(strings.ToLower(s), "_")
	s = strings.Trim(s, "_")
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		s = "x_" + s
	}
	return s
}

// --- The statements each door's fix proposes. ---

// keyStatement is the key-policy statement that lets the consumer decrypt through Secrets
// Manager only, for this secret only: the conditions Secrets Manager's own AWS managed key uses
// (kms:ViaService, kms:CallerAccount), pinned to the consumer's account, plus the encryption
// context's SecretARN (Secrets Manager User Guide, "Secret encryption and decryption"; AWS KMS
// Developer Guide, "Allowing users in other accounts to use a KMS key").
func (c *check) keyStatement() fixStatement {
	return fixStatement{
		Sid:        "AllowDecryptViaSecretsManagerFor" + sidWord(c.roleARN),
		Effect:     "Allow",
		Principals: []string{c.roleARN},
		Actions:    []string{"kms:Decrypt"},
		Resources:  []string{"*"},
		Conditions: []fixCondition{
			{Op: "StringEquals", Key: "kms:ViaService", Values: []string{viaService(c.region)}},
			{Op: "StringEquals", Key: "kms:CallerAccount", Values: []string{c.consumer}},
			{Op: "StringEquals", Key: "kms:EncryptionContext:SecretARN", Values: []string{c.secretARN}},
		},
	}
}

// secretStatement is the secret-policy statement allowing the consumer role GetSecretValue. In
// a secret's resource policy "Resource": "*" means this secret (Secrets Manager User Guide,
// "Permissions policy examples").
func (c *check) secretStatement() fixStatement {
	return fixStatement{
		Sid:        "AllowGetSecretValueFor" + sidWord(c.roleARN),
		Effect:     "Allow",
		Principals: []string{c.roleARN},
		Actions:    []string{"secretsmanager:GetSecretValue"},
		Resources:  []string{"*"},
	}
}

// iamSecretStatement allows GetSecretValue on the full secret ARN, suffix included.
func (c *check) iamSecretStatement() fixStatement {
	return fixStatement{
		Sid: "ReadCrossAccountSecret", Effect: "Allow",
		Actions:   []string{"secretsmanager:GetSecretValue"},
		Resources: []string{c.secretARN},
	}
}

// iamKMSStatement allows kms:Decrypt on the key ARN: an IAM policy must name the key by its key
// ARN, never an alias (AWS KMS Developer Guide, "Specifying KMS keys in IAM policy statements").
// kms:ViaService keeps the permission to Secrets Manager's use of the key.
func (c *check) iamKMSStatement() fixStatement {
	return fixStatement{
		Sid: "DecryptCrossAccountSecretKey", Effect: "Allow",
		Actions:   []string{"kms:Decrypt"},
		Resources: []string{c.keyARN},
		Conditions: []fixCondition{
			{Op: "StringEquals", Key: "kms:ViaService", Values: []string{viaService(c.region)}},
		},
	}
}

func viaService(region string) string { return "secretsmanager." + region + ".amazonaws.com" }

// sidWord makes a Sid fragment (Sids allow only [A-Za-z0-9]) from a role ARN.
func sidWord(roleARN string) string {
	name := roleARN
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	up := true
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			if up && r >= 'a' && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	if b.Len() == 0 {
		return "Consumer"
	}
	return b.String()
}

// keyPolicyFix is the fix that adds keyStatement to the key policy in the key's account.
func (c *check) keyPolicyFix(lead string) *xsdoctor.Fix {
	st := c.keyStatement()
	tf := "# Account " + c.keyAcct + ": the key policy of " + c.keyARN + "\n" +
		st.policyDocument("secret_key_policy", "keep the existing statements (the account root's \"Enable IAM User Permissions\", key administrators)") +
		"\nresource \"aws_kms_key\" \"secret_key\" {\n  # ... existing arguments ...\n  policy = data.aws_iam_policy_document.secret_key_policy.json\n}\n"
	return &xsdoctor.Fix{
		Account:   c.keyAcct,
		Where:     "key policy of " + c.keyARN,
		Statement: st.JSON(),
		Terraform: tf,
		Steps: []string{
			lead,
			"Add the statement to the key policy (aws kms put-key-policy --key-id " + c.keyARN + " --policy-name default --policy file://key-policy.json, with the whole policy in the file).",
			"The consumer account " + c.consumer + " must also allow kms:Decrypt on " + c.keyARN + " in the role's IAM policy (consumer-iam door).",
		},
	}
}

// secretPolicyFix is the fix that puts secretStatement into the secret's resource policy.
func (c *check) secretPolicyFix(lead string, existing bool) *xsdoctor.Fix {
	st := c.secretStatement()
	keep := ""
	if existing {
		keep = "keep the existing statements of the secret's resource policy"
	}
	tf := "# Account " + c.owner + ": the resource policy of " + c.secretARN + "\n" +
		st.policyDocument("secret_policy", keep) +
		"\nresource \"aws_secretsmanager_secret_policy\" \"secret\" {\n" +
		"  secret_arn = " + jsonString(c.secretARN) + "\n" +
		"  policy     = data.aws_iam_policy_document.secret_policy.json\n}\n"
	cmd := "aws secretsmanager put-resource-policy --secret-id " + c.secretARN + " --resource-policy file://secret-policy.json --block-public-policy"
	return &xsdoctor.Fix{
		Account:   c.owner,
		Where:     "resource policy of " + c.secretARN,
		Statement: st.JSON(),
		Terraform: tf,
		Steps:     []string{lead, "Put the policy with the statement: " + cmd + "."},
	}
}

// iamFix is the fix that adds st to the consumer role as an inline policy.
func (c *check) iamFix(lead string, st fixStatement, policyName string) *xsdoctor.Fix {
	role := c.roleARN
	if i := strings.LastIndex(role, "/"); i >= 0 {
		role = role[i+1:]
	}
	tf := "# Account " + c.consumer + ": an inline policy on " + c.roleARN + "\n" +
		st.policyDocument(tfName(policyName), "") +
		"\nresource \"aws_iam_role_policy\" " + jsonString(tfName(policyName)) + " {\n" +
		"  name   = " + jsonString(policyName) + "\n" +
		"  role   = " + jsonString(role) + "\n" +
		"  policy = data.aws_iam_policy_document." + tfName(policyName) + ".json\n}\n"
	return &xsdoctor.Fix{
		Account:   c.consumer,
		Where:     "identity policies of " + c.roleARN,
		Statement: st.JSON(),
		Terraform: tf,
		Steps:     []string{lead, "aws iam put-role-policy --role-name " + role + " --policy-name " + policyName + " --policy-document file://policy.json (the statement wrapped in {\"Version\": \"2012-10-17\", \"Statement\": [...]})."},
	}
}

// denyExemptionFix proposes the smallest change to a Deny statement that stops it applying to
// this request: an extra condition (conditions in one statement are ANDed, so the Deny then
// skips requests that fail it). The statement is returned whole, ready to replace the old one.
func (c *check) denyExemptionFix(account, where, policyName string, s rawStatement, cond fixCondition, lead string) *xsdoctor.Fix {
	var m map[string]any
	stmtJSON := ""
	if json.Unmarshal(s.Raw, &m) == nil {
		conds, _ := m["Condition"].(map[string]any)
		if conds == nil {
			conds = map[string]any{}
		}
		op, _ := conds[cond.Op].(map[string]any)
		if op == nil {
			op = map[string]any{}
		}
		var vals []any
		switch old := op[cond.Key].(type) {
		case []any:
			vals = old
		case string:
			vals = []any{old}
		}
		for _, v := range cond.Values {
			vals = append(vals, v)
		}
		if len(vals) == 1 {
			op[cond.Key] = vals[0] // one value is written as a string, as people write it
		} else {
			op[cond.Key] = vals
		}
		conds[cond.Op] = op
		m["Condition"] = conds
		stmtJSON = orderedStatement(m)
	}
	ref := fmt.Sprintf("statement %d", s.Index)
	if s.Sid != "" {
		ref = fmt.Sprintf("statement %q (%d)", s.Sid, s.Index)
	}
	tf := "# Account " + account + ": in the document that renders " + where + ",\n" +
		"# add this condition to the Deny " + ref + ":\n" +
		"condition {\n" +
		"  test     = " + jsonString(cond.Op) + "\n" +
		"  variable = " + jsonString(cond.Key) + "\n" +
		"  values   = " + hclList(cond.Values) + "\n}\n"
	return &xsdoctor.Fix{
		Account:   account,
		Where:     where,
		Statement: stmtJSON,
		Terraform: tf,
		Steps: []string{
			lead,
			"Replace " + ref + " of " + policyName + " with the statement shown, which adds the condition " + cond.Op + " " + cond.Key + " = " + strings.Join(cond.Values, ", ") + " so the Deny no longer applies to this request; or remove the Deny if it is not needed.",
		},
	}
}

// statementKeyOrder is the order people write statement elements in.
var statementKeyOrder = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

// orderedStatement renders a statement map as indented JSON with its elements in the usual
// order (encoding/json would sort them alphabetically), nested values indented to match.
func orderedStatement(m map[string]any) string {
	var keys []string
	seen := map[string]bool{}
	for _, k := range statementKeyOrder {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
			seen[k] = true
		}
	}
	var rest []string
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	keys = append(keys, rest...)
	lines := make([]string, 0, len(keys))
	for _, k := range keys {
		v, _ := json.MarshalIndent(m[k], "  ", "  ")
		lines = append(lines, "  "+jsonString(k)+": "+string(v))
	}
	return "{\n" + strings.Join(lines, ",\n") + "\n}"
}

// sortedStrings returns a sorted copy.
func sortedStrings(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}
