package probe

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/internal/awsemu"
)

func TestPageGuardRefusesATokenSeenBeforeNotOnlyTheLastOne(t *testing.T) {
	s := func(v string) *string { return &v }
	g := newPageGuard("iam:ListRolePolicies", "222222222222")
	for _, tok := range []*string{s("a"), s("b")} {
		if re := g.next(tok); re != nil {
			t.Fatalf("a new token was refused: %+v", re)
		}
	}
	re := g.next(s("a")) // a cycle a → b → a: the SDK's StopOnDuplicateToken misses it
	if re == nil || re.Code != CodeRepeatedPageToken || re.Call != "iam:ListRolePolicies" {
		t.Fatalf("a repeated token gave %+v, want a %s read error", re, CodeRepeatedPageToken)
	}
	if re := newPageGuard("x", "").next(nil); re != nil {
		t.Errorf("the end of a listing (no token) was refused: %+v", re)
	}
	g = newPageGuard("x", "")
	var last *xsdoctor.ReadError
	for i := range maxPages + 1 {
		tok := string(rune('a'+i%26)) + string(rune(i))
		if re := g.next(&tok); re != nil {
			last = re
			break
		}
	}
	if last == nil {
		t.Error("a listing that never ends was followed past maxPages")
	}
}

// TestARepeatedPageTokenLeavesTheListingIncomplete: an endpoint that answers ListRolePolicies
// with the same marker forever (a cycle the SDK's StopOnDuplicateToken would end silently, as if
// the role had no more policies) ends the listing with a RepeatedPaginationToken read error, so
// the consumer-iam door is unknown rather than judged on a partial listing — and Gather returns.
func TestARepeatedPageTokenLeavesTheListingIncomplete(t *testing.T) {
	isolate(t)
	e := startEmu(t, sharedScenario(t, "account-root-principals-open-all-three-doors"), awsemu.Options{})
	e.intercept = func(w http.ResponseWriter, r *http.Request, op string) bool {
		if op != "ListRolePolicies" {
			return false
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<ListRolePoliciesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListRolePoliciesResult>`+
			`<PolicyNames><member>p1</member></PolicyNames><IsTruncated>true</IsTruncated><Marker>again</Marker>`+
			`</ListRolePoliciesResult><ResponseMetadata><RequestId>loop</RequestId></ResponseMetadata></ListRolePoliciesResponse>`)
		return true
	}
	f := e.gather(e.options())
	var found bool
	for _, re := range f.Role.PolicyErrs {
		found = found || re.Call == "iam:ListRolePolicies" && re.Code == CodeRepeatedPageToken
	}
	if !found {
		t.Fatalf("no %s read error for the looping ListRolePolicies; policy errors: %+v", CodeRepeatedPageToken, f.Role.PolicyErrs)
	}
	n := 0
	for _, r := range e.requests() {
		if r.Op == "ListRolePolicies" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("ListRolePolicies was called %d times, want 2 (the first page, then the repeated marker once)", n)
	}
}

// TestPolicyReadsAreBoundedPerGather: a consumer role with 30 inline policies, each GetRolePolicy
// held 40 ms by the emulator, is read with at most maxPolicyReads requests in flight, and every
// policy is still read.
func TestPolicyReadsAreBoundedPerGather(t *testing.T) {
	isolate(t)
	raw, err := os.ReadFile(sharedScenario(t, "account-root-principals-open-all-three-doors"))
	if err != nil {
		t.Fatal(err)
	}
	var sc map[string]any
	if err := json.Unmarshal(raw, &sc); err != nil {
		t.Fatal(err)
	}
	role := sc["accounts"].(map[string]any)["222222222222"].(map[string]any)["roles"].(map[string]any)["invoice-renderer"].(map[string]any)
	inline := role["inline_policies"].(map[string]any)
	for i := range 30 {
		inline[fmt.Sprintf("extra-%02d", i)] = map[string]any{"Version": "2012-10-17",
			"Statement": []any{map[string]any{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}}
	}
	sc["faults"] = []any{map[string]any{"call": "iam:GetRolePolicy", "latency_ms": 40}}
	b, _ := json.Marshal(sc)
	file := filepath.Join(t.TempDir(), "many-policies.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	e := startEmu(t, file, awsemu.Options{PageSize: 100})
	f := e.gather(e.options())
	if got := len(f.Role.Policies); got < 31 {
		t.Fatalf("read %d policies, want all 31 inline ones (errors: %+v)", got, f.Role.PolicyErrs)
	}
	var reads []httpRequest
	for _, r := range e.requests() {
		if r.Op == "GetRolePolicy" {
			reads = append(reads, r)
		}
	}
	most := 0
	for _, r := range reads {
		n := 0
		for _, o := range reads {
			if !o.Start.After(r.Start) && o.End.After(r.Start) {
				n++ // o was in flight when r started
			}
		}
		most = max(most, n)
	}
	if most > maxPolicyReads {
		t.Errorf("%d GetRolePolicy requests in flight at once, want at most %d", most, maxPolicyReads)
	}
	if most < 2 {
		t.Errorf("GetRolePolicy requests never overlapped (%d at most): the reads are no longer concurrent", most)
	}
}
