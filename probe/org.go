package probe

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/xsdoctor/xsdoctor"
)

// orgOf returns what account's organization is, read once per account whatever asks for it
// (owner, consumer and key may share an account).
func (g *gatherer) orgOf(account string, s *session) *future[xsdoctor.Account] {
	g.mu.Lock()
	f, ok := g.orgs[account]
	if !ok {
		f = newFuture[xsdoctor.Account]()
		g.orgs[account] = f
	}
	g.mu.Unlock()
	if !ok {
		g.async(func(ctx context.Context) { f.set(g.readOrg(ctx, account, s)) })
	}
	return f
}

// readOrg reads the organization of account with DescribeOrganization, which answers about the
// caller's own account (Organizations API reference: "Retrieves information about the
// organization that the user's account belongs to"). So it must run with credentials in that
// account: an inspector role there, or base credentials that GetCallerIdentity (which needs no
// permission; STS API reference) places there.
func (g *gatherer) readOrg(ctx context.Context, account string, s *session) xsdoctor.Account {
	a := xsdoctor.Account{ID: account}
	if s == nil || s.accountID() != account && s.role != "" {
		a.OrgErr = &xsdoctor.ReadError{Call: "organizations:DescribeOrganization", Account: account, Code: CodeNoCredentials,
			Message: fmt.Sprintf("no credentials in account %s to read its organization; pass --key-role with a read-only role there", account)}
		return a
	}
	if re := s.ready(ctx); re != nil {
		a.OrgErr = cause(re)
		return a
	}
	if s.role == "" {
		got, re := g.callerAccount(ctx, s)
		if re != nil {
			a.OrgErr = re
			return a
		}
		if got != account {
			a.OrgErr = &xsdoctor.ReadError{Call: "organizations:DescribeOrganization", Account: account, Code: CodeNoCredentials,
				Message: fmt.Sprintf("the %s side's credentials belong to account %s, not %s; pass --%s-role or --%s-profile", s.purpose, got, account, s.purpose, s.purpose)}
			return a
		}
	}
	out, err := s.org.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	switch {
	case isCode(err, "AWSOrganizationsNotInUseException"):
		a.NoOrg = true
	case err != nil:
		a.OrgErr = readError("organizations:DescribeOrganization", account, err)
	case out.Organization == nil:
		a.OrgErr = readError("organizations:DescribeOrganization", account, nil)
	default:
		a.OrgID = aws.ToString(out.Organization.Id)
		// SCPs do not affect the management account (Organizations User Guide, "Service control
		// policies": "SCPs don't affect users or roles in the management account").
		a.ManagementAccount = aws.ToString(out.Organization.MasterAccountId)
		a.Management = a.ManagementAccount == account
	}
	return a
}

type identity struct {
	account string
	err     *xsdoctor.ReadError
}

// callerAccount is GetCallerIdentity's account for a session on base credentials, asked once per
// set of base credentials.
func (g *gatherer) callerAccount(ctx context.Context, s *session) (string, *xsdoctor.ReadError) {
	g.mu.Lock()
	f, ok := g.idents[s.profile]
	if !ok {
		f = newFuture[identity]()
		g.idents[s.profile] = f
	}
	g.mu.Unlock()
	if ok {
		id := f.get()
		return id.account, id.err
	}
	var id identity
	out, err := s.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		id.err = readError("sts:GetCallerIdentity", s.accountID(), err)
	} else {
		id.account = aws.ToString(out.Account)
	}
	f.set(id)
	return id.account, id.err
}
