package policy

import (
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
)

var (
	corpusOnce sync.Once
	corpusReqs []Request
	corpusSets []Set
)

// corpus is the shared conformance corpus, built once, for metamorphic tests.
func corpus(t testing.TB) ([]Request, []Set) {
	corpusOnce.Do(func() {
		for _, cs := range loadConformance(t, conformanceDir(t)) {
			for _, c := range cs {
				req, set, err := c.build()
				if err != nil {
					t.Fatal(err)
				}
				corpusReqs, corpusSets = append(corpusReqs, req), append(corpusSets, set)
			}
		}
	})
	return corpusReqs, corpusSets
}

// shuffled returns a copy of the named policy with its statements in another order.
func shuffled(n *Named, r *rand.Rand) *Named {
	if n == nil || n.Doc == nil {
		return n
	}
	d := *n.Doc
	d.Statements = append([]Statement(nil), n.Doc.Statements...)
	r.Shuffle(len(d.Statements), func(i, j int) { d.Statements[i], d.Statements[j] = d.Statements[j], d.Statements[i] })
	return &Named{Name: n.Name, Doc: &d}
}

func shuffleSet(s Set, r *rand.Rand) Set {
	out := s
	out.Identity = make([]Named, len(s.Identity))
	for i := range s.Identity {
		out.Identity[i] = *shuffled(&s.Identity[i], r)
	}
	r.Shuffle(len(out.Identity), func(i, j int) { out.Identity[i], out.Identity[j] = out.Identity[j], out.Identity[i] })
	out.Resource = shuffled(s.Resource, r)
	out.Boundary = shuffled(s.Boundary, r)
	out.Session = shuffled(s.Session, r)
	out.SCPs = make([]Named, len(s.SCPs))
	for i := range s.SCPs {
		out.SCPs[i] = *shuffled(&s.SCPs[i], r)
	}
	return out
}

// FuzzEvaluateMetamorphic checks relations that hold for every request: reordering statements
// (and identity policies) never changes the decision; adding a Deny that matches the request, to
// any policy type, never yields allow; adding a statement that matches nothing changes nothing.
func FuzzEvaluateMetamorphic(f *testing.F) {
	reqs, _ := corpus(f)
	for i := range reqs {
		f.Add(uint16(i), uint64(i)*7919, uint8(i))
	}
	denyIdentity := mustParse(f, `{"Version":"2012-10-17","Statement":[{"Sid":"Added","Effect":"Deny","Action":"*","Resource":"*"}]}`)
	denyResource := mustParse(f, `{"Version":"2012-10-17","Statement":[{"Sid":"Added","Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`)
	inert := mustParse(f, `{"Version":"2012-10-17","Statement":[{"Sid":"Inert","Effect":"Allow","Action":"nosuchservice:Nothing","Resource":"*"},{"Sid":"InertDeny","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"000000000000"}}}]}`)
	f.Fuzz(func(t *testing.T, idx uint16, seed uint64, where uint8) {
		reqs, sets := corpus(t)
		i := int(idx) % len(reqs)
		req, set := reqs[i], sets[i]
		base := Evaluate(req, set)
		// Invariants of one result: explicit deny exactly when some type denied, with a Deny among
		// the matched statements; nothing conditional without unknown keys.
		anyDeny := false
		for _, tr := range base.Types {
			anyDeny = anyDeny || tr.Outcome == OutcomeDeny
		}
		deniedBy := false
		for _, m := range base.Matched {
			deniedBy = deniedBy || m.Effect == "Deny"
		}
		if anyDeny != (base.Decision == ExplicitDeny) || deniedBy != anyDeny {
			t.Fatalf("case %d: decision %s, types %v, matched %v", i, base.Decision, base.Types, base.Matched)
		}
		if len(req.Unknown) == 0 && len(base.Conditional) > 0 {
			t.Fatalf("case %d: conditional without unknown keys: %v", i, base.Conditional)
		}
		for _, m := range base.Misses {
			if m.Statement.Effect != "Allow" {
				t.Fatalf("case %d: a near miss on a %s statement", i, m.Statement.Effect)
			}
		}

		r := rand.New(rand.NewSource(int64(seed)))
		if got := Evaluate(req, shuffleSet(set, r)); got.Decision != base.Decision {
			t.Fatalf("case %d: reordering changed %s to %s", i, base.Decision, got.Decision)
		}

		// Condition key names are case-insensitive: upper-casing every context key changes nothing.
		upper := req
		upper.Context = map[string][]string{}
		for k, v := range req.Context {
			upper.Context[strings.ToUpper(k)] = v
		}
		if len(set.Grants) == 0 {
			if got := Evaluate(upper, set); got.Decision != base.Decision {
				t.Fatalf("case %d: upper-case context keys changed %s to %s", i, base.Decision, got.Decision)
			}
		}

		withDeny := set
		switch where % 5 {
		case 0:
			withDeny.Identity = append(append([]Named(nil), set.Identity...), Named{Name: "added", Doc: denyIdentity})
		case 1:
			if set.Resource != nil {
				d := *set.Resource.Doc
				d.Statements = append(append([]Statement(nil), d.Statements...), denyResource.Statements[0])
				withDeny.Resource = &Named{Name: set.Resource.Name, Doc: &d}
			} else {
				withDeny.Resource = &Named{Name: "added", Doc: denyResource}
			}
		case 2:
			withDeny.SCPs = append(append([]Named(nil), set.SCPs...), Named{Name: "added", Doc: denyIdentity})
		case 3:
			withDeny.Boundary = &Named{Name: "added", Doc: denyIdentity}
		case 4:
			withDeny.RCPs = append(append([]Named(nil), set.RCPs...), Named{Name: "added", Doc: denyResource})
		}
		if got := Evaluate(req, withDeny); got.Decision != ExplicitDeny {
			t.Fatalf("case %d: a matching Deny (place %d) gave %s", i, where%5, got.Decision)
		}

		withInert := set
		withInert.Identity = append(append([]Named(nil), set.Identity...), Named{Name: "inert", Doc: inert})
		if got := Evaluate(req, withInert); got.Decision != base.Decision {
			t.Fatalf("case %d: an inert policy changed %s to %s", i, base.Decision, got.Decision)
		}
	})
}

