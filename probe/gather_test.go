package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/internal/awsemu"
)

const wide = "testdata/scenarios/wide.json"

func wideSecret(name, suffix string) string {
	return "arn:aws:secretsmanager:us-east-1:111111111111:secret:" + name + "-" + suffix
}

const (
	wideKeyARN   = "arn:aws:kms:us-east-1:111111111111:key/5f0c2d1e-7a3b-4c9d-8e1f-2a3b4c5d6e7f"
	wideThirdKey = "arn:aws:kms:us-east-1:333333333333:key/9e8d7c6b-5a49-4837-a261-5c4b3a291807"
)

func TestGatherResolvesEveryFormOfKmsKeyIdToTheKeyARN(t *testing.T) {
	isolate(t)
	for _, tc := range []struct {
		name, secret, kmsKeyID, alias string
	}{
		{"key id", wideSecret("forms/by-id", "IdIdId"), "5f0c2d1e-7a3b-4c9d-8e1f-2a3b4c5d6e7f", ""},
		{"key ARN", wideSecret("forms/by-arn", "ArnArn"), wideKeyARN, ""},
		{"alias name", wideSecret("forms/by-alias", "AlsAls"), "alias/app-b", "alias/app-b"},
		{"alias ARN", wideSecret("forms/by-alias-arn", "AlsArn"), "arn:aws:kms:us-east-1:111111111111:alias/app-c", "alias/app-c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startEmu(t, wide, awsemu.Options{})
			o := e.options()
			o.Secret, o.Live = tc.secret, false
			f := e.gather(o)
			if f.Secret.KMSKeyID != tc.kmsKeyID {
				t.Errorf("KMSKeyID = %q, want it echoed as %q", f.Secret.KMSKeyID, tc.kmsKeyID)
			}
			k := f.Key
			if k.ARN != wideKeyARN || k.Account != "111111111111" || k.Manager != "CUSTOMER" || k.State != "Enabled" || k.Alias != tc.alias {
				t.Errorf("key = %+v, want %s CUSTOMER Enabled alias %q", k, wideKeyARN, tc.alias)
			}
			if k.Err != nil || k.PolicyErr != nil || k.GrantsErr != nil || !strings.Contains(k.Policy, `"Sid": "Consumer"`) {
				t.Errorf("key reads failed: %+v", k)
			}
			// DescribeKey is called once, with the alias for an alias (it names the key ARN in
			// one round trip) and with the key ARN otherwise; GetKeyPolicy always by key ARN
			// with PolicyName "default".
			var describes, policies []string
			for _, r := range e.requests() {
				switch r.Op {
				case "TrentService.DescribeKey":
					describes = append(describes, r.Body)
				case "TrentService.GetKeyPolicy":
					policies = append(policies, r.Body)
				}
			}
			if len(describes) != 1 {
				t.Errorf("DescribeKey sent %d times: %v", len(describes), describes)
			}
			if len(policies) != 1 || !strings.Contains(policies[0], `"PolicyName":"default"`) || !strings.Contains(policies[0], wideKeyARN) {
				t.Errorf("GetKeyPolicy requests = %v, want one by key ARN with PolicyName default", policies)
			}
			if len(e.duplicates()) > 0 {
				t.Errorf("calls made twice: %v", e.duplicates())
			}
		})
	}
}

func TestGatherFindsTheAWSManagedKeyWithListAliasesNeverDescribeKeyOnTheAlias(t *testing.T) {
	isolate(t)
	for _, path := range []string{sharedScenario(t, "aws-managed-key-cannot-be-shared"), wide} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			// Page size 1: the alias is several pages into ListAliases.
			e := startEmu(t, path, awsemu.Options{PageSize: 1})
			o := e.options()
			if path == wide {
				o.Secret = wideSecret("forms/aws-managed", "AwsMgd")
			}
			f := e.gather(o)
			var want *awsemu.Secret
			for _, s := range e.sc.Secrets() {
				if s.ARN == o.Secret {
					want = s
				}
			}
			if want == nil || want.Key == nil {
				t.Fatalf("scenario has no secret %s with a key", o.Secret)
			}
			if f.Secret.KMSKeyID != "" {
				t.Errorf("KMSKeyID = %q, want absent (AWS managed key)", f.Secret.KMSKeyID)
			}
			if f.Key.ARN != want.Key.ARN || f.Key.Manager != "AWS" || f.Key.Alias != AWSManagedSecretsAlias || f.Key.Policy == "" {
				t.Errorf("key = %+v, want %s, manager AWS, alias %s, policy read", f.Key, want.Key.ARN, AWSManagedSecretsAlias)
			}
			pages := 0
			for _, r := range e.requests() {
				if r.Op == "TrentService.DescribeKey" && strings.Contains(r.Body, "alias/aws/") {
					t.Errorf("DescribeKey on a predefined alias (it can create the key): %s", r.Body)
				}
				if r.Op == "TrentService.ListAliases" {
					pages++
				}
			}
			if pages < 2 {
				t.Errorf("ListAliases pages = %d, want the paginated walk to the alias", pages)
			}
		})
	}
}

