package awsemu

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// BenchmarkDescribeSecretSDK is DescribeSecret through the real SDK client against the emulator
// on loopback, from as many goroutines as GOMAXPROCS, signed as an assumed-role session (so
// SigV4 verification is included). Target: at least 5,000 requests a second.
//
//	go test ./internal/awsemu -run '^$' -bench DescribeSecretSDK -benchtime 3s
func BenchmarkDescribeSecretSDK(b *testing.B) {
	isolateSDK(b)
	s := parseScenario(b, wireScenario)
	ts := httptest.NewServer(New(s, Options{}))
	defer ts.Close()
	e := &emu{t: b, url: ts.URL}
	// As the probe calls it: a session of an assumed role, whose signatures are verified.
	client := e.sm(e.as(appARN))
	in := &secretsmanager.DescribeSecretInput{SecretId: aws.String(sharedARN)}
	if _, err := client.DescribeSecret(context.Background(), in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := client.DescribeSecret(context.Background(), in); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	// CPU per request (client and server together) does not depend on what else the machine
	// is running, unlike req/s: 1e6 / cpu-us/req is the rate one idle core sustains.
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-us/req")
}

// BenchmarkStartup is scenario start-up: Load (read, decode, validate, derive) and New, on the
// largest shared scenario. Target: under 50 ms.
//
//	go test ./internal/awsemu -run '^$' -bench Startup
func BenchmarkStartup(b *testing.B) {
	largest, size := "", int64(0)
	for _, f := range sharedScenarioFiles(b) {
		if st, err := os.Stat(f); err == nil && st.Size() > size {
			largest, size = f, st.Size()
		}
	}
	b.Logf("scenario %s (%d bytes)", filepath.Base(largest), size)
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		s, _, err := Load(largest)
		if err != nil {
			b.Fatal(err)
		}
		if New(s, Options{}) == nil {
			b.Fatal("New returned nil")
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/startup")
}
