package probe

import (
	"context"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/xsdoctor/xsdoctor"
)

// The organization reader (--org-role, --org-profile): an identity in the management account or
// a delegated administrator for Organizations policies, where ListParents,
// ListPoliciesForTarget and DescribePolicy answer (AWS Organizations API reference). It reads
// the path from the root to the consumer, owner and key accounts, and every SCP and RCP attached
// along them, each policy once.
//
// Latency: nothing here waits for the rest of the probe (the consumer and owner accounts are
// known from the input), and every read starts as soon as what it needs is known: the
// attachments of a level as soon as ListParents names it, the root's from ListRoots at once, a
// policy's text as soon as a listing names it. For an account under one OU that is AssumeRole →
// ListParents → ListParents/ListPoliciesForTarget → DescribePolicy, within the probe's own
// critical path. Only a key in a third account waits for DescribeSecret to name it.

// orgReader memoizes the organization reads of one Gather: each parent, each target's
// attachments and each policy is asked once, whichever path needs it.
type orgReader struct {
	s   *session
	ctx context.Context

	wg       sync.WaitGroup // the reads the reader started itself
	mu       sync.Mutex
	parents  map[string]*future[parentResult]
	attached map[string]*future[attachedResult] // "<type>/<target>"
	policies map[string]*future[xsdoctor.OrgPolicy]
}

// spawn runs fn in its own goroutine; readOrgTree waits for every one.
func (r *orgReader) spawn(ctx context.Context, fn func(ctx context.Context)) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		fn(ctx)
	}()
}

type parentResult struct {
	id, kind string
	err      error
}

type attachedResult struct {
	ids []string
	err *xsdoctor.ReadError
}

// readOrgTree reads the organization facts; it returns when every read it started has ended.
func (g *gatherer) readOrgTree(ctx context.Context, s *session) *xsdoctor.Org {
	org := &xsdoctor.Org{Reader: g.o.OrgRole}
	if org.Reader == "" {
		org.Reader = "profile " + g.o.OrgProfile
	}
	if re := s.ready(ctx); re != nil {
		org.Err = cause(re)
		return org
	}
	r := &orgReader{s: s, ctx: ctx, parents: map[string]*future[parentResult]{},
		attached: map[string]*future[attachedResult]{}, policies: map[string]*future[xsdoctor.OrgPolicy]{}}

	var wg sync.WaitGroup
	run := func(fn func()) {
		wg.Add(1)
		go func() { defer wg.Done(); fn() }()
	}
	// The organization's id and management account: SCPs do not affect the management
	// account's principals, RCPs not its resources.
	var describeErr *xsdoctor.ReadError
	run(func() {
		out, err := s.org.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
		if err != nil || out.Organization == nil {
			describeErr = readError("organizations:DescribeOrganization", s.accountID(), err)
			return
		}
		org.ID = aws.ToString(out.Organization.Id)
		org.ManagementAccount = aws.ToString(out.Organization.MasterAccountId)
	})
	// The root's attachments start at once rather than when the walk up reaches it.
	run(func() {
		out, err := s.org.ListRoots(ctx, &organizations.ListRootsInput{})
		if err != nil {
			return // the walk up finds the root anyway; its failure is recorded there
		}
		for _, root := range out.Roots {
			r.attach(ctx, aws.ToString(root.Id))
		}
	})

	accounts := []string{g.consumer.Account, g.ownerAccount}
	paths := make([]xsdoctor.OrgAccount, 0, 3)
	var pmu sync.Mutex
	walk := func(account string) {
		p := r.path(ctx, account)
		pmu.Lock()
		paths = append(paths, p)
		pmu.Unlock()
	}
	seen := map[string]bool{}
	for _, a := range accounts {
		if a != "" && !seen[a] {
			seen[a] = true
			a := a
			run(func() { walk(a) })
		}
	}
	// A key in a third account is known only once DescribeSecret names it.
	run(func() {
		if k := g.keyF.get().key; k.Account != "" && !seen[k.Account] {
			walk(k.Account)
		}
	})
	wg.Wait()
	r.wg.Wait() // attachments and policies that no path waited for (a walk that failed)

	org.DescribeErr = describeErr
	sort.Slice(paths, func(i, j int) bool { return paths[i].ID < paths[j].ID })
	org.Accounts = paths
	r.mu.Lock()
	for _, f := range r.policies {
		org.Policies = append(org.Policies, f.get())
	}
	r.mu.Unlock()
	sort.Slice(org.Policies, func(i, j int) bool { return org.Policies[i].ID < org.Policies[j].ID })
	return org
}