func TestGatherFollowsASessionARNToTheRoleWithItsPathAndEveryPolicy(t *testing.T) {
	isolate(t)
	for _, raw := range []bool{false, true} {
		e := startEmu(t, wide, awsemu.Options{PageSize: 2, RawPolicyVersionDocuments: raw})
		f := e.gather(e.options())
		r := f.Role
		if r.ARN != "arn:aws:iam::222222222222:role/apps/team/app" || r.Path != "/apps/team/" || r.Name != "app" || r.Session != "i-0abc1234" {
			t.Errorf("raw=%v: role = %s path %s name %s session %s, want the role with its path", raw, r.ARN, r.Path, r.Name, r.Session)
		}
		if r.ID == "" || r.Tags["team"] != "payments team+ops" || r.Tags["env"] != "prod" || !strings.HasPrefix(r.TrustPolicy, "{") {
			t.Errorf("raw=%v: id %q tags %v trust %q", raw, r.ID, r.Tags, r.TrustPolicy)
		}
		var got []string
		for _, p := range r.Policies {
			got = append(got, p.Kind+" "+p.Name+" "+p.Version)
			var doc map[string]any
			if err := json.Unmarshal([]byte(p.Document), &doc); err != nil {
				t.Errorf("raw=%v: policy %s is not decoded JSON: %v: %q", raw, p.Name, err, p.Document)
			}
		}
		want := []string{
			"inline inline-a+b ", "inline inline-b ", "inline inline-c ", "inline inline-d ", "inline inline-e ",
			"managed boundary v1", "managed p-three v1", "managed p-two v1", "managed p-one v1", "aws-managed SecretsManagerReadWrite v1",
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("raw=%v: policies\n got %q\nwant %q", raw, got, want)
		}
		if !strings.Contains(r.Policies[0].Document, `"payments team+ops"`) {
			t.Errorf("raw=%v: '+' must survive decoding (PathUnescape): %s", raw, r.Policies[0].Document)
		}
		if r.Boundary == nil || r.Boundary.Kind != "boundary" || r.Boundary.ARN != "arn:aws:iam::222222222222:policy/boundary" || !strings.Contains(r.Boundary.Document, `"Bound"`) {
			t.Errorf("raw=%v: boundary = %+v", raw, r.Boundary)
		}
		if r.Err != nil || len(r.PolicyErrs) > 0 {
			t.Errorf("raw=%v: role reads failed: %+v %+v", raw, r.Err, r.PolicyErrs)
		}
		// The boundary is also attached: read once.
		if d := e.duplicates(); len(d) > 0 {
			t.Errorf("raw=%v: calls made twice: %v", raw, d)
		}
		// The simulator gets the role ARN with its path, never the session ARN.
		for _, q := range e.requests() {
			if q.Op == "SimulatePrincipalPolicy" {
				v, _ := url.ParseQuery(q.Body)
				if v.Get("PolicySourceArn") != "arn:aws:iam::222222222222:role/apps/team/app" {
					t.Errorf("raw=%v: PolicySourceArn = %q", raw, v.Get("PolicySourceArn"))
				}
			}
		}
	}
}

func TestGatherPaginatesGrantsPoliciesAndAliasesWithTinyPages(t *testing.T) {
	isolate(t)
	for _, size := range []int{1, 2, 100} {
		e := startEmu(t, wide, awsemu.Options{PageSize: size})
		f := e.gather(e.options())
		if len(f.Key.Grants) != 5 {
			t.Errorf("page size %d: %d grants, want 5", size, len(f.Key.Grants))
		}
		for _, g := range f.Key.Grants {
			if g.Name == "grant-1" && (g.GranteePrincipal != "arn:aws:iam::222222222222:role/apps/team/app" || len(g.Operations) != 1 ||
				g.EncryptionContextSubset["SecretARN"] != wideSecret("forms/by-id", "IdIdId")) {
				t.Errorf("grant-1 = %+v", g)
			}
			if g.Name == "grant-5" && g.EncryptionContextEquals["SecretARN"] != "x" {
				t.Errorf("grant-5 = %+v", g)
			}
		}
		if len(f.Role.Policies) != 10 {
			t.Errorf("page size %d: %d role policies, want 10", size, len(f.Role.Policies))
		}
		if len(f.Simulations) != 2 {
			t.Errorf("page size %d: %d simulation results, want 2", size, len(f.Simulations))
		}
	}
}

func TestGatherRecordsEveryDeniedReadWithTheMissingAction(t *testing.T) {
	isolate(t)
	e := startEmu(t, sharedScenario(t, "inspector-denied-get-key-policy"), awsemu.Options{})
	f := e.gather(e.options())
	pe := f.Key.PolicyErr
	if pe == nil || pe.Call != "kms:GetKeyPolicy" || pe.Code != "AccessDeniedException" || pe.Action != "kms:GetKeyPolicy" || pe.Account != "111111111111" {
		t.Fatalf("PolicyErr = %+v, want kms:GetKeyPolicy AccessDeniedException in 111111111111 missing kms:GetKeyPolicy", pe)
	}
	if f.Key.Policy != "" || f.Key.Err != nil || f.Key.State == "" {
		t.Errorf("the other key reads must stand: %+v", f.Key)
	}

	e = startEmu(t, wide, awsemu.Options{})
	o := e.options()
	o.OwnerRole = "arn:aws:iam::111111111111:role/restricted-inspector"
	f = e.gather(o)
	checks := []struct {
		what string
		re   *xsdoctor.ReadError
		call string
	}{
		{"secret policy", f.Secret.PolicyErr, "secretsmanager:GetResourcePolicy"},
		{"grants", f.Key.GrantsErr, "kms:ListGrants"},
		{"key", f.Key.Err, "kms:DescribeKey"},
	}
	for _, c := range checks {
		if c.re == nil || c.re.Call != c.call || c.re.Action != c.call || c.re.Code != "AccessDeniedException" {
			t.Errorf("%s: %+v, want %s denied with its action", c.what, c.re, c.call)
		}
	}
	if f.Key.ARN != wideKeyARN || f.Key.Policy == "" {
		t.Errorf("a denied DescribeKey must not stop GetKeyPolicy: %+v", f.Key)
	}
}

