package probe

import (
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/policy"
	"github.com/xsdoctor/xsdoctor/request"
)

// simulationRead is what the simulator answered, or why it could not be asked.
type simulationRead struct {
	results []xsdoctor.Simulation
	err     *xsdoctor.ReadError
}

// simulate runs iam:SimulatePrincipalPolicy for the consumer role, once per action because
// context entries apply to every action in a call (aws-semantics §4.4): GetSecretValue on the
// secret ARN, and kms:Decrypt on the key ARN. Both requests come from request.Build on the facts
// read so far, and the ContextEntries are exactly their known keys, so the simulator is asked
// the question door evaluates (SPEC §3). Unknown context keys are left out, and the simulator
// lists them in MissingContextValues. The simulator sees identity policies, the boundary and
// SCPs only: it is the cross-check for door 3, never for doors 1–2.
func (g *gatherer) simulate(ctx context.Context) simulationRead {
	s := g.consumerSess
	if re := s.ready(ctx); re != nil {
		return simulationRead{err: cause(re)}
	}
	role := g.roleID.get()
	getSecret, decrypt := request.Build(g.subject(g.secret.get(), g.keyF.get().key, role))
	reqs := []policy.Request{getSecret}
	if decrypt.Resource != "" {
		reqs = append(reqs, decrypt)
	}
	reads := make([]simulationRead, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reads[i] = g.simulateOne(ctx, s, role.ARN, req)
		}()
	}
	wg.Wait()
	var out simulationRead
	for _, r := range reads {
		out.results = append(out.results, r.results...)
		if out.err == nil {
			out.err = r.err
		}
	}
	return out
}

func (g *gatherer) simulateOne(ctx context.Context, s *session, roleARN string, req policy.Request) simulationRead {
	in := &iam.SimulatePrincipalPolicyInput{
		// A role ARN with its path: an assumed-role session ARN is rejected with InvalidInput
		// (aws-semantics §4.1).
		PolicySourceArn: aws.String(roleARN),
		ActionNames:     []string{req.Action},
		ResourceArns:    []string{req.Resource},
		ContextEntries:  contextEntries(req.Context),
	}
	pg := iam.NewSimulatePrincipalPolicyPaginator(s.iam, in)
	var sims []xsdoctor.Simulation
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			// moto answers with an HTML 500 (a deserialization error, no code); AWS may deny
			// iam:SimulatePrincipalPolicy. Either way local evaluation stays in charge.
			return simulationRead{err: readError("iam:SimulatePrincipalPolicy", s.accountID(), err)}
		}
		for _, r := range page.EvaluationResults {
			sims = append(sims, simulation(r))
		}
	}
	return simulationRead{results: sims}
}

// simulation converts one EvaluationResult. The organization and boundary details, the matched
// statements and the missing context are taken from the top level, or from the resource's own
// result when the top level leaves them out (IAM API reference, EvaluationResult:
// "For per-resource details, see ResourceSpecificResults").
func simulation(r iamtypes.EvaluationResult) xsdoctor.Simulation {
	s := xsdoctor.Simulation{
		Action:         aws.ToString(r.EvalActionName),
		Resource:       aws.ToString(r.EvalResourceName),
		Decision:       string(r.EvalDecision),
		MissingContext: append([]string(nil), r.MissingContextValues...),
	}
	matched := r.MatchedStatements
	boundary := r.PermissionsBoundaryDecisionDetail
	for _, rr := range r.ResourceSpecificResults {
		if len(matched) == 0 {
			matched = rr.MatchedStatements
		}
		if len(s.MissingContext) == 0 {
			s.MissingContext = append(s.MissingContext, rr.MissingContextValues...)
		}
		if boundary == nil {
			boundary = rr.PermissionsBoundaryDecisionDetail
		}
		if s.Resource == "" || s.Resource == "*" {
			s.Resource = aws.ToString(rr.EvalResourceName)
		}
	}
	if o := r.OrganizationsDecisionDetail; o != nil {
		s.AllowedByOrganizations = aws.Bool(o.AllowedByOrganizations)
	}
	if boundary != nil {
		s.AllowedByBoundary = aws.Bool(boundary.AllowedByPermissionsBoundary)
	}
	for _, m := range matched {
		s.Matched = append(s.Matched, xsdoctor.SimulationStatement{
			SourcePolicyID:   aws.ToString(m.SourcePolicyId),
			SourcePolicyType: string(m.SourcePolicyType),
		})
	}
	sort.Strings(s.MissingContext)
	return s
}

// contextEntries converts a request context to SimulatePrincipalPolicy ContextEntries, each with
// the type IAM documents for the key (IAM User Guide, "AWS global condition context keys";
// Service Authorization Reference for kms:): a multivalued key is a list type.
func contextEntries(ctx map[string][]string) []iamtypes.ContextEntry {
	keys := make([]string, 0, len(ctx))
	for k := range ctx {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]iamtypes.ContextEntry, 0, len(keys))
	for _, k := range keys {
		vals := ctx[k]
		out = append(out, iamtypes.ContextEntry{
			ContextKeyName:   aws.String(k),
			ContextKeyValues: append([]string(nil), vals...),
			ContextKeyType:   contextKeyType(k, len(vals)),
		})
	}
	return out
}

// listKeys are multivalued whatever the number of values (ArrayOfString in the references).
var listKeys = map[string]bool{
	"kms:encryptioncontextkeys":     true,
	"aws:tagkeys":                   true,
	"aws:principalorgpaths":         true,
	"aws:resourceorgpaths":          true,
	"aws:calledvia":                 true,
	"aws:principalservicenameslist": true,
}

func contextKeyType(key string, n int) iamtypes.ContextKeyTypeEnum {
	k := strings.ToLower(key)
	var t iamtypes.ContextKeyTypeEnum
	switch k {
	case "aws:securetransport", "aws:viaawsservice", "aws:multifactorauthpresent", "aws:principalisawsservice":
		t = iamtypes.ContextKeyTypeEnumBoolean
	case "aws:epochtime", "aws:multifactorauthage":
		t = iamtypes.ContextKeyTypeEnumNumeric
	case "aws:currenttime", "aws:tokenissuetime":
		t = iamtypes.ContextKeyTypeEnumDate
	case "aws:sourceip", "aws:vpcsourceip":
		t = iamtypes.ContextKeyTypeEnumIp
	default:
		t = iamtypes.ContextKeyTypeEnumString
	}
	if n > 1 || listKeys[k] {
		return t + "List"
	}
	return t
}
