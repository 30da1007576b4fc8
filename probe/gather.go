package probe

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/xsdoctor/xsdoctor"
)

// gatherer is one run of Gather: the parsed input, the sessions, the futures that chain the
// dependent reads, and the facts being filled. Each goroutine writes its own part of f; what
// several write (policies, simulations, memo tables) is guarded by mu.
type gatherer struct {
	o           Options
	ctx         context.Context
	rec         *recorder
	now         time.Time
	sessionName string

	secretARN    arn // the full secret ARN (resolved when the input was not one)
	resolved     bool
	described    *secretsmanager.DescribeSecretOutput // DescribeSecret, when resolution made it
	consumer     principalInput
	ownerAccount string
	region       string

	ownerBase, consumerBase  aws.Config
	owner, consumerSess, key *session

	secretF *future[secretResult]
	keyF    *future[keyResult]
	roleF   *future[roleResult]

	wg         sync.WaitGroup
	mu         sync.Mutex
	f          xsdoctor.Facts
	managed    map[string]*future[managedResult]
	orgs       map[string]*future[xsdoctor.Account]
	idents     map[string]*future[identity]
	keyAcct    string
	liveResult *xsdoctor.Live
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
	return in, nil
}

// prepare loads each side's configuration, checks there are base credentials, builds the
// sessions, and resolves a secret name or partial ARN to the full ARN.
func prepare(ctx context.Context, o Options, in inputs) (*gatherer, error) {
	g := &gatherer{
		o: o, ctx: ctx, rec: &recorder{log: o.Log}, now: o.now().UTC(), sessionName: o.sessionName(),
		consumer: in.consumer,
		secretF:  newFuture[secretResult](), keyF: newFuture[keyResult](), roleF: newFuture[roleResult](),
		managed: map[string]*future[managedResult]{}, orgs: map[string]*future[xsdoctor.Account]{},
		idents: map[string]*future[identity]{},
	}

	// Region: the secret ARN's, unless --region says otherwise; for a name, --region or the
	// owner side's configured region (a name resolves in the caller's region).
	region := o.Region
	if region == "" && in.secret.IsARN {
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
		a, ok := parseARN(aws.ToString(out.ARN))
		if !ok {
			return nil, &ProbeError{Msg: fmt.Sprintf("DescribeSecret %q returned no ARN", in.secret.Arg)}
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
	return g, nil
}

// run starts every read at once; the dependent ones wait on the futures of what they need.
func (g *gatherer) run() {
	f, c := &g.f, g.consumer
	f.Now = g.now.Format(time.RFC3339)
	f.Input = xsdoctor.Input{SecretArg: g.o.Secret, SecretARN: g.secretARN.String(), Resolved: g.resolved,
		ConsumerArg: c.Arg, Region: g.region}
	f.Secret.ARN, f.Secret.Account, f.Secret.Region = g.secretARN.String(), g.secretARN.Account, g.secretARN.Region
	f.Role.ARN, f.Role.Name, f.Role.Session = c.RoleARN, c.RoleName, c.Session
	if c.Session == "" {
		f.Role.Path = c.RolePath
	}

	secretARN := g.secretARN.String()
	g.async(func(ctx context.Context) { g.readSecret(ctx, g.described) })
	g.async(func(ctx context.Context) { g.readSecretPolicy(ctx, secretARN) })
	g.async(g.readKey)
	g.orgOf(g.ownerAccount, g.owner)
	g.orgOf(c.Account, g.consumerSess)
	g.async(g.readRole)
	g.async(g.simulate)
	if g.o.Live {
		g.async(func(ctx context.Context) { g.liveResult = g.live(ctx, secretARN) })
	}
	g.wg.Wait()
}

// finish assembles what the reads left in the memo tables and sorts everything, so that the
// facts are deterministic (SPEC §3).
func (g *gatherer) finish() (xsdoctor.Facts, error) {
	f := &g.f
	f.Owner = g.orgs[g.ownerAccount].get()
	f.Consumer = g.orgs[g.consumer.Account].get()
	if g.keyAcct != "" {
		ko := g.orgs[g.keyAcct].get()
		f.KeyOwner = &ko
	}
	f.Live = g.liveResult
	for _, s := range []*session{g.owner, g.consumerSess, g.key} {
		if s != nil && s.fail != nil {
			f.AssumeFailures = appendFailure(f.AssumeFailures, *s.fail)
		}
	}
	sortPolicies(f.Role.Policies)
	sort.SliceStable(f.Role.PolicyErrs, func(i, j int) bool {
		a, b := f.Role.PolicyErrs[i], f.Role.PolicyErrs[j]
		if a.Call != b.Call {
			return a.Call < b.Call
		}
		return a.Message < b.Message
	})
	sort.SliceStable(f.Simulations, func(i, j int) bool {
		a, b := f.Simulations[i], f.Simulations[j]
		if a.Action != b.Action {
			return a.Action > b.Action // secretsmanager:GetSecretValue before kms:Decrypt
		}
		return a.Resource < b.Resource
	})
	calls, answered, _ := g.rec.result()
	f.Calls = calls
	timedOut := errors.Is(g.ctx.Err(), context.DeadlineExceeded)
	if timedOut {
		f.TimeoutMS = g.o.timeout().Milliseconds()
	}
	// SPEC §3, §5: a run in which the timeout or the endpoint failing left no fact read (an
	// AssumeRole that succeeded reads no fact) could not probe at all: exit 4, whatever else
	// answered. A run whose reads were all denied has answers, and goes on to the report.
	if !g.rec.factRead() && (timedOut || !answered || g.rec.unanswered() > 0) {
		return *f, g.noFactError(timedOut)
	}
	return *f, nil
}

// noFactError is the ProbeError of a run that read no fact: it names what the timeout cut and
// how long it waited, or the calls the endpoint never answered.
func (g *gatherer) noFactError(timedOut bool) *ProbeError {
	cut := g.rec.failedWithoutAnswer()
	// An AssumeRole the timeout cut may not be in the calls: the credentials cache stops waiting
	// when the context ends, and the call itself finishes (and is recorded) later.
	for _, s := range []*session{g.owner, g.consumerSess, g.key} {
		if s != nil && s.err != nil && s.err.Call == "sts:AssumeRole" && s.err.Class != "" &&
			(s.err.Class == xsdoctor.FailureTimeout || s.err.Class == xsdoctor.FailureUnreachable) {
			name := "sts:AssumeRole of " + s.role
			if !slices.Contains(cut, name) {
				cut = append(cut, name)
			}
		}
	}
	if timedOut {
		msg := fmt.Sprintf("timed out after %s before any fact was read", g.o.timeout())
		if len(cut) > 0 {
			msg += "; the timeout cut " + strings.Join(cut, ", ")
		}
		return &ProbeError{Msg: msg, Err: g.ctx.Err(),
			Hint: "run again with a longer --timeout (default 60s); a timeout is not a missing permission"}
	}
	msg := "could not probe AWS at all: the endpoint did not answer"
	if len(cut) > 0 {
		msg += " " + strings.Join(cut, ", ")
	}
	return &ProbeError{Msg: msg, Hint: "check the network, any proxy, and the endpoint (AWS_ENDPOINT_URL)"}
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

func appendFailure(list []xsdoctor.AssumeFailure, a xsdoctor.AssumeFailure) []xsdoctor.AssumeFailure {
	for _, x := range list {
		if x == a {
			return list
		}
	}
	return append(list, a)
}
