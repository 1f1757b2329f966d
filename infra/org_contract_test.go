package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/handler"
)

// statePaths are plausible values for the JSONPaths the state machine's
// payloads read: the execution's name, list_accounts' result, the map's
// ResultWriter output and caught error, and a list item.
var statePaths = map[string]any{
	"$$.Execution.Name":                    "6f1d2c3b-aaaa-bbbb-cccc-1234567890ab",
	"$$.Execution.Input":                   map[string]any{"source": "credaudit.schedule", "executionId": "4a1c3b2e-59b8-4d1f-9a55-0c5a8b0f6e21"},
	"$.bucket":                             "credaudit-state",
	"$.key":                                "runs/6f1d2c3b-aaaa-bbbb-cccc-1234567890ab/accounts.json",
	"$.missing":                            []any{map[string]any{"id": "999999999999", "reason": "included, but not an account of the organisation"}},
	"$.results.ResultWriterDetails.Bucket": "credaudit-state",
	"$.results.ResultWriterDetails.Key":    "runs/results/0e8f7a6b/manifest.json",
	"$.error":                              map[string]any{"Error": "States.ExceedToleratedFailureThreshold", "Cause": "too many failed"},
	"$$.Map.Item.Value.account_id":         "111111111111",
	"$$.Map.Item.Value.role_arn":           "arn:aws:iam::111111111111:role/credaudit-member",
}

// fill resolves a payload template's "key.$" entries with statePaths.
func fill(t *testing.T, v any) any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for k, x := range m {
		if len(k) > 2 && k[len(k)-2:] == ".$" {
			val, ok := statePaths[x.(string)]
			if !ok {
				t.Fatalf("%s reads %v, which this test has no value for", k, x)
			}
			out[k[:len(k)-2]] = val
			continue
		}
		out[k] = fill(t, x)
	}
	return out
}

// Every event the state machine sends the functions is one the function
// accepts, in the shape it expects: the infrastructure and the handler
// agree on the contract (lambda/handler's ParseRequest).
func TestOrgStateMachineSpeaksTheFunctionsLanguage(t *testing.T) {
	s := synth(t, "org")
	states := s.states(t)
	payload := func(state map[string]any) any {
		return state["Parameters"].(map[string]any)["Payload"]
	}
	auditMap := states["AuditAccounts"]
	for _, tc := range []struct {
		name     string
		template any
		source   string
		action   string
	}{
		{"ListAccounts", payload(states["ListAccounts"]), "organisation", handler.ActionListAccounts},
		{"AuditAccounts item", auditMap["ItemSelector"], "account", ""},
		{"Aggregate", payload(states["Aggregate"]), "organisation", handler.ActionAggregate},
		{"ReportFailure", payload(states["ReportFailure"]), "organisation", handler.ActionAggregate},
	} {
		event, err := json.Marshal(fill(t, tc.template))
		if err != nil {
			t.Fatal(err)
		}
		req, err := handler.ParseRequest(event)
		if err != nil {
			t.Errorf("%s sends %s, which the function refuses: %v", tc.name, event, err)
			continue
		}
		if req.Source != tc.source || (tc.action != "" && (req.Org == nil || req.Org.Action != tc.action)) {
			t.Errorf("%s sends %s, read as %+v", tc.name, event, req)
		}
		if tc.source == "account" && (req.Notify == nil || req.Notify.String() != "never") {
			t.Errorf("%s: per-account requests must say notify never (the run sends one digest), read %+v", tc.name, req)
		}
		if tc.action == handler.ActionListAccounts && req.Delivery != "4a1c3b2e-59b8-4d1f-9a55-0c5a8b0f6e21" {
			t.Errorf("%s: list_accounts must get the execution's input, whose executionId it claims, read %+v", tc.name, req)
		}
		if tc.source == "account" && req.RunID != statePaths["$$.Execution.Name"] {
			t.Errorf("%s: per-account requests must name the run, whose failed map's digest reads the summaries they keep, read %+v", tc.name, req)
		}
	}
	if got := payload(states["Aggregate"]).(map[string]any); got["results"] == nil || got["error.$"] != nil {
		t.Errorf("Aggregate must hand over the map's results, not an error: %v", got)
	}
	if got := payload(states["ReportFailure"]).(map[string]any); got["error.$"] == nil || got["results"] != nil {
		t.Errorf("ReportFailure must hand over the map's error: %v", got)
	}
}

