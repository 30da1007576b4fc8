package door

import (
	"strings"
	"testing"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/policy"
)

// TestEveryFixIsWhole checks SPEC §3's "a fix is whole": fix.policy is a policy that parses, holds
// the statement shown, and keeps every statement of today's policy; fix.terraform is standalone —
// literal ARNs, no placeholders, no provider or terraform block.
func TestEveryFixIsWhole(t *testing.T) {
	n := 0
	for _, tc := range doorCases() {
		f := working()
		tc.mutate(&f)
		for _, fd := range allFindings(Check(f)) {
			if fd.Fix == nil || fd.Fix.Policy == "" {
				continue
			}
			n++
			fixed, err := policy.Parse(fd.Fix.Policy)
			if err != nil {
				t.Errorf("%s / %s: fix.policy does not parse: %v\n%s", tc.name, fd.Code, err, fd.Fix.Policy)
				continue
			}
			if !holdsStatement(fixed, fd.Fix.Statement) {
				t.Errorf("%s / %s: fix.policy lacks the statement shown:\n%s\npolicy:\n%s", tc.name, fd.Code, fd.Fix.Statement, fd.Fix.Policy)
			}
			if old := todaysPolicy(f, fd.Code); old != "" {
				before, err := policy.Parse(old)
				if err != nil {
					t.Fatal(err)
				}
				if len(fixed.Statements) < len(before.Statements) {
					t.Errorf("%s / %s: fix.policy has %d statements, today's policy %d", tc.name, fd.Code, len(fixed.Statements), len(before.Statements))
				}
				for i := range before.Statements {
					if before.Statements[i].Effect == "Allow" && before.StatementJSON(i+1) != fixed.StatementJSON(i+1) {
						t.Errorf("%s / %s: statement %d of today's policy changed:\n%s\nbecame\n%s", tc.name, fd.Code, i+1, before.StatementJSON(i+1), fixed.StatementJSON(i+1))
					}
				}
			}
			if fd.Fix.Account == "" || fd.Fix.Where == "" {
				t.Errorf("%s / %s: fix lacks account or where: %+v", tc.name, fd.Code, fd.Fix)
			}
			tf := fd.Fix.Terraform
			if tf == "" && fd.Code != xsdoctor.IAMBoundaryDeny {
				t.Errorf("%s / %s: a policy fix without Terraform", tc.name, fd.Code)
			}
			for _, bad := range []string{"provider \"", "terraform {", "...", "NEW-KEY-ID", "existing arguments", "REPLACE", "<placeholder", "TODO"} {
				if strings.Contains(tf, bad) {
					t.Errorf("%s / %s: fix.terraform contains %q:\n%s", tc.name, fd.Code, bad, tf)
				}
			}
			if tf != "" && !strings.Contains(tf, "Fold it into your configuration") {
				t.Errorf("%s / %s: fix.terraform does not say how to fold it into the user's configuration", tc.name, fd.Code)
			}
		}
	}
	if n < 15 {
		t.Errorf("only %d whole fixes checked", n)
	}
}

// holdsStatement says whether doc has a statement equal to the JSON of one statement.
func holdsStatement(doc *policy.Document, stmt string) bool {
	one, err := policy.Parse(`{"Version":"2012-10-17","Statement":[` + stmt + `]}`)
	if err != nil || len(one.Statements) != 1 {
		return false
	}
	for i := range doc.Statements {
		if doc.StatementJSON(i+1) == one.StatementJSON(1) {
			return true
		}
	}
	return false
}

// todaysPolicy is the policy a finding's fix replaces, "" when the fix adds a new one.
func todaysPolicy(f xsdoctor.Facts, code xsdoctor.Code) string {
	switch code {
	case xsdoctor.KeyPolicyNoAllow, xsdoctor.KeyPolicyConditionMismatch, xsdoctor.KeyPolicyExplicitDeny:
		return f.Key.Policy
	case xsdoctor.SecretPolicyNoAllow, xsdoctor.SecretPolicyConditionMismatch, xsdoctor.SecretPolicyStalePrincipal, xsdoctor.SecretPolicyExplicitDeny:
		return f.Secret.Policy
	}
	return ""
}

