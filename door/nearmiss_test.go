package door

import (
	"strings"
	"testing"
)

func TestSecretNearMiss(t *testing.T) {
	for _, tc := range []struct{ pattern, want string }{
		{secretARN, ""},
		{"arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/orders/postgres-??????", ""},
		{"arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/orders/postgres", "without its 6-character suffix"},
		{"arn:aws:secretsmanager:eu-west-1:111111111111:secret:prod/orders/postgres-*", "region eu-west-1 instead of us-east-1"},
		{"arn:aws:secretsmanager:us-east-1:222222222222:secret:*", "account 222222222222 instead of 111111111111"},
		{"arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/billing/*", ""},
		{"arn:aws:kms:us-east-1:111111111111:key/*", ""},
	} {
		got := secretNearMiss(tc.pattern, secretARN)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("secretNearMiss(%q) = %q, want %q", tc.pattern, got, tc.want)
		}
	}
}