func TestGatherRetriesThrottlingAndReadsTheFactsBehindIt(t *testing.T) {
	isolate(t)
	e := startEmu(t, sharedScenario(t, "two-doors-closed-decided-through-throttling"), awsemu.Options{})
	f := e.gather(e.options())
	if f.Secret.Err != nil || f.Secret.VersionID == "" {
		t.Errorf("DescribeSecret should succeed on the third attempt: %+v", f.Secret.Err)
	}
	if f.Key.PolicyErr != nil || f.Key.Policy == "" {
		t.Errorf("GetKeyPolicy should succeed on the third attempt: %+v", f.Key.PolicyErr)
	}
	attempts := map[string]int{}
	for _, r := range e.requests() {
		attempts[r.Op]++
	}
	if attempts["secretsmanager.DescribeSecret"] != 3 || attempts["TrentService.GetKeyPolicy"] != 3 {
		t.Errorf("attempts = %v, want 3 each for DescribeSecret and GetKeyPolicy (2 throttled + 1)", attempts)
	}
	if d := e.duplicates(); len(d) > 0 {
		t.Errorf("retries must be the same call, not new calls: %v", d)
	}
	for _, c := range f.Calls {
		if c.Operation == "DescribeSecret" && c.ErrorCode != "" {
			t.Errorf("the recorded call is the whole call, retries included: %+v", c)
		}
	}
}

func TestGatherReadsEachAccountsOrganization(t *testing.T) {
	isolate(t)
	e := startEmu(t, wide, awsemu.Options{})
	o := e.options()
	o.Secret = wideSecret("forms/third-account", "ThirdK")
	f := e.gather(o)
	if f.Owner.ID != "111111111111" || f.Owner.OrgID != "o-owner11111" || !f.Owner.Management || f.Owner.OrgErr != nil {
		t.Errorf("owner = %+v, want o-owner11111, management account", f.Owner)
	}
	if f.Consumer.ID != "222222222222" || !f.Consumer.NoOrg || f.Consumer.OrgID != "" || f.Consumer.OrgErr != nil {
		t.Errorf("consumer = %+v, want in no organization", f.Consumer)
	}
	if f.KeyOwner == nil || f.KeyOwner.ID != "333333333333" || f.KeyOwner.OrgID != "o-keys333333" || f.KeyOwner.Management {
		t.Errorf("key owner = %+v, want 333333333333 in o-keys333333", f.KeyOwner)
	}
	for _, s := range e.sc.AccountIDs {
		if e.sc.Accounts[s].OrgID != "" && s != "111111111111" && s != "333333333333" {
			t.Errorf("unexpected org in %s", s)
		}
	}

	shared := startEmu(t, sharedScenario(t, "secret-policy-denies-principals-outside-owner-org"), awsemu.Options{})
	f = shared.gather(shared.options())
	if f.Owner.OrgID != shared.sc.OrgID("111111111111") || f.Consumer.OrgID != shared.sc.OrgID("222222222222") || f.Owner.Management {
		t.Errorf("owner %+v consumer %+v, want the scenario's org ids", f.Owner, f.Consumer)
	}
}

func TestGatherReadsAKeyInAThirdAccountWithTheKeyRoleOnly(t *testing.T) {
	isolate(t)
	e := startEmu(t, wide, awsemu.Options{})
	o := e.options()
	o.Secret = wideSecret("forms/third-account", "ThirdK")
	f := e.gather(o)
	if f.Key.ARN != wideThirdKey || f.Key.Account != "333333333333" || f.Key.Policy == "" || f.Key.PolicyErr != nil || f.Key.State != "Enabled" {
		t.Errorf("with --key-role: key = %+v", f.Key)
	}
	for _, c := range f.Calls {
		if c.Service == "kms" && c.Account != "333333333333" {
			t.Errorf("KMS read in the wrong account: %+v", c)
		}
	}

	e = startEmu(t, wide, awsemu.Options{})
	o = e.options()
	o.Secret, o.KeyRole = wideSecret("forms/third-account", "ThirdK"), ""
	f = e.gather(o)
	if pe := f.Key.PolicyErr; pe == nil || pe.Code != CodeNoCredentials || pe.Account != "333333333333" || !strings.Contains(pe.Message, "--key-role") {
		t.Errorf("without --key-role GetKeyPolicy cannot be read: %+v", pe)
	}
	if f.KeyOwner == nil || f.KeyOwner.OrgErr == nil || f.KeyOwner.OrgErr.Code != CodeNoCredentials {
		t.Errorf("without --key-role the key account's org is unknown: %+v", f.KeyOwner)
	}
	for _, r := range e.requests() {
		if r.Op == "TrentService.GetKeyPolicy" {
			t.Errorf("GetKeyPolicy must not be tried cross-account: %s", r.Body)
		}
	}
}

