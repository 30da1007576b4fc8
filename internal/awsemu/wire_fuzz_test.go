package awsemu

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzServe throws arbitrary targets, actions and bodies at the handler: whatever arrives, the
// answer is AWS-shaped (JSON for an X-Amz-Target, XML otherwise), carries a request id, and is
// never a 5xx from a crash.
//
//	go test ./internal/awsemu -run '^$' -fuzz FuzzServe -fuzztime 30s
func FuzzServe(f *testing.F) {
	s := parseScenario(f, wireScenario)
	h := New(s, Options{})
	f.Add("secretsmanager.DescribeSecret", []byte(`{"SecretId":"shared"}`))
	f.Add("TrentService.ListGrants", []byte(`{"KeyId":"`+cmkARN+`","Marker":"x","Limit":0}`))
	f.Add("TrentService.GetKeyPolicy", []byte(`{"KeyId":null}`))
	f.Add("AWSOrganizationsV20161128.DescribeOrganization", []byte(`[]`))
	f.Add("", []byte("Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn=arn:aws:iam::999999999999:role/x&ActionNames.member.1=kms:Decrypt&ContextEntries.member.1.ContextKeyName=a"))
	f.Add("", []byte("Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::111111111111:role/ops/inspector&RoleSessionName=s&DurationSeconds=x"))
	f.Add("", []byte("Action=ListRolePolicies&Version=2010-05-08&RoleName=inspector&MaxItems=-1&Marker=%00"))
	f.Add("", []byte("%zz"))
	f.Fuzz(func(t *testing.T, target string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAOPERATOREXAMPLE1/20261129/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0")
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() { h.ServeHTTP(rec, req); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("no answer within 5s for %q %q", target, body)
		}
		if rec.Header().Get("x-amzn-RequestId") == "" {
			t.Fatal("no request id")
		}
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q %q: %s", rec.Code, target, body, rec.Body)
		}
		out := rec.Body.Bytes()
		if target != "" && !strings.Contains(target, "\x00") {
			if !json.Valid(out) {
				t.Fatalf("JSON service answered non-JSON: %s", out)
			}
			return
		}
		if target == "" {
			var root struct{ XMLName xml.Name }
			if err := xml.Unmarshal(out, &root); err != nil {
				t.Fatalf("query service answered non-XML (%v): %s", err, out)
			}
		}
	})
}
