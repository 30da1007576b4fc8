package awsemu

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// wireScenario is a scenario built to exercise the wire: three accounts (two in organizations,
// one in none), lists long enough to need several pages at page size 2, a role with a path, a
// boundary, tags and an external id, keys in every state the probe cares about, and secrets on a
// customer managed key, on the AWS managed key and scheduled for deletion.
const wireScenario = `{
  "name": "wire",
  "region": "us-east-1",
  "aws_managed_policies": {
    "SecretsReadOnly": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:Describe*", "Resource": "*"}]}
  },
  "accounts": {
    "111111111111": {
      "org_id": "o-aaaaaaaaaa",
      "policies": {
        "boundary": {"path": "/", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["secretsmanager:*", "kms:*", "iam:*"], "Resource": "*"}]}},
        "read-keys": {"path": "/team/", "document": {"Version": "2012-10-17", "Statement": [{"Sid": "Keys", "Effect": "Allow", "Action": "kms:Describe*", "Resource": "*"}]}}
      },
      "roles": {
        "inspector": {
          "path": "/ops/",
          "tags": {"team": "platform", "env": "prod"},
          "external_id": "ext-1234",
          "inline_policies": {
            "a-secrets": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:DescribeSecret", "Resource": "*"}]},
            "b-keys": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:GetKeyPolicy", "Resource": "*"}]},
            "c-iam": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]}
          },
          "managed_policies": ["arn:aws:iam::111111111111:policy/boundary", "arn:aws:iam::111111111111:policy/team/read-keys", "arn:aws:iam::aws:policy/SecretsReadOnly"],
          "permissions_boundary": "arn:aws:iam::111111111111:policy/boundary"
        },
        "restricted": {"denied_calls": ["kms:GetKeyPolicy", "iam:GetRole", "secretsmanager:DescribeSecret"]},
        "locked": {"assumable": false}
      },
      "keys": {
        "1234abcd-12ab-34cd-56ef-1234567890ab": {
          "aliases": ["alias/shared-a", "alias/shared-b", "alias/shared-c"],
          "policy": {"Version": "2012-10-17", "Statement": [
            {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "Consumer", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "kms:Decrypt", "Resource": "*"}
          ]},
          "grants": [
            {"name": "g1", "grantee_principal": "arn:aws:iam::222222222222:role/app", "operations": ["Decrypt"], "constraints": {"encryption_context_subset": {"SecretARN": "arn:aws:secretsmanager:us-east-1:111111111111:secret:shared-AbCdEf"}}},
            {"name": "g2", "grantee_principal": "arn:aws:iam::222222222222:role/other", "operations": ["Decrypt", "DescribeKey"]},
            {"name": "g3", "grantee_principal": "arn:aws:iam::333333333333:root", "operations": ["Encrypt"]}
          ]
        },
        "disabled-key": {"state": "Disabled", "aliases": ["alias/old"]},
        "doomed-key": {"state": "PendingDeletion", "deletion_date": "2026-12-01T00:00:00Z"}
      },
      "secrets": {
        "shared": {"suffix": "AbCdEf", "kms_key_id": "alias/shared-a", "value": "canary-shared",
          "resource_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}},
        "plain": {"value": "canary-plain"},
        "gone": {"kms_key_id": "1234abcd-12ab-34cd-56ef-1234567890ab", "deleted_date": "2026-11-01T00:00:00Z", "value": "canary-gone"}
      }
    },
    "222222222222": {
      "org_id": "o-bbbbbbbbbb",
      "roles": {
        "app": {
          "inline_policies": {"read": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:us-east-1:111111111111:secret:shared-AbCdEf"},
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
          ]}}
        },
        "nokms": {
          "inline_policies": {"read": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
          ]}}
        }
      }
    },
    "333333333333": {
      "roles": {"solo": {}}
    }
  },
  "check": {"secret": "arn:aws:secretsmanager:us-east-1:111111111111:secret:shared-AbCdEf", "consumer": "arn:aws:iam::222222222222:role/app"}
}`

const (
	ownerAcct    = "111111111111"
	consumerAcct = "222222222222"
	soloAcct     = "333333333333"
	sharedARN    = "arn:aws:secretsmanager:us-east-1:111111111111:secret:shared-AbCdEf"
	cmkID        = "1234abcd-12ab-34cd-56ef-1234567890ab"
	cmkARN       = "arn:aws:kms:us-east-1:111111111111:key/" + cmkID
)

