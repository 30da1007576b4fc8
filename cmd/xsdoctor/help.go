package main

import (
	"fmt"
	"io"
	"strings"
)

const topHelp = `xsdoctor diagnoses why a role in one AWS account cannot read a Secrets Manager secret that
lives in another, and says what to change in which account.

A cross-account GetSecretValue must pass three doors, all at once:

  key-policy     the KMS key's policy (or a grant) lets the consumer kms:Decrypt in the request
                 Secrets Manager makes for it (kms:ViaService = secretsmanager.REGION.amazonaws.com).
                 A secret created without a KMS key uses the AWS managed key aws/secretsmanager,
                 which trusts only its own account: this door is then welded shut.
  secret-policy  the secret's resource policy allows the consumer secretsmanager:GetSecretValue,
                 and nothing in it denies it.
  consumer-iam   the consumer's own IAM policies allow GetSecretValue on the full secret ARN and
                 kms:Decrypt on the key ARN, and no permissions boundary, SCP or deny takes it away.

xsdoctor reads both accounts with read-only inspector roles (it never changes anything), judges
each door, and prints the evidence and a fix (policy statement and Terraform) for each closed one.

Usage:
  xsdoctor check SECRET_ARN --consumer PRINCIPAL_ARN [flags]   diagnose, live against AWS
  xsdoctor check --from-error FILE|- [flags]                    the same, starting from the error the workload logged
  xsdoctor replay FACTS_FILE [-o text|json|markdown]            judge facts saved with --facts-out again, offline
  xsdoctor demo [NAME | --scenario FILE] [flags]                the same check against a built-in emulator
  xsdoctor demo --list                                          the built-in scenarios, one a line
  xsdoctor emulate (NAME | --scenario FILE) [--listen ADDR]     serve a scenario to any AWS client
  xsdoctor explain CODE                                         what a finding code means, how it is fixed
  xsdoctor completion bash|zsh|fish                             a shell completion script
  xsdoctor version                                              print the version
  xsdoctor help [COMMAND]                                       this text, or a command's flags

Try it without AWS:
  xsdoctor demo                      the classic trap: a secret under the AWS managed key
  xsdoctor demo --list               every built-in scenario
  xsdoctor demo kms-key-is-disabled  one of them

Example:
  xsdoctor check arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-AbCdEf \
    --consumer arn:aws:iam::222222222222:role/app \
    --owner-role arn:aws:iam::111111111111:role/xsdoctor-inspector \
    --consumer-role arn:aws:iam::222222222222:role/xsdoctor-inspector

The reference (finding codes, the JSON report and its schema, scenario and facts formats) is in
the docs/ directory of the xsdoctor repository.

` + exitCodesHelp

const shortUsage = `Usage:
  xsdoctor check SECRET_ARN --consumer PRINCIPAL_ARN [flags]
  xsdoctor check --from-error FILE|- [flags]
  xsdoctor replay FACTS_FILE [-o text|json|markdown]
  xsdoctor demo [NAME | --scenario FILE] [flags]
  xsdoctor demo --list
  xsdoctor emulate (NAME | --scenario FILE) [--listen 127.0.0.1:4566]
  xsdoctor explain CODE
  xsdoctor completion bash|zsh|fish
  xsdoctor version
  xsdoctor help [COMMAND]
`

const exitCodesHelp = `Exit codes:
  0  all three doors are open
  1  a door is closed, or a precondition blocks the read (deleted secret, …); the report says why
  2  usage error: bad flag, malformed ARN, a secret name that cannot be resolved
  3  inconclusive: nothing proven closed, but a door is unknown (a read was denied) or conditional
  4  could not probe at all: no credentials, or the timeout hit before any fact was read
`

const checkHelp = `Usage: xsdoctor check SECRET_ARN --consumer PRINCIPAL_ARN [flags]
       xsdoctor check --from-error FILE|- [flags]

Reads, read-only, the secret and its resource policy in the owner account, the KMS key's policy
and grants in the key's account, and the consumer role's policies, boundary and simulator results
in the consumer account; then judges the three doors (key-policy, secret-policy, consumer-iam).

Pass the full secret ARN, with its six-character suffix: cross-account callers must. A name or
partial ARN is resolved through the owner account and reported as INPUT_NOT_FULL_ARN.

Credentials come from the AWS SDK's chain (environment, profiles, SSO, aws-vault, granted).
Give each account's inspector role with --owner-role/--consumer-role, or a profile that already
lands there with --owner-profile/--consumer-profile. AWS_ENDPOINT_URL is honoured.

Start from the error: --from-error reads the error the workload logged, as the AWS CLI, boto3,
the Go, Java or JavaScript SDKs, a Lambda's JSON log line, ECS or a CloudTrail event show it, and
takes the secret, the consumer and the region from it. The report then opens with what the error
blames beside what xsdoctor found, and ERROR_POINTS_ELSEWHERE says when the error cannot be
explained by the doors (another principal, a session or VPC endpoint policy, an unread guardrail).

--facts-out FILE also saves every fact that was read (never a secret value or a credential):
attach it to the ticket, and "xsdoctor replay FILE" prints the same report anywhere, offline.

Examples:
  xsdoctor check arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-AbCdEf \
    --consumer arn:aws:sts::222222222222:assumed-role/app/i-0abc \
    --owner-profile prod-owner --consumer-profile prod-consumer -o markdown
  kubectl logs deploy/app | grep AccessDenied | xsdoctor check --from-error - \
    --owner-profile prod-owner --consumer-profile prod-consumer --facts-out facts.json

Flags:
`

