package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"
)

// checkFlags are the flags of check and demo (SPEC §2). demo reads the same set, and a flag given
// on its command line overrides the scenario's check block (set records which were given).
type checkFlags struct {
	consumer        string
	ownerRole       string
	consumerRole    string
	keyRole         string
	ownerProfile    string
	consumerProfile string
	orgRole         string
	orgProfile      string
	externalID      string
	sessionName     string
	region          string
	live            bool
	output          string
	timeout         time.Duration
	debug           bool
	scenario        string // demo only
	fromError       string // --from-error FILE or "-"
	factsOut        string // --facts-out FILE
	list            bool   // demo only

	set map[string]bool // flag names given on the command line (long names)
}

// flagDoc documents one flag for --help; aliases share a line.
type flagDoc struct {
	names []string // long name first
	arg   string   // value placeholder; "" for a boolean
	usage string
}

var checkFlagDocs = []flagDoc{
	{[]string{"consumer"}, "ARN", "the principal that cannot read the secret: a role ARN (arn:aws:iam::C:role/PATH/NAME) or an assumed-role session ARN (arn:aws:sts::C:assumed-role/NAME/SESSION)"},
	{[]string{"owner-role"}, "ARN", "read-only inspector role to assume in the secret's account (omit to use the ambient credentials there)"},
	{[]string{"consumer-role"}, "ARN", "read-only inspector role to assume in the consumer's account"},
	{[]string{"key-role"}, "ARN", "read-only inspector role in the KMS key's account, when it is neither of the above"},
	{[]string{"owner-profile"}, "NAME", "shared-config profile to start from for the owner account (SSO, aws-vault and granted work through the SDK's chain)"},
	{[]string{"consumer-profile"}, "NAME", "shared-config profile to start from for the consumer account"},
	{[]string{"org-role"}, "ARN", "optional read-only role in the organization's management account or a delegated administrator: read the SCPs and RCPs that apply and judge them"},
	{[]string{"org-profile"}, "NAME", "shared-config profile for the organization reader (instead of, or to start --org-role from)"},
	{[]string{"external-id"}, "ID", "sts:ExternalId passed to every AssumeRole"},
	{[]string{"session-name"}, "NAME", "AssumeRole session name, as it will appear in CloudTrail (default xsdoctor-<user>)"},
	{[]string{"region"}, "REGION", "the region of a secret given by name or partial ARN; a full ARN's region always wins, and a --region that contradicts it is an error"},
	{[]string{"live"}, "", "also assume the consumer principal (if its trust policy allows) and call GetSecretValue; the value is discarded unread, and the result never changes a door or the exit code"},
	{[]string{"output", "o"}, "FORMAT", "report format: text (default), json or markdown"},
	{[]string{"timeout"}, "DURATION", "bound on the whole probe, e.g. 30s or 2m (default 60s)"},
	{[]string{"debug"}, "", "log every AWS call to stderr: service:Operation, account, duration, request id, error code (never credentials or secret values)"},
	{[]string{"from-error"}, "FILE", "read the error the workload logged (a file, or - for stdin): the AWS message as any SDK, the AWS CLI, a JSON log line, a stack trace or a CloudTrail event shows it; the secret, the consumer and the region are taken from it, and flags given on the command line win"},
	{[]string{"facts-out"}, "FILE", "also write every fact that was read (no secret value, no credential) to FILE, for 'xsdoctor replay FILE' and for a ticket"},
}

var demoFlagDocs = append([]flagDoc{
	{[]string{"list"}, "", "list the built-in scenarios, one a line: name and summary"},
	{[]string{"scenario"}, "FILE", "a scenario file to run instead of a built-in one (format: docs/scenarios.md in the repository)"},
}, checkFlagDocs...)

func newCheckFlagSet(name string, f *checkFlags) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by run, with a hint
	fs.StringVar(&f.consumer, "consumer", "", "")
	fs.StringVar(&f.ownerRole, "owner-role", "", "")
	fs.StringVar(&f.consumerRole, "consumer-role", "", "")
	fs.StringVar(&f.keyRole, "key-role", "", "")
	fs.StringVar(&f.ownerProfile, "owner-profile", "", "")
	fs.StringVar(&f.consumerProfile, "consumer-profile", "", "")
	fs.StringVar(&f.orgRole, "org-role", "", "")
	fs.StringVar(&f.orgProfile, "org-profile", "", "")
	fs.StringVar(&f.externalID, "external-id", "", "")
	fs.StringVar(&f.sessionName, "session-name", "", "")
	fs.StringVar(&f.region, "region", "", "")
	fs.BoolVar(&f.live, "live", false, "")
	fs.StringVar(&f.output, "output", "text", "")
	fs.StringVar(&f.output, "o", "text", "")
	fs.DurationVar(&f.timeout, "timeout", 60*time.Second, "")
	fs.BoolVar(&f.debug, "debug", false, "")
	fs.StringVar(&f.fromError, "from-error", "", "")
	fs.StringVar(&f.factsOut, "facts-out", "", "")
	if name == "demo" {
		fs.StringVar(&f.scenario, "scenario", "", "")
		fs.BoolVar(&f.list, "list", false, "")
	}
	return fs
}

