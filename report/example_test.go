package report_test

import (
	"os"

	"github.com/xsdoctor/xsdoctor"
	"github.com/xsdoctor/xsdoctor/report"
)

// A diagnosis with the secret-policy door closed, rendered for a terminal without colour.
func ExampleText() {
	d := xsdoctor.Diagnosis{
		Secret:   xsdoctor.SecretSummary{ARN: "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf", Account: "111111111111", Region: "us-east-1"},
		Consumer: xsdoctor.ConsumerSummary{Principal: "arn:aws:iam::222222222222:role/app", Account: "222222222222"},
		Verdict:  xsdoctor.StateClosed,
		Doors: []xsdoctor.Door{
			{Door: xsdoctor.DoorKeyPolicy, State: xsdoctor.StateOpen},
			{Door: xsdoctor.DoorSecretPolicy, State: xsdoctor.StateClosed, Findings: []xsdoctor.Finding{{
				Code:    xsdoctor.SecretPolicyMissing,
				Effect:  xsdoctor.EffectCloses,
				Summary: "the secret has no resource policy",
				Fix:     &xsdoctor.Fix{Account: "111111111111", Where: "resource policy of db-AbCdEf", Steps: []string{"Attach a resource policy that allows the role."}},
			}}},
			{Door: xsdoctor.DoorConsumerIAM, State: xsdoctor.StateOpen},
		},
	}
	_ = report.Text(os.Stdout, d, report.Options{})
	// Output:
	// verdict: CLOSED — arn:aws:iam::222222222222:role/app cannot read db-AbCdEf: secret-policy door is closed
	//
	//   secret    arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf (account 111111111111, us-east-1)
	//   consumer  arn:aws:iam::222222222222:role/app (account 222222222222)
	//
	//   key-policy     open         the key lets the consumer kms:Decrypt through Secrets Manager
	//   secret-policy  closed       SECRET_POLICY_MISSING  the secret has no resource policy
	//   consumer-iam   open         the consumer's own policies allow GetSecretValue and kms:Decrypt
	//
	// Findings
	//
	//   [secret-policy] SECRET_POLICY_MISSING  the secret has no resource policy
	//       fix in account 111111111111, resource policy of db-AbCdEf:
	//         steps:
	//           1. Attach a resource policy that allows the role.
	//
	// 0 AWS calls, 0 failed (-o json or --debug lists them)
}