func TestGatherRecordsARoleThatCannotBeAssumedOnceAndReadsTheOtherSide(t *testing.T) {
	isolate(t)
	e := startEmu(t, wide, awsemu.Options{})
	o := e.options()
	o.OwnerRole = "arn:aws:iam::111111111111:role/locked-inspector"
	f := e.gather(o)
	if len(f.AssumeFailures) != 1 {
		t.Fatalf("assume failures = %+v", f.AssumeFailures)
	}
	a := f.AssumeFailures[0]
	if a.Role != o.OwnerRole || a.Account != "111111111111" || a.Purpose != "owner" || a.Code != "AccessDenied" {
		t.Errorf("assume failure = %+v", a)
	}
	for what, re := range map[string]*xsdoctor.ReadError{"secret": f.Secret.Err, "secret policy": f.Secret.PolicyErr, "key": f.Key.Err, "owner org": f.Owner.OrgErr} {
		if re == nil || re.Call != "sts:AssumeRole" || re.Code != "AccessDenied" {
			t.Errorf("%s: %+v, want the AssumeRole failure", what, re)
		}
	}
	if f.Role.Err != nil || len(f.Role.Policies) == 0 || f.Consumer.OrgErr != nil {
		t.Errorf("the consumer side must still be read: %+v", f.Role.Err)
	}
	n := 0
	for _, r := range e.requests() {
		if r.Op == "AssumeRole" && strings.Contains(r.Body, "locked-inspector") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("locked role AssumeRole requests = %d, want 1", n)
	}
}

