package probe

import (
	"context"
	"errors"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"

	"github.com/xsdoctor/xsdoctor"
)

// CodeNoCredentials is the code of a read the probe could not attempt because it holds no
// credentials in the account the read must be made from (GetKeyPolicy, DescribeOrganization and
// ListAliases only answer about the caller's own account).
const CodeNoCredentials = "NoCredentialsForAccount"

// session is one side's credentials and the clients built on them: one set of clients per
// account, so each role is assumed once (aws.NewCredentialsCache) and every call carries the
// allowlist and the call recorder.
type session struct {
	purpose string // "owner", "consumer", "key", "org", "live"
	role    string // the role assumed; "" for the side's base credentials
	profile string // the shared-config profile of the base credentials ("" for the default chain)

	mu      sync.Mutex
	account string // the account the session's calls are made in ("" until known)

	cfg  aws.Config
	sm   *secretsmanager.Client
	kms  *kms.Client
	iam  *iam.Client
	org  *organizations.Client
	ec2  *ec2.Client
	sts  *sts.Client
	once sync.Once
	err  *xsdoctor.ReadError     // the credentials could not be obtained
	fail *xsdoctor.AssumeFailure // the role could not be assumed
}

func (s *session) accountID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.account
}

func (s *session) setAccount(a string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.account = a
}

// sessionConfig is what newSession needs besides the base configuration.
type sessionConfig struct {
	purpose, role, account, profile, externalID, sessionName string
	allowed                                                  func(string) bool
}

// newSession builds the clients for one side. With a role, credentials come from
// stscreds.NewAssumeRoleProvider on the base credentials, wrapped in aws.NewCredentialsCache so
// the role is assumed once however many calls run concurrently (aws-sdk-go-v2 developer guide,
// "Configure the SDK: Assume a role"). Nothing is called here: the first call assumes the role.
func newSession(base aws.Config, rec *recorder, sc sessionConfig) *session {
	s := &session{purpose: sc.purpose, role: sc.role, account: sc.account, profile: sc.profile}
	guard := func(st *middleware.Stack) error {
		if err := st.Initialize.Add(rec.timing(s), middleware.Before); err != nil {
			return err
		}
		// Added last with Before, so it runs first: a refused call is neither sent nor timed.
		return st.Initialize.Add(allowlist(sc.allowed, rec.logf), middleware.Before)
	}
	cfg := base.Copy()
	cfg.APIOptions = append(append([]func(*middleware.Stack) error{}, base.APIOptions...), guard)
	if sc.role != "" {
		// The STS client that assumes the role runs on the base credentials, under the same
		// guard (its calls are attributed to the role's account, where they land in CloudTrail).
		stsBase := sts.NewFromConfig(cfg, func(o *sts.Options) { o.Credentials = base.Credentials })
		provider := stscreds.NewAssumeRoleProvider(stsBase, sc.role, func(a *stscreds.AssumeRoleOptions) {
			a.RoleSessionName = sc.sessionName
			if sc.externalID != "" {
				a.ExternalID = aws.String(sc.externalID)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	s.cfg = cfg
	s.sm = secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		// --live reads a secret value with this client: never let an SDK log mode print a body.
		o.ClientLogMode = 0
	})
	s.kms = kms.NewFromConfig(cfg)
	s.iam = iam.NewFromConfig(cfg)
	s.org = organizations.NewFromConfig(cfg)
	s.ec2 = ec2.NewFromConfig(cfg)
	s.sts = sts.NewFromConfig(cfg)
	return s
}

// ready obtains the session's credentials once (assuming its role, when it has one). A failure
// is kept: every read of this side then records it instead of calling AWS again, so a role that
// cannot be assumed costs one AssumeRole, not one per read.
func (s *session) ready(ctx context.Context) *xsdoctor.ReadError {
	s.once.Do(func() {
		if s.cfg.Credentials == nil {
			s.err = &xsdoctor.ReadError{Call: "credentials", Account: s.accountID(), Message: "no credentials"}
			return
		}
		if _, err := s.cfg.Credentials.Retrieve(ctx); err != nil {
			if s.role == "" {
				s.err = &xsdoctor.ReadError{Call: "credentials", Account: s.accountID(), Message: err.Error()}
				return
			}
			s.err = readError("sts:AssumeRole", s.accountID(), err)
			s.fail = &xsdoctor.AssumeFailure{Role: s.role, Account: s.accountID(), Purpose: s.purpose,
				Code: s.err.Code, Message: s.err.Message}
		}
	})
	return s.err
}

// loadBase loads one side's base configuration through the SDK's default chain, with the
// profile when one is named. The region is forced to the secret's.
func loadBase(ctx context.Context, o Options, profile, region string) (aws.Config, error) {
	// The SDK's own logger writes warnings to stderr; nothing inside probe prints (style.md):
	// --debug goes through Options.Log.
	opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if o.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(o.HTTPClient))
	}
	if o.Endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(o.Endpoint))
	}
	opts = append(opts, o.ConfigOptions...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		var missing config.SharedConfigProfileNotExistError
		if errors.As(err, &missing) {
			flag := "--owner-profile"
			switch profile {
			case o.ConsumerProfile:
				flag = "--consumer-profile"
			case o.OrgProfile:
				flag = "--org-profile"
			}
			return cfg, &UsageError{Arg: flag, Msg: "no such profile " + profile, Err: err,
				Hint: "list profiles with `aws configure list-profiles`"}
		}
		return cfg, &ProbeError{Msg: "load AWS configuration", Err: err,
			Hint: "check AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE"}
	}
	return cfg, nil
}

// checkBase makes sure a side has base credentials at all before anything is probed: without
// them nothing can be read (SPEC §5, exit 4).
func checkBase(ctx context.Context, cfg aws.Config, side string) error {
	hint := "configure credentials (aws configure, aws sso login, aws-vault exec, granted) or pass --" + side + "-profile"
	if cfg.Credentials == nil {
		return &ProbeError{Msg: "no base credentials for the " + side + " side", Hint: hint}
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		// A deadline that expires while the chain is still looking (SSO, a credential process)
		// says nothing about the credentials: name the timeout, not a missing login.
		if ctx.Err() != nil {
			return &ProbeError{Msg: "timed out reading the base credentials for the " + side + " side", Err: ctx.Err(),
				Hint: "raise --timeout (default 60s); an SSO login or credential process may be waiting"}
		}
		return &ProbeError{Msg: "no base credentials for the " + side + " side", Err: err, Hint: hint}
	}
	return nil
}