// parseFlags parses args with flags and positional arguments in any order ("check ARN
// --consumer X" and "check --consumer X ARN" both work), each flag as --flag value, --flag=value
// or with a single dash. It returns the positional arguments; -h/--help yields flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// flagError turns the flag package's error into a usage error with a hint.
func flagError(cmd string, err error) error {
	msg := err.Error()
	hint := "run 'xsdoctor " + cmd + " --help' for the flags"
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		msg = "unknown flag --" + name
		if s := closestFlag(cmd, name); s != "" {
			hint = "did you mean --" + s + "? " + hint
		}
	} else if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		msg = "flag --" + strings.TrimLeft(name, "-") + " needs a value"
	}
	return &usageError{cmd: cmd, msg: msg, hint: hint}
}

// closestFlag suggests the flag sharing the longest prefix with a mistyped one.
func closestFlag(cmd, name string) string {
	docs := checkFlagDocs
	if cmd == "demo" {
		docs = demoFlagDocs
	}
	best, bestLen := "", 2
	for _, d := range docs {
		n := d.names[0]
		l := 0
		for l < len(n) && l < len(name) && n[l] == name[l] {
			l++
		}
		if l > bestLen || strings.Contains(n, name) && len(name) > 3 {
			best, bestLen = n, l
		}
	}
	return best
}

// Flag syntax judged here; what an ARN must be (its partition, service, account and resource) is
// probe's to judge, with the one ARN type, and its usage errors are printed the same way.
var (
	regionName   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	sessionNameR = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// validate checks the flag values whose syntax needs no AWS and no ARN to be judged.
func (f *checkFlags) validate(cmd string) error {
	switch f.output {
	case "text", "json", "markdown":
	default:
		return usagef(cmd, "use -o text, -o json or -o markdown", "unknown output format %q", f.output)
	}
	if f.timeout <= 0 {
		return usagef(cmd, "give a positive duration such as --timeout 30s", "--timeout must be positive, got %s", f.timeout)
	}
	if f.consumer == "" {
		return usagef(cmd, "name the principal that fails, e.g. --consumer arn:aws:iam::222222222222:role/app", "--consumer is required")
	}
	if f.region != "" && !regionName.MatchString(f.region) {
		return usagef(cmd, "a region looks like us-east-1", "malformed --region %q", f.region)
	}
	if f.sessionName != "" && !sessionNameR.MatchString(f.sessionName) {
		return usagef(cmd, "AssumeRole session names are 2-64 characters of letters, digits and +=,.@-", "malformed --session-name %q", f.sessionName)
	}
	return nil
}

// given records which flags the command line set, by long name (-o counts as output).
func given(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) {
		name := fl.Name
		if name == "o" {
			name = "output"
		}
		set[name] = true
	})
	return set
}

// writeFlagDocs prints flags for --help, wrapped to 100 columns.
func writeFlagDocs(w io.Writer, docs []flagDoc) {
	for _, d := range docs {
		names := make([]string, len(d.names))
		for i, n := range d.names {
			if len(n) == 1 {
				names[i] = "-" + n
			} else {
				names[i] = "--" + n
			}
		}
		sort.SliceStable(names, func(i, j int) bool { return len(names[i]) < len(names[j]) })
		head := "  " + strings.Join(names, ", ")
		if d.arg != "" {
			head += " " + d.arg
		}
		fmt.Fprintln(w, head)
		line := "        "
		for _, word := range strings.Fields(d.usage) {
			if len(line) > 8 && len(line)+1+len(word) > 100 {
				fmt.Fprintln(w, line)
				line = "        "
			}
			if len(line) > 8 {
				line += " "
			}
			line += word
		}
		fmt.Fprintln(w, line)
	}
}

var errHelp = flag.ErrHelp

func isHelp(err error) bool { return errors.Is(err, errHelp) }
