package probe

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/arn"
)

// gatherer is one run of Gather: the parsed input, the sessions, and one future per reader. Each
// reader returns its own value and publishes it in its future; the readers that depend on
// another wait on its future, and finish assembles the facts from all of them. No reader writes
// into another's value; mu guards only the memo tables (managed policies, organizations,
// caller identities) that make each call happen once.
type gatherer struct {
	o           Options
	ctx         context.Context
	rec         *recorder
	now         time.Time
	sessionName string

	secretARN    arn.ARN // the full secret ARN (resolved when the input was not one)
	resolved     bool
	described    *secretsmanager.DescribeSecretOutput // DescribeSecret, when resolution made it
	consumer     principalInput
	ownerAccount string
	region       string

	ownerBase, consumerBase  aws.Config
	owner, consumerSess, key *session
	orgSess                  *session // the organization reader; nil without --org-role/--org-profile

	secret       *future[xsdoctor.Secret]        // DescribeSecret (and ListSecretVersionIds)
	secretPolicy *future[policyRead]             // GetResourcePolicy
	replicaKeys  *future[[]xsdoctor.Key]         // each replica's key, read in its region
	keyF         *future[keyRead]                // the deciding key with everything read about it
	roleID       *future[xsdoctor.Role]          // GetRole's answer (ARN with path, id, tags)
	roleF        *future[xsdoctor.Role]          // the role with every policy
	sims         *future[simulationRead]         // iam:SimulatePrincipalPolicy
	liveF        *future[*xsdoctor.Live]         // --live
	orgF         *future[*xsdoctor.Org]          // the organization reader (--org-role, --org-profile)
	endpointsF   *future[*xsdoctor.VPCEndpoints] // the consumer's Secrets Manager VPC endpoints

	wg      sync.WaitGroup
	mu      sync.Mutex
	managed map[string]*future[managedResult]
	orgs    map[string]*future[xsdoctor.Account]
	idents  map[string]*future[identity]
}

// policyRead is one policy text read, or why it was not.
type policyRead struct {
	text string
	err  *xsdoctor.ReadError
}