func TestGatherSendsTheRequestContextSecretsManagerUsesToTheSimulator(t *testing.T) {
	isolate(t)
	e := startEmu(t, wide, awsemu.Options{})
	f := e.gather(e.options())
	if f.SimulationErr != nil || len(f.Simulations) != 2 {
		t.Fatalf("simulations = %+v, err %+v", f.Simulations, f.SimulationErr)
	}
	if f.Simulations[0].Action != "secretsmanager:GetSecretValue" || f.Simulations[1].Action != "kms:Decrypt" || f.Simulations[1].Resource != wideKeyARN {
		t.Errorf("simulations = %+v", f.Simulations)
	}
	var bodies []url.Values
	for _, r := range e.requests() {
		if r.Op == "SimulatePrincipalPolicy" {
			v, _ := url.ParseQuery(r.Body)
			bodies = append(bodies, v)
		}
	}
	entries := map[string]string{} // name → type, across both calls
	values := map[string][]string{}
	for _, v := range bodies {
		for i := 1; ; i++ {
			p := "ContextEntries.member." + itoa(i) + "."
			name := v.Get(p + "ContextKeyName")
			if name == "" {
				break
			}
			entries[name] = v.Get(p + "ContextKeyType")
			values[name] = nil // the last call's values (both calls agree on shared keys)
			for j := 1; v.Get(p+"ContextKeyValues.member."+itoa(j)) != ""; j++ {
				values[name] = append(values[name], v.Get(p+"ContextKeyValues.member."+itoa(j)))
			}
		}
	}
	want := map[string]string{
		"kms:EncryptionContextKeys": "stringList", "kms:ViaService": "string", "kms:CallerAccount": "string",
		"kms:EncryptionContext:SecretARN": "string", "kms:EncryptionContext:SecretVersionId": "string",
		"aws:SecureTransport": "boolean", "aws:ViaAWSService": "boolean", "aws:EpochTime": "numeric",
		"aws:CurrentTime": "date", "aws:PrincipalTag/team": "string", "secretsmanager:SecretId": "string",
		"aws:PrincipalArn": "string", "aws:ResourceOrgID": "string",
	}
	for k, typ := range want {
		if entries[k] != typ {
			t.Errorf("context entry %s: type %q, want %q (all: %v)", k, entries[k], typ, entries)
		}
	}
	if _, ok := entries["aws:PrincipalOrgID"]; ok {
		t.Errorf("the consumer is in no organization: aws:PrincipalOrgID must be absent")
	}
	if got := values["kms:ViaService"]; len(got) != 1 || got[0] != "secretsmanager.us-east-1.amazonaws.com" {
		t.Errorf("kms:ViaService = %v", got)
	}
	if got := values["aws:PrincipalArn"]; len(got) != 1 || got[0] != "arn:aws:iam::222222222222:role/apps/team/app" {
		t.Errorf("aws:PrincipalArn = %v, want the role ARN with its path", got)
	}
	if got := values["kms:EncryptionContext:SecretVersionId"]; len(got) != 1 || got[0] != f.Secret.VersionID {
		t.Errorf("SecretVersionId = %v, want the AWSCURRENT version %s", got, f.Secret.VersionID)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestGatherRecordsTheSimulatorAsUnavailableWhenItAnswersHTML(t *testing.T) {
	isolate(t)
	e := startEmu(t, sharedScenario(t, "account-root-principals-open-all-three-doors"), awsemu.Options{})
	e.intercept = func(w http.ResponseWriter, r *http.Request, op string) bool {
		if op != "SimulatePrincipalPolicy" {
			return false
		}
		// What moto 5.2.1 answers (wire.md): Flask's HTML 500 page.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(500)
		w.Write([]byte("<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n"))
		return true
	}
	f := e.gather(e.options())
	se := f.SimulationErr
	if se == nil || se.Call != "iam:SimulatePrincipalPolicy" || se.Code != "" || se.Account != "222222222222" {
		t.Fatalf("SimulationErr = %+v, want iam:SimulatePrincipalPolicy with no error code", se)
	}
	if len(f.Simulations) != 0 {
		t.Errorf("no simulation result can be kept: %+v", f.Simulations)
	}
	if f.Role.Err != nil || f.Key.Policy == "" || f.Secret.Policy == "" {
		t.Errorf("everything else must be read")
	}
}

func TestGatherResolvesASecretNameOrPartialARNThroughTheOwnerAccount(t *testing.T) {
	isolate(t)
	for _, arg := range []string{"prod/db", "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db"} {
		e := startEmu(t, wide, awsemu.Options{})
		o := e.options()
		o.Secret, o.Region = arg, "us-east-1"
		f := e.gather(o)
		full := wideSecret("prod/db", "Pq7Rs9")
		if !f.Input.Resolved || f.Input.SecretARN != full || f.Secret.ARN != full || f.Input.SecretArg != arg {
			t.Errorf("%s: input = %+v, want resolved to %s", arg, f.Input, full)
		}
		if f.Secret.Name != "prod/db" || f.Key.ARN != wideKeyARN || f.Secret.Policy == "" {
			t.Errorf("%s: the resolved secret must be read as usual: %+v", arg, f.Secret)
		}
		n := 0
		for _, r := range e.requests() {
			if r.Op == "secretsmanager.DescribeSecret" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: DescribeSecret sent %d times, want once (the resolution is the read)", arg, n)
		}
	}

	e := startEmu(t, wide, awsemu.Options{})
	o := e.options()
	o.Secret, o.Region = "prod/nothing-here", "us-east-1"
	_, err := Gather(context.Background(), o)
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(ue.Error(), "ResourceNotFoundException") {
		t.Errorf("an unknown name is a usage error: %v", err)
	}
}

func TestGatherRejectsWhatTheUserMistyped(t *testing.T) {
	isolate(t)
	e := startEmu(t, wide, awsemu.Options{})
	for _, tc := range []struct {
		name string
		mod  func(*Options)
		arg  string
	}{
		{"no secret", func(o *Options) { o.Secret = "" }, "SECRET"},
		{"an S3 ARN", func(o *Options) { o.Secret = "arn:aws:s3:::bucket/key" }, "SECRET"},
		{"a secret ARN without account", func(o *Options) { o.Secret = "arn:aws:secretsmanager:us-east-1::secret:x-AbCdEf" }, "SECRET"},
		{"a name with a space", func(o *Options) { o.Secret = "prod db" }, "SECRET"},
		{"a user as consumer", func(o *Options) { o.Consumer = "arn:aws:iam::222222222222:user/bob" }, "--consumer"},
		{"a session ARN without session", func(o *Options) { o.Consumer = "arn:aws:sts::222222222222:assumed-role/app" }, "--consumer"},
		{"no consumer", func(o *Options) { o.Consumer = "" }, "--consumer"},
		{"an owner role in the consumer account", func(o *Options) { o.OwnerRole = "arn:aws:iam::222222222222:role/xsdoctor-inspector" }, "--owner-role"},
		{"a consumer role in the owner account", func(o *Options) { o.ConsumerRole = "arn:aws:iam::111111111111:role/xsdoctor-inspector" }, "--consumer-role"},
		{"a key role that is a user", func(o *Options) { o.KeyRole = "arn:aws:iam::333333333333:user/x" }, "--key-role"},
		{"a name without any region", func(o *Options) { o.Secret, o.Region = "prod/db", "" }, "--region"},
		{"a region that contradicts the ARN", func(o *Options) { o.Region = "eu-west-1" }, "--region"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := e.options()
			tc.mod(&o)
			_, err := Gather(context.Background(), o)
			var ue *UsageError
			if !errors.As(err, &ue) || ue.Arg != tc.arg || ue.Hint == "" {
				t.Errorf("err = %v, want a usage error on %s with a hint", err, tc.arg)
			}
		})
	}
	if n := len(e.requests()); n != 0 {
		t.Errorf("a usage error is found before any call; %d requests were made", n)
	}
}

func TestGatherWithoutCredentialsOrAnswersCannotProbe(t *testing.T) {
	isolate(t)
	e := startEmu(t, wide, awsemu.Options{})
	o := e.options()
	o.ConfigOptions = []func(*config.LoadOptions) error{fastRetries} // no credentials anywhere
	_, err := Gather(context.Background(), o)
	var pe *ProbeError
	if !errors.As(err, &pe) || !strings.Contains(pe.Error(), "no base credentials") {
		t.Errorf("no credentials: err = %v, want a ProbeError", err)
	}

	// A credential chain still working when the timeout hits (an SSO login, a credential
	// process) is a timeout, not missing credentials.
	o = e.options()
	o.Timeout = 200 * time.Millisecond
	o.ConfigOptions = []func(*config.LoadOptions) error{fastRetries, config.WithCredentialsProvider(
		aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
			<-ctx.Done()
			return aws.Credentials{}, ctx.Err()
		}))}
	_, err = Gather(context.Background(), o)
	if !errors.As(err, &pe) || !strings.Contains(pe.Error(), "timed out") || strings.Contains(pe.Error(), "no base credentials") {
		t.Errorf("slow credentials: err = %v, want a ProbeError naming the timeout", err)
	}

	// Nothing listens: every call fails on the network.
	dead := startEmu(t, wide, awsemu.Options{})
	o = dead.options()
	o.Endpoint = "http://127.0.0.1:1"
	o.Timeout = 3 * time.Second
	_, err = Gather(context.Background(), o)
	if !errors.As(err, &pe) {
		t.Errorf("unreachable endpoint: err = %v, want a ProbeError", err)
	}

	// Everything is slower than the timeout: the probe ends at the timeout.
	slow := startEmu(t, wide, awsemu.Options{})
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) }) // runs before the server closes
	slow.intercept = func(w http.ResponseWriter, r *http.Request, op string) bool {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
		w.WriteHeader(500)
		return true
	}
	o = slow.options()
	o.Timeout = 300 * time.Millisecond
	start := time.Now()
	_, err = Gather(context.Background(), o)
	if !errors.As(err, &pe) || !strings.Contains(pe.Error(), "timed out") {
		t.Errorf("timeout: err = %v, want a ProbeError naming the timeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("--timeout must bound the whole probe: took %s", d)
	}
}

