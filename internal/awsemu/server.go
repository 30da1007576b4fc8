package awsemu

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// service is an AWS service the emulator answers for, named by its IAM service prefix.
type service string

const (
	svcSecrets service = "secretsmanager"
	svcKMS     service = "kms"
	svcOrgs    service = "organizations"
	svcIAM     service = "iam"
	svcSTS     service = "sts"
	svcEC2     service = "ec2"
)

// query reports whether the service takes form-encoded requests (awsQuery: IAM, STS; and EC2's
// own query protocol) rather than awsJson1_1.
func (s service) query() bool { return s == svcIAM || s == svcSTS || s == svcEC2 }

// DefaultPageSize is the largest page a list call returns unless Options say otherwise: small
// enough that every client must follow the pagination markers.
const DefaultPageSize = 2

// Options tune an emulator. The zero value is ready to use.
type Options struct {
	// Logger receives a line for every unknown operation and, with Debug, one line per call
	// (operation, caller, status, error code, request id; never a credential or secret value).
	// Nil discards.
	Logger io.Writer
	Debug  bool
	// PageSize caps every page of every list call (DefaultPageSize when 0).
	PageSize int
	// Now is the clock (time.Now when nil): credential expiry and AssumeRole's Expiration.
	Now func() time.Time
	// RawPolicyVersionDocuments makes GetPolicyVersion return its Document as raw JSON instead
	// of URL-encoded, as moto does (wire.md), so clients are tested against both encodings.
	RawPolicyVersionDocuments bool
	// Record, when set, is called once per request after it was answered, with when it started
	// and ended: tests read from it how a client spreads its calls over time (how many rounds
	// of dependent calls it needs, whether it asks the same question twice). It may be called
	// from many goroutines at once.
	Record func(Recorded)
}

// Recorded is one request as the emulator answered it (Options.Record).
type Recorded struct {
	Service   string // e.g. "kms", "secretsmanager", "iam", "sts", "organizations"
	Operation string // e.g. "GetKeyPolicy"
	Caller    string // the caller's ARN; empty when the request could not be attributed
	Request   string // the request body: the operation's parameters (credentials are in headers)
	Start     time.Time
	End       time.Time
	Status    int
	ErrorCode string
}

// server is the emulator's http.Handler.
type server struct {
	sc   *Scenario
	opts Options
	seq  atomic.Uint64

	mu       sync.Mutex
	sessions map[string]*session // issued credentials, by access key id
	fired    []int               // per fault: how many calls it has failed so far
	logMu    sync.Mutex

	operatorOnce func() *principal
}

// New returns an http.Handler that answers as AWS would for the state s describes (wire.md;
// aws-semantics §7). s must not be modified afterwards.
func New(s *Scenario, opts Options) http.Handler {
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	srv := &server{sc: s, opts: opts, sessions: map[string]*session{}, fired: make([]int, len(s.Faults))}
	srv.operatorOnce = sync.OnceValue(srv.newOperator)
	return srv
}

// call is one request being answered.
type call struct {
	ctx       context.Context
	svc       service
	op        string
	caller    *principal
	region    string // the region the request was signed for
	now       time.Time
	requestID string
	// signedWith is the access key id the request was signed with ("" when unsigned).
	signedWith string
	sourceIP   string
	userAgent  string
	body       []byte // the request body once read (for Options.Record)
}

// authzCaller is the caller as the policy engine sees it, with what the request itself tells:
// the source address and the user agent (aws:SourceIp, aws:UserAgent).
func (c *call) authzCaller() Caller {
	ctx := map[string][]string{}
	if c.sourceIP != "" {
		ctx["aws:SourceIp"] = []string{c.sourceIP}
	}
	if c.userAgent != "" {
		ctx["aws:UserAgent"] = []string{c.userAgent}
	}
	return Caller{ARN: c.caller.ARN, Account: c.caller.Account, Role: c.caller.Role, Context: ctx}
}

// name is the call's IAM action name, as denied_calls and faults spell it.
func (c *call) name() string { return string(c.svc) + ":" + c.op }

type (
	jsonHandler  func(*server, *call, []byte) (any, *apiError)
	queryHandler func(*server, *call, form) (any, *apiError)
)

