package policy_test

import (
	"strings"
	"testing"

	"github.com/xsdoctor/xsdoctor/policy"
)

const keyPolicy = `{"Version":"2012-10-17","Statement":[
 {"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},
 {"Sid":"App","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:role/other"},"Action":["kms:Decrypt"],"Resource":"*"}]}`

func TestWithStatementsKeepsEveryStatementAndEvaluatesTheNewOne(t *testing.T) {
	old, err := policy.Parse(keyPolicy)
	if err != nil {
		t.Fatal(err)
	}
	consumer := policy.Principal{ARN: "arn:aws:iam::222222222222:role/app"}
	req := policy.Request{Principal: consumer, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:111111111111:key/k",
		ResourceAccount: "111111111111", Context: map[string][]string{"kms:ViaService": {"secretsmanager.us-east-1.amazonaws.com"}}}
	allowAll, _ := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	set := func(d *policy.Document) policy.Set {
		return policy.Set{Identity: []policy.Named{{Name: "id", Doc: allowAll}}, Resource: &policy.Named{Name: "kp", Doc: d}}
	}
	if got := policy.Evaluate(req, set(old)).Decision; got != policy.ImplicitDeny {
		t.Fatalf("before: %s, want implicit deny", got)
	}
	add := policy.Statement{Sid: "App", Effect: "Allow", Principal: &policy.Principals{AWS: []string{consumer.ARN}},
		Action: []string{"kms:Decrypt"}, Resource: []string{"*"}}
	add = add.WithCondition("StringEquals", "kms:ViaService", "secretsmanager.us-east-1.amazonaws.com")
	fixed, err := old.WithStatements(add)
	if err != nil {
		t.Fatal(err)
	}
	if got := policy.Evaluate(req, set(fixed)).Decision; got != policy.Allow {
		t.Errorf("after: %s, want allow", got)
	}
	if len(fixed.Statements) != 3 || fixed.Statements[0].Sid != "Root" || fixed.Statements[1].Sid != "App" {
		t.Errorf("statements %v: the old ones must stay first, in order", sids(fixed))
	}
	if fixed.Statements[2].Sid != "App2" {
		t.Errorf("the added statement's Sid is %q, want App2 (Sids are unique in a policy)", fixed.Statements[2].Sid)
	}
	text, _ := policy.Marshal(fixed)
	if !strings.Contains(string(text), `"kms:ViaService": [`) {
		t.Errorf("marshalled policy lacks the condition:\n%s", text)
	}
	if len(old.Statements) != 2 {
		t.Errorf("the old document changed: %v", sids(old))
	}
}

func TestReplacingAndWithConditionNarrowADeny(t *testing.T) {
	d, err := policy.Parse(`{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"},
	 {"Sid":"Perimeter","Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-1"}}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	req := policy.Request{Principal: policy.Principal{ARN: "arn:aws:iam::222222222222:role/app"}, Action: "secretsmanager:GetSecretValue",
		Resource: "arn:aws:secretsmanager:us-east-1:111111111111:secret:s-AbCdEf", ResourceAccount: "111111111111",
		Context: map[string][]string{"aws:PrincipalOrgID": {"o-2"}, "aws:PrincipalArn": {"arn:aws:iam::222222222222:role/app"}}}
	allowAll, _ := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	eval := func(doc *policy.Document) policy.Decision {
		return policy.Evaluate(req, policy.Set{Identity: []policy.Named{{Name: "id", Doc: allowAll}}, Resource: &policy.Named{Name: "rp", Doc: doc}}).Decision
	}
	if got := eval(d); got != policy.ExplicitDeny {
		t.Fatalf("before: %s", got)
	}
	narrowed := d.Statements[1].WithCondition("ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::222222222222:role/app")
	fixed, err := d.Replacing(2, narrowed)
	if err != nil {
		t.Fatal(err)
	}
	if got := eval(fixed); got != policy.Allow {
		t.Errorf("after: %s, want allow", got)
	}
	if len(d.Statements[1].Conditions) != 1 {
		t.Errorf("WithCondition changed the original statement")
	}
	if _, err := d.Replacing(3, narrowed); err == nil {
		t.Errorf("Replacing(3) of a 2-statement policy: no error")
	}
}

func TestCoversActionAndNamesPrincipal(t *testing.T) {
	d, _ := policy.Parse(keyPolicy)
	root, app := &d.Statements[0], &d.Statements[1]
	if !root.CoversAction("KMS:Decrypt") || !app.CoversAction("kms:decrypt") || app.CoversAction("kms:Encrypt") {
		t.Errorf("CoversAction wrong")
	}
	other := policy.Principal{ARN: "arn:aws:sts::333333333333:assumed-role/other/s", RoleARN: "arn:aws:iam::333333333333:role/other"}
	if !app.NamesPrincipal(other) || root.NamesPrincipal(other) {
		t.Errorf("NamesPrincipal wrong")
	}
}

func sids(d *policy.Document) []string {
	var out []string
	for _, s := range d.Statements {
		out = append(out, s.Sid)
	}
	return out
}