func TestGatherMakesNoCallTwiceAndOnlyAllowlistedCalls(t *testing.T) {
	isolate(t)
	paths, _ := filepath.Glob(filepath.Join(sharedScenarios(t), "*.json"))
	paths = append(paths, wide)
	if len(paths) < 2 {
		t.Fatal("no shared scenarios")
	}
	for _, p := range paths {
		e := startEmu(t, p, awsemu.Options{})
		o := e.options()
		o.Live = true
		f := e.gather(o)
		if d := e.duplicates(); len(d) > 0 {
			t.Errorf("%s: calls made twice: %v", filepath.Base(p), d)
		}
		for _, c := range f.Calls {
			name := c.Service + ":" + c.Operation
			if !readOnly[name] && name != liveOnly {
				t.Errorf("%s: call %s is not on the allowlist", filepath.Base(p), name)
			}
		}
		if got, want := len(f.Calls), len(requestInvocations(e)); got != want {
			t.Errorf("%s: %d calls recorded, %d calls reached the emulator", filepath.Base(p), got, want)
		}
	}
}

// requestInvocations is the set of SDK invocations (calls, retries folded) the emulator saw.
func requestInvocations(e *emu) map[string]bool {
	inv := map[string]bool{}
	for _, r := range e.requests() {
		inv[r.Invocation] = true
	}
	return inv
}

func TestLiveReportsTheResultAndNeverTheValue(t *testing.T) {
	isolate(t)
	paths, _ := filepath.Glob(filepath.Join(sharedScenarios(t), "*.json"))
	paths = append(paths, wide)
	for _, p := range paths {
		e := startEmu(t, p, awsemu.Options{Debug: true})
		var log bytes.Buffer
		o := e.options()
		o.Live, o.Log = true, &log
		f := e.gather(o)
		out, _ := json.Marshal(f)
		for _, v := range secretValues(e.sc) {
			if bytes.Contains(out, []byte(v)) || strings.Contains(log.String(), v) {
				t.Errorf("%s: secret value %q leaked into the facts or the log", filepath.Base(p), v)
			}
		}
		for _, s := range []string{"operator-secret-key-not-a-real-one", "AKIAOPERATOREXAMPLE1"} {
			if bytes.Contains(out, []byte(s)) || strings.Contains(log.String(), s) {
				t.Errorf("%s: credential %q leaked", filepath.Base(p), s)
			}
		}
		if f.Live == nil {
			t.Fatalf("%s: no live result", filepath.Base(p))
		}
		if x := e.sc.Expect; x != nil && x.Live != "" && e.sc.Check.Live && f.Live.Result != x.Live {
			t.Errorf("%s: live = %+v, want %s", filepath.Base(p), f.Live, x.Live)
		}
		if f.Live.Result == xsdoctor.LiveDenied && f.Live.ErrorCode != "AccessDeniedException" {
			t.Errorf("%s: denied without its code: %+v", filepath.Base(p), f.Live)
		}
		// --debug: one line per call, each naming the call, the account and the request id.
		lines := strings.Split(strings.TrimSpace(log.String()), "\n")
		if len(lines) != len(f.Calls) {
			t.Errorf("%s: %d log lines for %d calls", filepath.Base(p), len(lines), len(f.Calls))
		}
		for _, l := range lines {
			if !strings.Contains(l, "account=") || !strings.Contains(l, "request_id=") || !strings.Contains(l, "duration=") || !strings.Contains(l, "error_code=") {
				t.Errorf("%s: log line lacks a field: %q", filepath.Base(p), l)
			}
		}
		if !strings.Contains(log.String(), "secretsmanager:GetSecretValue account=222222222222") &&
			!strings.Contains(log.String(), "sts:AssumeRole") {
			t.Errorf("%s: the live calls are not logged", filepath.Base(p))
		}
	}
}

func TestLiveIsSkippedWhenTheConsumerCannotBeAssumed(t *testing.T) {
	isolate(t)
	e := startEmu(t, wide, awsemu.Options{})
	o := e.options()
	o.Consumer = "arn:aws:iam::111111111111:role/locked-inspector" // not assumable
	o.ConsumerRole = ""
	o.Live = true
	f := e.gather(o)
	if f.Live == nil || f.Live.Result != xsdoctor.LiveSkipped || f.Live.ErrorCode != "AccessDenied" || !strings.Contains(f.Live.Reason, "locked-inspector") {
		t.Errorf("live = %+v, want skipped with the AssumeRole error", f.Live)
	}
	for _, r := range e.requests() {
		if r.Op == "secretsmanager.GetSecretValue" {
			t.Errorf("GetSecretValue must not be called when the consumer cannot be assumed")
		}
	}
	if len(f.AssumeFailures) != 0 {
		t.Errorf("a skipped live read is not an inspector failure: %+v", f.AssumeFailures)
	}
}

