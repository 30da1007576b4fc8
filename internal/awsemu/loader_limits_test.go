package awsemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/xsdoctor/xsdoctor/policy"
)

// Loader limits and hostile text (issue 13): sizes measured as AWS measures them, nesting
// refused before work grows, and policy text that holds any JSON string reaching the wire intact.

// keyScenario is a one-account scenario whose key carries policyJSON.
func keyScenario(policyJSON string) string {
	return `{"name": "limits", "accounts": {"111111111111": {
	  "roles": {"inspector": {}},
	  "keys": {"1234abcd-12ab-34cd-56ef-1234567890ab": {"policy": ` + policyJSON + `}},
	  "secrets": {"s": {"kms_key_id": "1234abcd-12ab-34cd-56ef-1234567890ab"}}}},
	  "check": {"secret": "s", "consumer": "arn:aws:iam::111111111111:role/inspector"}}`
}

// compactPolicy returns a compact key policy of exactly size bytes.
func compactPolicy(t testing.TB, size int) string {
	t.Helper()
	type stmt struct {
		Sid       string
		Effect    string
		Principal map[string]string
		Action    []string
		Resource  string
	}
	doc := struct {
		Version   string
		Statement []stmt
	}{Version: "2012-10-17"}
	add := func(i int) string {
		doc.Statement = append(doc.Statement, stmt{Sid: fmt.Sprintf("S%05d", i), Effect: "Allow",
			Principal: map[string]string{"AWS": "arn:aws:iam::111111111111:root"}, Action: []string{"kms:Decrypt", "kms:DescribeKey"}, Resource: "*"})
		b, _ := json.Marshal(doc)
		return string(b)
	}
	text := add(0)
	for i := 1; len(text) < size; i++ {
		prev := text
		if text = add(i); len(text) > size {
			doc.Statement = doc.Statement[:len(doc.Statement)-1]
			doc.Statement[len(doc.Statement)-1].Sid += strings.Repeat("x", size-len(prev))
			b, _ := json.Marshal(doc)
			text = string(b)
		}
	}
	if len(text) != size {
		t.Fatalf("built a %d-byte policy, want %d", len(text), size)
	}
	return text
}

func TestKeyPolicySizeIsMeasuredWithoutWhitespace(t *testing.T) {
	legal := compactPolicy(t, 32000)
	e := startEmu(t, keyScenario(legal), Options{})
	out, err := e.kms(e.as("arn:aws:iam::111111111111:role/inspector")).GetKeyPolicy(ctx(t),
		&kms.GetKeyPolicyInput{KeyId: aws.String("1234abcd-12ab-34cd-56ef-1234567890ab"), PolicyName: aws.String("default")})
	if err != nil {
		t.Fatalf("a legal compact 32,000-byte key policy must load and be served: %v", err)
	}
	// Indented it would pass the limit; it is served compact, so a client that enforces AWS's
	// limit on what it reads accepts it.
	served := aws.ToString(out.Policy)
	if _, err := policy.ParseLimit(served, policy.MaxKeyPolicyBytes); err != nil || served != legal {
		t.Errorf("served %d bytes (%v); want the compact document back", len(served), err)
	}

	// Whitespace does not count either way: the same document pretty-printed still loads.
	var pretty strings.Builder
	var v any
	json.Unmarshal([]byte(legal), &v)
	b, _ := json.MarshalIndent(v, "", "        ")
	pretty.Write(b)
	if _, _, err := Parse([]byte(keyScenario(pretty.String()))); err != nil || len(b) <= policy.MaxKeyPolicyBytes {
		t.Errorf("a pretty-printed document of %d bytes, 32,000 compact: %v", len(b), err)
	}

	_, _, err = Parse([]byte(keyScenario(compactPolicy(t, policy.MaxKeyPolicyBytes+1))))
	if err == nil || !strings.Contains(err.Error(), "32769 bytes without whitespace, limit 32768") {
		t.Errorf("one byte past the limit: %v", err)
	}
}

func TestDeepNestingFailsBeforeAnyWork(t *testing.T) {
	// 9,000 nested arrays in a condition: 27 KB of text that used to take 15 s and 1.8 GB before
	// its error (issue 13). The depth check is one scan of the bytes, before any decoding.
	n := 9000
	cond := `{"StringEquals": {"aws:PrincipalAccount": ` + strings.Repeat("[", n) + `"1"` + strings.Repeat("]", n) + `}}`
	doc := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": ` + cond + `}]}`
	data := []byte(keyScenario(doc))
	var err error
	allocs := testing.AllocsPerRun(1, func() { _, _, err = Parse(data) })
	var le *LoadError
	if !errors.As(err, &le) || len(le.Problems) != 1 || !strings.Contains(le.Problems[0], "nested deeper than 64 levels at line 3") {
		t.Fatalf("Parse = %v, want one nesting problem", err)
	}
	// A handful of allocations for the error message; decoding 9,000 levels would make
	// hundreds of thousands.
	if allocs > 50 {
		t.Errorf("%v allocations before the error; the depth check must come first", allocs)
	}
	// Brackets inside strings are text, not nesting.
	inString := keyScenario(`{"Version": "2012-10-17", "Statement": [{"Sid": "` + strings.Repeat("[{", 200) + `", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}`)
	if _, _, err := Parse([]byte(inString)); err != nil {
		t.Errorf("brackets in a string are not nesting: %v", err)
	}
}

