package policy

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// conformanceCase is one line of a conformance file (SPEC §7).
type conformanceCase struct {
	Name                string            `json:"name"`
	Principal           string            `json:"principal"`
	Action              string            `json:"action"`
	Resource            string            `json:"resource"`
	ResourceAccount     string            `json:"resource_account"`
	IdentityPolicies    []json.RawMessage `json:"identity_policies"`
	ResourcePolicy      json.RawMessage   `json:"resource_policy"`
	PermissionsBoundary json.RawMessage   `json:"permissions_boundary"`
	SCPs                []json.RawMessage `json:"scps"`
	SessionPolicy       json.RawMessage   `json:"session_policy"`
	RCPs                []json.RawMessage `json:"rcps"` // own cases: resource control policies
	// The org hierarchies, root first: each level a list of documents, or (own cases) an object
	// {"target": "ou-…", "policies": [{"name": "…", "document": {…}}]} naming the target and
	// the policies. No FullAWSAccess is implied at any SCP level; RCPFullAWSAccess is implied
	// at every RCP level.
	SCPLevels []json.RawMessage          `json:"scp_levels"`
	RCPLevels []json.RawMessage          `json:"rcp_levels"`
	Context   map[string]json.RawMessage `json:"context"`
	Unknown   []string                   `json:"unknown"`
	Decision  Decision                   `json:"decision"`

	// Fields of the project's own cases (policy/testdata), beyond SPEC §7.
	Source      string   `json:"source"`       // the AWS document the rule comes from
	PrincipalID string   `json:"principal_id"` // the principal's unique id (AROA…)
	Grants      []Grant  `json:"grants"`
	Conditional *bool    `json:"conditional"` // whether the result must be conditional
	Matched     []string `json:"matched"`     // "type:sid" that must be among Matched
	Misses      []string `json:"misses"`      // Miss elements that must be reported
	// EndpointPolicy is the policy of the VPC endpoint the request goes through.
	EndpointPolicy json.RawMessage `json:"endpoint_policy"`
	// Exemption facts: the principal's account is its organization's management account
	// (scp_management), the resource's account is (rcp_management), the key is AWS managed.
	SCPManagement bool `json:"scp_management"`
	RCPManagement bool `json:"rcp_management"`
	AWSManagedKey bool `json:"aws_managed_key"`
	// Expectations about the guardrails: "type:target:outcome" among Result.Levels,
	// "type:reason" among Result.Exempt, "type:target:policy:sid" among the Deny statements
	// matched.
	Levels   []string `json:"levels"`
	Exempt   []string `json:"exempt"`
	DeniedBy []string `json:"denied_by"`

	file string
	line int
}

// conformanceDir is $XSDOCTOR_CONFORMANCE, or shared/conformance beside the module (this
// package's ../../shared/conformance). A missing corpus fails the test: it is never skipped.
func conformanceDir(t testing.TB) string {
	d := os.Getenv("XSDOCTOR_CONFORMANCE")
	if d == "" {
		d = filepath.Join("..", "..", "shared", "conformance")
	}
	if st, err := os.Stat(d); err != nil || !st.IsDir() {
		t.Fatalf("conformance corpus not found at %s (set XSDOCTOR_CONFORMANCE to the directory of *.jsonl files): %v", d, err)
	}
	return d
}