// The metric filters behind AuditorIncompleteAlarm,
// OrchestratorNotListedAlarm and the suppressor of RunFailedAlarm match
// the lines the functions log for an account audited but not wholly
// published or saved, for what the filters include that is not there to
// audit, and for a failure the run told the topic of, as the function's
// Lambda logger (lambdacontext) writes them.
func TestMetricFiltersMatchTheFunctionsLines(t *testing.T) {
	for variant, lines := range map[string]map[string]string{
		"default": {FailuresToldMetric: audit.LogFailureTold},
		"org":     {IncompleteMetric: handler.LogIncomplete, NotListedMetric: handler.LogIncludedNotListed, FailuresToldMetric: audit.LogFailureTold},
	} {
		t.Run(variant, func(t *testing.T) {
			s := synth(t, variant)
			for _, r := range s.resources("AWS::Logs::MetricFilter") {
				p := r["Properties"].(map[string]any)
				metric := p["MetricTransformations"].([]any)[0].(map[string]any)["MetricName"].(string)
				msg, ok := lines[metric]
				if !ok {
					t.Errorf("metric filter for %s, which no function line is known to stand for", metric)
					continue
				}
				delete(lines, metric)
				pattern := p["FilterPattern"].(string)
				m := regexp.MustCompile(`^\{ \$\.(\w+) = "([^"]*)" \}$`).FindStringSubmatch(pattern)
				if m == nil {
					t.Fatalf("filter pattern %q is not { $.KEY = \"VALUE\" }", pattern)
				}
				var line bytes.Buffer
				log := slog.New(slog.NewJSONHandler(&line, &slog.HandlerOptions{ReplaceAttr: lambdacontext.ReplaceAttr}))
				log.LogAttrs(context.Background(), slog.LevelError, msg, slog.String("account_id", "111111111111"))
				var fields map[string]any
				if err := json.Unmarshal(line.Bytes(), &fields); err != nil {
					t.Fatal(err)
				}
				if fields[m[1]] != m[2] {
					t.Errorf("filter %s does not match the function's line %s", pattern, line.Bytes())
				}
			}
			if len(lines) > 0 {
				t.Errorf("no metric filter counts %v", lines)
			}
		})
	}
}

// The stack grants listing for the key the function keeps the owed
// organisation digests under, and its runs' prefix is the function's.
func TestOrgStackNamesTheFunctionsRunFiles(t *testing.T) {
	if OwedDigestsKey != handler.OwedDigestsKey || RunsPrefix != handler.RunsPrefix {
		t.Errorf("infra: %q under %q; the function: %q under %q", OwedDigestsKey, RunsPrefix, handler.OwedDigestsKey, handler.RunsPrefix)
	}
	// The auditor may write the summary the function keeps, and only there.
	pattern := SummariesPrefix + "*"
	key := handler.SummaryKey("6f1d2c3b-aaaa_1", "111111111111")
	if ok, _ := path.Match(pattern, key); !ok {
		t.Errorf("the auditor may write %q, not the function's %q", pattern, key)
	}
	for _, other := range []string{"state/111111111111.json.gz", OwedDigestsKey, "runs/x/accounts.json"} {
		if ok, _ := path.Match(pattern, other); ok {
			t.Errorf("the auditor's %q lets it write %q", pattern, other)
		}
	}
	// The orchestrator may claim a firing where the function does.
	if claim := handler.DeliveryKey("4a1c3b2e-59b8-4d1f-9a55-0c5a8b0f6e21"); !s3Match(DeliveriesPrefix+"*", claim) {
		t.Errorf("the orchestrator may write %q, not the function's %q", DeliveriesPrefix+"*", claim)
	}
	// The orchestrator may write the accounts list of a run, and no other
	// run file (S3's * matches a / too, which path.Match's does not: the
	// patterns are checked as S3 reads them).
	if accounts := handler.AccountsKey("6f1d2c3b-aaaa_1"); !s3Match(AccountsKeys, accounts) {
		t.Errorf("the orchestrator may write %q, not the function's %q", AccountsKeys, accounts)
	}
	for _, other := range []string{key, ResultsPrefix + "/0f1e/manifest.json", ResultsPrefix + "/0f1e/SUCCEEDED_0.json", "state/111111111111.json.gz"} {
		if s3Match(AccountsKeys, other) {
			t.Errorf("the orchestrator's %q lets it write %q", AccountsKeys, other)
		}
	}
}

// s3Match reports whether key matches an IAM resource pattern's object
// part, where * matches any run of characters, / included.
func s3Match(pattern, key string) bool {
	re := "^" + strings.ReplaceAll(regexp.QuoteMeta(pattern), `\*`, ".*") + "$"
	return regexp.MustCompile(re).MatchString(key)
}

// The stack refuses a configuration bucket in the function's words: infra
// imports no lambda package, so the check is written twice.
func TestConfigBucketRefusedAsTheFunctionDoes(t *testing.T) {
	for _, bucket := range []string{"cfg-ab12cd34ef56gh78ij90klmnopqrst-s3alias", "cfg--ol-s3", "cfg--use1-az4--x-s3", "credaudit-config"} {
		ours, theirs := unreadableBucket(bucket), handler.UnreadableBucket(bucket)
		if (ours == nil) != (theirs == nil) || ours != nil && ours.Error() != theirs.Error() {
			t.Errorf("%s: the stack says %v, the function %v", bucket, ours, theirs)
		}
	}
	if unreadableBucket("cfg--ol-s3") == nil {
		t.Error("test setup: an Object Lambda alias is not refused")
	}
}
