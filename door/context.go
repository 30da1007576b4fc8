package door

import (
	"fmt"
	"strings"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/arn"
	"github.com/xsdoctor/xsdoctor/policy"
	"github.com/xsdoctor/xsdoctor/request"
)

// check holds one Check run: the facts, the two requests Secrets Manager really makes, and the
// parsed policies with the names evidence refers to them by.
type check struct {
	f         xsdoctor.Facts
	secretARN string
	region    string
	owner     string // the secret's account
	consumer  string // the consumer principal's account
	keyARN    string
	keyAcct   string
	partition string // aws, aws-cn, aws-us-gov: from the secret ARN
	roleARN   string // with path
	// roleGuessed is true when the role ARN was derived from a session ARN because GetRole
	// could not be read: the path is then missing (IAM User Guide, "IAM identifiers").
	roleGuessed bool
	ids         consumerIDs

	// unread are the context keys left unknown by reads that failed (request.Unread).
	unread []request.UnreadKey

	getSecret policy.Request // the consumer's secretsmanager:GetSecretValue
	decrypt   policy.Request // the kms:Decrypt Secrets Manager makes for it

	// sources maps a policy name (policy.Named.Name, or a grant id) to a human description used
	// as Evidence.Source.
	sources map[string]string
	// parsed holds each policy document parsed once, by the name evidence uses for it: the
	// evaluation and the explanations read the same parse.
	parsed map[string]parsedPolicy
}

type parsedPolicy struct {
	doc *policy.Document
	err error
}

// Names of the policies the engine sees, as they appear in evidence.
const (
	keyPolicyName    = "default" // GetKeyPolicy's only policy name (KMS API reference)
	secretPolicyName = "resource policy"
	assumedIdentity  = "(assumed) consumer identity allows"
	assumedResource  = "(assumed) resource side allows"
)

