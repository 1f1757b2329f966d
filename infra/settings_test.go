package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/org"
	"github.com/credaudit/credaudit/lambda/rules"
)

func lookupIn(ctx map[string]any) func(string) any {
	return func(k string) any { return ctx[k] }
}

func TestSettingsDefaults(t *testing.T) {
	got, err := LoadSettings(lookupIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{
		StackName: "credaudit", Schedule: "cron(0 6 * * ? *)", TimeZone: "Etc/UTC",
		Notify: "changes", SecurityHub: true,
		RefreshDays: 30, LogRetentionDays: 365, LogLevel: "INFO",
		MemoryMiB: 512, Timeout: 900 * time.Second, Asset: "bin/lambda",
		MemberRole: "credaudit-member", StackSetCallAs: "SELF", MaxConcurrency: 10, ToleratedFailurePercent: 100,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestSettingsFromContext(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  map[string]any
		want func(*Settings)
	}{
		{"emails as a JSON list", map[string]any{KeyEmails: []any{"a@example.com", "b@example.org", "a@example.com"}},
			func(s *Settings) { s.Emails = []string{"a@example.com", "b@example.org"} }},
		{"emails as -c a,b", map[string]any{KeyEmails: " a@example.com, ,b@example.org "},
			func(s *Settings) { s.Emails = []string{"a@example.com", "b@example.org"} }},
		{"numbers from cdk.json", map[string]any{KeyRefreshDays: 7.0, KeyMemory: 256.0, KeyTimeout: 300.0, KeyLogRetention: 30.0},
			func(s *Settings) {
				s.RefreshDays, s.MemoryMiB, s.Timeout, s.LogRetentionDays = 7, 256, 300*time.Second, 30
			}},
		// 89 days with runs an hour apart: refreshed by day 89 and an hour.
		{"numbers from -c", map[string]any{KeyRefreshDays: "89", KeyMemory: "128", KeyTimeout: "60", KeyLogRetention: "3653", KeySchedule: "rate(1 hour)"},
			func(s *Settings) {
				s.RefreshDays, s.MemoryMiB, s.Timeout, s.LogRetentionDays, s.Schedule = 89, 128, 60*time.Second, 3653, "rate(1 hour)"
			}},
		{"security hub off (-c)", map[string]any{KeySecurityHub: "OFF"}, func(s *Settings) { s.SecurityHub = false }},
		{"security hub off (JSON false)", map[string]any{KeySecurityHub: false}, func(s *Settings) { s.SecurityHub = false }},
		{"home region", map[string]any{KeySecurityHubRegion: "ap-southeast-2"}, func(s *Settings) { s.HubRegion = "ap-southeast-2" }},
		{"home region in the European Sovereign Cloud", map[string]any{KeySecurityHubRegion: "eusc-de-east-1"}, func(s *Settings) { s.HubRegion = "eusc-de-east-1" }},
		{"config in S3", map[string]any{KeyConfig: "s3://my-bucket/path/credaudit.yaml"}, func(s *Settings) { s.Config = "s3://my-bucket/path/credaudit.yaml" }},
		{"config in SSM", map[string]any{KeyConfig: "ssm:/credaudit/config"}, func(s *Settings) { s.Config = "ssm:/credaudit/config" }},
		{"log level in lower case", map[string]any{KeyLogLevel: "warn"}, func(s *Settings) { s.LogLevel = "WARN" }},
		{"notify in any case, meant in lower case", map[string]any{KeyNotify: "Always"}, func(s *Settings) { s.Notify = "always" }},
		{"rate schedule and a time zone", map[string]any{KeySchedule: "rate(1 day)", KeyTimeZone: "America/New_York"},
			func(s *Settings) { s.Schedule, s.TimeZone = "rate(1 day)", "America/New_York" }},
		{"empty strings mean the default", map[string]any{KeyProfile: "", KeyNotify: " ", KeyMemberRole: "", KeyMaxConcurrency: ""}, func(s *Settings) {}},
		{"an empty JSON list is none", map[string]any{KeyOrgIncludeAccounts: []any{}, KeyOrgExcludeOUs: []any{}}, func(s *Settings) {}},
		{"organisation from cdk.json", map[string]any{
			KeyOrg: true, KeyOrgID: "o-abcdefghij", KeyStackSetTargets: []any{"r-ab12", "ou-ab12-cdef3456", "r-ab12"},
			KeyOrgIncludeAccounts: []any{"111111111111"}, KeyOrgExcludeOUs: []any{"ou-ab12-00000000"},
			KeyMaxConcurrency: 50.0, KeyToleratedFailurePerc: 0.0, KeyStackSetCallAs: "DELEGATED_ADMIN",
		}, func(s *Settings) {
			s.Org, s.OrgID, s.StackSetTargets = true, "o-abcdefghij", []string{"r-ab12", "ou-ab12-cdef3456"}
			s.IncludeAccounts, s.ExcludeOUs = []string{"111111111111"}, []string{"ou-ab12-00000000"}
			s.MaxConcurrency, s.ToleratedFailurePercent, s.StackSetCallAs = 50, 0, "DELEGATED_ADMIN"
		}},
		{"organisation from -c", map[string]any{
			KeyOrg: "TRUE", KeyOrgID: "o-a1b2c3d4e5f6", KeyStackSetTargets: " ou-ab12-cdef3456 ,",
			KeyOrgExcludeAccounts: "111111111111, 222222222222", KeyOrgIncludeOUs: "r-ab12",
			KeyMemberRole: "OrgAudit@Member", KeyStackSetCallAs: "delegated_admin", KeyMaxConcurrency: "1", KeyToleratedFailurePerc: "100",
		}, func(s *Settings) {
			s.Org, s.OrgID, s.StackSetTargets = true, "o-a1b2c3d4e5f6", []string{"ou-ab12-cdef3456"}
			s.ExcludeAccounts, s.IncludeOUs = []string{"111111111111", "222222222222"}, []string{"r-ab12"}
			s.MemberRole, s.StackSetCallAs, s.MaxConcurrency = "OrgAudit@Member", "DELEGATED_ADMIN", 1
		}},
		// Without an include filter, the accounts that have the member
		// role: those below OU targets, and with SELF the stack's own.
		{"OU targets with SELF: the filter includes them and the stack's account", map[string]any{
			KeyOrg: true, KeyOrgID: "o-abcdefghij", KeyStackSetTargets: "ou-ab12-11111111,ou-ab12-22222222", KeyOrgExcludeAccounts: "333333333333",
		}, func(s *Settings) {
			s.Org, s.OrgID, s.StackSetTargets = true, "o-abcdefghij", []string{"ou-ab12-11111111", "ou-ab12-22222222"}
			s.ExcludeAccounts, s.IncludeOUs, s.IncludeOwnAccount = []string{"333333333333"}, []string{"ou-ab12-11111111", "ou-ab12-22222222"}, true
		}},
		{"OU targets with DELEGATED_ADMIN: the filter includes them", map[string]any{
			KeyOrg: true, KeyOrgID: "o-abcdefghij", KeyStackSetTargets: []any{"ou-ab12-11111111"}, KeyStackSetCallAs: "DELEGATED_ADMIN",
			KeyOrgIncludeAccounts: []any{}, // none, as if unset
		}, func(s *Settings) {
			s.Org, s.OrgID, s.StackSetTargets, s.StackSetCallAs = true, "o-abcdefghij", []string{"ou-ab12-11111111"}, "DELEGATED_ADMIN"
			s.IncludeOUs = []string{"ou-ab12-11111111"}
		}},
		{"a root among the targets: no filter", map[string]any{
			KeyOrg: true, KeyOrgID: "o-abcdefghij", KeyStackSetTargets: "ou-ab12-11111111,r-ab12",
		}, func(s *Settings) {
			s.Org, s.OrgID, s.StackSetTargets = true, "o-abcdefghij", []string{"ou-ab12-11111111", "r-ab12"}
		}},
		{"OU targets and orgIncludeAccounts: the accounts as written", map[string]any{
			KeyOrg: true, KeyOrgID: "o-abcdefghij", KeyStackSetTargets: "ou-ab12-11111111", KeyOrgIncludeAccounts: "111111111111",
		}, func(s *Settings) {
			s.Org, s.OrgID, s.StackSetTargets = true, "o-abcdefghij", []string{"ou-ab12-11111111"}
			s.IncludeAccounts = []string{"111111111111"}
		}},
		{"org off: organisation settings are not read", map[string]any{KeyOrg: "false", KeyOrgIncludeAccounts: "111111111111"},
			func(s *Settings) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, _ := LoadSettings(lookupIn(nil))
			tc.want(&want)
			got, err := LoadSettings(lookupIn(tc.ctx))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// Each bad value is named in the error, all of them at once.
func TestSettingsRejected(t *testing.T) {
	for _, tc := range []struct {
		key   string
		value any
	}{
		{KeyStackName, "9lives"},
		{KeySchedule, "cron(0 6 * * *)"}, // five fields: a Unix cron, not Scheduler's
		{KeySchedule, "at(2026-01-01T00:00:00)"},
		{KeyTimeZone, "Mars/Olympus"},
		{KeyTimeZone, "Local"},
		// Files of a system's zoneinfo directory that are no IANA zone
		// name, and a name in the wrong case (which a case-insensitive
		// file system finds): Go loads them where they exist, Scheduler
		// does not take them.
		{KeyTimeZone, "localtime"},
		{KeyTimeZone, "posixrules"},
		{KeyTimeZone, "posix/Europe/Berlin"},
		{KeyTimeZone, "right/UTC"},
		{KeyTimeZone, "europe/berlin"},
		{KeyEmails, "not-an-address"},
		{KeyEmails, "Sec Ops <secops@example.com>"},
		{KeyEmails, []any{"a@example.com", 3.0}},
		{KeyProfile, "cis-9.9"},
		{KeyConfig, "https://example.com/credaudit.yaml"},
		{KeyConfig, "s3://bucket-only"},
		{KeyConfig, "ssm:"},
		{KeyNotify, "sometimes"},
		{KeySecurityHub, "maybe"},
		{KeySecurityHubRegion, "europe"},
		{KeySecurityHubRegion, "us-east-1:x"},
		{KeyRefreshDays, 0.0},
		{KeyRefreshDays, "90"},
		{KeyRefreshDays, 1.5},
		{KeyLogRetention, 10.0},
		{KeyLogLevel, "TRACE"},
		{KeyMemory, "64"},
		{KeyMemory, "lots"},
		{KeyTimeout, "901"},
		{KeyTimeout, 30.0},
		{KeyOrg, "yes"},
		{KeyOrg, 1.0},
		{KeyOrgID, "o-short"},
		{KeyOrgID, "O-ABCDEFGHIJ"},
		{KeyMemberRole, "role/with/slashes"},
		{KeyMemberRole, strings.Repeat("r", 65)},
		{KeyStackSetTargets, "ou-bad"},
		{KeyStackSetTargets, []any{"r-ab12", 7.0}},
		{KeyStackSetTargets, 3.0},
		{KeyStackSetCallAs, "ORG"},
		{KeyOrgIncludeAccounts, "12345678901"}, // 11 digits
		{KeyOrgExcludeAccounts, "111111111111,abc"},
		{KeyOrgIncludeOUs, "111111111111"},
		{KeyOrgExcludeOUs, "ou-ab12"},
		{KeyOrgIncludeAccounts, ""}, // -c with an empty shell variable
		{KeyOrgExcludeAccounts, " , "},
		{KeyOrgIncludeOUs, ","},
		{KeyOrgExcludeOUs, ""},
		// The same in cdk.json: a list of blank items (a template filled
		// from an empty variable) names nothing, unlike [].
		{KeyOrgIncludeAccounts, []any{""}},
		{KeyOrgIncludeOUs, []any{" ", ""}},
		{KeyOrgExcludeAccounts, []any{" "}},
		{KeyStackSetTargets, ""},
		{KeyMaxConcurrency, "0"},
		{KeyMaxConcurrency, 1001.0},
		{KeyToleratedFailurePerc, "101"},
		{KeyToleratedFailurePerc, -1.0},
	} {
		t.Run(tc.key, func(t *testing.T) {
			ctx := map[string]any{}
			if slices.Contains(organisationKeys, tc.key) {
				// Read only with org=true.
				ctx = map[string]any{KeyOrg: true, KeyOrgID: "o-abcdefghij", KeyStackSetTargets: "r-ab12"}
			}
			ctx[tc.key] = tc.value
			_, err := LoadSettings(lookupIn(ctx))
			if err == nil || !strings.Contains(err.Error(), "context "+tc.key+"=") {
				t.Errorf("%s=%v: error %v, want one naming %s", tc.key, tc.value, err, tc.key)
			}
		})
	}
	// With org=true the organisation ID and the StackSet targets are
	// required.
	_, err := LoadSettings(lookupIn(map[string]any{KeyOrg: true}))
	if err == nil || !strings.Contains(err.Error(), "context "+KeyOrgID+"=") || !strings.Contains(err.Error(), "context "+KeyStackSetTargets+"=") {
		t.Errorf("org=true alone: %v, want %s and %s named as required", err, KeyOrgID, KeyStackSetTargets)
	}
	_, err = LoadSettings(lookupIn(map[string]any{KeyProfile: "x", KeyNotify: "y"}))
	if err == nil || !strings.Contains(err.Error(), KeyProfile) || !strings.Contains(err.Error(), KeyNotify) {
		t.Errorf("two bad values: %v, want both named", err)
	}
}

// A key shaped like a setting and near one is refused, with the settings
// it may have meant, in the same error as a bad value; the CDK's own keys
// (feature flags, the CLI's, cached lookups) are not settings' shape and
// pass.
func TestLoadContextRefusesUnknownKeys(t *testing.T) {
	cdks := map[string]any{
		"@aws-cdk/core:newStyleStackSynthesis":                       true,
		"aws:cdk:enable-path-metadata":                               true,
		"availability-zones:account=123456789012:region=eu-west-1":   []any{"eu-west-1a"},
		"acknowledged-issue-numbers":                                 []any{32775.0},
		"@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2": true,
		"aws:cdk:bundling-stacks":                                    []any{"**"},
		"@aws-cdk/core:failSynthOnValidationErrors":                  false,
		"cli-telemetry": false,
		"hosted-zone:account=123456789012:domainName=example.com:region=eu-west-1": map[string]any{},
	}
	if _, err := LoadContext(maps.Clone(cdks)); err != nil {
		t.Errorf("the CDK's own context keys: %v", err)
	}
	for _, tc := range []struct {
		key  string
		want string
	}{
		{"memoryMiB", "context memoryMiB=1024: not a credaudit setting; did you mean memorySize?"},
		{"timeout", "context timeout=1024: not a credaudit setting; did you mean timeoutSeconds?"},
		{"emails", "context emails=1024: not a credaudit setting; did you mean notificationEmails?"},
		{"securityhub", "context securityhub=1024: not a credaudit setting; did you mean securityHub or securityHubRegion?"},
		{"Schedule", ""}, // not a setting's shape: a capital first
		{"colour", ""},   // near no setting: ignored, with a warning (below)
	} {
		ctx := maps.Clone(cdks)
		ctx[tc.key] = 1024.0
		ctx[KeyTimeZone] = "Mars/Olympus"
		_, err := LoadContext(ctx)
		if err == nil {
			t.Fatalf("%s: accepted", tc.key)
		}
		lines := strings.Split(err.Error(), "\n")
		want := []string{"invalid settings:"}
		if tc.want != "" {
			want = append(want, tc.want)
		}
		want = append(want, "context timeZone=Mars/Olympus: want an IANA time zone name such as Etc/UTC or Europe/Berlin")
		if diff := cmp.Diff(want, lines); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.key, diff)
		}
	}
	// A key near no setting, such as one ~/.cdk.json's context holds for
	// every app, is not refused: synth warns of it.
	ctx := maps.Clone(cdks)
	ctx["stage"] = "dev"
	s, err := LoadContext(ctx)
	if want := []string{`context stage=dev: not a credaudit setting, ignored (see the README's "Context settings")`}; err != nil || !cmp.Equal(s.Ignored, want) {
		t.Errorf("stage=dev: %v, ignored %q; want no error and %q", err, s.Ignored, want)
	}
}

// An error shows the value as it was written: a list from cdk.json as
// JSON, so that a list of blanks is not shown as the [] it is told to write.
func TestSettingsErrorShowsTheValueWritten(t *testing.T) {
	org := map[string]any{KeyOrg: true, KeyOrgID: "o-abcdefghij", KeyStackSetTargets: "r-ab12"}
	for _, tc := range []struct {
		name  string
		key   string
		value any
		want  string
	}{
		// The default of an include setting is not "none" (defaultIncludes).
		{"a cdk.json list of a blank", KeyOrgIncludeAccounts, []any{""}, `context orgIncludeAccounts=[""]: names nothing; leave it out (or write [] in cdk.json) for its default`},
		{"a cdk.json list of blanks", KeyOrgExcludeOUs, []any{" ", ""}, `context orgExcludeOus=[" ",""]: names nothing`},
		{"-c with an empty variable", KeyOrgIncludeAccounts, "", `context orgIncludeAccounts=: names nothing`},
		{"-c with only commas", KeyOrgIncludeOUs, " , ", `context orgIncludeOus= , : names nothing`},
		{"a cdk.json list with a number", KeyStackSetTargets, []any{"r-ab12", 7.0}, `context stackSetTargets=["r-ab12",7]: want a list of IDs`},
		{"an email list with a number", KeyEmails, []any{"a@example.com", 3.0}, `context notificationEmails=["a@example.com",3]: want a list`},
		{"a number", KeyMaxConcurrency, 1.5, `context maxConcurrency=1.5: want a whole number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := maps.Clone(org)
			ctx[tc.key] = tc.value
			_, err := LoadSettings(lookupIn(ctx))
			if err == nil || !slices.ContainsFunc(strings.Split(err.Error(), "\n"), func(l string) bool { return strings.HasPrefix(l, tc.want) }) {
				t.Errorf("error %v, want a line starting %q", err, tc.want)
			}
		})
	}
}

// organisationKeys are the README's "Organisation settings" but org itself:
// "Read only with org=true".
var organisationKeys = []string{
	KeyOrgID, KeyStackSetTargets, KeyMemberRole, KeyStackSetCallAs, KeyOrgIncludeAccounts, KeyOrgExcludeAccounts,
	KeyOrgIncludeOUs, KeyOrgExcludeOUs, KeyMaxConcurrency, KeyToleratedFailurePerc,
}

// Without org=true the organisation settings are not read: values left in
// cdk.json for the organisation stack, even ones it refuses, neither stop
// nor change the single-account stack.
func TestSettingsOrganisationReadOnlyWithOrg(t *testing.T) {
	// One value the organisation stack refuses for each key.
	refused := map[string]any{
		KeyOrgID: "garbage", KeyStackSetTargets: "ou-bad", KeyMemberRole: "role/with/slashes", KeyStackSetCallAs: "ORG",
		KeyOrgIncludeAccounts: "", KeyOrgExcludeAccounts: []any{""}, KeyOrgIncludeOUs: "111111111111", KeyOrgExcludeOUs: 3.0,
		KeyMaxConcurrency: "0", KeyToleratedFailurePerc: 101.0,
	}
	if diff := cmp.Diff(slices.Sorted(slices.Values(organisationKeys)), slices.Sorted(maps.Keys(refused))); diff != "" {
		t.Fatalf("a refused value for each organisation key (-keys +refused):\n%s", diff)
	}
	defaults, err := LoadSettings(lookupIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, org := range []any{nil, false, "false", "off", ""} {
		ctx := maps.Clone(refused)
		if org != nil {
			ctx[KeyOrg] = org
		}
		got, err := LoadSettings(lookupIn(ctx))
		if err != nil {
			t.Errorf("org=%#v: %v, want the organisation settings not read", org, err)
			continue
		}
		if diff := cmp.Diff(defaults, got); diff != "" {
			t.Errorf("org=%#v: settings (-defaults +got):\n%s", org, diff)
		}
	}
	// The same values with org=true: each is refused.
	ctx := maps.Clone(refused)
	ctx[KeyOrg] = true
	_, err = LoadSettings(lookupIn(ctx))
	for _, key := range organisationKeys {
		if err == nil || !strings.Contains(err.Error(), "context "+key+"=") {
			t.Errorf("org=true: error %v, want one naming %s", err, key)
		}
	}
}

// A still-failing finding is refreshed at the first run once refreshDays
// have passed since its last update, up to the schedule's longest gap
// later; Security Hub deletes it 90 days after that update. Synth refuses
// refreshDays plus the gap at 90 days or more, and says how far to lower
// refreshDays. The gaps are worked out in TestLongestGap.
func TestSettingsRefreshBeforeExpiry(t *testing.T) {
	const weekly, weekdays, sundayNight = "rate(7 days)", "cron(30 7 ? * MON-FRI *)", "cron(30 2 ? * SUN *)"
	for _, tc := range []struct {
		name string
		ctx  map[string]any
		want string // the error's refreshDays line, or "" when accepted
	}{
		{"daily, 88 days: refreshed by day 89", map[string]any{KeyRefreshDays: 88.0}, ""},
		{"daily, 89 days: refreshed on day 90 at the latest", map[string]any{KeyRefreshDays: 89.0},
			tooLate(89, "schedule=cron(0 6 * * ? *) in timeZone=Etc/UTC", "1 day", "lower refreshDays to at most 88 or run more often")},
		{"weekly, 82 days: day 89", map[string]any{KeySchedule: weekly, KeyRefreshDays: 82.0}, ""},
		{"weekly, 83 days: day 90", map[string]any{KeySchedule: weekly, KeyRefreshDays: "83"},
			tooLate(83, "schedule=rate(7 days)", "7 days", "lower refreshDays to at most 82 or run more often")},
		{"weekly, 89 days: day 96", map[string]any{KeySchedule: weekly, KeyRefreshDays: 89.0},
			tooLate(89, "schedule=rate(7 days)", "7 days", "lower refreshDays to at most 82 or run more often")},
		// Friday to Monday.
		{"weekdays, 86 days: day 89", map[string]any{KeySchedule: weekdays, KeyRefreshDays: 86.0}, ""},
		{"weekdays, 87 days: day 90", map[string]any{KeySchedule: weekdays, KeyRefreshDays: 87.0},
			tooLate(87, "schedule=cron(30 7 ? * MON-FRI *) in timeZone=Etc/UTC", "3 days", "lower refreshDays to at most 86 or run more often")},
		// Friday 17:55 to Monday 08:00.
		{"every 5 minutes in office hours, 88 days", map[string]any{KeySchedule: "cron(*/5 8-17 ? * MON-FRI *)", KeyRefreshDays: 88.0},
			tooLate(88, "schedule=cron(*/5 8-17 ? * MON-FRI *) in timeZone=Etc/UTC", "2 days 14 hours 5 minutes", "lower refreshDays to at most 87 or run more often")},
		// In Berlin the clocks skip Sunday 02:30 once a year: two weeks
		// less an hour between runs.
		{"Sunday 02:30 in UTC, 82 days", map[string]any{KeySchedule: sundayNight, KeyRefreshDays: 82.0}, ""},
		{"Sunday 02:30 in Berlin, 76 days: day 89 and 23 hours", map[string]any{KeySchedule: sundayNight, KeyTimeZone: "Europe/Berlin", KeyRefreshDays: 76.0}, ""},
		{"Sunday 02:30 in Berlin, 77 days: day 90 and 23 hours", map[string]any{KeySchedule: sundayNight, KeyTimeZone: "Europe/Berlin", KeyRefreshDays: 77.0},
			tooLate(77, "schedule=cron(30 2 ? * SUN *) in timeZone=Europe/Berlin", "13 days 23 hours", "lower refreshDays to at most 76 or run more often")},
		// May 1 to September 1: no refreshDays is short enough.
		{"every four months, the default 30 days", map[string]any{KeySchedule: "cron(0 3 1 */4 ? *)"},
			tooLate(30, "schedule=cron(0 3 1 */4 ? *) in timeZone=Etc/UTC", "123 days", "run more often (even refreshDays=1 needs runs less than 89 days apart)")},
		{"Security Hub off: nothing expires", map[string]any{KeySchedule: weekly, KeyRefreshDays: 89.0, KeySecurityHub: "off"}, ""},
		{"a schedule that runs once refreshes nothing", map[string]any{KeySchedule: "cron(0 6 1 1 ? 2030)", KeyRefreshDays: 89.0}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadSettings(lookupIn(tc.ctx))
			if tc.want == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			if err == nil || !slices.Contains(strings.Split(err.Error(), "\n"), tc.want) {
				t.Errorf("error %v\nwant the line %s", err, tc.want)
			}
		})
	}
	// The gap is the schedule's and the zone's: when either is bad, or
	// refreshDays is, only it is named ("Local" loads, and is refused).
	for _, ctx := range []map[string]any{
		{KeySchedule: "rate(7 day)", KeyRefreshDays: 89.0},
		{KeySchedule: weekly, KeyTimeZone: "Mars/Olympus", KeyRefreshDays: 89.0},
		{KeySchedule: sundayNight, KeyTimeZone: "Local", KeyRefreshDays: 89.0},
	} {
		_, err := LoadSettings(lookupIn(ctx))
		if err == nil || strings.Contains(err.Error(), "context "+KeyRefreshDays+"=") {
			t.Errorf("%v: %v, want the bad setting named and not refreshDays", ctx, err)
		}
	}
	_, err := LoadSettings(lookupIn(map[string]any{KeySchedule: "cron(0 3 1 */4 ? *)", KeyRefreshDays: "lots"}))
	if err == nil || strings.Count(err.Error(), "context "+KeyRefreshDays+"=") != 1 {
		t.Errorf("refreshDays=lots: %v, want it named once, as not a number", err)
	}
}

// tooLate is the refreshDays line of a schedule whose longest gap, with
// refreshDays days, reaches the expiry.
func tooLate(days int, of, gap, change string) string {
	return fmt.Sprintf("context refreshDays=%d: plus the longest gap between runs of %s, %s, "+
		"reaches Security Hub's 90-day expiry, so a still-failing finding can be deleted before its refresh: %s", days, of, gap, change)
}

// Zone names of every shape the tz database uses are taken: digits and
// signs, three levels, hyphens and underscores, capitals within a word.
func TestSettingsTakeEveryTimeZone(t *testing.T) {
	for _, tz := range []string{"Etc/UTC", "UTC", "EST5EDT", "Etc/GMT+5", "Etc/GMT-14", "America/Argentina/Buenos_Aires",
		"America/Port-au-Prince", "America/Indiana/Knox", "Antarctica/DumontDUrville"} {
		if _, err := LoadSettings(lookupIn(map[string]any{KeyTimeZone: tz})); err != nil {
			t.Errorf("timeZone=%s: %v", tz, err)
		}
	}
}

// The organisation stack's name leaves room for its state machine's
// (<stackName>-run, at most 80 characters); the single-account stack's
// may use CloudFormation's 128.
func TestStackNameLength(t *testing.T) {
	org := map[string]any{KeyOrg: true, KeyOrgID: "o-abcdefghij", KeyStackSetTargets: "r-ab12"}
	for _, tc := range []struct {
		org    bool
		length int
		ok     bool
	}{
		{true, maxOrgStackName, true},
		{true, maxOrgStackName + 1, false},
		{false, maxOrgStackName + 1, true},
		{false, 128, true},
		{false, 129, false},
	} {
		ctx := map[string]any{KeyStackName: "c" + strings.Repeat("x", tc.length-1)}
		if tc.org {
			maps.Copy(ctx, org)
		}
		_, err := LoadSettings(lookupIn(ctx))
		if ok := err == nil; ok != tc.ok || (!ok && !strings.Contains(err.Error(), "context "+KeyStackName+"=")) {
			t.Errorf("org=%v, stackName of %d characters: %v, want accepted %v", tc.org, tc.length, err, tc.ok)
		}
	}
}

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct{ in, kind, a, b string }{
		{"s3://cfg/credaudit.yaml", "s3", "cfg", "credaudit.yaml"},
		{"s3://cfg.example/dir/sub/c.yaml", "s3", "cfg.example", "dir/sub/c.yaml"},
		{"ssm:/credaudit/config", "ssm", "/credaudit/config", ""},
		{"ssm:credaudit-config", "ssm", "credaudit-config", ""},
	} {
		kind, a, b, err := ParseConfig(tc.in)
		if err != nil || kind != tc.kind || a != tc.a || b != tc.b {
			t.Errorf("ParseConfig(%q) = %q %q %q %v, want %q %q %q", tc.in, kind, a, b, err, tc.kind, tc.a, tc.b)
		}
	}
}

// An S3 location's bucket follows S3's naming rules and its key is not
// empty, as the function checks CREDAUDIT_CONFIG; the error says what is
// wrong.
func TestParseConfigRefusesBadS3Locations(t *testing.T) {
	for loc, want := range map[string]string{
		"s3://a..b/credaudit.yaml":        `bucket name "a..b" has two adjacent periods; want s3://<bucket>/<key>`,
		"s3://192.168.5.4/credaudit.yaml": `bucket name "192.168.5.4" is formatted as an IP address; want s3://<bucket>/<key>`,
		"s3://xn--cfg/credaudit.yaml":     `bucket name "xn--cfg" begins with "xn--", which S3 reserves; want s3://<bucket>/<key>`,
		"s3://Cfg/credaudit.yaml":         `bucket name "Cfg" has "C"; S3 bucket names have only lowercase letters, digits, periods and hyphens; want s3://<bucket>/<key>`,
		"s3://cfg-/credaudit.yaml":        `bucket name "cfg-" does not begin and end with a letter or digit; want s3://<bucket>/<key>`,
		"s3://cf/credaudit.yaml":          `bucket name "cf" is 2 characters long; S3 bucket names have 3 to 63; want s3://<bucket>/<key>`,
		"s3:///credaudit.yaml":            `no bucket name; want s3://<bucket>/<key>`,
		"s3://cfg":                        `no object key; want s3://<bucket>/<key>`,
		"s3://cfg/":                       `no object key; want s3://<bucket>/<key>`,
		"s3://cfg-ab12cd34ef56gh78ij90klmnopqrst-s3alias/c.yaml": `"cfg-ab12cd34ef56gh78ij90klmnopqrst-s3alias" is an access point's alias, which the function's s3:GetObject on the bucket's objects does not cover; keep the file in a general purpose bucket, named as itself, or in an SSM parameter`,
		"s3://cfg--ol-s3/c.yaml":                                 `"cfg--ol-s3" is an Object Lambda access point's alias, which the function's s3:GetObject on the bucket's objects does not cover; keep the file in a general purpose bucket, named as itself, or in an SSM parameter`,
		"s3://cfg--use1-az4--x-s3/c.yaml":                        `"cfg--use1-az4--x-s3" is a directory bucket, which the function's s3:GetObject on the bucket's objects does not cover; keep the file in a general purpose bucket, named as itself, or in an SSM parameter`,
	} {
		if _, _, _, err := ParseConfig(loc); err == nil || err.Error() != want {
			t.Errorf("ParseConfig(%q): %v, want %s", loc, err, want)
		}
		_, err := LoadSettings(lookupIn(map[string]any{KeyConfig: loc}))
		if err == nil || !strings.Contains(err.Error(), "context "+KeyConfig+"="+loc+": "+want) {
			t.Errorf("context %s=%s: %v, want it refused: %s", KeyConfig, loc, err, want)
		}
	}
}

// The deploy-time check accepts exactly the profiles the function does.
func TestProfilesAreTheFunctions(t *testing.T) {
	got, want := slices.Sorted(slices.Values(Profiles)), slices.Sorted(slices.Values(rules.ProfileNames()))
	if !slices.Equal(got, want) {
		t.Errorf("infra accepts profiles %v, the function %v", got, want)
	}
}

// The member role's default name is the one the function assumes when
// CREDAUDIT_MEMBER_ROLE is unset.
func TestMemberRoleIsTheFunctions(t *testing.T) {
	if DefaultMemberRole != org.DefaultMemberRole {
		t.Errorf("infra's member role %q, the function's %q", DefaultMemberRole, org.DefaultMemberRole)
	}
}

// The deploy-time check accepts exactly the account and OU IDs the
// function's filter does.
func TestOrgIDListsAreTheFunctions(t *testing.T) {
	for _, id := range []string{"r-ab12", "r-0123456789abcdefghijklmnopqrstuv", "ou-ab12-cdef3456", "ou-ab12-", "ou-AB12-cdef3456",
		"r-ab1", "ou-ab12-cdef345", "111111111111", "o-abcdefghij", " r-ab12"} {
		want := org.Filter{IncludeOUs: []string{id}}.Check() == nil
		if got := ouID.MatchString(id); got != want {
			t.Errorf("OU ID %q: infra accepts %v, the function %v", id, got, want)
		}
	}
	for _, id := range []string{"111111111111", "11111111111", "1111111111111", "11111111111a", ""} {
		want := org.Filter{IncludeAccounts: []string{id}}.Check() == nil
		if got := accountID.MatchString(id); got != want {
			t.Errorf("account ID %q: infra accepts %v, the function %v", id, got, want)
		}
	}
}

// An organisation stack whose account lists would make the orchestrator's
// environment larger than Lambda takes is refused at synth, naming the
// lists and what to do, rather than failing halfway through a deploy; one
// ID fewer is accepted.
func TestSettingsEnvironmentWithinLambdasLimit(t *testing.T) {
	ctx := func(n int) map[string]any {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("%012d", 100000000000+i)
		}
		return map[string]any{KeyOrg: true, KeyOrgID: "o-abcdefghij", KeyStackSetTargets: "ou-ab12-11111111",
			KeyOrgIncludeAccounts: strings.Join(ids, ","), KeyConfig: "s3://credaudit-config-bucket/credaudit.yaml"}
	}
	first := 0 // the fewest accounts refused
	for n := 1; n <= 1000; n++ {
		if _, err := LoadSettings(lookupIn(ctx(n))); err != nil {
			first = n
			if !strings.Contains(err.Error(), "context "+KeyOrgIncludeAccounts+", ") || !strings.Contains(err.Error(), "over Lambda's 4 KB") ||
				!strings.Contains(err.Error(), "an OU includes or excludes all its accounts in one ID") {
				t.Errorf("%d accounts: %v", n, err)
			}
			break
		}
	}
	// 13 bytes an account, about 3,100 bytes for them: some 240.
	if first < 200 || first > 300 {
		t.Fatalf("refused from %d accounts, want from some 240", first)
	}
	s, err := LoadSettings(lookupIn(ctx(first - 1)))
	if err != nil {
		t.Fatal(err)
	}
	if n := envBytes(largestEnvironment(s)); n > lambdaEnvLimit || n < lambdaEnvLimit-13 {
		t.Errorf("%d accounts: %d bytes, want the last that fit under %d", first-1, n, lambdaEnvLimit)
	}
	// The single-account stack's environment is far from the limit.
	s, err = LoadSettings(lookupIn(map[string]any{KeyConfig: "s3://" + strings.Repeat("b", 63) + "/" + strings.Repeat("k", 1000)}))
	if err != nil {
		t.Fatal(err)
	}
	if n := envBytes(largestEnvironment(s)); n > lambdaEnvLimit/2 {
		t.Errorf("single-account environment up to %d bytes", n)
	}
}
