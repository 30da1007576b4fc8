package errtext

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/xsdoctor/xsdoctor"
)

// corpusCase is one file of testdata/corpus: a form of the error (the comment says which), the
// text as a workload logs it, and what Parse must read from it.
type corpusCase struct {
	name  string
	input string
	want  map[string]string
}

func loadCorpus(t *testing.T) []corpusCase { return loadCorpusTB(t) }

func loadCorpusTB(t testing.TB) []corpusCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	var cases []corpusCase
	for _, path := range files {
		a, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c := corpusCase{name: strings.TrimSuffix(filepath.Base(path), ".txtar")}
		for _, f := range a.Files {
			switch f.Name {
			case "input":
				c.input = string(f.Data)
			case "want":
				if err := json.Unmarshal(f.Data, &c.want); err != nil {
					t.Fatalf("%s: want: %v", path, err)
				}
			}
		}
		if c.input == "" || c.want == nil {
			t.Fatalf("%s: needs an input and a want section", path)
		}
		cases = append(cases, c)
	}
	return cases
}

// fields is ErrorText as the corpus's want sections name it (the JSON names).
func fields(e xsdoctor.ErrorText) map[string]string {
	data, _ := json.Marshal(e)
	var m map[string]string
	_ = json.Unmarshal(data, &m)
	return m
}

// strict fields must be empty when a want section leaves them out; the others are compared only
// when given.
var strict = []string{"principal", "action", "resource", "policy_type", "deny", "format", "secret", "region", "account"}

// TestCorpus reads every form of the error in testdata/corpus and checks what Parse reads from it:
// the principal exactly as written, the action, the resource, the secret with its region and
// account, the policy type, implicit or explicit, and the format.
func TestCorpus(t *testing.T) {
	for _, c := range loadCorpus(t) {
		t.Run(c.name, func(t *testing.T) {
			e, err := Parse(c.input)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := fields(e)
			for _, k := range strict {
				if got[k] != c.want[k] {
					t.Errorf("%s = %q, want %q", k, got[k], c.want[k])
				}
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			if e.Principal != "" && !strings.Contains(c.input, e.Principal) {
				t.Errorf("principal %q is not in the input as written", e.Principal)
			}
		})
	}
}

// TestCorpusCoversEveryForm keeps the corpus honest: each form SPEC'd for --from-error has a file.
func TestCorpusCoversEveryForm(t *testing.T) {
	formats := map[string]bool{}
	types := map[string]map[string]bool{}
	for _, c := range loadCorpus(t) {
		for _, layer := range strings.Split(c.want["format"], "/") {
			formats[layer] = true
		}
		if types[c.want["deny"]] == nil {
			types[c.want["deny"]] = map[string]bool{}
		}
		types[c.want["deny"]][c.want["policy_type"]] = true
	}
	for _, f := range []string{FormatAWSMessage, FormatGoV2, FormatBotocore, FormatAWSCLI, FormatJava, FormatJS, FormatECS,
		FormatStackTrace, FormatCloudWatch, FormatLambdaJSON, FormatJSONLog, FormatCTEvent, FormatCTRecords, FormatCTLookup} {
		if !formats[f] {
			t.Errorf("no corpus file in format %s", f)
		}
	}
	for _, p := range []xsdoctor.PolicyType{xsdoctor.PolicyResourceBased, xsdoctor.PolicyIdentityBased, xsdoctor.PolicySCP,
		xsdoctor.PolicyRCP, xsdoctor.PolicyBoundary, xsdoctor.PolicySession, xsdoctor.PolicyVPCEndpoint} {
		for _, deny := range []string{xsdoctor.DenyImplicit, xsdoctor.DenyExplicit} {
			if !types[deny][string(p)] {
				t.Errorf("no corpus file for an %s deny by a %s", deny, p)
			}
		}
	}
	if !types[""][""] || !types[""][string(xsdoctor.PolicyKMS)] {
		t.Errorf("the corpus needs the bare form and the KMS messages")
	}
}

// TestUnusableTextSaysWhatItLookedFor: text without an error is refused with what Parse looked for.
func TestUnusableTextSaysWhatItLookedFor(t *testing.T) {
	for _, text := range []string{
		"",
		"panic: runtime error: index out of range [3] with length 3",
		`{"level":"info","msg":"started"}`,
		`{"Records":[{"eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","userIdentity":{"arn":"arn:aws:sts::1:assumed-role/a/b"}}]}`,
		"User: is not authorized to perform: nothing",
	} {
		_, err := Parse(text)
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("Parse(%q) = %v, want ErrNotFound", text, err)
			continue
		}
		for _, want := range []string{"is not authorized to perform", "Access to KMS is not allowed", "CloudTrail"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the error does not say it looked for %q: %v", want, err)
			}
		}
	}
}

// TestFirstRelevantErrorWins: in a log with several errors, the first one about a secret is read.
func TestFirstRelevantErrorWins(t *testing.T) {
	log := "User: arn:aws:sts::222222222222:assumed-role/app/s is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::bucket/key because no identity-based policy allows the s3:GetObject action\n" +
		"User: arn:aws:sts::222222222222:assumed-role/app/s is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:eu-west-1:111111111111:secret:db-AbCdEf because no resource-based policy allows the secretsmanager:GetSecretValue action\n"
	e, err := Parse(log)
	if err != nil {
		t.Fatal(err)
	}
	if e.Action != "secretsmanager:GetSecretValue" || e.Region != "eu-west-1" {
		t.Errorf("read %+v, want the GetSecretValue error", e)
	}
}

// TestControlCharactersAndHugeInputs: Parse survives input of every shape.
func TestLargeAdversarialInput(t *testing.T) {
	// Many phrase openings with nothing usable, long runs without separators, deep JSON nesting
	// and a real message at the very end: Parse must find it, in linear time.
	var b strings.Builder
	for b.Len() < 3<<20 {
		b.WriteString(" is not authorized to perform: User: User: arn:aws:secretsmanager:")
		b.WriteString(strings.Repeat("a", 300))
		b.WriteString(" {\"x\":[[[[")
	}
	b.WriteString("\nUser: arn:aws:sts::222222222222:assumed-role/app/s is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf because no resource-based policy allows the secretsmanager:GetSecretValue action\n")
	e, err := Parse(b.String())
	if err != nil {
		t.Fatal(err)
	}
	if e.Principal != "arn:aws:sts::222222222222:assumed-role/app/s" {
		t.Errorf("principal %q", e.Principal)
	}
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	if _, err := Parse(deep); !errors.Is(err, ErrNotFound) {
		t.Errorf("deep nesting: %v", err)
	}
	long := strings.Repeat("Access to KMS is not allowed", 100000)
	if e, err := Parse(long); err != nil || e.PolicyType != xsdoctor.PolicyKMS {
		t.Errorf("repeated KMS message: %+v %v", e, err)
	}
}

// TestPrincipalExactlyAsWritten: role and session names may hold +=,.@- and a path; the principal
// is kept byte for byte.
func TestPrincipalExactlyAsWritten(t *testing.T) {
	for _, p := range []string{
		"arn:aws:sts::222222222222:assumed-role/app,blue+green=1.x@y-z/session,1",
		"arn:aws:iam::222222222222:role/service-role/path/app",
		"arn:aws-cn:sts::222222222222:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jane.doe@example.com",
	} {
		e, err := Parse("User: " + p + " is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf because no resource-based policy allows the secretsmanager:GetSecretValue action")
		if err != nil || e.Principal != p {
			t.Errorf("principal %q, %v; want %q", e.Principal, err, p)
		}
	}
}