func TestGatherReadsWhatEveryScenarioHolds(t *testing.T) {
	isolate(t)
	paths, _ := filepath.Glob(filepath.Join(sharedScenarios(t), "*.json"))
	paths = append(paths, wide)
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			e := startEmu(t, p, awsemu.Options{})
			f := e.gather(e.options())
			sc := e.sc
			var sec *awsemu.Secret
			for _, s := range sc.Secrets() {
				if s.ARN == sc.Check.Secret {
					sec = s
				}
			}
			if sec == nil {
				t.Fatalf("the check's secret %s is not in the scenario", sc.Check.Secret)
			}
			if f.Secret.ARN != sec.ARN || f.Secret.Name != sec.Name || f.Secret.KMSKeyID != sec.KMSKeyID || f.Secret.VersionID != sec.VersionID {
				t.Errorf("secret = %+v, want %s %q version %s", f.Secret, sec.ARN, sec.KMSKeyID, sec.VersionID)
			}
			if f.Secret.DeletedDate != sec.DeletedDate {
				t.Errorf("deleted date %q, want %q", f.Secret.DeletedDate, sec.DeletedDate)
			}
			if (f.Secret.Policy == "") != (sec.ResourcePolicy == nil) && f.Secret.PolicyErr == nil {
				t.Errorf("secret policy read %q, scenario has one: %v", f.Secret.Policy, sec.ResourcePolicy != nil)
			}
			if k := sec.Key; f.Key.ARN != k.ARN || (f.Key.Err == nil && (f.Key.State != k.State || f.Key.Manager != k.Manager)) {
				t.Errorf("key = %s %s %s, want %s %s %s", f.Key.ARN, f.Key.State, f.Key.Manager, k.ARN, k.State, k.Manager)
			}
			if len(f.Key.Grants) != len(sec.Key.Grants) && f.Key.GrantsErr == nil {
				t.Errorf("%d grants, want %d", len(f.Key.Grants), len(sec.Key.Grants))
			}
			for who, acct := range map[string]xsdoctor.Account{"owner": f.Owner, "consumer": f.Consumer} {
				want := sc.Accounts[acct.ID]
				if want == nil {
					continue
				}
				if acct.OrgID != want.OrgID || acct.NoOrg != (want.OrgID == "") || acct.Management != (want.OrgID != "" && want.OrgManagement) {
					t.Errorf("%s account %+v, scenario org %q management %v", who, acct, want.OrgID, want.OrgManagement)
				}
			}
			role := sc.RoleForSession(sc.Check.Consumer)
			if role == nil {
				if r, err := sc.Role(f.Consumer.ID, sc.Check.Consumer); err == nil {
					role = r
				}
			}
			if role == nil {
				t.Fatalf("no role for %s", sc.Check.Consumer)
			}
			if f.Role.ARN != role.ARN || f.Role.ID != role.ID || f.Role.Path != role.Path {
				t.Errorf("role %s %s %s, want %s %s %s", f.Role.ARN, f.Role.ID, f.Role.Path, role.ARN, role.ID, role.Path)
			}
			if want := len(role.InlinePolicies) + len(role.ManagedPolicies); len(f.Role.Policies) != want {
				t.Errorf("%d policies, want %d", len(f.Role.Policies), want)
			}
			if (f.Role.Boundary != nil) != (role.PermissionsBoundary != "") {
				t.Errorf("boundary %+v, scenario %q", f.Role.Boundary, role.PermissionsBoundary)
			}
			if f.Now != "2026-11-29T12:00:00Z" || f.Input.Region != sec.Region {
				t.Errorf("now %q region %q", f.Now, f.Input.Region)
			}
		})
	}
}

func TestGatherRecordsAMissingSecretAndReadsNoKey(t *testing.T) {
	isolate(t)
	e := startEmu(t, wide, awsemu.Options{})
	o := e.options()
	o.Secret = wideSecret("forms/gone", "GoneGo")
	f := e.gather(o)
	if !f.Secret.NotFound || f.Secret.Err == nil || f.Secret.Err.Code != "ResourceNotFoundException" {
		t.Errorf("secret = %+v, want NotFound", f.Secret)
	}
	if f.Key.Err == nil || f.Key.Err.Call != "secretsmanager:DescribeSecret" || f.Key.ARN != "" {
		t.Errorf("key = %+v, want unidentified because DescribeSecret failed", f.Key)
	}
	for _, c := range f.Calls {
		if c.Service == "kms" {
			t.Errorf("no key can be read for a missing secret: %+v", c)
		}
	}
	if len(f.Simulations) != 1 || f.Simulations[0].Action != "secretsmanager:GetSecretValue" {
		t.Errorf("the consumer side is still simulated: %+v", f.Simulations)
	}
}

func TestGatherRecordsAScheduledDeletionAndTheSecretPolicyItHides(t *testing.T) {
	isolate(t)
	e := startEmu(t, sharedScenario(t, "secret-is-scheduled-for-deletion"), awsemu.Options{})
	f := e.gather(e.options())
	if f.Secret.DeletedDate == "" {
		t.Errorf("DeletedDate not read: %+v", f.Secret)
	}
	if pe := f.Secret.PolicyErr; pe == nil || pe.Code != "InvalidRequestException" || pe.Action != "" {
		t.Errorf("GetResourcePolicy on a deleted secret: %+v, want InvalidRequestException (not a missing permission)", pe)
	}
	if f.Key.Policy == "" || f.Role.Err != nil {
		t.Errorf("the key and the consumer are still read")
	}
}