// Gather reads from AWS every fact door.Check needs, each side with its own credentials, and
// returns them. It returns an error only for a usage error (*UsageError) or when nothing could
// be probed at all (*ProbeError); every other failure is recorded in the facts.
func Gather(ctx context.Context, o Options) (xsdoctor.Facts, error) {
	in, err := parseInputs(o)
	if err != nil {
		return xsdoctor.Facts{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout())
	defer cancel()
	g, err := prepare(ctx, o, in)
	if err != nil {
		return xsdoctor.Facts{}, err
	}
	g.run()
	return g.finish()
}

// inputs is what the user typed, parsed and checked against itself.
type inputs struct {
	secret    secretInput
	consumer  principalInput
	ownerRole roleARN
	keyRole   roleARN
	orgRole   roleARN
}

// parseInputs finds every usage error before any call is made.
func parseInputs(o Options) (inputs, error) {
	var in inputs
	var err error
	if in.secret, err = parseSecret(o.Secret); err != nil {
		return in, err
	}
	if in.consumer, err = parseConsumer(o.Consumer); err != nil {
		return in, err
	}
	// A full ARN names its region, and Secrets Manager answers for a secret only in that region:
	// a --region that says otherwise is a mistake, never a silent override (SPEC §2).
	if in.secret.IsARN && o.Region != "" && o.Region != in.secret.ARN.Region {
		return in, usagef("--region", "drop --region, or pass the ARN of the secret (or replica) in "+o.Region,
			"--region %s contradicts the region of the secret ARN, %s", o.Region, in.secret.ARN.Region)
	}
	if o.OwnerRole != "" {
		if in.ownerRole, err = parseRole(o.OwnerRole, "--owner-role"); err != nil {
			return in, err
		}
		// Inspector roles read their own account: GetKeyPolicy and DescribeOrganization answer
		// only about the caller's account.
		if in.secret.IsARN && in.ownerRole.Account != in.secret.ARN.Account {
			return in, usagef("--owner-role", "pass a read-only role in the secret's account "+in.secret.ARN.Account,
				"%s is in account %s, but the secret is in %s", o.OwnerRole, in.ownerRole.Account, in.secret.ARN.Account)
		}
	}
	if o.ConsumerRole != "" {
		r, err := parseRole(o.ConsumerRole, "--consumer-role")
		if err != nil {
			return in, err
		}
		if r.Account != in.consumer.Account {
			return in, usagef("--consumer-role", "pass a read-only role in the consumer's account "+in.consumer.Account,
				"%s is in account %s, but the consumer is in %s", o.ConsumerRole, r.Account, in.consumer.Account)
		}
	}
	if o.KeyRole != "" {
		if in.keyRole, err = parseRole(o.KeyRole, "--key-role"); err != nil {
			return in, err
		}
	}
	if o.OrgRole != "" {
		if in.orgRole, err = parseRole(o.OrgRole, "--org-role"); err != nil {
			return in, err
		}
	}
	return in, nil
}

// prepare loads each side's configuration, checks there are base credentials, builds the
// sessions, and resolves a secret name or partial ARN to the full ARN.
func prepare(ctx context.Context, o Options, in inputs) (*gatherer, error) {
	g := &gatherer{
		o: o, ctx: ctx, rec: &recorder{log: o.Log}, now: o.now().UTC(), sessionName: o.sessionName(),
		consumer: in.consumer,
		secret:   newFuture[xsdoctor.Secret](), secretPolicy: newFuture[policyRead](),
		keyF: newFuture[keyRead](), replicaKeys: newFuture[[]xsdoctor.Key](),
		roleID: newFuture[xsdoctor.Role](), roleF: newFuture[xsdoctor.Role](),
		sims: newFuture[simulationRead](), liveF: newFuture[*xsdoctor.Live](),
		orgF: newFuture[*xsdoctor.Org](), endpointsF: newFuture[*xsdoctor.VPCEndpoints](),
		managed: map[string]*future[managedResult]{}, orgs: map[string]*future[xsdoctor.Account]{},
		idents: map[string]*future[identity]{},
	}

	// Region: the secret ARN's (parseInputs refused a --region that contradicts it); for a
	// name, --region or the owner side's configured region (a name resolves in the caller's
	// region).
	region := o.Region
	if in.secret.IsARN {
		region = in.secret.ARN.Region
	}
	var err error
	if g.ownerBase, err = loadBase(ctx, o, o.OwnerProfile, region); err != nil {
		return nil, err
	}
	if region == "" {
		region = g.ownerBase.Region
	}
	if region == "" {
		return nil, usagef("--region", "pass --region, or the secret's full ARN, which names its region",
			"cannot tell the region of secret %q", in.secret.Arg)
	}
	g.region = region
	g.ownerBase.Region = region
	g.consumerBase = g.ownerBase
	if o.ConsumerProfile != o.OwnerProfile {
		if g.consumerBase, err = loadBase(ctx, o, o.ConsumerProfile, region); err != nil {
			return nil, err
		}
	}
	if err := checkBase(ctx, g.ownerBase, "owner"); err != nil {
		return nil, err
	}
	if o.ConsumerProfile != o.OwnerProfile {
		if err := checkBase(ctx, g.consumerBase, "consumer"); err != nil {
			return nil, err
		}
	}

	g.ownerAccount = in.secret.ARN.Account
	if g.ownerAccount == "" {
		g.ownerAccount = in.ownerRole.Account
	}
	g.owner = newSession(g.ownerBase, g.rec, sessionConfig{purpose: "owner", role: o.OwnerRole, account: g.ownerAccount,
		profile: o.OwnerProfile, externalID: o.ExternalID, sessionName: g.sessionName, allowed: allowRead})

	// A name or partial ARN is resolved first, with the owner's credentials: it resolves in the
	// caller's own account, which is why the owner account then comes from --owner-role or
	// --owner-profile (aws-semantics §3.1). The DescribeSecret answer is kept: it is the
	// secret's DescribeSecret, not a second call.
	g.secretARN = in.secret.ARN
	if in.secret.Partial {
		out, re := describe(ctx, g.owner, in.secret.Arg)
		if re != nil {
			return nil, g.resolveFailed(in.secret.Arg, re)
		}
		a, err := arn.Parse(aws.ToString(out.ARN))
		if err != nil {
			return nil, &ProbeError{Msg: fmt.Sprintf("DescribeSecret %q returned no usable ARN", in.secret.Arg), Err: err}
		}
		g.secretARN, g.described, g.resolved = a, out, a.String() != in.secret.Arg
		g.ownerAccount = a.Account
		g.owner.setAccount(a.Account)
	}

	// The consumer side shares the owner's session only when it is the same account read with
	// the same credentials: one client per account, no call made twice.
	if in.consumer.Account == g.ownerAccount && (o.ConsumerRole == "" && o.ConsumerProfile == "" ||
		o.ConsumerRole == o.OwnerRole && o.ConsumerProfile == o.OwnerProfile) {
		g.consumerSess = g.owner
	} else {
		g.consumerSess = newSession(g.consumerBase, g.rec, sessionConfig{purpose: "consumer", role: o.ConsumerRole,
			account: in.consumer.Account, profile: o.ConsumerProfile, externalID: o.ExternalID, sessionName: g.sessionName,
			allowed: allowRead})
	}

	// The key role gets its own session unless it is a role the probe already holds: each role
	// is assumed once.
	switch o.KeyRole {
	case "":
	case o.OwnerRole:
		g.key = g.owner
	case o.ConsumerRole:
		g.key = g.consumerSess
	default:
		g.key = newSession(g.ownerBase, g.rec, sessionConfig{purpose: "key", role: o.KeyRole, account: in.keyRole.Account,
			profile: o.OwnerProfile, externalID: o.ExternalID, sessionName: g.sessionName, allowed: allowRead})
	}

	// The organization reader starts from --org-profile, or from the owner side's base
	// credentials to assume --org-role.
	if o.OrgRole != "" || o.OrgProfile != "" {
		base := g.ownerBase
		if o.OrgProfile != "" && o.OrgProfile != o.OwnerProfile {
			if base, err = loadBase(ctx, o, o.OrgProfile, region); err != nil {
				return nil, err
			}
		}
		g.orgSess = newSession(base, g.rec, sessionConfig{purpose: "org", role: o.OrgRole, account: in.orgRole.Account,
			profile: o.OrgProfile, externalID: o.ExternalID, sessionName: g.sessionName, allowed: allowRead})
	}
	return g, nil
}

// run starts every reader at once; the dependent ones wait on the futures of what they need.
func (g *gatherer) run() {
	g.async(func(ctx context.Context) { g.secret.set(g.readSecret(ctx, g.described)) })
	g.async(func(ctx context.Context) { g.secretPolicy.set(g.readSecretPolicy(ctx, g.secretARN.String())) })
	g.async(func(ctx context.Context) { g.keyF.set(g.readKey(ctx)) })
	g.async(func(ctx context.Context) { g.replicaKeys.set(g.readReplicaKeys(ctx)) })
	g.orgOf(g.ownerAccount, g.owner)
	g.orgOf(g.consumer.Account, g.consumerSess)
	g.async(func(ctx context.Context) { g.roleF.set(g.readRole(ctx)) })
	g.async(func(ctx context.Context) { g.sims.set(g.simulate(ctx)) })
	if g.o.Live {
		g.async(func(ctx context.Context) { g.liveF.set(g.live(ctx)) })
	} else {
		g.liveF.set(nil)
	}
	if g.orgSess != nil {
		g.async(func(ctx context.Context) { g.orgF.set(g.readOrgTree(ctx, g.orgSess)) })
	} else {
		g.orgF.set(nil)
	}
	g.async(func(ctx context.Context) { g.endpointsF.set(g.readVPCEndpoints(ctx, g.consumerSess)) })
	g.wg.Wait()
}

// subject assembles the facts the two requests are built from (request.Build): the secret, the
// key's identity, the role and the organizations of the accounts involved. The simulation
// builds its requests from it as soon as those are read; finish builds the whole facts with the
// same function, so door evaluates the very requests the simulator was asked about.
func (g *gatherer) subject(sec xsdoctor.Secret, key xsdoctor.Key, role xsdoctor.Role) xsdoctor.Facts {
	f := xsdoctor.Facts{
		Now:      g.now.Format(time.RFC3339),
		Input:    xsdoctor.Input{SecretArg: g.o.Secret, SecretARN: sec.ARN, ConsumerArg: g.consumer.Arg, Region: g.region},
		Owner:    g.orgOf(g.ownerAccount, g.owner).get(),
		Consumer: g.orgOf(g.consumer.Account, g.consumerSess).get(),
		Secret:   sec,
		Key:      key,
		Role:     role,
	}
	// A "full" ARN whose name itself ends in -XXXXXX was a partial ARN after all (Secrets Manager
	// User Guide, "Troubleshoot": such a partial ARN is mistaken for a full one).
	f.Input.Resolved = g.resolved || sec.ARN != g.secretARN.String()
	if a := key.Account; a != "" && a != g.ownerAccount && a != g.consumer.Account {
		ko := g.orgOf(a, g.keySession(a)).get()
		f.KeyOwner = &ko
	}
	return f
}

// finish assembles the facts from every reader's value and sorts everything, so that the facts
// are deterministic (SPEC §3).
func (g *gatherer) finish() (xsdoctor.Facts, error) {
	sec := g.secret.get()
	pol := g.secretPolicy.get()
	sec.Policy, sec.PolicyErr = pol.text, pol.err
	kr := g.keyF.get()
	sec.KMSKeyARN = kr.configuredARN
	if keys := g.replicaKeys.get(); len(keys) == len(sec.Replicas) {
		sec.Replicas = slices.Clone(sec.Replicas)
		for i := range keys {
			sec.Replicas[i].Key = &keys[i]
		}
	}
	f := g.subject(sec, kr.key, g.roleF.get())
	sims := g.sims.get()
	f.Simulations, f.SimulationErr = sims.results, sims.err
	f.Live = g.liveF.get()
	// The simulator was asked before the organization reader finished (waiting would lengthen
	// the critical path), so its requests carry no org paths; door's carry them when read.
	f.Org, f.VPCEndpoints = g.orgF.get(), g.endpointsF.get()
	for _, s := range []*session{g.owner, g.consumerSess, g.key} {
		if s != nil && s.fail != nil && !slices.Contains(f.AssumeFailures, *s.fail) {
			f.AssumeFailures = append(f.AssumeFailures, *s.fail)
		}
	}
	calls, answered, _ := g.rec.result()
	f.Calls = calls
	if !answered {
		pe := &ProbeError{Msg: "could not probe AWS at all: no call got an answer",
			Hint: "check the network, the endpoint (AWS_ENDPOINT_URL) and --timeout"}
		if err := g.ctx.Err(); errors.Is(err, context.DeadlineExceeded) {
			pe.Msg = fmt.Sprintf("timed out after %s before any fact was read", g.o.timeout())
			pe.Err = err
		}
		return f, pe
	}
	return f, nil
}

func allowRead(call string) bool { return readOnly[call] }

// async runs fn in its own goroutine under the probe's context; Gather waits for all of them.
func (g *gatherer) async(fn func(ctx context.Context)) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		fn(g.ctx)
	}()
}

// resolveFailed turns a failed resolution of a name or partial ARN into the error Gather
// returns: a usage error when AWS answered (not found, denied, role not assumable), a probe
// error when it did not answer at all.
func (g *gatherer) resolveFailed(arg string, re *xsdoctor.ReadError) error {
	cause := fmt.Errorf("%s: %s", re.Call, re.Message)
	if re.Code != "" {
		cause = fmt.Errorf("%s: %s: %s", re.Call, re.Code, re.Message)
	}
	if re.Code == "" {
		if _, answered, _ := g.rec.result(); !answered {
			return &ProbeError{Msg: fmt.Sprintf("could not resolve secret %q: AWS did not answer", arg), Err: cause,
				Hint: "check the network, the endpoint (AWS_ENDPOINT_URL) and --timeout"}
		}
	}
	return &UsageError{Arg: "SECRET", Msg: fmt.Sprintf("cannot resolve %q to a full secret ARN in the owner account", arg), Err: cause,
		Hint: "pass the secret's full ARN (cross-account readers must use it anyway), or the --owner-role/--owner-profile of the account that holds the secret, and --region"}
}