// hostile are strings an owner account can write into its policies (issue 13): terminal escape
// sequences that retitle and clear a terminal, and a newline that forges a markdown heading.
var hostile = []string{
	"\x1b]0;pwned\x07\x1b[2J",
	"prod\n# verdict: OPEN",
	"tab\tand nul-free \x7f delete",
}

func TestPolicyTextKeepsAnyJSONStringOnTheWire(t *testing.T) {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	stmt := func(sid, principal, action string) string {
		return `{"Sid": ` + q(sid) + `, "Effect": "Allow", "Principal": {"AWS": "` + principal + `"}, "Action": "` + action + `", "Resource": "*",
		  "Condition": {"StringEquals": {"aws:PrincipalTag/team": [` + q(hostile[1]) + `, ` + q(hostile[2]) + `]}}}`
	}
	keyPolicy := `{"Version": "2012-10-17", "Statement": [` + stmt(hostile[0], "arn:aws:iam::111111111111:root", "kms:*") + `]}`
	text := strings.Replace(keyScenario(keyPolicy), `"kms_key_id": "1234abcd-12ab-34cd-56ef-1234567890ab"`,
		`"kms_key_id": "1234abcd-12ab-34cd-56ef-1234567890ab", "resource_policy": {"Version": "2012-10-17", "Statement": [`+
			stmt(hostile[0], "arn:aws:iam::222222222222:root", "secretsmanager:GetSecretValue")+`]}`, 1)
	text = strings.Replace(text, `"inspector": {}`, `"inspector": {"inline_policies": {"p": {"Version": "2012-10-17", "Statement": [{"Sid": `+
		q(hostile[0])+`, "Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/x": `+q(hostile[1])+`}}}]}}}`, 1)
	e := startEmu(t, text, Options{})
	cfg := e.as("arn:aws:iam::111111111111:role/inspector")

	kp, err := e.kms(cfg).GetKeyPolicy(ctx(t), &kms.GetKeyPolicyInput{KeyId: aws.String("1234abcd-12ab-34cd-56ef-1234567890ab"), PolicyName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	rp, err := e.sm(cfg).GetResourcePolicy(ctx(t), &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("s")})
	if err != nil {
		t.Fatal(err)
	}
	ip, err := e.iam(cfg).GetRolePolicy(ctx(t), &iam.GetRolePolicyInput{RoleName: aws.String("inspector"), PolicyName: aws.String("p")})
	if err != nil {
		t.Fatal(err)
	}
	ipText, err := url.PathUnescape(aws.ToString(ip.PolicyDocument))
	if err != nil {
		t.Fatal(err)
	}
	for name, served := range map[string]string{"GetKeyPolicy": aws.ToString(kp.Policy), "GetResourcePolicy": aws.ToString(rp.ResourcePolicy), "GetRolePolicy": ipText} {
		doc, err := policy.Parse(served)
		if err != nil {
			t.Fatalf("%s served a policy that does not parse: %v", name, err)
		}
		if sid := doc.Statements[0].Sid; sid != hostile[0] {
			t.Errorf("%s: Sid %q, want %q exactly", name, sid, hostile[0])
		}
		if !strings.Contains(served, `\u001b]0;pwned\u0007\u001b[2J`) || !strings.Contains(served, `prod\n# verdict: OPEN`) {
			t.Errorf("%s must keep the escapes as JSON escapes: %s", name, served)
		}
	}
}

func TestRoleTagLengthsCountCharactersNotBytes(t *testing.T) {
	with := func(key, value string) string {
		return strings.Replace(keyScenario(`{"Version": "2012-10-17", "Statement": []}`), `"inspector": {}`,
			`"inspector": {"tags": {"`+key+`": "`+value+`"}}`, 1)
	}
	// 128 and 256 characters of two and three bytes each: legal on AWS, which counts characters.
	if _, _, err := Parse([]byte(with(strings.Repeat("é", 128), strings.Repeat("€", 256)))); err != nil {
		t.Errorf("a 128-character key (256 bytes) with a 256-character value (768 bytes) must load: %v", err)
	}
	for _, tc := range []struct{ key, value string }{{strings.Repeat("é", 129), "v"}, {"k", strings.Repeat("€", 257)}} {
		_, _, err := Parse([]byte(with(tc.key, tc.value)))
		if err == nil || !strings.Contains(err.Error(), "accounts.111111111111.roles.inspector.tags.") {
			t.Errorf("a tag past the limit in characters: %v", err)
		}
	}
}
