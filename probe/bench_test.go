package probe

import (
	"context"
	"testing"
	"time"

	"github.com/xsdoctor/xsdoctor/internal/awsemu"
)

// BenchmarkGatherAt50msPerCall measures the critical path: every emulator call waits 50 ms, so
// the time of one Gather divided by 50 ms is the number of dependent round trips. The standard
// case (key ARN in DescribeSecret, role ARN input) must be 4: owner AssumeRole → DescribeSecret
// → key reads; consumer AssumeRole → GetRole and the lists → each policy → GetPolicyVersion.
// Page size 100 is IAM's and KMS's default MaxItems/Limit.
//
//	go test ./probe -run '^$' -bench GatherAt50ms -benchtime 5x
func BenchmarkGatherAt50msPerCall(b *testing.B) {
	const latency = 50 * time.Millisecond
	for _, bc := range []struct {
		name, path, secret string
		live               bool
		org                bool
	}{
		{"standard", sharedScenario(b, "role-principal-with-service-conditions-opens-all-doors"), "", false, false},
		{"standard+live", sharedScenario(b, "role-principal-with-service-conditions-opens-all-doors"), "", true, false},
		{"boundary", sharedScenario(b, "permissions-boundary-omits-kms-decrypt"), "", false, false},
		{"aws-managed-key", sharedScenario(b, "aws-managed-key-cannot-be-shared"), "", false, false},
		{"alias+session+live", wide, wideSecret("forms/by-alias", "AlsAls"), true, false},
		{"org-reader", "../bench/testdata/org-reader-latency-50ms.json", "", false, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			isolate(b)
			sc, _, err := awsemu.Load(bc.path)
			if err != nil {
				b.Fatal(err)
			}
			sc.Faults = append(sc.Faults, awsemu.Fault{Call: "*", LatencyMS: int(latency / time.Millisecond)})
			e := startEmuScenario(b, sc, awsemu.Options{PageSize: 100})
			o := e.options()
			o.Live = bc.live
			if bc.org {
				o.OrgRole = sc.Check.OrgRole
			}
			if bc.secret != "" {
				o.Secret = bc.secret
			}
			var calls int
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				f, err := Gather(context.Background(), o)
				if err != nil {
					b.Fatal(err)
				}
				calls = len(f.Calls)
			}
			per := time.Since(start) / time.Duration(b.N)
			b.StopTimer()
			// One more run on a clean request log: the longest chain of requests where each
			// starts after the previous ended is the number of dependent round trips.
			e.mu.Lock()
			e.reqs = nil
			e.mu.Unlock()
			if _, err := Gather(context.Background(), o); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(e.depth()), "depth")
			b.ReportMetric(float64(per)/float64(latency), "round-trips")
			b.ReportMetric(float64(calls), "calls")
			b.ReportMetric(float64(per.Milliseconds()), "ms/gather")
		})
	}
}
