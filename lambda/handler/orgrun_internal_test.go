package handler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/org"
)

func TestParseOrgStepSamples(t *testing.T) {
	const run = "a1b2c3d4-5678-90ab-cdef-111122223333"
	for file, want := range map[string]OrgStep{
		"org-list-accounts.json": {Action: ActionListAccounts, RunID: run, Delivery: "4a1c3b2e-59b8-4d1f-9a55-0c5a8b0f6e21"},
		"org-aggregate.json": {Action: ActionAggregate, RunID: run,
			Accounts: &Location{Bucket: "credaudit-state-123456789012", Key: "runs/" + run + "/accounts.json"},
			Missing:  []org.Missing{},
			Results:  &Location{Bucket: "credaudit-state-123456789012", Key: "runs/results/0e8f7a6b-1c2d-4e5f-8a9b-0c1d2e3f4a5b/manifest.json"}},
	} {
		data, err := os.ReadFile(filepath.Join("..", "..", "events", file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseRequest(data)
		if err == nil && got.Org != nil {
			got.Org.Event = nil // the execution's input, as it is; Delivery is what is read of it
		}
		if err != nil || got.Source != "organisation" || got.Org == nil || !reflect.DeepEqual(*got.Org, want) {
			t.Errorf("%s: %+v (%+v), %v; want %+v", file, got, got.Org, err, want)
		}
	}
}

// The keys an organisation step may have are OrgStep's fields, as the
// state machine writes them.
func TestOrgStepKeysAreItsFields(t *testing.T) {
	var tags []string
	for f := range reflect.TypeFor[OrgStep]().Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "-" {
			tags = append(tags, name)
		}
	}
	if !slices.Equal(tags, orgStepKeys) {
		t.Errorf("orgStepKeys %v, OrgStep's fields %v", orgStepKeys, tags)
	}
}

func TestParseOrgStepErrors(t *testing.T) {
	const loc = `{"bucket":"b","key":"runs/k"}`
	for payload, want := range map[string]string{
		`{"action":"list_accounts"}`:                                                                             `run_id ""`,
		`{"action":"list_accounts","run_id":"a/../b"}`:                                                           `run_id "a/../b"`,
		`{"action":"list_accounts","run_id":"x","accounts":` + loc + `}`:                                         "list_accounts takes only run_id and event",
		`{"action":"list_accounts","run_id":"x","missing":[]}`:                                                   "list_accounts takes only run_id and event",
		`{"action":"audit","run_id":"x"}`:                                                                        `action "audit": want list_accounts or aggregate`,
		`{"action":"aggregate","run_id":"x","results":` + loc + `}`:                                              "aggregate needs accounts",
		`{"action":"aggregate","run_id":"x","accounts":` + loc + `}`:                                             "either results",
		`{"action":"aggregate","run_id":"x","accounts":` + loc + `,"results":` + loc + `,"error":{"Error":"e"}}`: "either results",
		`{"action":"list_accounts","run_id":"x","extra":1}`:                                                      `unknown key extra (want action, run_id, accounts, missing, results, error, event)`,
		`{"action":"list_accounts","run_id":"x","accounts":{"bucket":"b","key":"k","Region":"r"}}`:               `unknown field "Region"`,
		`{"action":7}`: "cannot unmarshal number",
	} {
		_, err := ParseRequest([]byte(payload))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "organisation step: ") {
			t.Errorf("%s: error %v, want one containing %q", payload, err, want)
		}
	}
}

// accountRuns joins the list with whatever the map recorded: succeeded
// executions' summaries (with the error of an audit that could not publish
// everything), failed ones' errors (a Lambda error payload or Step
// Functions' own), and a note for each account without a result.
func TestAccountRuns(t *testing.T) {
	items := []Item{{AccountID: "111111111111", Name: "a"}, {AccountID: "222222222222", Name: "b"},
		{AccountID: "333333333333", Name: "c"}, {AccountID: "444444444444", Name: "d"}, {AccountID: "555555555555", Name: "e"},
		{AccountID: "666666666666", Name: "f"}, {AccountID: "777777777777", Name: "g"}}
	in := func(id string) string {
		return `{"account_id":"` + id + `","role_arn":"arn:aws:iam::` + id + `:role/r","notify":"never"}`
	}
	out := func(s string) *string { return &s }
	runs, err := accountRuns(items, []mapExecution{
		{Status: "SUCCEEDED", Input: in("111111111111"), Output: out(`{"account_id":"111111111111","users":3,"failing":2}`)},
		{Status: "FAILED", Input: in("222222222222"), Error: "described", Cause: `{"errorMessage":"assume role: denied (check the trust)","errorType":"described"}`},
		{Status: "TIMED_OUT", Input: in("333333333333"), Error: "States.Timeout", Cause: "the execution timed out"},
		{Status: "SUCCEEDED", Input: in("444444444444"), Output: out(`null`)},
		{Status: "SUCCEEDED", Input: in("666666666666"), Output: out(`{"account_id":"666666666666","users":5,"failing":1,"error":"security hub: 1 findings failed"}`)},
		{Status: "SUCCEEDED", Input: in("777777777777"), Output: out(`{"error":"security hub: 1 findings failed"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []audit.AccountRun{
		{AccountID: "111111111111", Name: "a", Summary: &audit.Summary{AccountID: "111111111111", Users: 3, Failing: 2}},
		{AccountID: "222222222222", Name: "b", Error: "assume role: denied (check the trust)"},
		{AccountID: "333333333333", Name: "c", Error: "timed_out: States.Timeout: the execution timed out"},
		{AccountID: "444444444444", Name: "d", Error: `the audit's output is not its summary: "null"`},
		{AccountID: "555555555555", Name: "e", Error: "not audited: the map run has no result for this account (it was aborted or stopped before it)"},
		{AccountID: "666666666666", Name: "f", Summary: &audit.Summary{AccountID: "666666666666", Users: 5, Failing: 1}, Error: "security hub: 1 findings failed"},
		{AccountID: "777777777777", Name: "g", Error: `the audit's output is not its summary: "{\"error\":\"security hub: 1 findings failed\"}"`},
	}
	if !reflect.DeepEqual(runs, want) {
		for i := range runs {
			t.Errorf("run %d: %+v (summary %+v)\nwant %+v", i, runs[i], runs[i].Summary, want[i])
		}
	}

	for _, bad := range []mapExecution{{Status: "SUCCEEDED", Input: `not json`}, {Status: "FAILED", Input: in("999999999999")}} {
		if _, err := accountRuns(items, []mapExecution{bad}); err == nil {
			t.Errorf("accountRuns accepted %+v", bad)
		}
	}
}

// A listing that failed says what to check: time and throttling pass,
// anything else is where the function runs and what it may call.
func TestListHint(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"the deadline", fmt.Errorf("organizations:ListAccounts: %w", context.DeadlineExceeded), "ran out of time"},
		{"throttled", fmt.Errorf("organizations:ListParents of 111111111111: %w", &smithy.GenericAPIError{Code: "TooManyRequestsException"}), "throttled"},
		{"access denied", fmt.Errorf("organizations:ListAccounts: %w", &smithy.GenericAPIError{Code: "AccessDeniedException"}), "must run in the management account"},
		{"not in an organisation", fmt.Errorf("organizations:ListAccounts: %w", &smithy.GenericAPIError{Code: "AWSOrganizationsNotInUseException"}), "must run in the management account"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := listHint(tc.err); !strings.Contains(got, tc.want) {
				t.Errorf("listHint = %q, want it to say %q", got, tc.want)
			}
		})
	}
}