// emu is an emulator on a loopback port with helpers to reach it through the real SDK clients.
type emu struct {
	t   testing.TB
	url string
	srv *server
	log *syncBuffer
	// requests counts the requests the emulator answered, by operation (X-Amz-Target or Action).
	mu       sync.Mutex
	requests map[string]int
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// isolateSDK keeps the SDK off the network and away from the machine's AWS files.
func isolateSDK(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if tt, ok := t.(*testing.T); ok {
		tt.Setenv("AWS_EC2_METADATA_DISABLED", "true")
		tt.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
		tt.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
		tt.Setenv("AWS_PROFILE", "")
		tt.Setenv("AWS_ENDPOINT_URL", "")
	} else {
		os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
		os.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
		os.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	}
}

func parseScenario(t testing.TB, text string) *Scenario {
	t.Helper()
	s, _, err := Parse([]byte(text))
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
	return s
}

func startEmu(t testing.TB, scenario string, opts Options) *emu {
	t.Helper()
	isolateSDK(t)
	e := &emu{t: t, log: &syncBuffer{}, requests: map[string]int{}}
	if opts.Logger == nil {
		opts.Logger = e.log
	}
	e.srv = New(parseScenario(t, scenario), opts).(*server)
	counting := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := r.Header.Get("X-Amz-Target")
		if op == "" {
			body, _ := readAndRestore(r)
			op = formValue(body, "Action")
		}
		e.mu.Lock()
		e.requests[op]++
		e.mu.Unlock()
		e.srv.ServeHTTP(w, r)
	})
	ts := httptest.NewServer(counting)
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e
}

func (e *emu) count(op string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests[op]
}

// cfg is an SDK config that signs with static keys (the operator's unless given) and talks only
// to the emulator.
func (e *emu) cfg(creds ...string) aws.Config {
	e.t.Helper()
	ak, sk, tok := "AKIAOPERATOREXAMPLE1", "operator-secret-key-not-used-by-the-emulator", ""
	if len(creds) == 3 {
		ak, sk, tok = creds[0], creds[1], creds[2]
	}
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(ak, sk, tok)),
		config.WithBaseEndpoint(e.url),
		config.WithRetryMaxAttempts(3),
	)
	if err != nil {
		e.t.Fatal(err)
	}
	return cfg
}

// as assumes role (ARN) as the operator and returns a config signing with the session.
func (e *emu) as(roleARN string, externalID ...string) aws.Config {
	e.t.Helper()
	in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("test")}
	if len(externalID) > 0 {
		in.ExternalId = aws.String(externalID[0])
	}
	out, err := sts.NewFromConfig(e.cfg()).AssumeRole(context.Background(), in)
	if err != nil {
		e.t.Fatalf("assume %s: %v", roleARN, err)
	}
	c := out.Credentials
	return e.cfg(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
}

func (e *emu) sm(cfg aws.Config) *secretsmanager.Client  { return secretsmanager.NewFromConfig(cfg) }
func (e *emu) kms(cfg aws.Config) *kms.Client            { return kms.NewFromConfig(cfg) }
func (e *emu) iam(cfg aws.Config) *iam.Client            { return iam.NewFromConfig(cfg) }
func (e *emu) sts(cfg aws.Config) *sts.Client            { return sts.NewFromConfig(cfg) }
func (e *emu) orgs(cfg aws.Config) *organizations.Client { return organizations.NewFromConfig(cfg) }

// wantCode fails unless err is an AWS API error with code (and, when given, a message containing
// msg), and it carries a request id.
func wantCode(t *testing.T, err error, code string, msg ...string) smithy.APIError {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if api.ErrorCode() != code {
		t.Fatalf("want code %s, got %s (%s)", code, api.ErrorCode(), api.ErrorMessage())
	}
	for _, m := range msg {
		if !strings.Contains(api.ErrorMessage(), m) {
			t.Errorf("%s message %q does not contain %q", code, api.ErrorMessage(), m)
		}
	}
	return api
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// readAndRestore reads a request body and puts it back for the handler.
func readAndRestore(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, err
}

func formValue(body []byte, key string) string {
	v, _ := url.ParseQuery(string(body))
	return v.Get(key)
}
