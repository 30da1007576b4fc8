package door

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// The Terraform rendering of a fix, apart from the judgement: a standalone configuration for the
// fix's account — resources with literal ARNs, no placeholders, no provider or terraform block —
// that applies with nothing but an AWS provider for that account (SPEC §3).

// terraform renders plan p as Terraform for account; "" when no standalone resource can make the
// change (a managed policy or a boundary: Terraform has no resource for one version of a policy
// it does not own, so the steps say what to run instead).
func (c *check) terraform(p *fixPlan, account string) string {
	policyText := p.text()
	if policyText == "" {
		return ""
	}
	added := p.doc.Statements[p.stmt-1].Sid
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	switch p.target {
	case keyPolicyTarget:
		line("# xsdoctor fix for account " + account + ": the key policy of " + c.keyARN + ".")
		line(keepComment(p, added))
		line("# Fold it into your configuration: if Terraform already manages this key's policy (the policy")
		line("# argument of its aws_kms_key, or an aws_kms_key_policy), put this policy there instead of adding")
		line("# this resource, or the two will overwrite each other on every apply.")
		line(`resource "aws_kms_key_policy" ` + hclString(tfName("xsdoctor_key_"+keyID(c.keyARN))) + " {")
		line("  key_id = " + hclString(c.keyARN))
		line("  policy = " + heredoc(policyText, "  "))
		line("}")
	case secretPolicyTarget:
		line("# xsdoctor fix for account " + account + ": the resource policy of " + c.secretARN + ".")
		line(keepComment(p, added))
		line("# Fold it into your configuration: if Terraform already manages this secret's policy (an")
		line("# aws_secretsmanager_secret_policy, or the policy argument of aws_secretsmanager_secret), put this")
		line("# policy there instead of adding this resource, or the two will overwrite each other.")
		line(`resource "aws_secretsmanager_secret_policy" ` + hclString(tfName(c.inlinePolicyName())) + " {")
		line("  secret_arn = " + hclString(c.secretARN))
		line("  policy     = " + heredoc(policyText, "  "))
		line("}")
	case inlinePolicyTarget:
		line("# xsdoctor fix for account " + account + ": the inline policy " + p.name + " of " + c.roleARN + ".")
		if p.old == nil {
			line("# A new inline policy: the role's other policies are left as they are.")
		} else {
			line(keepComment(p, added))
		}
		line("# Fold it into your configuration: if Terraform manages this role, keep this resource beside it")
		line("# (or move the statements into the role's own policy documents) so the next apply keeps it.")
		line(`resource "aws_iam_role_policy" ` + hclString(tfName(p.name)) + " {")
		line("  name   = " + hclString(p.name))
		line("  role   = " + hclString(roleName(c.roleARN)))
		line("  policy = " + heredoc(policyText, "  "))
		line("}")
	case newKeyTarget:
		name := tfName(c.inlinePolicyName())
		line("# xsdoctor fix for account " + account + ": a customer managed key for " + c.secretARN + ",")
		line("# which is encrypted with the AWS managed key aws/secretsmanager that no other account can use.")
		line("# Its policy keeps the account in control of the key (" + c.keyRootStatement().Sid + ") and lets")
		line("# " + c.roleARN + " decrypt this secret through Secrets Manager.")
		line("# After applying it, point the secret at the key and re-encrypt its current version (the steps).")
		line("# Fold it into your configuration: if Terraform manages the secret, set its kms_key_id to")
		line("# aws_kms_alias." + name + ".arn there instead of running update-secret by hand.")
		line(`resource "aws_kms_key" ` + hclString(name) + " {")
		line("  description         = " + hclString("Encrypts "+c.secretARN+" for readers in account "+c.consumer))
		line("  enable_key_rotation = true")
		line("  policy              = " + heredoc(policyText, "  "))
		line("}")
		line("")
		line(`resource "aws_kms_alias" ` + hclString(name) + " {")
		line("  name          = " + hclString(p.name))
		line("  target_key_id = aws_kms_key." + name + ".key_id")
		line("}")
	default:
		return ""
	}
	return b.String()
}

// keepComment says what the whole policy holds.
func keepComment(p *fixPlan, sid string) string {
	what := "the statement " + strconv.Quote(sid)
	if sid == "" {
		what = "statement " + strconv.Itoa(p.stmt)
	}
	if p.old == nil {
		return "# The whole policy: there is none today; it holds " + what + "."
	}
	if len(p.doc.Statements) == len(p.old.Statements) {
		return "# The whole policy: today's " + strconv.Itoa(len(p.old.Statements)) + " statements, none removed, with " + what + " changed."
	}
	return "# The whole policy: today's " + strconv.Itoa(len(p.old.Statements)) + " statements, none removed, plus " + what + "."
}

// heredoc renders a policy as an indented heredoc. Terraform would read "${" and "%{" in it as
// interpolation and directives (policy variables such as ${aws:username} use the first), so
// both are escaped ("Strings and Templates" in the Terraform language documentation).
func heredoc(text, indent string) string {
	text = escapeTemplate(text)
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = indent + "  " + l
	}
	return "<<-POLICY\n" + strings.Join(lines, "\n") + "\n" + indent + "POLICY"
}

// hclString quotes s as an HCL string: JSON's escapes are HCL's, plus the template escapes.
func hclString(s string) string {
	b, _ := json.Marshal(s)
	return escapeTemplate(strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b)))
}

func escapeTemplate(s string) string {
	return strings.NewReplacer("${", "$${", "%{", "%%{").Replace(s)
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

// keyID is the key id part of a key ARN.
func keyID(keyARN string) string {
	if i := strings.LastIndex(keyARN, "/"); i >= 0 {
		return keyARN[i+1:]
	}
	return keyARN
}
