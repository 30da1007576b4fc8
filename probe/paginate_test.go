package probe

import (
	"testing"

	"github.com/xsdoctor/xsdoctor"
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
