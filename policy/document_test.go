package policy

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestParseAcceptsEveryForm(t *testing.T) {
	tests := []struct {
		name string
		text string
		test func(t *testing.T, d *Document)
	}{
		{"statement as a single object, strings for lists", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}}`,
			func(t *testing.T, d *Document) {
				st := d.Statements[0]
				if len(d.Statements) != 1 || st.Index != 1 || !reflect.DeepEqual(st.Action, []string{"kms:Decrypt"}) || !reflect.DeepEqual(st.Resource, []string{"*"}) {
					t.Fatalf("got %+v", d.Statements)
				}
			}},
		{"statement list with NotAction, NotResource, Sid and Id", `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"A","Effect":"Deny","NotAction":["s3:*","kms:*"],"NotResource":"arn:aws:s3:::b/*"},{"Sid":"B","Effect":"Allow","Action":"*","Resource":["*"]}]}`,
			func(t *testing.T, d *Document) {
				if d.ID != "key-default-1" || len(d.Statements) != 2 || d.Statements[1].Sid != "B" || d.Statements[1].Index != 2 || len(d.Statements[0].NotAction) != 2 || d.Statements[0].NotResource[0] != "arn:aws:s3:::b/*" {
					t.Fatalf("got %+v", d)
				}
			}},
		{"principal star", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`,
			func(t *testing.T, d *Document) {
				if p := d.Statements[0].Principal; p == nil || !p.Wildcard {
					t.Fatalf("got %+v", p)
				}
			}},
		{"principal map with every type, string or list", `{"Statement":{"Effect":"Allow","Principal":{"AWS":["111111111111","arn:aws:iam::222222222222:root"],"Service":"secretsmanager.amazonaws.com","Federated":"cognito-identity.amazonaws.com","CanonicalUser":"79a59df900b949e55d96a1e698fbace"},"Action":"*","Resource":"*"}}`,
			func(t *testing.T, d *Document) {
				p := d.Statements[0].Principal
				if len(p.AWS) != 2 || p.Service[0] != "secretsmanager.amazonaws.com" || len(p.Federated) != 1 || len(p.CanonicalUser) != 1 {
					t.Fatalf("got %+v", p)
				}
			}},
		{"NotPrincipal", `{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::1:role/r"},"Action":"*","Resource":"*"}}`,
			func(t *testing.T, d *Document) {
				if d.Statements[0].NotPrincipal == nil || d.Statements[0].Principal != nil {
					t.Fatalf("got %+v", d.Statements[0])
				}
			}},
		{"condition values as string, number, bool and list", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":3600},"Bool":{"aws:SecureTransport":true},"StringEquals":{"aws:PrincipalOrgID":["o-a","o-b"],"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}}}`,
			func(t *testing.T, d *Document) {
				cs := d.Statements[0].Conditions
				got := map[string][]string{}
				for _, c := range cs {
					got[c.Operator+" "+c.Key] = c.Values
				}
				want := map[string][]string{
					"NumericLessThan aws:MultiFactorAuthAge": {"3600"},
					"Bool aws:SecureTransport":               {"true"},
					"StringEquals aws:PrincipalOrgID":        {"o-a", "o-b"},
					"StringEquals kms:ViaService":            {"secretsmanager.us-east-1.amazonaws.com"},
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("got %v", got)
				}
				if cs[0].Operator != "Bool" { // sorted by operator
					t.Fatalf("conditions not sorted: %v", cs)
				}
			}},
		{"URL-encoded as IAM returns it", url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`),
			func(t *testing.T, d *Document) {
				if d.Statements[0].Action[0] != "kms:Decrypt" {
					t.Fatalf("got %+v", d)
				}
			}},
		{"URL-encoded per RFC 3986, where + is a plus", url.PathEscape(`{"Version":"2012-10-17","Statement":[{"Sid":"a+b c","Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`),
			func(t *testing.T, d *Document) {
				if d.Statements[0].Sid != "a+b c" {
					t.Fatalf("Sid = %q, want %q", d.Statements[0].Sid, "a+b c")
				}
				if want := `{"Sid":"a+b c","Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}`; d.Statements[0].Text != want {
					t.Fatalf("Text = %q, want the statement as written", d.Statements[0].Text)
				}
			}},
		{"leading whitespace and BOM", "\ufeff\n  {\"Statement\":[]}",
			func(t *testing.T, d *Document) {
				if len(d.Statements) != 0 {
					t.Fatalf("got %+v", d)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			tt.test(t, d)
		})
	}
}

