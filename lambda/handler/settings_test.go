package handler

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/org"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

var minimal = map[string]string{
	EnvRegion:      "eu-west-1",
	EnvStateBucket: "credaudit-state-123456789012",
	EnvTopicARN:    "arn:aws:sns:eu-west-1:123456789012:credaudit",
}

func with(extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range minimal {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func TestLoadSettingsDefaults(t *testing.T) {
	s, err := LoadSettings(env(minimal))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{StateBucket: "credaudit-state-123456789012", TopicARN: "arn:aws:sns:eu-west-1:123456789012:credaudit",
		SecurityHub: true, HubRegion: "eu-west-1", Notify: audit.NotifyChanges, RefreshAfter: 30 * 24 * time.Hour, Region: "eu-west-1", MemberRole: org.DefaultMemberRole,
		MetricsLevel: "INFO"}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got %+v\nwant %+v", s, want)
	}
}

func TestLoadSettingsEveryValue(t *testing.T) {
	s, err := LoadSettings(env(with(map[string]string{
		EnvSecurityHub: "OFF", EnvHubRegion: "us-east-1", EnvProfile: "cis-5.0", EnvConfig: "ssm:/credaudit/config",
		EnvNotify: "always", EnvRefreshDays: "7", EnvMemberRole: "AuditRole",
		EnvIncludeAccounts: "111111111111, 222222222222", EnvExcludeAccounts: "222222222222",
		EnvIncludeOUs: "r-ab12,ou-ab12-cdef5678", EnvExcludeOUs: " ou-ab12-00000000 ",
	})))
	if err != nil {
		t.Fatal(err)
	}
	if s.SecurityHub || s.HubRegion != "us-east-1" || s.Profile != "cis-5.0" || s.Config.String() != "ssm:/credaudit/config" ||
		s.Notify != audit.NotifyAlways || s.RefreshAfter != 7*24*time.Hour || s.MemberRole != "AuditRole" {
		t.Errorf("got %+v", s)
	}
	wantFilter := org.Filter{IncludeAccounts: []string{"111111111111", "222222222222"}, ExcludeAccounts: []string{"222222222222"},
		IncludeOUs: []string{"r-ab12", "ou-ab12-cdef5678"}, ExcludeOUs: []string{"ou-ab12-00000000"}}
	if !reflect.DeepEqual(s.Accounts, wantFilter) {
		t.Errorf("account filter %+v, want %+v", s.Accounts, wantFilter)
	}
	s, err = LoadSettings(env(with(map[string]string{EnvConfig: "s3://config-bucket/credaudit/config.yaml"})))
	if err != nil || s.Config.Bucket != "config-bucket" || s.Config.Key != "credaudit/config.yaml" {
		t.Errorf("s3 config: %+v, %v", s.Config, err)
	}
}

// The metrics line passes Lambda's log-level filter: it carries the
// application log level when that is above INFO, else INFO.
func TestMetricsLevelPassesTheLogLevel(t *testing.T) {
	for level, want := range map[string]string{"": "INFO", "TRACE": "INFO", "DEBUG": "INFO", "INFO": "INFO", "WARN": "WARN", "ERROR": "ERROR", "FATAL": "FATAL"} {
		s, err := LoadSettings(env(with(map[string]string{EnvLogLevel: level})))
		if err != nil || s.MetricsLevel != want {
			t.Errorf("%s=%q: metrics level %q (%v), want %q", EnvLogLevel, level, s.MetricsLevel, err, want)
		}
	}
}

// Every bad value is named, each on its own line, in one error.
func TestLoadSettingsNamesEveryBadValue(t *testing.T) {
	_, err := LoadSettings(env(map[string]string{
		EnvRegion: "eu-west-1", EnvStateBucket: "Bad_Bucket", EnvTopicARN: "arn:aws:sqs:eu-west-1:123456789012:q",
		EnvSecurityHub: "maybe", EnvHubRegion: "mars-1", EnvProfile: "cis-9", EnvConfig: "https://example.com/c.yaml",
		EnvNotify: "sometimes", EnvRefreshDays: "90", EnvMemberRole: "no/slashes",
		EnvIncludeAccounts: "12345", EnvExcludeAccounts: "abc", EnvIncludeOUs: "ou-x", EnvExcludeOUs: "111111111111",
	}))
	if err == nil {
		t.Fatal("LoadSettings accepted bad values")
	}
	for _, name := range []string{EnvStateBucket, EnvTopicARN, EnvSecurityHub, EnvHubRegion, EnvProfile, EnvConfig, EnvNotify, EnvRefreshDays,
		EnvMemberRole, EnvIncludeAccounts, EnvExcludeAccounts, EnvIncludeOUs, EnvExcludeOUs} {
		if !strings.Contains(err.Error(), name+"=") {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
	if n := strings.Count(err.Error(), "\n"); n != 13 {
		t.Errorf("%d lines, want a heading and one line per bad value:\n%v", n+1, err)
	}
}

// An account list that names nothing (only commas: an edited variable, or
// one built from an empty list in a script) is refused rather than read as
// no filter, which for an include list would audit every account. Empty, as
// the CDK app writes it when no list is set, is no filter.
func TestLoadSettingsListNamingNothing(t *testing.T) {
	for _, name := range []string{EnvIncludeAccounts, EnvExcludeAccounts, EnvIncludeOUs, EnvExcludeOUs} {
		_, err := LoadSettings(env(with(map[string]string{name: " , ,"})))
		if err == nil || !strings.Contains(err.Error(), name+`=", ,": names nothing`) {
			t.Errorf("%s of only commas: %v, want it named as naming nothing", name, err)
		}
		// An item of a list left empty would leave the filter without it.
		if _, err := LoadSettings(env(with(map[string]string{name: "ou-ab12-cdef3456,"}))); err == nil || !strings.Contains(err.Error(), name+`="ou-ab12-cdef3456,": item 2 of 2 is empty`) {
			t.Errorf("%s with an empty item: %v, want it refused", name, err)
		}
		s, err := LoadSettings(env(with(map[string]string{name: "  "})))
		if err != nil || !reflect.DeepEqual(s.Accounts, org.Filter{}) {
			t.Errorf("%s empty: %+v, %v, want no filter", name, s.Accounts, err)
		}
	}
}

// The function imports only into its own partition: a home region in
// another is refused.
func TestLoadSettingsHubRegionInTheFunctionsPartition(t *testing.T) {
	_, err := LoadSettings(env(with(map[string]string{EnvHubRegion: "us-gov-west-1"})))
	if err == nil || !strings.Contains(err.Error(), EnvHubRegion+`="us-gov-west-1": in partition aws-us-gov, not the function's (aws)`) {
		t.Errorf("GovCloud home region for a function in eu-west-1: %v", err)
	}
	s, err := LoadSettings(env(with(map[string]string{EnvRegion: "us-gov-east-1", EnvHubRegion: "us-gov-west-1",
		EnvTopicARN: "arn:aws-us-gov:sns:us-gov-east-1:123456789012:credaudit"})))
	if err != nil || s.HubRegion != "us-gov-west-1" {
		t.Errorf("GovCloud function and home region: %+v, %v", s, err)
	}
}

func TestLoadSettingsRequired(t *testing.T) {
	_, err := LoadSettings(env(map[string]string{}))
	if err == nil {
		t.Fatal("LoadSettings accepted an empty environment")
	}
	for _, name := range []string{EnvRegion, EnvStateBucket, EnvTopicARN} {
		if !strings.Contains(err.Error(), name+`=""`) {
			t.Errorf("error does not name missing %s:\n%v", name, err)
		}
	}
}

func TestRefreshDaysBounds(t *testing.T) {
	for v, ok := range map[string]bool{"1": true, "89": true, "0": false, "90": false, "30d": false, "-3": false} {
		_, err := LoadSettings(env(with(map[string]string{EnvRefreshDays: v})))
		if (err == nil) != ok {
			t.Errorf("%s=%s: err %v, want ok %v", EnvRefreshDays, v, err, ok)
		}
	}
}

// An S3 location's bucket follows S3's naming rules and its key is not
// empty; the error names the variable, the value and what is wrong.
func TestLoadSettingsConfigInS3(t *testing.T) {
	for v, want := range map[string]string{
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
		_, err := LoadSettings(env(with(map[string]string{EnvConfig: v})))
		if err == nil || !strings.Contains(err.Error(), EnvConfig+"="+strconv.Quote(v)+": "+want) {
			t.Errorf("%s=%s: %v, want it refused: %s", EnvConfig, v, err, want)
		}
	}
	s, err := LoadSettings(env(with(map[string]string{EnvConfig: "s3://a.b-c.d/x"})))
	if err != nil || s.Config != (ConfigSource{Bucket: "a.b-c.d", Key: "x"}) {
		t.Errorf("s3://a.b-c.d/x: %+v, %v", s.Config, err)
	}
}

// The state bucket's name follows the same rules.
func TestLoadSettingsStateBucketNamingRules(t *testing.T) {
	for _, b := range []string{"a..b", "192.168.5.4", "xn--state", "sthree-state"} {
		_, err := LoadSettings(env(with(map[string]string{EnvStateBucket: b})))
		if err == nil || !strings.Contains(err.Error(), EnvStateBucket+"="+strconv.Quote(b)+": ") {
			t.Errorf("%s=%s: %v, want it refused", EnvStateBucket, b, err)
		}
	}
}