// jsonOps and queryOps are every operation the emulator answers, by IAM action name.
var (
	jsonOps = map[string]jsonHandler{
		"secretsmanager:DescribeSecret":       (*server).describeSecret,
		"secretsmanager:GetResourcePolicy":    (*server).getResourcePolicy,
		"secretsmanager:GetSecretValue":       (*server).getSecretValue,
		"secretsmanager:ListSecretVersionIds": (*server).listSecretVersionIDs,
		"kms:DescribeKey":                     (*server).describeKey,
		"kms:GetKeyPolicy":                    (*server).getKeyPolicy,
		"kms:ListGrants":                      (*server).listGrants,
		"kms:ListAliases":                     (*server).listAliases,
		"kms:ListResourceTags":                (*server).listResourceTags,
		"organizations:DescribeOrganization":  (*server).describeOrganization,
		"organizations:ListRoots":             (*server).listRoots,
		"organizations:ListParents":           (*server).listParents,
		"organizations:ListPoliciesForTarget": (*server).listPoliciesForTarget,
		"organizations:DescribePolicy":        (*server).describePolicy,
	}
	queryOps = map[string]queryHandler{
		"sts:GetCallerIdentity":        (*server).getCallerIdentity,
		"sts:AssumeRole":               (*server).assumeRole,
		"iam:GetRole":                  (*server).getRole,
		"iam:ListRolePolicies":         (*server).listRolePolicies,
		"iam:GetRolePolicy":            (*server).getRolePolicy,
		"iam:ListAttachedRolePolicies": (*server).listAttachedRolePolicies,
		"iam:GetPolicy":                (*server).getPolicy,
		"iam:GetPolicyVersion":         (*server).getPolicyVersion,
		"iam:SimulatePrincipalPolicy":  (*server).simulatePrincipalPolicy,
		"ec2:DescribeVpcEndpoints":     (*server).describeVpcEndpoints,
	}
)

// maxBody bounds a request body; AWS's own limits for these calls are far lower.
const maxBody = 1 << 20

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := &call{ctx: r.Context(), now: s.opts.Now(), requestID: s.requestID(), userAgent: r.UserAgent()}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		c.sourceIP = host
	}
	// Every response, errors included, carries the request id: the SDKs read it from this
	// header only, never from the XML body (wire.md, "Request IDs").
	w.Header().Set("x-amzn-RequestId", c.requestID)
	defer func() {
		// A bug in an operation must still answer in AWS's error shape, never with a dropped
		// connection the SDK would retry or an HTML page.
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p) // a deliberate reset (faults): the server drops the connection
			}
			s.logf("awsemu: %s panicked (request %s): %v", c.name(), c.requestID, p)
			s.fail(w, c, errorf("InternalFailure", "The request processing has failed because of an unknown error, exception or failure."))
		}
	}()
	status, code := s.serve(w, r, c)
	if s.opts.Record != nil {
		rec := Recorded{Service: string(c.svc), Operation: c.op, Request: string(c.body), Start: start, End: time.Now(), Status: status, ErrorCode: code}
		if c.caller != nil {
			rec.Caller = c.caller.ARN
		}
		s.opts.Record(rec)
	}
	if s.opts.Debug {
		caller := "-"
		if c.caller != nil {
			caller = c.caller.ARN
		}
		s.logf("awsemu: %s caller=%s region=%s status=%d error=%s request=%s ms=%d",
			c.name(), caller, c.region, status, code, c.requestID, time.Since(start).Milliseconds())
	}
}

// serve answers the request and returns the status and error code it answered with.
func (s *server) serve(w http.ResponseWriter, r *http.Request, c *call) (int, string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		e := errorf("SerializationException", "could not read the request body: %v", err)
		return s.fail(w, c, e)
	}
	c.body = body

	var params form
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, op, _ := strings.Cut(target, ".")
		svc, ok := jsonTargets[prefix]
		c.svc, c.op = svc, op
		if !ok || jsonOps[c.name()] == nil {
			if !ok {
				c.svc = svcSecrets // any JSON service: the error shape is the same
			}
			s.logf("awsemu: unknown operation X-Amz-Target=%q (request %s); answered UnknownOperationException", target, c.requestID)
			return s.fail(w, c, &apiError{Status: http.StatusBadRequest, Code: "UnknownOperationException", Message: "The operation " + target + " is not supported by this emulator."})
		}
	} else {
		vals, perr := url.ParseQuery(string(body))
		if perr != nil {
			c.svc = svcIAM
			return s.fail(w, c, errorf("MalformedQueryString", "the request body is not form-encoded: %v", perr))
		}
		for k, v := range r.URL.Query() { // awsQuery also accepts GET with a query string
			if _, dup := vals[k]; !dup {
				vals[k] = v
			}
		}
		params = form(vals)
		if !s.routeQuery(c, params, r) {
			action, version := params.get("Action"), params.get("Version")
			s.logf("awsemu: unknown operation Action=%q Version=%q (request %s); answered InvalidAction", action, version, c.requestID)
			if action == "" {
				return s.fail(w, c, &apiError{Status: http.StatusBadRequest, Code: "MissingAction", Message: "Missing Action"})
			}
			return s.fail(w, c, &apiError{Status: http.StatusBadRequest, Code: "InvalidAction",
				Message: fmt.Sprintf("Could not find operation %s for version %s", action, version)})
		}
	}

	if e := s.identify(c, r, body); e != nil {
		return s.fail(w, c, e)
	}
	if e := s.applyFaults(c); e != nil {
		if e.Code == FaultConnectionReset {
			resetConnection(w)
			return 0, e.Code
		}
		return s.fail(w, c, e)
	}
	// sts:GetCallerIdentity needs no permission and works even under an explicit deny (STS API
	// reference: GetCallerIdentity), so denied_calls cannot refuse it.
	if c.name() != "sts:GetCallerIdentity" && c.caller.Role.CallDenied(c.name()) {
		return s.fail(w, c, accessDenied(c.svc, c.caller, c.name(), s.deniedResource(c, body, params),
			"with an explicit deny in an identity-based policy"))
	}

	if c.svc.query() {
		result, e := queryOps[c.name()](s, c, params)
		if e != nil {
			return s.fail(w, c, e)
		}
		if c.svc == svcEC2 {
			writeEC2(w, c.op, c.requestID, result.(ec2Result))
		} else {
			writeQuery(w, c.svc, c.op, c.requestID, result)
		}
		return http.StatusOK, ""
	}
	result, e := jsonOps[c.name()](s, c, body)
	if e != nil {
		return s.fail(w, c, e)
	}
	writeJSON(w, result)
	return http.StatusOK, ""
}

