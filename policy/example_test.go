package policy_test

import (
	"fmt"

	"github.com/xsdoctor/xsdoctor/policy"
)

// A consumer role in account 222222222222 reads a secret in 111111111111: the decision and the
// statements behind it, and what the KMS half says when the key policy's condition names the
// wrong Region.
func ExampleEvaluate() {
	identity, _ := policy.Parse(`{"Version":"2012-10-17","Statement":[
	  {"Sid":"ReadShared","Effect":"Allow","Action":["secretsmanager:GetSecretValue","kms:Decrypt"],"Resource":"*"}]}`)
	secretPolicy, _ := policy.Parse(`{"Version":"2012-10-17","Statement":[
	  {"Sid":"Consumer","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},
	   "Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)
	keyPolicy, _ := policy.Parse(`{"Version":"2012-10-17","Statement":[
	  {"Sid":"Enable IAM policies","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},
	  {"Sid":"ConsumerViaSM","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/app"},
	   "Action":"kms:Decrypt","Resource":"*",
	   "Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.eu-west-1.amazonaws.com"}}}]}`)

	who := policy.Principal{ARN: "arn:aws:sts::222222222222:assumed-role/app/lambda", Account: "222222222222"}
	ids := []policy.Named{{Name: "app-read", Doc: identity}}

	get := policy.Evaluate(policy.Request{
		Principal: who, Action: "secretsmanager:GetSecretValue",
		Resource:        "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-AbCdEf",
		ResourceAccount: "111111111111",
	}, policy.Set{Identity: ids, Resource: &policy.Named{Name: "secret-policy", Doc: secretPolicy}})
	fmt.Println("GetSecretValue:", get.Decision)
	for _, m := range get.Matched {
		fmt.Printf("  %s %s %q (statement %d) %s\n", m.Type, m.Policy, m.Sid, m.Index, m.Effect)
	}

	dec := policy.Evaluate(policy.Request{
		Principal: who, Action: "kms:Decrypt",
		Resource:        "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		ResourceAccount: "111111111111",
		Context:         map[string][]string{"kms:ViaService": {"secretsmanager.us-east-1.amazonaws.com"}},
	}, policy.Set{Identity: ids, Resource: &policy.Named{Name: "key-policy", Doc: keyPolicy}})
	fmt.Println("Decrypt:", dec.Decision)
	for _, m := range dec.Misses {
		fmt.Printf("  near miss: %s %q %s %s %s: expected %v, got %v\n",
			m.Statement.Policy, m.Statement.Sid, m.Element, m.Operator, m.Key, m.Expected, m.Actual)
	}
	// Output:
	// GetSecretValue: allow
	//   identity app-read "ReadShared" (statement 1) Allow
	//   resource secret-policy "Consumer" (statement 1) Allow
	// Decrypt: implicit_deny
	//   near miss: key-policy "ConsumerViaSM" Condition StringEquals kms:ViaService: expected [secretsmanager.eu-west-1.amazonaws.com], got [secretsmanager.us-east-1.amazonaws.com]
}

// When a condition key cannot be known offline, the result says which conditions decide.
func ExampleResult_conditional() {
	secretPolicy, _ := policy.Parse(`{"Version":"2012-10-17","Statement":[
	  {"Sid":"OnlyFromVPCE","Effect":"Deny","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*",
	   "Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0abc"}}},
	  {"Sid":"Consumer","Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)
	identity, _ := policy.Parse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}}`)
	res := policy.Evaluate(policy.Request{
		Principal:       policy.Principal{ARN: "arn:aws:sts::222222222222:assumed-role/app/lambda"},
		Action:          "secretsmanager:GetSecretValue",
		Resource:        "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-AbCdEf",
		ResourceAccount: "111111111111",
		Unknown:         []string{"aws:SourceVpce"},
	}, policy.Set{Identity: []policy.Named{{Name: "app", Doc: identity}}, Resource: &policy.Named{Name: "secret-policy", Doc: secretPolicy}})
	fmt.Println(res.Decision)
	for _, u := range res.Conditional {
		fmt.Printf("  only if %s %s %v does not hold (%s %q)\n", u.Key, u.Operator, u.Values, u.Statement.Effect, u.Statement.Sid)
	}
	// Output:
	// allow
	//   only if aws:SourceVpce StringNotEquals [vpce-0abc] does not hold (Deny "OnlyFromVPCE")
}

func ExampleMatchWildcard() {
	fmt.Println(policy.MatchWildcard("secretsmanager:Get*", "SecretsManager:GetSecretValue", true))
	fmt.Println(policy.MatchWildcard("prod/db-??????", "prod/db-AbCdEf", false))
	fmt.Println(policy.MatchWildcard("prod/db-??????", "prod/db-AbCdEfG", false))
	// Output:
	// true
	// true
	// false
}

func ExampleDocument_StatementJSON() {
	d, _ := policy.Parse(`{"Version":"2012-10-17","Statement":{"Sid":"Read","Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}}`)
	fmt.Println(d.StatementJSON(1))
	// Output:
	// {
	//   "Sid": "Read",
	//   "Effect": "Allow",
	//   "Action": [
	//     "kms:Decrypt"
	//   ],
	//   "Resource": [
	//     "*"
	//   ]
	// }
}

// Explain renders a result for logs: a cross-account Decrypt the key policy denies explicitly.
func ExampleResult_Explain() {
	keyPolicy, _ := policy.Parse(`{"Version":"2012-10-17","Statement":[
	  {"Sid":"Consumer","Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"kms:Decrypt","Resource":"*"},
	  {"Sid":"OnlyViaSM","Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*",
	   "Condition":{"StringNotLike":{"kms:ViaService":"secretsmanager.*.amazonaws.com"}}}]}`)
	identity, _ := policy.Parse(`{"Version":"2012-10-17","Statement":{"Sid":"Decrypt","Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}}`)
	res := policy.Evaluate(policy.Request{
		Principal:       policy.Principal{ARN: "arn:aws:sts::222222222222:assumed-role/app/cli"},
		Action:          "kms:Decrypt",
		Resource:        "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		ResourceAccount: "111111111111",
	}, policy.Set{Identity: []policy.Named{{Name: "app", Doc: identity}}, Resource: &policy.Named{Name: "key-policy", Doc: keyPolicy}})
	fmt.Println(res.Explain())
	// Output:
	// decision: explicit_deny
	//   identity: allow
	//   resource: deny
	//   applied: identity app statement 1 "Decrypt" (line 1) Allow
	//   applied: resource key-policy statement 1 "Consumer" (line 2) Allow
	//   applied: resource key-policy statement 2 "OnlyViaSM" (line 3) Deny
}
