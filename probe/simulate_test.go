package probe

import (
	"net/url"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xsdoctor/xsdoctor/internal/awsemu"
	"github.com/xsdoctor/xsdoctor/request"
)

// simulatedContexts reads back, per action, the ContextEntries the probe sent to
// iam:SimulatePrincipalPolicy.
func simulatedContexts(t *testing.T, e *emu) map[string]map[string][]string {
	t.Helper()
	out := map[string]map[string][]string{}
	for _, r := range e.requests() {
		if r.Op != "SimulatePrincipalPolicy" {
			continue
		}
		v, err := url.ParseQuery(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		ctx := map[string][]string{}
		for i := 1; ; i++ {
			p := "ContextEntries.member." + strconv.Itoa(i) + "."
			name := v.Get(p + "ContextKeyName")
			if name == "" {
				break
			}
			for j := 1; v.Has(p + "ContextKeyValues.member." + strconv.Itoa(j)); j++ {
				ctx[name] = append(ctx[name], v.Get(p+"ContextKeyValues.member."+strconv.Itoa(j)))
			}
		}
		out[v.Get("ActionNames.member.1")] = ctx
	}
	return out
}

// TestTheSimulatorIsAskedTheQuestionDoorEvaluates: for every shared scenario, the context entries
// the probe sends to the simulator are exactly the known context of the requests request.Build
// makes from the facts the probe returns, the very requests door evaluates (SPEC §3: "the
// simulator's ContextEntries are exactly the known keys of the same requests"). A key one side
// adds and the other forgets would make SIMULATION_DISAGREES mean nothing.
func TestTheSimulatorIsAskedTheQuestionDoorEvaluates(t *testing.T) {
	isolate(t)
	paths, _ := filepath.Glob(filepath.Join(sharedScenarios(t), "*.json"))
	if len(paths) == 0 {
		t.Fatalf("no shared scenarios in %s", sharedScenarios(t))
	}
	paths = append(paths, wide)
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			e := startEmu(t, p, awsemu.Options{})
			f := e.gather(e.options())
			sent := simulatedContexts(t, e)
			getSecret, decrypt := request.Build(f)
			if f.SimulationErr != nil {
				t.Fatalf("every scenario lets the inspector simulate; the simulator failed: %+v", f.SimulationErr)
			}
			if diff := cmp.Diff(getSecret.Context, sent[getSecret.Action]); diff != "" {
				t.Errorf("GetSecretValue: simulator context differs from door's request (-door +simulator):\n%s", diff)
			}
			if decrypt.Resource == "" {
				if _, ok := sent[decrypt.Action]; ok {
					t.Errorf("kms:Decrypt was simulated without a key ARN")
				}
				return
			}
			if diff := cmp.Diff(decrypt.Context, sent[decrypt.Action]); diff != "" {
				t.Errorf("kms:Decrypt: simulator context differs from door's request (-door +simulator):\n%s", diff)
			}
		})
	}
}