// TestEvaluateConcurrently: parsed policies are shared read-only, so evaluations may run in
// parallel (the emulator serves requests concurrently). Run with -race.
func TestEvaluateConcurrently(t *testing.T) {
	reqs, sets := corpus(t)
	want := make([]Decision, len(reqs))
	for i := range reqs {
		want[i] = Evaluate(reqs[i], sets[i]).Decision
	}
	done := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func(g int) {
			for i := range reqs {
				j := (i + g*97) % len(reqs)
				if got := Evaluate(reqs[j], sets[j]).Decision; got != want[j] {
					done <- fmt.Errorf("case %d: %s, then %s", j, want[j], got)
					return
				}
			}
			done <- nil
		}(g)
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzEvaluate: any policy that parses, against any request, evaluates without panicking and
// with a consistent result, in every policy slot.
func FuzzEvaluate(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringLike":{"k":"${aws:PrincipalTag/t}*"}}}]}`,
		"arn:aws:sts::1:assumed-role/r/s", "kms:Decrypt", "arn:aws:kms:us-east-1:1:key/k", "k", "v")
	f.Add(`{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"1"},"NotAction":"s3:*","NotResource":"*","Condition":{"ForAllValues:StringNotEquals":{"aws:TagKeys":"a"},"Null":{"x":"true"}}}}`,
		"arn:aws:iam::1:user/u", "s3:GetObject", "arn:aws:s3:::b/k", "aws:TagKeys", "a")
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"AROAEXAMPLEEXAMPLE01"},"Action":"kms:*","Resource":"arn:aws:kms:*:${aws:PrincipalAccount}:key/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"DateLessThan":{"aws:CurrentTime":"2030-01-01"}}}]}`,
		"arn:aws:iam::1:role/p/r", "kms:Decrypt", "arn:aws:kms:eu-west-1:1:key/x", "aws:SourceIp", "10.1.1.1")
	f.Fuzz(func(t *testing.T, text, principal, action, resource, key, value string) {
		d, err := Parse(text)
		if err != nil {
			return
		}
		req := Request{Principal: Principal{ARN: principal, UniqueID: "AROAEXAMPLEEXAMPLE01"}, Action: action, Resource: resource,
			Context: map[string][]string{key: {value}}, Unknown: []string{"aws:SourceVpce", "aws:RequestTag/*"}}
		n := Named{Name: "fuzz", Doc: d}
		for _, set := range []Set{
			{Identity: []Named{n}}, {Resource: &n}, {Identity: []Named{n}, Resource: &n, Boundary: &n, SCPs: []Named{n}, Session: &n, RCPs: []Named{n}, Endpoint: &n},
			{Identity: []Named{n}, Resource: &n, SCPLevels: &Hierarchy{Levels: []Level{{Target: "r", Policies: []Named{n}}}}, RCPLevels: &Hierarchy{Levels: []Level{{Target: "r", Policies: []Named{n}}}}},
			{Identity: []Named{n}, Resource: &n, Grants: []Grant{{GranteePrincipal: principal, Operations: []string{"Decrypt"}, EncryptionContextSubset: map[string]string{key: value}}}},
		} {
			r := Evaluate(req, set)
			switch r.Decision {
			case Allow, ImplicitDeny, ExplicitDeny:
			default:
				t.Fatalf("decision %q", r.Decision)
			}
			if len(r.Types) != 8 {
				t.Fatalf("types %v", r.Types)
			}
			_ = r.Explain()
		}
	})
}