func TestParseRecordsStatementLines(t *testing.T) {
	text := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"One\", \"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"\n    },\n    {\"Sid\": \"Two\", \"Effect\": \"Deny\", \"Action\": \"*\", \"Resource\": \"*\"}\n  ]\n}"
	d, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	if d.Statements[0].Line != 4 || d.Statements[1].Line != 7 {
		t.Fatalf("lines = %d, %d; want 4, 7", d.Statements[0].Line, d.Statements[1].Line)
	}
	single, err := Parse("{\"Statement\":\n\n{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}")
	if err != nil {
		t.Fatal(err)
	}
	if single.Statements[0].Line != 3 {
		t.Fatalf("single statement line = %d, want 3", single.Statements[0].Line)
	}
}

func TestParseErrorsSayWhereAndWhat(t *testing.T) {
	tests := []struct {
		name, text string
		line       int
		msg        string
	}{
		{"empty", "   ", 1, "empty policy document"},
		{"not an object", `["Statement"]`, 1, "must be a JSON object"},
		{"syntax error on line 3", "{\n\"Statement\": [\n{\"Effect\": \"Allow\",, }\n]}", 3, "invalid JSON"},
		{"truncated", `{"Statement": [{"Effect": "Allow"`, 1, "end of policy document"},
		{"bad effect", "{\"Statement\": [\n{\"Effect\": \"allow\", \"Action\": \"*\", \"Resource\": \"*\"}]}", 2, `Effect must be "Allow" or "Deny"`},
		{"error on the element's own line", "{\"Statement\": [{\n  \"Effect\": \"Allow\",\n  \"Action\": \"*\",\n  \"Resource\": \"*\",\n  \"Condition\": {\"StringEqualz\": {\"a\": \"b\"}}\n}]}", 5, "unknown condition operator"},
		{"missing action", `{"Statement": {"Effect": "Allow", "Resource": "*"}}`, 1, "missing Action"},
		{"missing resource", `{"Statement": {"Effect": "Allow", "Action": "*"}}`, 1, "missing Resource"},
		{"action and notaction", `{"Statement": {"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}}`, 1, "cannot both"},
		{"unknown element", `{"Statement": {"Effect": "Allow", "Action": "*", "Resources": "*"}}`, 1, `unknown element "Resources"`},
		{"unknown top-level element", "{\n\"Version\": \"2012-10-17\",\n\"statement\": []}", 3, `unknown top-level element "statement"`},
		{"bad version", `{"Version": "2012-10-18", "Statement": []}`, 1, "unsupported Version"},
		{"no statement", `{"Version": "2012-10-17"}`, 1, "no Statement"},
		{"string principal", `{"Statement": {"Effect": "Allow", "Principal": "arn:aws:iam::1:root", "Action": "*", "Resource": "*"}}`, 1, `must be "*"`},
		{"unknown principal type", `{"Statement": {"Effect": "Allow", "Principal": {"Aws": "*"}, "Action": "*", "Resource": "*"}}`, 1, "unknown principal type"},
		{"unknown operator", `{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqualz": {"a": "b"}}}}`, 1, "unknown condition operator"},
		{"null IfExists", `{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"NullIfExists": {"a": "true"}}}}`, 1, "unknown condition operator"},
		{"nested condition value", `{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"a": {"b": "c"}}}}}`, 1, "values must be strings"},
		{"null in an action list", `{"Statement": {"Effect": "Allow", "Action": ["kms:Decrypt", null], "Resource": "*"}}`, 1, "list elements must be strings"},
		{"null Sid", `{"Statement": {"Sid": null, "Effect": "Allow", "Action": "*", "Resource": "*"}}`, 1, "Sid must be a string"},
		{"empty action list", `{"Statement": {"Effect": "Allow", "Action": [], "Resource": "*"}}`, 1, "must not be empty"},
		{"trailing data", `{"Statement": []} {}`, 1, "after the policy document"},
		{"bad URL encoding", `%7B%ZZ`, 1, "not JSON and not URL-encoded JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.text)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("want a *SyntaxError, got %v", err)
			}
			if se.Line != tt.line || !strings.Contains(se.Error(), tt.msg) {
				t.Fatalf("got %q (line %d); want line %d containing %q", se.Error(), se.Line, tt.line, tt.msg)
			}
		})
	}
}

