package awsemu

import (
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestRecordSeesEveryCallWithItsTimesAndCaller(t *testing.T) {
	var mu sync.Mutex
	var got []Recorded
	e := startEmu(t, withFaults(`[{"call": "kms:ListAliases", "latency_ms": 30}, {"call": "kms:ListAliases", "error": "ThrottlingException", "times": 1}]`), Options{
		Record: func(r Recorded) { mu.Lock(); got = append(got, r); mu.Unlock() },
	})
	if _, err := e.sts(e.cfg()).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.kms(e.cfg()).ListAliases(ctx(t), &kms.ListAliasesInput{}); err != nil {
		t.Fatal(err) // the SDK retries through the one throttled answer
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("recorded %d calls, want 3 (GetCallerIdentity, ListAliases throttled, ListAliases): %+v", len(got), got)
	}
	if r := got[0]; r.Service != "sts" || r.Operation != "GetCallerIdentity" || r.Caller == "" || r.Status != 200 || r.ErrorCode != "" {
		t.Errorf("first record %+v, want sts GetCallerIdentity by the operator, 200", r)
	}
	if r := got[1]; r.Operation != "ListAliases" || r.ErrorCode != "ThrottlingException" || r.Status != 400 {
		t.Errorf("second record %+v, want the throttled ListAliases", r)
	}
	for _, r := range got[1:] {
		if d := r.End.Sub(r.Start); d < 30*time.Millisecond {
			t.Errorf("%s lasted %v, less than its injected 30ms latency", r.Operation, d)
		}
		if r.Request == "" {
			t.Errorf("%s recorded without its request body", r.Operation)
		}
	}
	if !got[1].End.After(got[0].End) || got[2].Start.Before(got[1].End) {
		t.Errorf("records out of order: %+v", got)
	}
}
