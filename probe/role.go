package probe

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/xsdoctor/xsdoctor"
)

// roleResult is what the simulations and --live wait for.
type roleResult struct {
	ok   bool
	arn  string // role ARN with path (GetRole), or the best derivation from the input
	id   string
	tags map[string]string
}

// decodeDocument turns an IAM policy document as the SDK returns it into JSON text. IAM returns
// documents URL-encoded (RFC 3986) in GetRole, GetRolePolicy and GetPolicyVersion, and the Go SDK
// does not decode them; moto returns GetPolicyVersion raw. So decode only what does not already
// start with '{', and with PathUnescape, which leaves '+' alone (wire.md; aws-semantics §7.3).
func decodeDocument(doc string) string {
	trimmed := strings.TrimSpace(doc)
	if trimmed == "" || strings.HasPrefix(trimmed, "{") {
		return doc
	}
	if dec, err := url.PathUnescape(doc); err == nil {
		return dec
	}
	return doc
}

// readRole reads the consumer role: GetRole (ARN with path, RoleId, tags, boundary, trust
// policy), and beside it the inline and attached policy lists, each policy fetched the moment
// its list page arrives.
func (g *gatherer) readRole(ctx context.Context) {
	s := g.consumerSess
	role := &g.f.Role
	var wg sync.WaitGroup
	defer wg.Wait()
	if re := s.ready(ctx); re != nil {
		role.Err = cause(re)
		g.addPolicyErr(cause(re))
		g.roleF.set(roleResult{arn: g.consumer.RoleARN})
		return
	}
	name := g.consumer.RoleName

	wg.Add(3)
	go func() {
		defer wg.Done()
		res := roleResult{arn: g.consumer.RoleARN}
		out, err := s.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
		if err != nil || out.Role == nil {
			role.Err = readError("iam:GetRole", s.accountID(), err)
			g.roleF.set(res)
			return
		}
		r := out.Role
		role.ARN, role.Path, role.ID = aws.ToString(r.Arn), aws.ToString(r.Path), aws.ToString(r.RoleId)
		role.TrustPolicy = decodeDocument(aws.ToString(r.AssumeRolePolicyDocument))
		if len(r.Tags) > 0 {
			role.Tags = map[string]string{}
			for _, t := range r.Tags {
				role.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
		}
		res = roleResult{ok: true, arn: role.ARN, id: role.ID, tags: role.Tags}
		g.roleF.set(res)
		if b := r.PermissionsBoundary; b != nil && aws.ToString(b.PermissionsBoundaryArn) != "" {
			p, re := g.managedPolicy(ctx, aws.ToString(b.PermissionsBoundaryArn))
			if re != nil {
				g.addPolicyErr(re)
				return
			}
			p.Kind = "boundary"
			role.Boundary = &p
		}
	}()
	go func() {
		defer wg.Done()
		p := iam.NewListRolePoliciesPaginator(s.iam, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				g.addPolicyErr(readError("iam:ListRolePolicies", s.accountID(), err))
				return
			}
			for _, pn := range page.PolicyNames {
				wg.Add(1)
				go func() {
					defer wg.Done()
					out, err := s.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(pn)})
					if err != nil {
						g.addPolicyErr(readError("iam:GetRolePolicy", s.accountID(), err))
						return
					}
					g.addPolicy(xsdoctor.Policy{Name: pn, Kind: "inline", Document: decodeDocument(aws.ToString(out.PolicyDocument))})
				}()
			}
		}
	}()
	go func() {
		defer wg.Done()
		p := iam.NewListAttachedRolePoliciesPaginator(s.iam, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				g.addPolicyErr(readError("iam:ListAttachedRolePolicies", s.accountID(), err))
				return
			}
			for _, ap := range page.AttachedPolicies {
				wg.Add(1)
				go func() {
					defer wg.Done()
					pol, re := g.managedPolicy(ctx, aws.ToString(ap.PolicyArn))
					if re != nil {
						g.addPolicyErr(re)
						return
					}
					if pol.Name == "" {
						pol.Name = aws.ToString(ap.PolicyName)
					}
					g.addPolicy(pol)
				}()
			}
		}
	}()
}

// managedPolicy reads a managed policy's default version: GetPolicy → DefaultVersionId →
// GetPolicyVersion (IAM User Guide, "Versioning IAM policies": the default version is the one in
// effect). Memoized per ARN, so a boundary that is also attached is read once.
func (g *gatherer) managedPolicy(ctx context.Context, arn string) (xsdoctor.Policy, *xsdoctor.ReadError) {
	g.mu.Lock()
	f, ok := g.managed[arn]
	if !ok {
		f = newFuture[managedResult]()
		g.managed[arn] = f
	}
	g.mu.Unlock()
	if ok {
		r := f.get()
		return r.p, r.err
	}
	var r managedResult
	defer func() { f.set(r) }()
	s := g.consumerSess
	kind := "managed"
	if strings.Contains(arn, ":iam::aws:policy/") {
		kind = "aws-managed"
	}
	r.p = xsdoctor.Policy{ARN: arn, Kind: kind, Name: arn[strings.LastIndex(arn, "/")+1:]}
	pol, err := s.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil || pol.Policy == nil {
		r.err = readError("iam:GetPolicy", s.accountID(), err)
		return r.p, r.err
	}
	if n := aws.ToString(pol.Policy.PolicyName); n != "" {
		r.p.Name = n
	}
	r.p.Version = aws.ToString(pol.Policy.DefaultVersionId)
	ver, err := s.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: pol.Policy.DefaultVersionId})
	if err != nil || ver.PolicyVersion == nil {
		r.err = readError("iam:GetPolicyVersion", s.accountID(), err)
		return r.p, r.err
	}
	r.p.Document = decodeDocument(aws.ToString(ver.PolicyVersion.Document))
	return r.p, nil
}

type managedResult struct {
	p   xsdoctor.Policy
	err *xsdoctor.ReadError
}

func (g *gatherer) addPolicy(p xsdoctor.Policy) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.f.Role.Policies = append(g.f.Role.Policies, p)
}

func (g *gatherer) addPolicyErr(re *xsdoctor.ReadError) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, e := range g.f.Role.PolicyErrs {
		if e == *re {
			return
		}
	}
	g.f.Role.PolicyErrs = append(g.f.Role.PolicyErrs, *re)
}

// sortPolicies puts the role's policies in a stable order: inline by name, then managed by ARN.
func sortPolicies(ps []xsdoctor.Policy) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if (a.Kind == "inline") != (b.Kind == "inline") {
			return a.Kind == "inline"
		}
		if a.ARN != b.ARN {
			return a.ARN < b.ARN
		}
		return a.Name < b.Name
	})
}
