package bench_test

import (
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xsdoctor/xsdoctor/internal/awsemu"
	"github.com/xsdoctor/xsdoctor/interop"
)

// recordingEmulator serves a bench scenario in this process and keeps the emulator's record of
// every call (awsemu.Options.Record): when it started and ended, who asked, and what.
type recordingEmulator struct {
	URL string
	mu  sync.Mutex
	log []awsemu.Recorded
}

func startRecordingEmulator(tb testing.TB, file string) *recordingEmulator {
	tb.Helper()
	s, _, err := awsemu.Load(file)
	if err != nil {
		tb.Fatal(err)
	}
	e := &recordingEmulator{}
	ts := httptest.NewServer(awsemu.New(s, awsemu.Options{Record: func(r awsemu.Recorded) {
		e.mu.Lock()
		e.log = append(e.log, r)
		e.mu.Unlock()
	}}))
	tb.Cleanup(ts.Close)
	e.URL = ts.URL
	return e
}

// calls is the record so far, by start time.
func (e *recordingEmulator) calls() []awsemu.Recorded {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := slices.Clone(e.log)
	slices.SortFunc(c, func(a, b awsemu.Recorded) int { return a.Start.Compare(b.Start) })
	return c
}

// sequentialRounds is the longest chain of calls in which each started only after the one before
// it had ended: the number of round trips the client waited for one after another. It reads the
// order of the emulator's start and end times, never their length, so a slow machine cannot make
// it pass or fail (each call is held 50 ms by the scenario, so calls a client makes together
// overlap). It returns the chain, first call first.
func sequentialRounds(calls []awsemu.Recorded) []awsemu.Recorded {
	depth := make([]int, len(calls))
	prev := make([]int, len(calls))
	best := -1
	for i, c := range calls {
		depth[i], prev[i] = 1, -1
		for j := range i {
			if !calls[j].End.After(c.Start) && depth[j]+1 > depth[i] {
				depth[i], prev[i] = depth[j]+1, j
			}
		}
		if best < 0 || depth[i] > depth[best] {
			best = i
		}
	}
	var chain []awsemu.Recorded
	for i := best; i >= 0; i = prev[i] {
		chain = append([]awsemu.Recorded{calls[i]}, chain...)
	}
	return chain
}

// repeatedCalls lists every call that asked a question already asked: the same caller, operation
// and parameters.
func repeatedCalls(calls []awsemu.Recorded) []string {
	seen := map[string]bool{}
	var dup []string
	for _, c := range calls {
		k := c.Caller + " " + c.Service + ":" + c.Operation + " " + c.Request
		if seen[k] {
			dup = append(dup, fmt.Sprintf("%s:%s by %s (%s)", c.Service, c.Operation, c.Caller, c.Request))
		}
		seen[k] = true
	}
	return dup
}

func describeChain(chain []awsemu.Recorded) string {
	var s []string
	for _, c := range chain {
		s = append(s, c.Service+":"+c.Operation)
	}
	return strings.Join(s, " → ")
}

// TestCheckWaitsNoMoreRoundsThanTheCriticalPath is the latency target as a CI guard that times
// nothing: `xsdoctor check` against the emulator with 50 ms on every call, and from the
// emulator's record of when each call started and ended, the number of rounds the check waited
// for one after another must not exceed the scenario's critical path (3 or 4 dependent round
// trips), and no question may be asked twice.
func TestCheckWaitsNoMoreRoundsThanTheCriticalPath(t *testing.T) {
	bin := xsdoctorBin(t)
	for _, bs := range benchScenarios {
		t.Run(bs.name, func(t *testing.T) {
			emu := startRecordingEmulator(t, bs.file)
			f := fixture{bin: bin, env: interop.CleanEnv(t.TempDir(), emu.URL), sc: loadScenario(t, bs.file)}
			d, _ := f.check(t, emu.URL)
			calls := emu.calls()
			if len(calls) != len(d.Calls) {
				t.Errorf("the emulator answered %d calls, the report lists %d", len(calls), len(d.Calls))
			}
			chain := sequentialRounds(calls)
			t.Logf("%d calls in %d sequential rounds (critical path %d): %s", len(calls), len(chain), bs.roundTrips, describeChain(chain))
			if len(chain) > bs.roundTrips {
				t.Errorf("check waited for %d rounds one after another, more than the critical path of %d: %s",
					len(chain), bs.roundTrips, describeChain(chain))
			}
			for _, dup := range repeatedCalls(calls) {
				t.Errorf("asked twice: %s", dup)
			}
		})
	}
}

func TestSequentialRoundsCountsOnlyCallsThatWaitedForEachOther(t *testing.T) {
	at := func(start, end int) awsemu.Recorded {
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		return awsemu.Recorded{Operation: fmt.Sprint(start), Start: base.Add(time.Duration(start) * time.Millisecond), End: base.Add(time.Duration(end) * time.Millisecond)}
	}
	for _, tc := range []struct {
		name  string
		calls []awsemu.Recorded
		want  int
	}{
		{"three overlapping calls are one round", []awsemu.Recorded{at(0, 50), at(1, 51), at(2, 52)}, 1},
		{"a call starting exactly when another ended waited for it", []awsemu.Recorded{at(0, 50), at(50, 100)}, 2},
		{"the longest chain counts, not the number of calls", []awsemu.Recorded{at(0, 50), at(1, 51), at(55, 105), at(56, 106), at(110, 160), at(60, 110)}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := len(sequentialRounds(tc.calls)); got != tc.want {
				t.Errorf("%d rounds, want %d", got, tc.want)
			}
		})
	}
	if dup := repeatedCalls([]awsemu.Recorded{{Caller: "a", Operation: "GetRole", Request: "x"}, {Caller: "b", Operation: "GetRole", Request: "x"}, {Caller: "a", Operation: "GetRole", Request: "x"}}); len(dup) != 1 {
		t.Errorf("repeatedCalls found %d repeats, want 1", len(dup))
	}
}