// TestFixesOpenTheDoor applies every closed door's fix.policy to the facts, the way the account
// owner would (put-key-policy, put-resource-policy, put-role-policy, a new key), re-runs Check
// and expects the door open: the fixes are real, not prose.
func TestFixesOpenTheDoor(t *testing.T) {
	applied := 0
	for _, tc := range doorCases() {
		f := working()
		tc.mutate(&f)
		d := Check(f)
		for _, door := range d.Doors {
			if door.State != closed {
				continue
			}
			g := f
			did := false
			for _, fd := range door.Findings {
				if fd.Effect != xsdoctor.EffectCloses || fd.Fix == nil {
					continue
				}
				if fd.Code == xsdoctor.KeyNotEnabled {
					if !strings.Contains(strings.Join(fd.Fix.Steps, " "), "enable-key") {
						t.Errorf("%s: KEY_NOT_ENABLED fix does not enable the key", tc.name)
					}
					g.Key.State, did = "Enabled", true
					continue
				}
				if fd.Fix.Policy == "" {
					continue // steps for another team (an SCP) or a boundary only the simulator saw
				}
				g = applyFix(t, g, fd)
				did = true
			}
			if !did {
				continue
			}
			applied++
			g.Simulations = nil // a re-run simulates again; the old answers are stale
			again := doorOf(Check(g), door.Door)
			unreadable := false
			for _, x := range again.Findings {
				unreadable = unreadable || x.Effect == xsdoctor.EffectUnknown
			}
			if again.State != open && !(again.State == unk && unreadable) {
				t.Errorf("%s: after the fix the %s door is %s, want open: %v", tc.name, door.Door, again.State, codesOf(again.Findings))
			}
		}
	}
	t.Logf("applied %d fixes", applied)
	if applied < 15 {
		t.Errorf("only %d fixes applied", applied)
	}
}