// Stand-in policies that let one side be judged on its own: the key and secret doors assume the
// consumer's identity side allows, the consumer-iam door assumes the resource side allows. The
// cross-account rule then reduces the final decision to the side under test (IAM User Guide,
// "Cross-account policy evaluation logic").
var (
	allowAllIdentity = mustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	allowAllResource = mustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`)
)

func mustParse(text string) *policy.Document {
	d, err := policy.Parse(text)
	if err != nil {
		panic(fmt.Sprintf("door: built-in policy does not parse: %v", err))
	}
	return d
}

// newCheck reads the subject the probe normalised into the facts, and builds the two requests
// with request.Build, the same builder whose known keys the probe gave the simulator.
func newCheck(f xsdoctor.Facts) *check {
	c := &check{f: f, sources: map[string]string{}, parsed: map[string]parsedPolicy{}}
	c.secretARN, c.region, c.partition, c.owner = f.Secret.ARN, f.Secret.Region, f.Secret.Partition, f.Secret.Account
	if c.partition == "" {
		// Facts saved before the probe recorded the partition (same schema_version) still replay.
		a, _ := arn.Split(c.secretARN)
		c.partition = a.Partition
	}
	c.keyARN = f.Key.ARN
	c.keyAcct = first(f.Key.Account, c.owner)
	c.roleARN, c.roleGuessed = f.Role.ARN, f.Role.PathInferred
	c.consumer = f.Consumer.ID
	session := ""
	if a, ok := arn.Split(f.Input.ConsumerArg); ok && a.IsAssumedRole() {
		session = f.Input.ConsumerArg
	}
	c.ids = consumerIDs{Partition: c.partition, Account: c.consumer, RoleARN: c.roleARN, SessionARN: session, RoleID: f.Role.ID}
	c.getSecret, c.decrypt = request.Build(f)
	c.unread = request.Unread(f)
	return c
}

// sameAccount is true when the consumer is in the account of resource acct: then a resource
// policy (or a key policy naming the principal) can allow on its own, and the identity side need
// not (IAM User Guide, "Policy evaluation logic"; KMS Developer Guide, "Key policies").
func (c *check) sameAccount(acct string) bool { return c.consumer != "" && c.consumer == acct }

// keyPolicy parses the key policy; ok false with a reason when it is unread or unparsable.
func (c *check) keyPolicy() (*policy.Named, string) {
	k := c.f.Key
	if k.PolicyErr != nil {
		return nil, readErrText(k.PolicyErr)
	}
	if k.Policy == "" {
		return nil, "the key policy was not read"
	}
	doc, err := c.parse(keyPolicyName, k.Policy, policy.MaxKeyPolicyBytes)
	if err != nil {
		return nil, fmt.Sprintf("the key policy does not parse: %v", err)
	}
	c.sources[keyPolicyName] = "key policy of " + c.keyARN
	return &policy.Named{Name: keyPolicyName, Doc: doc}, ""
}

// secretPolicy parses the secret's resource policy. A nil policy with an empty reason means the
// secret has none.
func (c *check) secretPolicy() (*policy.Named, string) {
	s := c.f.Secret
	if s.PolicyErr != nil {
		return nil, readErrText(s.PolicyErr)
	}
	if strings.TrimSpace(s.Policy) == "" || strings.TrimSpace(s.Policy) == "null" {
		return nil, ""
	}
	doc, err := c.parse(secretPolicyName, s.Policy, policy.MaxSecretPolicyBytes)
	if err != nil {
		return nil, fmt.Sprintf("the resource policy does not parse: %v", err)
	}
	c.sources[secretPolicyName] = "resource policy of " + c.secretARN
	return &policy.Named{Name: secretPolicyName, Doc: doc}, ""
}

// grants converts the key's grants for the engine.
func (c *check) grants() []policy.Grant {
	out := make([]policy.Grant, 0, len(c.f.Key.Grants))
	for _, g := range c.f.Key.Grants {
		out = append(out, policy.Grant{
			ID: g.ID, Name: g.Name, GranteePrincipal: g.GranteePrincipal, Operations: g.Operations,
			EncryptionContextSubset: g.EncryptionContextSubset, EncryptionContextEquals: g.EncryptionContextEquals,
		})
		c.sources[g.ID] = "grant " + g.ID + " on " + c.keyARN
	}
	return out
}

// identity parses the role's identity policies and boundary. Policies that do not parse are
// returned as problems: the identity side is then incomplete.
func (c *check) identity() (ids []policy.Named, boundary *policy.Named, problems []string) {
	for _, p := range c.f.Role.Policies {
		name := policyName(p)
		doc, err := c.parse(name, p.Document, 0)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s does not parse: %v", name, err))
			continue
		}
		ids = append(ids, policy.Named{Name: name, Doc: doc})
		c.sources[name] = fmt.Sprintf("%s policy %s of %s", p.Kind, name, c.roleARN)
	}
	if b := c.f.Role.Boundary; b != nil {
		name := policyName(*b)
		doc, err := c.parse(name, b.Document, 0)
		if err != nil {
			problems = append(problems, fmt.Sprintf("permissions boundary %s does not parse: %v", name, err))
		} else {
			boundary = &policy.Named{Name: name, Doc: doc}
			c.sources[name] = fmt.Sprintf("permissions boundary %s of %s", name, c.roleARN)
		}
	}
	return ids, boundary, problems
}

func policyName(p xsdoctor.Policy) string {
	if p.ARN != "" {
		return p.ARN
	}
	return p.Name
}

// parse parses a policy once per Check, by the name evidence refers to it by.
func (c *check) parse(name, text string, limit int) (*policy.Document, error) {
	if p, ok := c.parsed[name]; ok {
		return p.doc, p.err
	}
	doc, err := policy.ParseLimit(text, limit)
	c.parsed[name] = parsedPolicy{doc, err}
	return doc, err
}

// statements returns the statements of the policy evidence calls name, from the parse the
// evaluation used; nil when it was not parsed or did not parse.
func (c *check) statements(name string) []rawStatement {
	return rawStatements(c.parsed[name].doc)
}

func readErrText(e *xsdoctor.ReadError) string {
	s := e.Call
	if e.Account != "" {
		s += " in " + e.Account
	}
	if e.Code != "" {
		s += " failed with " + e.Code
	} else {
		s += " failed"
	}
	if e.Action != "" {
		s += " (the inspector needs " + e.Action + ")"
	}
	return s
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
