package door

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xsdoctor/xsdoctor"
)

// specDoors is the policy-type → door table of the error-text contract, written out here on its
// own so that the test does not read door's copy: resource-based and RCP → the door of the
// resource; identity, boundary, SCP, VPC endpoint → consumer-iam; the KMS messages → key-policy
// and consumer-iam; a session policy → none; no reason at all → any door.
func specDoors(t xsdoctor.PolicyType, action string) []xsdoctor.DoorID {
	resource := xsdoctor.DoorSecretPolicy
	if strings.HasPrefix(action, "kms:") {
		resource = xsdoctor.DoorKeyPolicy
	}
	return map[xsdoctor.PolicyType][]xsdoctor.DoorID{
		xsdoctor.PolicyResourceBased: {resource},
		xsdoctor.PolicyRCP:           {resource},
		xsdoctor.PolicyIdentityBased: {xsdoctor.DoorConsumerIAM},
		xsdoctor.PolicyBoundary:      {xsdoctor.DoorConsumerIAM},
		xsdoctor.PolicySCP:           {xsdoctor.DoorConsumerIAM},
		xsdoctor.PolicyVPCEndpoint:   {xsdoctor.DoorConsumerIAM},
		xsdoctor.PolicyKMS:           {xsdoctor.DoorKeyPolicy, xsdoctor.DoorConsumerIAM},
		xsdoctor.PolicySession:       nil,
		"":                           xsdoctor.Doors,
	}[t]
}

// TestErrorPointsElsewhereExactly: for the facts of every scenario, every policy type the error
// can blame, both actions and both principals (the consumer's own session, another role),
// ERROR_POINTS_ELSEWHERE is a top-level finding exactly when the blamed doors are all open, the
// type maps to no door, or the principal is another role — and the error changes nothing else.
func TestErrorPointsElsewhereExactly(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json")
	types := []xsdoctor.PolicyType{xsdoctor.PolicyResourceBased, xsdoctor.PolicyRCP, xsdoctor.PolicyIdentityBased, xsdoctor.PolicyBoundary,
		xsdoctor.PolicySCP, xsdoctor.PolicyVPCEndpoint, xsdoctor.PolicyKMS, xsdoctor.PolicySession, ""}
	seen := map[bool]int{}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var ff factsFile
		if err := json.Unmarshal(b, &ff); err != nil {
			t.Fatal(err)
		}
		plain := Check(ff.Facts)
		acct, name, _ := roleOf(plain.Consumer.RoleARN)
		own := "arn:aws:sts::" + acct + ":assumed-role/" + name + "/worker-1"
		other := "arn:aws:sts::" + acct + ":assumed-role/" + name + "-node/i-0123456789abcdef0"
		for _, pt := range types {
			for _, action := range []string{"secretsmanager:GetSecretValue", "kms:Decrypt"} {
				for _, principal := range []string{own, other} {
					f := ff.Facts
					f.Input.Error = &xsdoctor.ErrorText{Principal: principal, Action: action, PolicyType: pt, Format: "aws-message"}
					d := Check(f)

					want := principal == other || pt == xsdoctor.PolicySession
					if !want {
						want = true
						for _, id := range specDoors(pt, action) {
							if doorOf(d, id).State != xsdoctor.StateOpen {
								want = false
							}
						}
					}
					seen[want]++
					_, got := findCode(d, xsdoctor.ErrorPointsElsewhere)
					if got != want {
						t.Errorf("%s: %s %s by %s: ERROR_POINTS_ELSEWHERE %v, want %v (doors %v)", ff.Name, pt, action, principal, got, want, doorStates(d))
					}
					for _, door := range d.Doors {
						for _, fd := range door.Findings {
							if fd.Code == xsdoctor.ErrorPointsElsewhere {
								t.Errorf("%s: ERROR_POINTS_ELSEWHERE inside door %s: it is top-level", ff.Name, door.Door)
							}
						}
					}
					if d.ErrorMatch == nil || d.ErrorMatch.Elsewhere != want {
						t.Errorf("%s: error_match %+v, want elsewhere %v", ff.Name, d.ErrorMatch, want)
					}
					// The error never changes a door, the verdict or another finding.
					if diff := cmp.Diff(doorStates(plain), doorStates(d)); diff != "" || plain.Verdict != d.Verdict {
						t.Errorf("%s: the error changed the doors or the verdict: %s", ff.Name, diff)
					}
					if got && principal == other && !strings.Contains(findingOf(d, xsdoctor.ErrorPointsElsewhere).Summary, other) {
						t.Errorf("%s: the finding does not name the error's principal first", ff.Name)
					}
				}
			}
		}
	}
	if seen[true] == 0 || seen[false] == 0 {
		t.Errorf("the facts exercise only one outcome: %v", seen)
	}
}