func codesOf(fs []xsdoctor.Finding) []xsdoctor.Code {
	var out []xsdoctor.Code
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

// applyFix puts fix.policy where the finding says it goes.
func applyFix(t *testing.T, f xsdoctor.Facts, fd xsdoctor.Finding) xsdoctor.Facts {
	t.Helper()
	pol := fd.Fix.Policy
	switch fd.Code {
	case xsdoctor.KeyPolicyNoAllow, xsdoctor.KeyPolicyConditionMismatch, xsdoctor.KeyPolicyExplicitDeny:
		f.Key.Policy = pol
	case xsdoctor.KeyAWSManaged:
		cmk := "arn:aws:kms:us-east-1:111111111111:key/9d8c7b6a-0000-4000-8000-000000000001"
		if !strings.Contains(strings.Join(fd.Fix.Steps, " "), "update-secret --secret-id "+secretARN+" --kms-key-id arn:aws:kms:us-east-1:111111111111:alias/xsdoctor/") {
			t.Errorf("KEY_AWS_MANAGED fix does not re-point the secret at the new key's alias: %v", fd.Fix.Steps)
		}
		f.Secret.KMSKeyID = cmk
		f.Key = xsdoctor.Key{ARN: cmk, Account: owner, Region: "us-east-1", Manager: "CUSTOMER", State: "Enabled", Policy: pol}
	case xsdoctor.SecretPolicyMissing, xsdoctor.SecretPolicyNoAllow, xsdoctor.SecretPolicyConditionMismatch,
		xsdoctor.SecretPolicyStalePrincipal, xsdoctor.SecretPolicyExplicitDeny:
		f.Secret.Policy = pol
	case xsdoctor.IAMNoSecretAllow, xsdoctor.IAMNoKMSAllow, xsdoctor.IAMKMSAliasResource, xsdoctor.IAMSecretResourceMismatch:
		if !strings.Contains(fd.Fix.Where, "xsdoctor-read-") {
			t.Errorf("%s: the consumer's fix is not a new inline policy named for xsdoctor: %s", fd.Code, fd.Fix.Where)
		}
		f.Role.Policies = append(append([]xsdoctor.Policy{}, f.Role.Policies...),
			xsdoctor.Policy{Name: "xsdoctor-read-orders", Kind: "inline", Document: pol})
	case xsdoctor.IAMBoundaryDeny, xsdoctor.IAMExplicitDeny:
		name := fd.Evidence[0].Policy
		if b := f.Role.Boundary; b != nil && (policyName(*b) == name || fd.Code == xsdoctor.IAMBoundaryDeny) {
			nb := *b
			nb.Document = pol
			f.Role.Boundary = &nb
			return f
		}
		ps := append([]xsdoctor.Policy{}, f.Role.Policies...)
		for i := range ps {
			if policyName(ps[i]) == name {
				ps[i].Document = pol
			}
		}
		f.Role.Policies = ps
	default:
		t.Errorf("no way to apply a %s fix", fd.Code)
	}
	return f
}

// TestAFixThatWouldTakeAccessAwayIsCaught: the comparison of who the policy lets in before and
// after finds a principal that loses access, and finds none for the fixes Check prints.
func TestAFixThatWouldTakeAccessAwayIsCaught(t *testing.T) {
	f := working()
	f.Key.Policy = doc(rootStatement, `{"Sid": "Other", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::333333333333:role/batch"}, "Action": "kms:Decrypt", "Resource": "*"}`)
	c := newCheck(f)
	kp, _ := c.keyPolicy()
	good := newPlan(xsdoctor.DoorKeyPolicy, keyPolicyTarget, "", kp.Doc, c.keyStatement())
	if p := keepsAccess(good, c); p != "" {
		t.Errorf("adding a statement takes access away: %s", p)
	}
	if !c.opens(xsdoctor.DoorKeyPolicy, good) {
		t.Errorf("adding the consumer's statement does not open the key door")
	}
	// A "fix" that rebuilds the policy from the new statement alone drops the other account.
	lossy := newPlan(xsdoctor.DoorKeyPolicy, keyPolicyTarget, "", nil, c.keyStatement())
	lossy.old = kp.Doc
	problem := keepsAccess(lossy, c)
	if !strings.Contains(problem, "it would take") || !strings.Contains(problem, "away from arn:aws:iam::") {
		t.Errorf("dropping a statement was not caught: %q", problem)
	}
	// A change that does not open the door is not printed as a policy.
	useless := newPlan(xsdoctor.DoorKeyPolicy, keyPolicyTarget, "", kp.Doc, c.keyRootStatement())
	if c.opens(xsdoctor.DoorKeyPolicy, useless) {
		t.Errorf("adding the root statement again opens the door")
	}
}

// TestAFixThatDoesNotOpenTheDoorIsNotPrinted: verifyFixes keeps the steps of a fix that fails
// its check and drops its policy and Terraform, saying why.
func TestAFixThatDoesNotOpenTheDoorIsNotPrinted(t *testing.T) {
	f := working()
	f.Key.Policy = doc(rootStatement)
	c := newCheck(f)
	d := xsdoctor.Diagnosis{Doors: []xsdoctor.Door{c.keyDoor()}}
	fd := d.Doors[0].Findings[0]
	if fd.Code != xsdoctor.KeyPolicyNoAllow || fd.Fix == nil || fd.Fix.Policy == "" {
		t.Fatalf("want KEY_POLICY_NO_ALLOW with a fix, got %s %+v", fd.Code, fd.Fix)
	}
	kp, _ := c.keyPolicy()
	c.plans[fd.Fix] = newPlan(xsdoctor.DoorKeyPolicy, keyPolicyTarget, "", kp.Doc, c.keyRootStatement())
	c.verifyFixes(&d)
	if fd.Fix.Policy != "" || fd.Fix.Terraform != "" || !strings.Contains(strings.Join(fd.Fix.Steps, " "), "still judges the key-policy door closed") {
		t.Errorf("a fix that does not open the door was printed: %+v", fd.Fix)
	}
}

func TestTerraformEscapesInterpolation(t *testing.T) {
	if got := hclString("arn:aws:s3:::bucket/${aws:username}"); got != `"arn:aws:s3:::bucket/$${aws:username}"` {
		t.Errorf("hclString = %s", got)
	}
	h := heredoc(`{"Resource": "arn:aws:s3:::b/${aws:username}/%{x}"}`, "  ")
	if !strings.Contains(h, "$${aws:username}") || !strings.Contains(h, "%%{x}") || !strings.HasSuffix(h, "\n  POLICY") {
		t.Errorf("heredoc = %s", h)
	}
}

// TestVersionKeyFixIsStepsThatNeverNeedTheValue: SPEC §3 wants steps only for a version left
// under an old key, and never a command that needs the secret value.
func TestVersionKeyFixIsStepsThatNeverNeedTheValue(t *testing.T) {
	c := newCheck(working())
	old := "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-4000-8000-0000000000aa"
	fx := c.versionKeyFix(old, keyARN)
	steps := strings.Join(fx.Steps, " ")
	if fx.Policy != "" || fx.Terraform != "" || fx.Statement != "" || fx.Account != owner {
		t.Errorf("want steps only in account %s, got %+v", owner, fx)
	}
	for _, want := range []string{"rotate-secret --secret-id " + secretARN, "update-secret --secret-id " + secretARN + " --kms-key-id " + keyARN, "list-secret-version-ids", old} {
		if !strings.Contains(steps, want) {
			t.Errorf("steps lack %q: %s", want, steps)
		}
	}
	for _, never := range []string{"put-secret-value", "--secret-string", "get-secret-value"} {
		if strings.Contains(steps, never) {
			t.Errorf("a step needs the secret value (%s): %s", never, steps)
		}
	}
}