// routeQuery picks the service and operation of an awsQuery request. Version selects the
// service as the endpoint host would on AWS; without one, the SigV4 scope's service does.
func (s *server) routeQuery(c *call, params form, r *http.Request) bool {
	action := params.get("Action")
	c.op = action
	svc, ok := queryVersions[params.get("Version")]
	if !ok {
		if scope := parseCredential(r).service; scope == "iam" || scope == "sts" {
			svc, ok = service(scope), true
		}
	}
	if !ok {
		c.svc = svcIAM
		return false
	}
	c.svc = svc
	return action != "" && queryOps[c.name()] != nil
}

// fail writes e in the error shape of the service that was called.
func (s *server) fail(w http.ResponseWriter, c *call, e *apiError) (int, string) {
	if c.svc == svcEC2 {
		writeEC2Error(w, c.requestID, e)
		return ec2Status(ec2Code(e.Code), e.Status), ec2Code(e.Code)
	}
	if c.svc.query() {
		writeQueryError(w, c.svc, c.requestID, e)
	} else {
		writeJSONError(w, c.svc, e)
	}
	return e.Status, e.Code
}

// requestID returns a fresh request id in AWS's UUID shape, derived from a counter so that runs
// are reproducible.
func (s *server) requestID() string {
	n := s.seq.Add(1)
	b := sha256.Sum256([]byte("request\x00" + strconv.FormatUint(n, 10)))
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (s *server) logf(format string, args ...any) {
	if s.opts.Logger == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.opts.Logger, format+"\n", args...)
}

// sleep waits d or until the request is abandoned.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return errors.Join(ctx.Err(), context.Cause(ctx))
	}
}

// deniedResource names the resource an access-denied message cites: the ARN the request names,
// resolved as the operation would resolve it, or "*" when it names none.
func (s *server) deniedResource(c *call, body []byte, params form) string {
	if c.svc.query() {
		switch {
		case params.get("RoleName") != "":
			if r, err := s.sc.Role(c.caller.Account, params.get("RoleName")); err == nil {
				return r.ARN
			}
			return "arn:aws:iam::" + c.caller.Account + ":role/" + params.get("RoleName")
		case params.get("PolicyArn") != "":
			return params.get("PolicyArn")
		case params.get("PolicySourceArn") != "":
			return params.get("PolicySourceArn")
		case params.get("RoleArn") != "":
			return params.get("RoleArn")
		}
		return "*"
	}
	var in struct {
		SecretID *string `json:"SecretId"`
		KeyID    *string `json:"KeyId"`
	}
	if decodeJSON(body, &in) != nil {
		return "*"
	}
	switch {
	case in.SecretID != nil:
		if sec, err := s.sc.Secret(*in.SecretID, c.caller.Account, c.region); err == nil {
			return sec.ARN
		}
		return *in.SecretID
	case in.KeyID != nil:
		if k, err := s.sc.Key(*in.KeyID, c.caller.Account, c.region); err == nil {
			return k.ARN
		}
		return *in.KeyID
	}
	if c.svc == svcOrgs {
		return "arn:aws:organizations::" + c.caller.Account + ":organization/*"
	}
	return "*"
}
