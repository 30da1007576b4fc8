package probe

import (
	"cmp"
	"context"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/arn"
)

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
// its list page arrives. GetRole's answer is published in g.roleID as soon as it is known (the
// simulation and --live wait for it); the role with every policy is returned.
func (g *gatherer) readRole(ctx context.Context) xsdoctor.Role {
	s := g.consumerSess
	c := g.consumer
	role := xsdoctor.Role{ARN: c.RoleARN, Name: c.RoleName, Session: c.Session}
	if c.Session == "" {
		role.Path = c.RolePath
	}
	// Until GetRole answers, a role named by a session ARN has no known path.
	role.PathInferred = c.Session != ""

	var (
		wg        sync.WaitGroup
		mu        sync.Mutex // guards policies and errs, this reader's own lists
		policies  []xsdoctor.Policy
		errs      []xsdoctor.ReadError
		boundary  *xsdoctor.Policy
		got       = role
		published bool
	)
	addErr := func(re *xsdoctor.ReadError) {
		mu.Lock()
		defer mu.Unlock()
		if !slices.Contains(errs, *re) {
			errs = append(errs, *re)
		}
	}
	addPolicy := func(p xsdoctor.Policy) {
		mu.Lock()
		defer mu.Unlock()
		policies = append(policies, p)
	}
	publish := func(r xsdoctor.Role) {
		if !published {
			published = true
			g.roleID.set(r)
		}
	}
	if re := s.ready(ctx); re != nil {
		role.Err = cause(re)
		role.PolicyErrs = []xsdoctor.ReadError{*cause(re)}
		publish(role)
		return role
	}
	name := c.RoleName

	wg.Add(3)
	go func() {
		defer wg.Done()
		out, err := s.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
		if err != nil || out.Role == nil {
			got.Err = readError("iam:GetRole", s.accountID(), err)
			publish(got)
			return
		}
		r := out.Role
		got.ARN, got.Path, got.ID, got.PathInferred = aws.ToString(r.Arn), aws.ToString(r.Path), aws.ToString(r.RoleId), false
		got.TrustPolicy = decodeDocument(aws.ToString(r.AssumeRolePolicyDocument))
		if len(r.Tags) > 0 {
			got.Tags = map[string]string{}
			for _, t := range r.Tags {
				got.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
		}
		publish(got)
		if b := r.PermissionsBoundary; b != nil && aws.ToString(b.PermissionsBoundaryArn) != "" {
			p, re := g.managedPolicy(ctx, aws.ToString(b.PermissionsBoundaryArn))
			if re != nil {
				addErr(re)
				return
			}
			p.Kind = "boundary"
			boundary = &p
		}
	}()
	go func() {
		defer wg.Done()
		p := iam.NewListRolePoliciesPaginator(s.iam, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				addErr(readError("iam:ListRolePolicies", s.accountID(), err))
				return
			}
			for _, pn := range page.PolicyNames {
				wg.Add(1)
				go func() {
					defer wg.Done()
					out, err := s.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(pn)})
					if err != nil {
						addErr(readError("iam:GetRolePolicy", s.accountID(), err))
						return
					}
					addPolicy(xsdoctor.Policy{Name: pn, Kind: "inline", Document: decodeDocument(aws.ToString(out.PolicyDocument))})
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
				addErr(readError("iam:ListAttachedRolePolicies", s.accountID(), err))
				return
			}
			for _, ap := range page.AttachedPolicies {
				wg.Add(1)
				go func() {
					defer wg.Done()
					pol, re := g.managedPolicy(ctx, aws.ToString(ap.PolicyArn))
					if re != nil {
						addErr(re)
						return
					}
					if pol.Name == "" {
						pol.Name = aws.ToString(ap.PolicyName)
					}
					addPolicy(pol)
				}()
			}
		}
	}()
	wg.Wait()
	role = got
	role.Boundary = boundary
	role.Policies = sortPolicies(policies)
	role.PolicyErrs = sortReadErrors(errs)
	return role
}

// managedPolicy reads a managed policy's default version: GetPolicy → DefaultVersionId →
// GetPolicyVersion (IAM User Guide, "Versioning IAM policies": the default version is the one in
// effect). Memoized per ARN, so a boundary that is also attached is read once.
func (g *gatherer) managedPolicy(ctx context.Context, policyARN string) (xsdoctor.Policy, *xsdoctor.ReadError) {
	g.mu.Lock()
	f, ok := g.managed[policyARN]
	if !ok {
		f = newFuture[managedResult]()
		g.managed[policyARN] = f
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
	a, _ := arn.Split(policyARN)
	if a.Account == "aws" { // arn:aws:iam::aws:policy/NAME (IAM User Guide, "AWS managed policies")
		kind = "aws-managed"
	}
	r.p = xsdoctor.Policy{ARN: policyARN, Kind: kind, Name: a.Resource[strings.LastIndex(a.Resource, "/")+1:]}
	pol, err := s.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policyARN)})
	if err != nil || pol.Policy == nil {
		r.err = readError("iam:GetPolicy", s.accountID(), err)
		return r.p, r.err
	}
	if n := aws.ToString(pol.Policy.PolicyName); n != "" {
		r.p.Name = n
	}
	r.p.Version = aws.ToString(pol.Policy.DefaultVersionId)
	ver, err := s.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: pol.Policy.DefaultVersionId})
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

// sortPolicies puts the role's policies in a stable order: inline by name, then managed by ARN.
func sortPolicies(ps []xsdoctor.Policy) []xsdoctor.Policy {
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
	return ps
}

// sortReadErrors puts failed reads in a stable order: by call, then message.
func sortReadErrors(errs []xsdoctor.ReadError) []xsdoctor.ReadError {
	slices.SortStableFunc(errs, func(a, b xsdoctor.ReadError) int {
		return cmp.Or(cmp.Compare(a.Call, b.Call), cmp.Compare(a.Message, b.Message))
	})
	return errs
}
