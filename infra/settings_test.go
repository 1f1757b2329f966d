package main

import (
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
		{"numbers from -c", map[string]any{KeyRefreshDays: "89", KeyMemory: "128", KeyTimeout: "60", KeyLogRetention: "3653"},
			func(s *Settings) {
				s.RefreshDays, s.MemoryMiB, s.Timeout, s.LogRetentionDays = 89, 128, 60*time.Second, 3653
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
		{"org off: organisation settings are checked but not required", map[string]any{KeyOrg: "false", KeyOrgIncludeAccounts: "111111111111"},
			func(s *Settings) { s.IncludeAccounts = []string{"111111111111"} }},
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
			_, err := LoadSettings(lookupIn(map[string]any{tc.key: tc.value}))
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
