package main

import (
	"io"
	"os"
	"strings"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/arn"
	"github.com/xsdoctor/xsdoctor/errtext"
)

// readErrorText reads --from-error: a file, or stdin for "-".
func readErrorText(cmd, path string, stdin io.Reader) (xsdoctor.ErrorText, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, errtext.MaxInput))
	} else {
		var f *os.File
		if f, err = os.Open(path); err == nil {
			data, err = io.ReadAll(io.LimitReader(f, errtext.MaxInput))
			f.Close()
		}
	}
	if err != nil {
		return xsdoctor.ErrorText{}, usagef(cmd, "pass the file that holds the error, or - to read it from stdin", "--from-error: %v", err)
	}
	e, err := errtext.Parse(string(data))
	if err != nil {
		where := path
		if path == "-" {
			where = "stdin"
		}
		return xsdoctor.ErrorText{}, usagef(cmd, "paste the whole error line (or the CloudTrail event), or give the secret ARN and --consumer yourself",
			"--from-error %s: %v", where, err)
	}
	return e, nil
}

// applyError takes the secret, the consumer and the region from the parsed error wherever the
// command line did not give them (explicit flags win), and returns the secret to check. secret is
// what the command line gave ("" for none); fallbackSecret and fallbackConsumer fill what neither
// gives (demo: the scenario's check block).
func (f *checkFlags) applyError(cmd string, e xsdoctor.ErrorText, secret, fallbackSecret, fallbackConsumer string) (string, error) {
	if !f.set["consumer"] {
		switch {
		case e.Principal != "":
			if a, err := arn.Parse(e.Principal); err != nil || !a.IsRole() && !a.IsAssumedRole() {
				return "", usagef(cmd, "xsdoctor checks a role: pass the role the workload runs as with --consumer ROLE_ARN",
					"the error names %s, which is neither an IAM role nor an assumed-role session", e.Principal)
			}
			f.consumer = e.Principal
		default:
			f.consumer = fallbackConsumer
		}
		f.set["consumer"] = f.consumer != ""
	}
	if secret == "" {
		secret = first(e.SecretARN, e.Secret)
		// A name resolves in the region the error gives; a full or partial ARN carries its own.
		if secret != "" && !strings.HasPrefix(secret, "arn:") && !f.set["region"] && e.Region != "" {
			f.region = e.Region
			f.set["region"] = true
		}
		if secret == "" {
			secret = fallbackSecret
		}
	}
	const lookedSecret = "a secret ARN in the message, requestParameters.secretId in CloudTrail, or an /aws/reference/secretsmanager/ parameter"
	const lookedConsumer = "\"User: ARN is not authorized …\" in the message, or userIdentity.arn in CloudTrail"
	var msg string
	switch {
	case secret == "" && f.consumer == "":
		msg = "the error gives neither the secret nor the consumer: looked for " + lookedSecret + ", and for " + lookedConsumer
	case secret == "":
		msg = "the error gives no secret: looked for " + lookedSecret
	case f.consumer == "":
		msg = "the error gives no consumer: looked for " + lookedConsumer
	}
	if msg != "" {
		if e.PolicyType == xsdoctor.PolicyKMS {
			msg += " (Secrets Manager's KMS messages name neither)"
		}
		return "", usagef(cmd, "give what the error lacks on the command line: the secret ARN as argument, --consumer ROLE_ARN", "%s", msg)
	}
	return secret, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