const demoHelp = `Usage: xsdoctor demo [NAME | --scenario FILE] [flags]
       xsdoctor demo --list

Runs the check against an in-process emulator of a scenario's accounts: nothing leaves this
machine and no AWS credentials are needed. NAME is a built-in scenario ('xsdoctor demo --list'
shows them, one a line); --scenario runs a scenario file of your own instead. Without either it
runs classic-trap: a secret created without a KMS key, so encrypted with the AWS managed key
aws/secretsmanager, while the customer managed key's policy, the secret policy and the
consumer's IAM are exactly right.

The scenario's check block supplies the secret, the consumer, the inspector roles and --live;
flags given here override it. With --from-error the error supplies the secret and the consumer
instead (the check block may then leave them out).

Examples:
  xsdoctor demo
  xsdoctor demo --list
  xsdoctor demo secret-has-no-resource-policy -o markdown
  xsdoctor demo kms-key-is-disabled --live -o json
  xsdoctor demo --scenario my-setup.json

Flags:
`

const emulateHelp = `Usage: xsdoctor emulate (NAME | --scenario FILE) [--listen 127.0.0.1:4566]

Serves a scenario's accounts over HTTP, speaking the Secrets Manager, KMS, IAM, STS and
Organizations wire protocols, so that any AWS client can be tried against it. NAME is a built-in
scenario ('xsdoctor demo --list' shows them); --scenario serves a file of your own.

  xsdoctor emulate kms-key-is-disabled &
  AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x \
    aws sts assume-role --role-arn arn:aws:iam::111111111111:role/xsdoctor-inspector \
    --role-session-name me --region us-east-1

The first line it prints is the endpoint URL. Credentials the emulator did not issue act as the
scenario's operator; AssumeRole returns credentials that act as the role. Stop it with Ctrl-C.

Flags:
`

const explainHelp = `Usage: xsdoctor explain CODE
       xsdoctor explain --list

Prints what a finding code means, which door and account it concerns, how it is fixed, and an
example (the same text as docs/codes.md in the repository). Codes are matched in any case, with
dashes or underscores: xsdoctor explain key-aws-managed. --list prints every code with its
one-line summary.

Example:
  xsdoctor explain KEY_AWS_MANAGED
`

const completionHelp = `Usage: xsdoctor completion bash|zsh|fish

Prints a completion script for the shell: commands, flags, -o values, the built-in scenario
names for demo and emulate, and the finding codes for explain.

  bash:  source <(xsdoctor completion bash)
         or save it as ~/.local/share/bash-completion/completions/xsdoctor
  zsh:   source <(xsdoctor completion zsh)
         or save it as _xsdoctor in a directory of $fpath
  fish:  xsdoctor completion fish | source
         or save it as ~/.config/fish/completions/xsdoctor.fish
`

const replayHelp = `Usage: xsdoctor replay FACTS_FILE [-o text|json|markdown]

Judges the facts a check saved with --facts-out again and prints the same report, with the same
exit code, without any AWS call or credentials. The input and the time of the check come from the
file. A file written by a newer xsdoctor, or one that is not a facts file, is a usage error (2).

Example:
  xsdoctor check --from-error error.txt --facts-out facts.json
  xsdoctor replay facts.json -o markdown

Flags:
  -o, --output FORMAT
        report format: text (default), json or markdown

` + exitCodesHelp

const versionHelp = `Usage: xsdoctor version

Prints the version of xsdoctor (set at build time, or the module version it was installed at).
`

func printHelp(w io.Writer, text string) { fmt.Fprint(w, text) }

// runHelp prints the help for a command (help COMMAND) or the overview.
func runHelp(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		printHelp(stdout, topHelp)
		return nil
	}
	switch args[0] {
	case "check":
		printHelp(stdout, checkHelp)
		writeFlagDocs(stdout, checkFlagDocs)
		fmt.Fprintln(stdout)
		printHelp(stdout, exitCodesHelp)
	case "demo":
		printHelp(stdout, demoHelp)
		writeFlagDocs(stdout, demoFlagDocs)
		fmt.Fprintln(stdout)
		printHelp(stdout, exitCodesHelp)
	case "emulate":
		printHelp(stdout, emulateHelp)
		writeFlagDocs(stdout, emulateFlagDocs)
	case "replay":
		printHelp(stdout, replayHelp)
	case "explain":
		printHelp(stdout, explainHelp)
	case "completion":
		printHelp(stdout, completionHelp)
	case "version":
		printHelp(stdout, versionHelp)
	case "help", "-h", "-help", "--help":
		printHelp(stdout, topHelp)
	default:
		return usagef("help", "the commands are "+strings.Join(commands, ", "), "no help for unknown command %q", args[0])
	}
	return nil
}

// isHelpArg reports whether arg asks for help.
func isHelpArg(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }
