package factsfile

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/xsdoctor/xsdoctor"
)

// TestRoundTrip: every field of the facts survives Write then Read, failed reads included.
func TestRoundTrip(t *testing.T) {
	f := xsdoctor.Facts{
		Input: xsdoctor.Input{SecretArg: "prod/db", SecretARN: "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-AbCdEf", Resolved: true,
			ConsumerArg: "arn:aws:sts::222222222222:assumed-role/app/s", Region: "us-east-1", OwnerProfile: "owner",
			Error: &xsdoctor.ErrorText{Principal: "arn:aws:sts::222222222222:assumed-role/app/s", PolicyType: xsdoctor.PolicyKMS, Format: "aws-sdk-go-v2"}},
		Owner:  xsdoctor.Account{ID: "111111111111", OrgErr: &xsdoctor.ReadError{Call: "organizations:DescribeOrganization", Code: "AccessDeniedException"}},
		Secret: xsdoctor.Secret{ARN: "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-AbCdEf", PolicyErr: &xsdoctor.ReadError{Call: "secretsmanager:GetResourcePolicy", Code: "AccessDeniedException", Action: "secretsmanager:GetResourcePolicy"}},
		Key:    xsdoctor.Key{ARN: "arn:aws:kms:us-east-1:111111111111:key/k", Grants: []xsdoctor.Grant{{ID: "g", GranteePrincipal: "p", Operations: []string{"Decrypt"}}}},
		Calls:  []xsdoctor.Call{{Account: "111111111111", Service: "kms", Operation: "GetKeyPolicy", MS: 12, ErrorCode: ""}},
		Now:    "2026-03-01T12:00:00Z",
	}
	var buf bytes.Buffer
	if err := Write(&buf, f, "v1.2.3"); err != nil {
		t.Fatal(err)
	}
	got, h, err := Read(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if h != (Header{SchemaVersion: "1", Kind: Kind, ToolVersion: "v1.2.3"}) {
		t.Errorf("header %+v", h)
	}
	if !reflect.DeepEqual(got, f) {
		t.Errorf("round trip changed the facts:\n%+v\n%+v", got, f)
	}
	if !strings.HasPrefix(buf.String(), "{\n  \"schema_version\": \"1\",\n  \"kind\": \"xsdoctor-facts\",\n  \"tool_version\": \"v1.2.3\",\n  \"input\": {") {
		t.Errorf("the file does not open with its header, then input:\n%.200s", buf.String())
	}
}

// TestReadRefuses names what a file is when it is not facts this xsdoctor reads.
func TestReadRefuses(t *testing.T) {
	for _, c := range []struct {
		in    string
		newer bool
		want  string
	}{
		{`{"schema_version":"2","kind":"xsdoctor-facts","tool_version":"v9"}`, true, `schema_version "2", newer than "1"`},
		{`{"schema_version":"1","verdict":"closed"}`, false, "looks like a report"},
		{`{"kind":"other"}`, false, `"kind" is "other"`},
		{`[1,2]`, false, "header does not parse"},
		{`not json`, false, "not JSON"},
		{`{"schema_version":"0","kind":"xsdoctor-facts"}`, false, "not a version number"},
	} {
		_, _, err := Read([]byte(c.in))
		var ne *NewerSchemaError
		var nf *NotFactsError
		if c.newer && !errors.As(err, &ne) || !c.newer && !errors.As(err, &nf) || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Read(%s) = %v, want %s", c.in, err, c.want)
		}
	}
}