func TestGatherAsksListSecretVersionIdsWhenDescribeSecretOmitsTheStages(t *testing.T) {
	isolate(t)
	e := startEmu(t, wide, awsemu.Options{})
	e.intercept = func(w http.ResponseWriter, r *http.Request, op string) bool {
		if op != "secretsmanager.DescribeSecret" {
			return false
		}
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, r)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Errorf("DescribeSecret answer: %v", err)
		}
		delete(body, "VersionIdsToStages") // optional in the model: "only returns fields that have a value"
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		json.NewEncoder(w).Encode(body)
		return true
	}
	o := e.options()
	f := e.gather(o)
	var want string
	for _, s := range e.sc.Secrets() {
		if s.ARN == o.Secret {
			want = s.VersionID
		}
	}
	if want == "" || f.Secret.VersionID != want || !hasCall(f, "secretsmanager:ListSecretVersionIds") {
		t.Errorf("version id %q, want %q from ListSecretVersionIds (calls %v)", f.Secret.VersionID, want, callNames(f))
	}
}

func TestGatherAssumesAKeyRoleThatIsTheOwnerRoleOnce(t *testing.T) {
	isolate(t)
	e := startEmu(t, wide, awsemu.Options{})
	o := e.options()
	o.KeyRole = o.OwnerRole
	f := e.gather(o)
	if f.Key.Policy == "" || len(e.duplicates()) > 0 {
		t.Errorf("key policy %q, duplicates %v", f.Key.Policy, e.duplicates())
	}
	n := 0
	for _, r := range e.requests() {
		if r.Op == "AssumeRole" && strings.Contains(r.Body, "111111111111%3Arole%2Fxsdoctor-inspector") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the owner inspector was assumed %d times", n)
	}
}

func TestGatherKeepsOnlyWhatDescribeKeySaidWhenItFails(t *testing.T) {
	isolate(t)
	// moto lists alias/aws/secretsmanager with a placeholder TargetKeyId that DescribeKey does
	// not know (wire.md): the alias still says AWS managed, nothing claims DescribeKey did.
	e := startEmu(t, sharedScenario(t, "aws-managed-key-cannot-be-shared"), awsemu.Options{})
	e.intercept = func(w http.ResponseWriter, r *http.Request, op string) bool {
		if op != "TrentService.DescribeKey" {
			return false
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(400)
		w.Write([]byte(`{"__type":"NotFoundException","message":"Key 'arn:aws:kms:us-east-1:111111111111:key/fee5173a-3972-428e-ae73-cd4c2a371222' does not exist"}`))
		return true
	}
	f := e.gather(e.options())
	if f.Key.Alias != AWSManagedSecretsAlias || f.Key.ARN == "" || f.Key.Manager != "" || f.Key.State != "" {
		t.Errorf("key = %+v, want alias and ARN from ListAliases, no manager or state", f.Key)
	}
	if f.Key.Err == nil || f.Key.Err.Call != "kms:DescribeKey" || f.Key.Err.Code != "NotFoundException" || f.Key.Err.Action != "" {
		t.Errorf("key error = %+v", f.Key.Err)
	}
}

func TestGatherReadsEachSideThroughItsOwnProfile(t *testing.T) {
	isolate(t)
	e := startEmu(t, wide, awsemu.Options{})
	// Profiles that assume the inspector roles themselves (role_arn + source_profile), the way
	// aws-vault, granted and SSO users set them up: the SDK's own chain does the work.
	cfg := `[profile operator]
aws_access_key_id = AKIAOPERATOREXAMPLE2
aws_secret_access_key = operator-profile-secret-not-a-real-one

[profile owner-audit]
role_arn = arn:aws:iam::111111111111:role/xsdoctor-inspector
source_profile = operator
external_id = xsd-ext-42
region = eu-west-1

[profile consumer-audit]
role_arn = arn:aws:iam::222222222222:role/xsdoctor-inspector
source_profile = operator
external_id = xsd-ext-42
`
	if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	o := e.options()
	o.OwnerRole, o.ConsumerRole, o.KeyRole = "", "", ""
	o.OwnerProfile, o.ConsumerProfile = "owner-audit", "consumer-audit"
	o.ConfigOptions = []func(*config.LoadOptions) error{fastRetries}
	f := e.gather(o)
	if f.Input.Region != "us-east-1" {
		t.Errorf("region %q: the secret ARN's region wins over the profile's", f.Input.Region)
	}
	if f.Secret.Err != nil || f.Key.Policy == "" || f.Role.Err != nil || len(f.Role.Policies) != 10 {
		t.Errorf("reads through the profiles failed: secret %+v key %+v role %+v", f.Secret.Err, f.Key.PolicyErr, f.Role.Err)
	}
	if f.Owner.OrgID != "o-owner11111" || !f.Consumer.NoOrg {
		t.Errorf("orgs: owner %+v consumer %+v (GetCallerIdentity must place each profile in its account)", f.Owner, f.Consumer)
	}
	if len(e.duplicates()) > 0 {
		t.Errorf("calls made twice: %v", e.duplicates())
	}

	o.OwnerProfile = "no-such-profile"
	_, err := Gather(context.Background(), o)
	var ue *UsageError
	if !errors.As(err, &ue) || ue.Arg != "--owner-profile" {
		t.Errorf("unknown profile: err = %v, want a usage error on --owner-profile", err)
	}
}