// TestNoErrorNoMatch: without --from-error nothing about errors is in the report.
func TestNoErrorNoMatch(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, path := range files {
		b, _ := os.ReadFile(path)
		var ff factsFile
		_ = json.Unmarshal(b, &ff)
		d := Check(ff.Facts)
		if _, ok := findCode(d, xsdoctor.ErrorPointsElsewhere); ok || d.ErrorMatch != nil || d.Input.Error != nil {
			t.Errorf("%s: error findings without an error", ff.Name)
		}
	}
}

// TestStandIns: the principals that commonly stand in by mistake are named, by their names.
func TestStandIns(t *testing.T) {
	for _, c := range []struct {
		principal, format, want string
	}{
		{"arn:aws:sts::222222222222:assumed-role/eks-node-group-role/i-0123456789abcdef0", "aws-message", "EC2 instance"},
		{"arn:aws:sts::222222222222:assumed-role/ecsTaskExecutionRole/3f2e1d0c9b8a", "aws-message", "task execution role"},
		{"arn:aws:sts::222222222222:assumed-role/app-task/3f2e1d0c9b8a", "ecs-resource-initialization/aws-message", "task execution role"},
		{"arn:aws:sts::222222222222:assumed-role/cfn-deploy-role/AWSCloudFormation", "cloudtrail-event", "CloudFormation"},
		{"arn:aws:sts::222222222222:assumed-role/orders-api/worker-1", "aws-message", ""},
	} {
		got := standIn(xsdoctor.ErrorText{Principal: c.principal, Format: c.format})
		if c.want == "" && got != "" || !strings.Contains(got, c.want) {
			t.Errorf("standIn(%s) = %q, want it to mention %q", c.principal, got, c.want)
		}
	}
}

func doorStates(d xsdoctor.Diagnosis) map[xsdoctor.DoorID]xsdoctor.State {
	m := map[xsdoctor.DoorID]xsdoctor.State{}
	for _, door := range d.Doors {
		m[door.Door] = door.State
	}
	return m
}

func findingOf(d xsdoctor.Diagnosis, c xsdoctor.Code) xsdoctor.Finding {
	i := slices.IndexFunc(d.Findings, func(f xsdoctor.Finding) bool { return f.Code == c })
	if i < 0 {
		return xsdoctor.Finding{}
	}
	return d.Findings[i]
}

// TestAnRCPErrorNamesTheUnreadRCP: with org access, an RCP the reader could not read is the one
// an RCP error points to.
func TestAnRCPErrorNamesTheUnreadRCP(t *testing.T) {
	d := &xsdoctor.Diagnosis{Guardrails: []xsdoctor.Guardrail{
		{Type: xsdoctor.PolicyTypeRCP, ID: "p-rcp1", Name: "perimeter", Target: "ou-ab12-cdef3456", Read: false},
		{Type: xsdoctor.PolicyTypeSCP, ID: "p-scp1", Name: "deny-regions", Target: "r-ab12", Read: false},
		{Type: xsdoctor.PolicyTypeRCP, ID: "p-rcp2", Name: "read", Target: "r-ab12", Read: true},
	}}
	got := residualNote(d, xsdoctor.PolicyRCP)
	if !strings.Contains(got, "p-rcp1 perimeter on ou-ab12-cdef3456") || strings.Contains(got, "p-scp1") || strings.Contains(got, "p-rcp2") {
		t.Errorf("residualNote = %q", got)
	}
}