func TestParseLimitEnforcesAWSSizeLimits(t *testing.T) {
	big := `{"Statement":[{"Sid":"` + strings.Repeat("x", MaxSecretPolicyBytes) + `","Effect":"Allow","Action":"*","Resource":"*"}]}`
	if _, err := ParseLimit(big, MaxSecretPolicyBytes); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "20 KB") {
		t.Fatalf("secret policy over 20 KB: got %v", err)
	}
	if _, err := ParseLimit(big, MaxKeyPolicyBytes); err != nil {
		t.Fatalf("the same text is within the 32 KB key policy limit: %v", err)
	}
	if _, err := ParseLimit(url.QueryEscape(big), MaxKeyPolicyBytes); err != nil {
		t.Fatalf("the limit applies to the decoded text: %v", err)
	}
}

func TestMarshalRoundTripAndStatementJSON(t *testing.T) {
	text := `{"Version":"2012-10-17","Id":"x","Statement":[{"Sid":"S1","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"},"NumericLessThan":{"n":5}}},{"Effect":"Deny","NotPrincipal":"*","NotAction":"s3:*","NotResource":["a","b"]}]}`
	d, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := Parse(string(out))
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, out)
	}
	out2, _ := Marshal(d2)
	if string(out) != string(out2) {
		t.Fatalf("marshal not stable:\n%s\n%s", out, out2)
	}
	js := d.StatementJSON(1)
	for _, want := range []string{`"Sid": "S1"`, `"kms:ViaService": [`, `"AWS": [`} {
		if !strings.Contains(js, want) {
			t.Fatalf("StatementJSON(1) lacks %s:\n%s", want, js)
		}
	}
	if d.StatementJSON(0) != "" || d.StatementJSON(3) != "" {
		t.Fatalf("out-of-range index must give empty text")
	}
}

// FuzzParse: parsing never panics; what parses marshals, and marshal → parse → marshal is stable.
func FuzzParse(f *testing.F) {
	seeds := []string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}}`,
		`{"Statement":[{"Sid":"a","Effect":"Deny","NotPrincipal":{"AWS":["1","arn:aws:iam::1:role/r"]},"NotAction":"s3:*","NotResource":"*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a*",1,true]}}}]}`,
		`%7B%22Statement%22%3A%5B%5D%7D`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::${aws:username, 'x'}/${*}"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"k":"true"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::1"]}}}]}`,
		`{`, `{"Statement":`, `[]`, `{"Statement":[1]}`, "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"\\u0000\",\"Resource\":\"*\"}]}",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		d, err := Parse(text)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error is not a *SyntaxError: %v", err)
			}
			return
		}
		out, err := Marshal(d)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		d2, err := Parse(string(out))
		if err != nil {
			t.Fatalf("re-parse of marshalled policy: %v\n%s", err, out)
		}
		out2, err := Marshal(d2)
		if err != nil || string(out) != string(out2) {
			t.Fatalf("marshal not stable (%v):\n%s\n%s", err, out, out2)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	text := `{"Version":"2012-10-17","Id":"key-consumer-1","Statement":[
	 {"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},
	 {"Sid":"AllowConsumer","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:role/app","222222222222"]},"Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"*",
	  "Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"},"StringLike":{"kms:EncryptionContext:SecretARN":"arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/*"}}}]}`
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(text); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseTrustReadsATrustPolicyAsGetRoleReturnsIt(t *testing.T) {
	// GetRole returns AssumeRolePolicyDocument URL-encoded, and trust policies have no Resource.
	text := "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A222222222222%3Aroot%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D"
	if _, err := Parse(text); err == nil {
		t.Fatal("Parse accepted a statement without Resource; only ParseTrust may")
	}
	d, err := ParseTrust(text)
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Principal: Principal{ARN: "arn:aws:sts::222222222222:assumed-role/app/s"}, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111111111111:role/reader"}
	id := []Named{{Name: "id", Doc: mustParse(t, `{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}`)}}
	if got := Evaluate(req, Set{Identity: id, Resource: &Named{Name: "trust", Doc: d}}); got.Decision != Allow {
		t.Fatalf("a trust statement without Resource must apply to the role: %s", got.Explain())
	}
}
