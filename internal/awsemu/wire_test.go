package awsemu

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestUnknownOperationsGetAWSErrorShapesAndALogLine(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	cfg := e.cfg()
	cases := []struct {
		name, code, logged string
		call               func() error
	}{
		{"Secrets Manager", "UnknownOperationException", "secretsmanager.ListSecrets", func() error {
			_, err := e.sm(cfg).ListSecrets(ctx(t), &secretsmanager.ListSecretsInput{})
			return err
		}},
		{"KMS", "UnknownOperationException", "TrentService.ListKeys", func() error {
			_, err := e.kms(cfg).ListKeys(ctx(t), &kms.ListKeysInput{})
			return err
		}},
		{"Organizations", "UnknownOperationException", "AWSOrganizationsV20161128.ListAccounts", func() error {
			_, err := e.orgs(cfg).ListAccounts(ctx(t), &organizations.ListAccountsInput{})
			return err
		}},
		{"IAM", "InvalidAction", `Action="ListUsers"`, func() error {
			_, err := e.iam(cfg).ListUsers(ctx(t), &iam.ListUsersInput{})
			return err
		}},
		{"STS", "InvalidAction", `Action="GetSessionToken"`, func() error {
			_, err := e.sts(cfg).GetSessionToken(ctx(t), &sts.GetSessionTokenInput{})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := wantCode(t, tc.call(), tc.code)
			var re *awshttp.ResponseError
			if !errors.As(api.(error), &re) && !errors.As(tc.call(), &re) {
				t.Fatalf("no HTTP response error")
			}
			if re.HTTPStatusCode() != http.StatusBadRequest || re.ServiceRequestID() == "" {
				t.Errorf("status %d, request id %q", re.HTTPStatusCode(), re.ServiceRequestID())
			}
			if !strings.Contains(e.log.String(), tc.logged) {
				t.Errorf("log does not name %s:\n%s", tc.logged, e.log.String())
			}
		})
	}
}

func TestEveryResponseCarriesARequestID(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	out, err := e.sts(e.cfg()).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	id1, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	if !ok || len(id1) != 36 {
		t.Errorf("STS request id %q", id1)
	}
	ks, err := e.kms(e.cfg()).ListAliases(ctx(t), &kms.ListAliasesInput{})
	if err != nil {
		t.Fatal(err)
	}
	id2, _ := awsmiddleware.GetRequestIDMetadata(ks.ResultMetadata)
	if id2 == "" || id2 == id1 {
		t.Errorf("KMS request id %q (STS was %q)", id2, id1)
	}
	_, err = e.sm(e.cfg()).DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String("nope")})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.ServiceRequestID() == "" {
		t.Errorf("error without a request id: %v", err)
	}
}

// TestEnvelopesAreAWSs checks what the SDK does not: the awsQuery envelope's root, namespace and
// ResponseMetadata, the content types, and the JSON error's X-Amzn-ErrorType header.
func TestEnvelopesAreAWSs(t *testing.T) {
	e := startEmu(t, wireScenario, Options{})
	post := func(body, target string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, e.url, strings.NewReader(body))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAOPERATOREXAMPLE1/20261129/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0")
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
			req.Header.Set("Content-Type", jsonContentType)
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := post("Action=GetCallerIdentity&Version=2011-06-15", "")
	var env struct {
		XMLName   xml.Name
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &env); err != nil {
		t.Fatal(err)
	}
	if env.XMLName.Local != "GetCallerIdentityResponse" || env.XMLName.Space != "https://sts.amazonaws.com/doc/2011-06-15/" ||
		env.RequestID != resp.Header.Get("x-amzn-RequestId") || resp.Header.Get("Content-Type") != "text/xml" {
		t.Errorf("STS envelope %v, request id %q vs header %q, content type %q", env.XMLName, env.RequestID, resp.Header.Get("x-amzn-RequestId"), resp.Header.Get("Content-Type"))
	}
	resp, body = post("Action=GetRole&RoleName=nope&Version=2010-05-08", "")
	if resp.StatusCode != 404 || !strings.Contains(body, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>`) {
		t.Errorf("IAM error %d: %s", resp.StatusCode, body)
	}
	resp, body = post(`{"SecretId":"nope"}`, "secretsmanager.DescribeSecret")
	if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" ||
		body != `{"Message":"Secrets Manager can't find the specified secret.","__type":"ResourceNotFoundException"}` {
		t.Errorf("Secrets Manager error %d %q: %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body)
	}
	resp, body = post(`{"KeyId":"alias/nope"}`, "TrentService.DescribeKey")
	if resp.StatusCode != 400 || !strings.HasPrefix(body, `{"__type":"NotFoundException","message":`) || resp.Header.Get("Content-Type") != jsonContentType {
		t.Errorf("KMS error %d: %s", resp.StatusCode, body)
	}
	resp, body = post(`not json`, "TrentService.DescribeKey")
	if resp.StatusCode != 400 || !strings.Contains(body, "SerializationException") {
		t.Errorf("malformed JSON %d: %s", resp.StatusCode, body)
	}
}