func loadConformance(t testing.TB, dir string) map[string][]conformanceCase {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no *.jsonl conformance files in %s (err %v)", dir, err)
	}
	out := map[string][]conformanceCase{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		n := 0
		for sc.Scan() {
			n++
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			var c conformanceCase
			if err := json.Unmarshal([]byte(line), &c); err != nil {
				t.Fatalf("%s:%d: %v", f, n, err)
			}
			c.file, c.line = filepath.Base(f), n
			out[c.file] = append(out[c.file], c)
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func parseRaw(raw json.RawMessage) (*Document, error) { return parseRawWith(Parse, raw) }

func parseRawWith(parse func(string) (*Document, error), raw json.RawMessage) (*Document, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	// A policy may be embedded as a JSON object or as a JSON string holding the document.
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return parse(s)
	}
	return parse(string(raw))
}

// build turns a case into a Request and a Set.
func (c *conformanceCase) build() (Request, Set, error) {
	req := Request{
		Principal:       Principal{ARN: c.Principal, UniqueID: c.PrincipalID},
		Action:          c.Action,
		Resource:        c.Resource,
		ResourceAccount: c.ResourceAccount,
		Context:         map[string][]string{},
		Unknown:         c.Unknown,
	}
	for k, raw := range c.Context {
		var one string
		var many []string
		switch {
		case json.Unmarshal(raw, &one) == nil:
			req.Context[k] = []string{one}
		case json.Unmarshal(raw, &many) == nil:
			req.Context[k] = many
		default:
			req.Context[k] = []string{strings.Trim(string(raw), `"`)}
		}
		if strings.EqualFold(k, "aws:PrincipalArn") && len(req.Context[k]) == 1 && strings.Contains(req.Context[k][0], ":role/") {
			req.Principal.RoleARN = req.Context[k][0]
		}
	}
	set := Set{Grants: c.Grants}
	for i, raw := range c.IdentityPolicies {
		d, err := parseRaw(raw)
		if err != nil {
			return req, set, fmt.Errorf("identity policy %d: %w", i+1, err)
		}
		if d != nil {
			set.Identity = append(set.Identity, Named{Name: fmt.Sprintf("identity-%d", i+1), Doc: d})
		}
	}
	one := func(raw json.RawMessage, name string) (*Named, error) {
		d, err := parseRaw(raw)
		if err != nil || d == nil {
			return nil, err
		}
		return &Named{Name: name, Doc: d}, nil
	}
	var err error
	if strings.HasPrefix(strings.ToLower(c.Action), "sts:assumerole") {
		// The resource policy of sts:AssumeRole* is the role's trust policy, written without
		// Resource.
		d, err := parseRawWith(ParseTrust, c.ResourcePolicy)
		if err != nil {
			return req, set, fmt.Errorf("trust policy: %w", err)
		}
		if d != nil {
			set.Resource = &Named{Name: "trust", Doc: d}
		}
	} else if set.Resource, err = one(c.ResourcePolicy, "resource"); err != nil {
		return req, set, fmt.Errorf("resource policy: %w", err)
	}
	if set.Boundary, err = one(c.PermissionsBoundary, "boundary"); err != nil {
		return req, set, fmt.Errorf("boundary: %w", err)
	}
	if set.Session, err = one(c.SessionPolicy, "session"); err != nil {
		return req, set, fmt.Errorf("session policy: %w", err)
	}
	if set.Endpoint, err = one(c.EndpointPolicy, "vpc_endpoint"); err != nil {
		return req, set, fmt.Errorf("endpoint policy: %w", err)
	}
	for i, raw := range c.SCPs {
		d, err := parseRaw(raw)
		if err != nil {
			return req, set, fmt.Errorf("scp %d: %w", i+1, err)
		}
		if d != nil {
			set.SCPs = append(set.SCPs, Named{Name: fmt.Sprintf("scp-%d", i+1), Doc: d})
		}
	}
	for i, raw := range c.RCPs {
		d, err := parseRaw(raw)
		if err != nil {
			return req, set, fmt.Errorf("rcp %d: %w", i+1, err)
		}
		if d != nil {
			set.RCPs = append(set.RCPs, Named{Name: fmt.Sprintf("rcp-%d", i+1), Doc: d})
		}
	}
	set.AWSManagedKey = c.AWSManagedKey
	if len(c.SCPs) > 0 && c.SCPLevels != nil {
		return req, set, fmt.Errorf("a case has scps or scp_levels, not both")
	}
	if set.SCPLevels, err = buildHierarchy("scp", c.SCPLevels, c.SCPManagement); err != nil {
		return req, set, err
	}
	if set.RCPLevels, err = buildHierarchy("rcp", c.RCPLevels, c.RCPManagement); err != nil {
		return req, set, err
	}
	return req, set, nil
}

// buildHierarchy reads scp_levels or rcp_levels; nil when the case has none.
func buildHierarchy(kind string, levels []json.RawMessage, management bool) (*Hierarchy, error) {
	if levels == nil {
		return nil, nil
	}
	h := &Hierarchy{Management: management}
	for i, raw := range levels {
		lv := Level{Target: fmt.Sprintf("level-%d", i+1)}
		var named struct {
			Target   string `json:"target"`
			Policies []struct {
				Name     string          `json:"name"`
				Document json.RawMessage `json:"document"`
			} `json:"policies"`
		}
		var docs []json.RawMessage
		switch {
		case json.Unmarshal(raw, &docs) == nil:
			for j, d := range docs {
				doc, err := parseRaw(d)
				if err != nil {
					return nil, fmt.Errorf("%s_levels[%d][%d]: %w", kind, i, j, err)
				}
				lv.Policies = append(lv.Policies, Named{Name: fmt.Sprintf("%s-%d-%d", kind, i+1, j+1), Doc: doc})
			}
		case json.Unmarshal(raw, &named) == nil:
			if named.Target != "" {
				lv.Target = named.Target
			}
			for j, p := range named.Policies {
				doc, err := parseRaw(p.Document)
				if err != nil {
					return nil, fmt.Errorf("%s_levels[%d].policies[%d]: %w", kind, i, j, err)
				}
				lv.Policies = append(lv.Policies, Named{Name: p.Name, Doc: doc})
			}
		default:
			return nil, fmt.Errorf("%s_levels[%d]: want a list of policies or {\"target\", \"policies\"}", kind, i)
		}
		h.Levels = append(h.Levels, lv)
	}
	return h, nil
}

// checkExtras checks the own-case expectations beyond the decision.
func (c *conformanceCase) checkExtras(r Result) []string {
	var errs []string
	if c.Conditional != nil && *c.Conditional != (len(r.Conditional) > 0) {
		errs = append(errs, fmt.Sprintf("conditional = %v, want %v", r.Conditional, *c.Conditional))
	}
	for _, want := range c.Matched {
		found := false
		for _, m := range r.Matched {
			if string(m.Type)+":"+m.Sid == want {
				found = true
			}
		}
		if !found {
			errs = append(errs, "matched lacks "+want)
		}
	}
	for _, want := range c.Levels {
		found := false
		for _, l := range r.Levels {
			if string(l.Type)+":"+l.Target+":"+string(l.Outcome) == want {
				found = true
			}
		}
		if !found {
			errs = append(errs, fmt.Sprintf("levels lack %s: %+v", want, r.Levels))
		}
	}
	for _, want := range c.Exempt {
		found := false
		for _, x := range r.Exempt {
			if string(x.Type)+":"+string(x.Reason) == want {
				found = true
			}
		}
		if !found {
			errs = append(errs, fmt.Sprintf("exemptions lack %s: %+v", want, r.Exempt))
		}
	}
	if c.Exempt != nil && len(c.Exempt) == 0 && len(r.Exempt) > 0 {
		errs = append(errs, fmt.Sprintf("want no exemption, got %+v", r.Exempt))
	}
	for _, want := range c.DeniedBy {
		found := false
		for _, m := range r.Matched {
			if m.Effect == "Deny" && string(m.Type)+":"+m.Target+":"+m.Policy+":"+m.Sid == want {
				found = true
			}
		}
		if !found {
			errs = append(errs, "no deny matched by "+want)
		}
	}
	for _, want := range c.Misses {
		found := false
		for _, m := range r.Misses {
			if m.Element == want {
				found = true
			}
		}
		if !found {
			errs = append(errs, fmt.Sprintf("no %s miss among %+v", want, r.Misses))
		}
	}
	return errs
}

func describe(r Result) string {
	var b strings.Builder
	for _, m := range r.Matched {
		fmt.Fprintf(&b, "\n    %s %s %s %q #%d %s", m.Type, m.Target, m.Policy, m.Sid, m.Index, m.Effect)
	}
	for _, l := range r.Levels {
		fmt.Fprintf(&b, "\n    level %s %s: %s", l.Type, l.Target, l.Outcome)
	}
	for _, x := range r.Exempt {
		fmt.Fprintf(&b, "\n    exempt %s: %s", x.Type, x.Reason)
	}
	for _, t := range r.Types {
		if t.Outcome != OutcomeAbsent {
			fmt.Fprintf(&b, "\n    type %s: %s", t.Type, t.Outcome)
		}
	}
	return b.String()
}

// TestConformance replays every shared conformance case (SPEC §7).
func TestConformance(t *testing.T) {
	dir := conformanceDir(t)
	cases := loadConformance(t, dir)
	files := make([]string, 0, len(cases))
	for f := range cases {
		files = append(files, f)
	}
	sort.Strings(files)
	pass, total := 0, 0
	for _, f := range files {
		p := 0
		for _, c := range cases[f] {
			req, set, err := c.build()
			if err != nil {
				t.Errorf("%s:%d %s: %v", f, c.line, c.Name, err)
				continue
			}
			got := Evaluate(req, set)
			if got.Decision != c.Decision {
				t.Errorf("%s:%d %s: want %s, got %s\n%s", f, c.line, c.Name, c.Decision, got.Decision, got.Explain())
				continue
			}
			p++
		}
		t.Logf("conformance %s: %d/%d", f, p, len(cases[f]))
		fmt.Printf("conformance %s: %d/%d\n", f, p, len(cases[f]))
		pass += p
		total += len(cases[f])
	}
	t.Logf("conformance total: %d/%d", pass, total)
	fmt.Printf("conformance total: %d/%d\n", pass, total)
}

// TestOwnCases replays the project's own cases in testdata/*.jsonl: one file per AWS rule, each
// case citing the AWS document it comes from.
func TestOwnCases(t *testing.T) {
	cases := loadConformance(t, "testdata")
	files := make([]string, 0, len(cases))
	for f := range cases {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		for _, c := range cases[f] {
			t.Run(strings.TrimSuffix(f, ".jsonl")+"/"+c.Name, func(t *testing.T) {
				if c.Source == "" {
					t.Fatalf("case has no source: cite the AWS document it comes from")
				}
				req, set, err := c.build()
				if err != nil {
					t.Fatal(err)
				}
				got := Evaluate(req, set)
				if got.Decision != c.Decision {
					t.Fatalf("want %s, got %s; deciding statements:%s", c.Decision, got.Decision, describe(got))
				}
				for _, e := range c.checkExtras(got) {
					t.Error(e)
				}
			})
		}
	}
}

// BenchmarkConformance evaluates every shared case once per iteration (policies parsed up
// front, as a caller holding parsed policies would) and reports evaluations per second.
func BenchmarkConformance(b *testing.B) {
	dir := conformanceDir(b)
	var reqs []Request
	var sets []Set
	for _, cs := range loadConformance(b, dir) {
		for _, c := range cs {
			req, set, err := c.build()
			if err != nil {
				b.Fatal(err)
			}
			reqs, sets = append(reqs, req), append(sets, set)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range reqs {
			_ = Evaluate(reqs[j], sets[j])
		}
	}
	b.ReportMetric(float64(b.N*len(reqs))/b.Elapsed().Seconds(), "evals/s")
}