// path walks up from account to the root with ListParents; every level's attachments are read
// as soon as the level is known.
func (r *orgReader) path(ctx context.Context, account string) xsdoctor.OrgAccount {
	acct := xsdoctor.OrgAccount{ID: account, Member: true}
	type node struct{ id, kind string }
	up := []node{{account, string(types.TargetTypeAccount)}}
	r.attach(ctx, account)
	child := account
	for len(up) < 64 { // an OU tree is at most five levels deep (Organizations quotas)
		p := r.parent(ctx, child)
		if p.err != nil {
			// "ChildNotFoundException: We can't find an organizational unit (OU) or AWS account
			// with the ChildId that you specified" (Organizations API reference, ListParents):
			// the account is not in this organization, so none of its policies apply there.
			if child == account && (isCode(p.err, "ChildNotFoundException") || isCode(p.err, "AccountNotFoundException")) {
				return xsdoctor.OrgAccount{ID: account, Member: false}
			}
			acct.Err = readError("organizations:ListParents", r.s.accountID(), p.err)
			return acct
		}
		r.attach(ctx, p.id)
		up = append(up, node{p.id, p.kind})
		if p.kind == string(types.ParentTypeRoot) {
			break
		}
		child = p.id
	}
	for i := len(up) - 1; i >= 0; i-- {
		n := up[i]
		lv := xsdoctor.OrgLevel{Target: n.id, Kind: n.kind}
		scp := r.attachments(ctx, xsdoctor.PolicyTypeSCP, n.id)
		rcp := r.attachments(ctx, xsdoctor.PolicyTypeRCP, n.id)
		lv.SCPs, lv.SCPErr = scp.ids, scp.err
		lv.RCPs, lv.RCPErr = rcp.ids, rcp.err
		if lv.SCPs == nil {
			lv.SCPs = []string{}
		}
		if lv.RCPs == nil {
			lv.RCPs = []string{}
		}
		acct.Levels = append(acct.Levels, lv)
	}
	return acct
}

// parent is ListParents of child, asked once.
func (r *orgReader) parent(ctx context.Context, child string) parentResult {
	r.mu.Lock()
	f, ok := r.parents[child]
	if !ok {
		f = newFuture[parentResult]()
		r.parents[child] = f
	}
	r.mu.Unlock()
	if ok {
		return f.get()
	}
	var res parentResult
	out, err := r.s.org.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(child)})
	switch {
	case err != nil:
		res.err = err
	case len(out.Parents) == 0:
		res.err = &noParentError{child: child}
	default:
		res.id, res.kind = aws.ToString(out.Parents[0].Id), string(out.Parents[0].Type)
	}
	f.set(res)
	return res
}

type noParentError struct{ child string }

func (e *noParentError) Error() string { return "ListParents returned no parent for " + e.child }

// attach starts reading both policy types attached to target (once each).
func (r *orgReader) attach(ctx context.Context, target string) {
	for _, t := range []string{xsdoctor.PolicyTypeSCP, xsdoctor.PolicyTypeRCP} {
		key := t + "/" + target
		r.mu.Lock()
		_, ok := r.attached[key]
		if !ok {
			f := newFuture[attachedResult]()
			r.attached[key] = f
			t := t
			r.spawn(ctx, func(ctx context.Context) { f.set(r.listAttached(ctx, t, target)) })
		}
		r.mu.Unlock()
	}
}

func (r *orgReader) attachments(ctx context.Context, ptype, target string) attachedResult {
	r.attach(ctx, target)
	r.mu.Lock()
	f := r.attached[ptype+"/"+target]
	r.mu.Unlock()
	return f.get()
}

// listAttached is ListPoliciesForTarget for one type, every page; each policy's text is read as
// soon as it is named.
func (r *orgReader) listAttached(ctx context.Context, ptype, target string) attachedResult {
	res := attachedResult{ids: []string{}}
	in := &organizations.ListPoliciesForTargetInput{TargetId: aws.String(target), Filter: types.PolicyType(ptype)}
	for {
		out, err := r.s.org.ListPoliciesForTarget(ctx, in)
		if err != nil {
			return attachedResult{err: readError("organizations:ListPoliciesForTarget", r.s.accountID(), err)}
		}
		for _, p := range out.Policies {
			id := aws.ToString(p.Id)
			res.ids = append(res.ids, id)
			r.describe(id, ptype)
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	sort.Strings(res.ids)
	return res
}

// describe starts DescribePolicy for id, once.
func (r *orgReader) describe(id, ptype string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.policies[id]; ok {
		return
	}
	f := newFuture[xsdoctor.OrgPolicy]()
	r.policies[id] = f
	r.spawn(r.ctx, func(ctx context.Context) {
		p := xsdoctor.OrgPolicy{ID: id, Type: ptype}
		out, err := r.s.org.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String(id)})
		switch {
		case err != nil || out.Policy == nil:
			p.Err = readError("organizations:DescribePolicy", r.s.accountID(), err)
		default:
			if s := out.Policy.PolicySummary; s != nil {
				p.Name, p.AWSManaged = aws.ToString(s.Name), s.AwsManaged
				if s.Type != "" {
					p.Type = string(s.Type)
				}
			}
			p.Document = aws.ToString(out.Policy.Content)
		}
		f.set(p)
	})
}
