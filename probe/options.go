package probe

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// DefaultTimeout bounds the whole probe when Options.Timeout is zero (SPEC §2, --timeout).
const DefaultTimeout = 60 * time.Second

// Options is what Gather needs: the two principals, how to get credentials for each account,
// and the plumbing (endpoint, HTTP client, logger, clock) tests and the demo replace.
type Options struct {
	Secret, Consumer string // as typed by the user

	OwnerRole, ConsumerRole, KeyRole string // inspector roles to assume; "" → the side's base credentials
	OwnerProfile, ConsumerProfile    string // shared-config profiles for each side's base credentials

	// OrgRole and OrgProfile name the organization reader: an identity in the management
	// account or a delegated administrator for Organizations policies (Organizations answers
	// ListParents, ListPoliciesForTarget and DescribePolicy only there). With either, Gather
	// reads the SCPs and RCPs above the consumer, owner and key accounts (Facts.Org).
	OrgRole, OrgProfile string

	ExternalID  string // passed to every inspector AssumeRole
	SessionName string // RoleSessionName; default DefaultSessionName
	Region      string // the region of a secret given by name; must match a full ARN's region

	Live bool // also GetSecretValue as the consumer principal; the value is discarded unread

	Timeout time.Duration // bounds the whole probe (default 60s)

	Endpoint      string                            // optional BaseEndpoint override (AWS_ENDPOINT_URL is honoured by the SDK anyway)
	HTTPClient    aws.HTTPClient                    // optional; tests and demo
	ConfigOptions []func(*config.LoadOptions) error // optional extras (tests/demo: static creds, no IMDS)

	Log io.Writer        // --debug: one line per AWS call; nil = silent
	Now func() time.Time // the clock; nil = time.Now
}

// UsageError is a problem with what the user typed: a malformed ARN, an inspector role in the
// wrong account, a secret name that cannot be resolved. The CLI exits 2 on it.
type UsageError struct {
	Arg  string // the flag or argument, e.g. "--consumer"
	Msg  string // what is wrong
	Hint string // what to do instead
	Err  error  // the underlying error, if any
}

func (e *UsageError) Error() string {
	msg, hint := e.Usage()
	if hint != "" {
		msg += " (hint: " + hint + ")"
	}
	return msg
}

func (e *UsageError) Unwrap() error { return e.Err }

// Usage returns the message and the hint apart, for a CLI that prints the hint on its own line.
// The message names the argument unless it already does ("malformed --consumer …").
func (e *UsageError) Usage() (msg, hint string) {
	msg = e.Msg
	if e.Arg != "" && !strings.Contains(msg, e.Arg) {
		msg = e.Arg + ": " + msg
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg, e.Hint
}

// ProbeError means nothing could be probed at all: no base credentials, or every call failed on
// the network or the timeout before a single fact was read. The CLI exits 4 on it.
type ProbeError struct {
	Msg  string
	Hint string
	Err  error
}

func (e *ProbeError) Error() string {
	s := e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Hint != "" {
		s += " (hint: " + e.Hint + ")"
	}
	return s
}

func (e *ProbeError) Unwrap() error { return e.Err }

// DefaultSessionName is the RoleSessionName when Options.SessionName is empty. The command
// passes "xsdoctor-<user>", so that the inspector's reads are recognisable in the target
// account's CloudTrail (STS AssumeRole: "Use the role session name to uniquely identify a session
// when the same role is assumed by different principals").
const DefaultSessionName = "xsdoctor"

func (o Options) sessionName() string { return cmp.Or(o.SessionName, DefaultSessionName) }

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

func usagef(arg, hint, format string, args ...any) *UsageError {
	return &UsageError{Arg: arg, Msg: fmt.Sprintf(format, args...), Hint: hint}
}
