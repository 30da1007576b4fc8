package door

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/policy"
)

// TestFixStatementsParse checks that every proposed statement is a valid policy statement.
func TestFixStatementsParse(t *testing.T) {
	n := 0
	for _, tc := range doorCases() {
		f := working()
		tc.mutate(&f)
		for _, fd := range allFindings(Check(f)) {
			if fd.Fix == nil || fd.Fix.Statement == "" {
				continue
			}
			n++
			if !json.Valid([]byte(fd.Fix.Statement)) {
				t.Errorf("%s / %s: statement is not JSON:\n%s", tc.name, fd.Code, fd.Fix.Statement)
				continue
			}
			if _, err := policy.Parse(doc(fd.Fix.Statement)); err != nil {
				t.Errorf("%s / %s: statement does not parse: %v\n%s", tc.name, fd.Code, err, fd.Fix.Statement)
			}
			if fd.Fix.Account == "" || fd.Fix.Where == "" || fd.Fix.Terraform == "" {
				t.Errorf("%s / %s: fix lacks account, where or terraform: %+v", tc.name, fd.Code, fd.Fix)
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d fix statements checked", n)
	}
}

// TestFixesOpenTheDoor applies every closed door's fix statements to the facts, the way the
// account owner would, re-runs Check and expects the door open: the fixes are real, not prose.
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
			g := f // a copy; slices below are replaced, not mutated in place
			ok, did := true, false
			for _, fd := range door.Findings {
				switch {
				case fd.Code == xsdoctor.KeyNotEnabled:
					// Steps only: enable-key (after cancel-key-deletion) leaves it Enabled.
					if !strings.Contains(strings.Join(fd.Fix.Steps, " "), "enable-key") {
						t.Errorf("%s: KEY_NOT_ENABLED fix does not enable the key", tc.name)
					}
					g.Key.State, did = "Enabled", true
				case fd.Fix == nil || fd.Fix.Statement == "":
					if fd.Code != xsdoctor.IAMSCPDeny {
						ok = false
					}
				default:
					ok = applyFix(t, &g, fd) && ok
					did = true
				}
			}
			if !ok || !did {
				continue // an SCP fix is made of steps for another team: nothing to apply here
			}
			applied++
			g.Simulations = nil // a re-run simulates again; the old answers are stale
			again := doorOf(Check(g), door.Door)
			// A door whose other facts were unread can only become unknown, never open.
			unreadable := false
			for _, x := range again.Findings {
				unreadable = unreadable || strings.HasSuffix(string(x.Code), "_UNREADABLE")
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

// applyFix changes the facts as the fix says; false when the finding's fix is not a statement
// this test knows how to apply.
func applyFix(t *testing.T, f *xsdoctor.Facts, fd xsdoctor.Finding) bool {
	t.Helper()
	st := fd.Fix.Statement
	switch fd.Code {
	case xsdoctor.KeyPolicyNoAllow, xsdoctor.KeyPolicyConditionMismatch:
		f.Key.Policy = appendStatement(t, f.Key.Policy, st)
	case xsdoctor.KeyPolicyExplicitDeny:
		f.Key.Policy = replaceStatement(t, f.Key.Policy, fd.Evidence[0].Index, st)
	case xsdoctor.KeyAWSManaged:
		cmk := "arn:aws:kms:us-east-1:111111111111:key/9d8c7b6a-0000-4000-8000-000000000001"
		if !strings.Contains(strings.Join(fd.Fix.Steps, " "), "--kms-key-id") {
			t.Errorf("KEY_AWS_MANAGED fix does not re-point the secret at the new key")
		}
		f.Secret.KMSKeyID = cmk
		f.Key = xsdoctor.Key{ARN: cmk, Account: owner, Region: "us-east-1", Manager: "CUSTOMER", State: "Enabled", Policy: doc(rootStatement, st)}
	case xsdoctor.SecretPolicyMissing:
		f.Secret.Policy = doc(st)
	case xsdoctor.SecretPolicyNoAllow, xsdoctor.SecretPolicyConditionMismatch, xsdoctor.SecretPolicyStalePrincipal:
		f.Secret.Policy = appendStatement(t, f.Secret.Policy, st)
	case xsdoctor.SecretPolicyExplicitDeny:
		f.Secret.Policy = replaceStatement(t, f.Secret.Policy, fd.Evidence[0].Index, st)
	case xsdoctor.IAMNoSecretAllow, xsdoctor.IAMNoKMSAllow, xsdoctor.IAMKMSAliasResource, xsdoctor.IAMSecretResourceMismatch:
		f.Role.Policies = append(append([]xsdoctor.Policy{}, f.Role.Policies...),
			xsdoctor.Policy{Name: "xsdoctor-fix-" + strings.ToLower(string(fd.Code)), Kind: "inline", Document: doc(st)})
	case xsdoctor.IAMBoundaryDeny, xsdoctor.IAMExplicitDeny:
		if fd.Code == xsdoctor.IAMExplicitDeny || strings.Contains(st, `"Deny"`) {
			return applyDenyFix(t, f, fd)
		}
		if f.Role.Boundary == nil {
			return false // only the simulator saw the boundary: nothing in the facts to change
		}
		b := *f.Role.Boundary
		b.Document = appendStatement(t, b.Document, st)
		f.Role.Boundary = &b
	default:
		t.Errorf("no way to apply a %s fix", fd.Code)
		return false
	}
	return true
}

// applyDenyFix replaces the denying statement in whichever identity policy or boundary holds it.
func applyDenyFix(t *testing.T, f *xsdoctor.Facts, fd xsdoctor.Finding) bool {
	ev := fd.Evidence[0]
	if b := f.Role.Boundary; b != nil && policyName(*b) == ev.Policy {
		nb := *b
		nb.Document = replaceStatement(t, nb.Document, ev.Index, fd.Fix.Statement)
		f.Role.Boundary = &nb
		return true
	}
	ps := append([]xsdoctor.Policy{}, f.Role.Policies...)
	for i := range ps {
		if policyName(ps[i]) == ev.Policy {
			ps[i].Document = replaceStatement(t, ps[i].Document, ev.Index, fd.Fix.Statement)
			f.Role.Policies = ps
			return true
		}
	}
	t.Errorf("%s: evidence names policy %q, which the role does not have", fd.Code, ev.Policy)
	return false
}

func statements(t *testing.T, text string) []json.RawMessage {
	t.Helper()
	var d struct{ Statement json.RawMessage }
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		t.Fatalf("policy %q: %v", text, err)
	}
	var list []json.RawMessage
	if json.Unmarshal(d.Statement, &list) != nil {
		list = []json.RawMessage{d.Statement}
	}
	return list
}

func join(list []json.RawMessage) string {
	parts := make([]string, len(list))
	for i, r := range list {
		parts[i] = string(r)
	}
	return doc(parts...)
}

func appendStatement(t *testing.T, policyText, st string) string {
	if strings.TrimSpace(policyText) == "" {
		return doc(st)
	}
	return join(append(statements(t, policyText), json.RawMessage(st)))
}

func replaceStatement(t *testing.T, policyText string, index int, st string) string {
	list := statements(t, policyText)
	if index < 1 || index > len(list) {
		t.Fatalf("statement index %d out of range (%d statements)", index, len(list))
	}
	list[index-1] = json.RawMessage(st)
	return join(list)
}

func TestFixJSONAndTerraformAgree(t *testing.T) {
	c := newCheck(working())
	st := c.keyStatement()
	var m map[string]any
	if err := json.Unmarshal([]byte(st.JSON()), &m); err != nil {
		t.Fatalf("key statement JSON: %v\n%s", err, st.JSON())
	}
	tf := st.TerraformStatement("")
	for _, want := range []string{
		`identifiers = ["` + roleARN + `"]`,
		`variable = "kms:ViaService"`, `values   = ["secretsmanager.us-east-1.amazonaws.com"]`,
		`variable = "kms:CallerAccount"`, `values   = ["222222222222"]`,
		`variable = "kms:EncryptionContext:SecretARN"`, `values   = ["` + secretARN + `"]`,
		`actions   = ["kms:Decrypt"]`,
	} {
		if !strings.Contains(tf, want) {
			t.Errorf("terraform lacks %q:\n%s", want, tf)
		}
	}
	cond := m["Condition"].(map[string]any)["StringEquals"].(map[string]any)
	if cond["kms:CallerAccount"] != consumer || cond["kms:ViaService"] != "secretsmanager.us-east-1.amazonaws.com" || cond["kms:EncryptionContext:SecretARN"] != secretARN {
		t.Errorf("key statement conditions = %v", cond)
	}
}

func TestTerraformEscapesInterpolation(t *testing.T) {
	got := hclList([]string{"arn:aws:s3:::bucket/${aws:username}"})
	if got != `["arn:aws:s3:::bucket/$${aws:username}"]` {
		t.Errorf("hclList = %s", got)
	}
}
