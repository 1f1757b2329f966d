package handler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credaudit/credaudit/lambda/audit"
)

// The samples in events/ are what the deployed function receives.
func TestParseRequestSamples(t *testing.T) {
	for file, want := range map[string]Request{
		"eventbridge-scheduled.json": {Source: "eventbridge", Delivery: "89d1a02d-5ec7-412e-82f5-13505f849b41"},
		"scheduler.json":             {Source: "scheduler", Delivery: "4a1c3b2e-59b8-4d1f-9a55-0c5a8b0f6e21"},
		"account.json":               {Source: "account", AccountID: "123456789012", RoleARN: "arn:aws:iam::123456789012:role/credaudit-member"},
	} {
		data, err := os.ReadFile(filepath.Join("..", "..", "events", file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseRequest(data)
		if err != nil || got != want {
			t.Errorf("%s: %+v, %v; want %+v", file, got, err, want)
		}
	}
}

// What a refused payload's error says of the forms it may take is logged
// whole: the log masks what an error quotes.
func TestParseRequestHelpSurvivesTheLog(t *testing.T) {
	_, err := ParseRequest([]byte(`{"foo":1}`))
	if err == nil {
		t.Fatal("accepted")
	}
	if logged := audit.LogSafe(err); logged != err.Error() {
		t.Errorf("logged as %q, not as %q", logged, err)
	}
}

func TestParseRequest(t *testing.T) {
	never := audit.NotifyNever
	tests := []struct {
		name, payload string
		want          Request
		wantErr       string
	}{
		{"empty Scheduler payload", `{}`, Request{Source: "scheduler"}, ""},
		{"own account by ID, no role", `{"account_id":"123456789012"}`, Request{Source: "account", AccountID: "123456789012"}, ""},
		{"per-account with notify", `{"account_id":"123456789012","role_arn":"arn:aws:iam::123456789012:role/path/r","notify":"never"}`,
			Request{Source: "account", AccountID: "123456789012", RoleARN: "arn:aws:iam::123456789012:role/path/r", Notify: &never}, ""},
		{"per-account in an organisation run", `{"account_id":"123456789012","notify":"never","run_id":"6f1d2c3b-aaaa_1"}`,
			Request{Source: "account", AccountID: "123456789012", Notify: &never, RunID: "6f1d2c3b-aaaa_1"}, ""},
		{"run_id that is no execution name", `{"account_id":"123456789012","run_id":"../state"}`, Request{}, `run_id "../state": want the execution name`},
		{"empty run_id", `{"account_id":"123456789012","run_id":""}`, Request{}, `run_id "": want the execution name`},
		{"not an object", `[1,2]`, Request{}, "not a JSON object"},
		{"null", `null`, Request{}, "not a JSON object"},
		{"a second object after the first", `{} {}`, Request{}, "not a JSON object"},
		{"a value that is not JSON", `{"source": x}`, Request{}, "not a JSON object"},
		{"another EventBridge event", `{"detail-type":"AWS API Call via CloudTrail","source":"aws.iam"}`, Request{}, `detail-type "AWS API Call via CloudTrail"`},
		{"unknown Scheduler key", `{"scheduledTime":"x","acount_id":"1"}`, Request{}, "unknown keys acount_id"},
		{"unknown key, no account", `{"foo":1}`, Request{}, "unknown keys foo: a Scheduler payload may carry source, scheduledTime, executionId, attemptNumber, scheduleArn; a per-account request has account_id and role_arn, and may have notify and run_id"},
		{"bad account ID", `{"account_id":"12345"}`, Request{}, `account_id "12345" is not 12 digits`},
		{"role in another account", `{"account_id":"123456789012","role_arn":"arn:aws:iam::210987654321:role/r"}`, Request{}, "is in account 210987654321"},
		{"not a role ARN", `{"account_id":"123456789012","role_arn":"arn:aws:iam::123456789012:user/r"}`, Request{}, "not an IAM role ARN"},
		{"account ID not a string", `{"account_id":123456789012}`, Request{}, `"account_id" is not a string`},
		{"account ID not a string, with its role", `{"account_id":123456789012,"role_arn":"arn:aws:iam::123456789012:role/x"}`, Request{},
			`per-account request: "account_id" is not a string` + "$"},
		{"bad notify", `{"account_id":"123456789012","notify":"loud"}`, Request{}, "not a notify mode"},
		{"extra key", `{"account_id":"123456789012","region":"eu-west-1"}`, Request{}, `unknown key "region"`},
		{"account given twice", `{"account_id":"123456789012","account_id":"210987654321"}`, Request{},
			"the event gives key account_id a second time at line 1, column 30 (first at line 1, column 2): which one is meant is not for credaudit to guess"},
		{"Scheduler key twice, lines apart", "{\n  \"source\": \"a\",\n  \"source\": \"b\"\n}", Request{}, "key source a second time at line 3, column 3 (first at line 2, column 3)"},
		{"detail-type twice", `{"detail-type":"Scheduled Event","detail-type":"Scheduled Event"}`, Request{}, "key detail-type a second time"},
		{"organisation step field twice in another case", `{"action":"list_accounts","run_id":"r1","Action":"aggregate"}`, Request{}, "key Action a second time at line 1, column 41"},
		{"odd key twice is quoted", `{"a b":1,"A B":2}`, Request{}, `key "A B" a second time at line 1, column 10`},
		{"a key twice inside a value is the event's own", `{"detail-type":"Scheduled Event","detail":{"a":1,"a":2}}`, Request{Source: "eventbridge"}, ""},
		{"per-account keys on a scheduled event", `{"detail-type":"Scheduled Event","source":"aws.events","account_id":"210987654321","role_arn":"arn:aws:iam::210987654321:role/x"}`, Request{},
			"unknown keys account_id, role_arn in an EventBridge scheduled event, which carries version, id, detail-type, source, account, time, region, resources, detail, replay-name"},
		{"a scheduled event replayed from an archive", `{"detail-type":"Scheduled Event","source":"aws.events","replay-name":"r1","detail":{}}`, Request{Source: "eventbridge"}, ""},
		{"Scheduler's execution ID names the delivery", `{"executionId":"4a1c3b2e-59b8-4d1f-9a55-0c5a8b0f6e21","attemptNumber":"2"}`,
			Request{Source: "scheduler", Delivery: "4a1c3b2e-59b8-4d1f-9a55-0c5a8b0f6e21"}, ""},
		{"an empty execution ID names none", `{"executionId":""}`, Request{Source: "scheduler"}, ""},
		{"a Scheduler placeholder left as it is", `{"executionId":"<aws.scheduler.execution-id>"}`, Request{},
			`executionId "<aws.scheduler.execution-id>": want the event's own ID`},
		{"an execution ID that is not a string", `{"executionId":7}`, Request{}, `"executionId" is not a string`},
		{"an execution ID too long for the state's metadata", `{"executionId":"` + strings.Repeat("a", 129) + `"}`, Request{}, "want the event's own ID"},
		{"an EventBridge event's ID names the delivery", `{"detail-type":"Scheduled Event","id":"89d1a02d-5ec7-412e-82f5-13505f849b41"}`,
			Request{Source: "eventbridge", Delivery: "89d1a02d-5ec7-412e-82f5-13505f849b41"}, ""},
		{"a replayed event's delivery is its replay's", `{"detail-type":"Scheduled Event","id":"89d1a02d","replay-name":"nov-20"}`,
			Request{Source: "eventbridge", Delivery: "replay/nov-20/89d1a02d"}, ""},
		{"an EventBridge ID with a line break", `{"detail-type":"Scheduled Event","id":"a\nb"}`, Request{}, `id "a\nb": want the event's own ID`},
		{"an organisation run's execution input names its delivery", `{"action":"list_accounts","run_id":"r1","event":{"source":"credaudit.schedule","executionId":"4a1c3b2e"}}`,
			Request{Source: "organisation", Delivery: "4a1c3b2e"}, ""},
		{"an organisation run started by hand names none", `{"action":"list_accounts","run_id":"r1","event":{"comment":"by hand"}}`,
			Request{Source: "organisation"}, ""},
		{"an organisation run's input that is no object names none", `{"action":"list_accounts","run_id":"r1","event":["x"]}`, Request{Source: "organisation"}, ""},
		{"an execution ID with ..", `{"action":"list_accounts","run_id":"r1","event":{"executionId":"a..b"}}`, Request{}, `executionId "a..b": want the event's own ID`},
		{"an organisation run's input with a placeholder", `{"action":"list_accounts","run_id":"r1","event":{"executionId":"<aws.scheduler.execution-id>"}}`, Request{},
			`executionId "<aws.scheduler.execution-id>": want the event's own ID`},
		{"an event for aggregate", `{"action":"aggregate","run_id":"r1","accounts":{"bucket":"b","key":"k"},"results":{"bucket":"b","key":"k"},"event":{}}`, Request{},
			"event is list_accounts' only"},
		{"organisation step key in another case", `{"action":"list_accounts","RUN_ID":"abc"}`, Request{}, "organisation step: unknown key RUN_ID (want action, run_id, accounts, missing, results, error, event)"},
		{"keys that differ by more than case", `{"account_id":"123456789012","account-id":"1"}`, Request{}, `unknown key "account-id"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRequest([]byte(tt.payload))
			if tt.wantErr != "" {
				// A want ending in $ is the whole error.
				whole, ok := strings.CutSuffix(tt.wantErr, "$")
				if err == nil || ok && err.Error() != whole || !ok && !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Source != tt.want.Source || got.AccountID != tt.want.AccountID || got.RoleARN != tt.want.RoleARN || got.Delivery != tt.want.Delivery ||
				(got.Notify == nil) != (tt.want.Notify == nil) || (got.Notify != nil && *got.Notify != *tt.want.Notify) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
