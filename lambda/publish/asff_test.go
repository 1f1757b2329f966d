package publish

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/internal/golden"
	"github.com/credaudit/credaudit/lambda/rules"
)

const (
	account = "123456789012"
	region  = "eu-west-1"
)

var (
	reportTime = time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	firstSeen  = time.Date(2026, 9, 1, 6, 0, 0, 0, time.UTC)
	runTime    = time.Date(2026, 11, 20, 6, 4, 31, 250_000_000, time.UTC)
)

func userEntry(name, path string, created time.Time) *credreport.Entry {
	return &credreport.Entry{
		User:             name,
		ARN:              "arn:aws:iam::" + account + ":user" + path + name,
		UserCreationTime: credreport.TimeOf(created),
	}
}

func rootEntry() *credreport.Entry {
	return &credreport.Entry{
		User:             credreport.RootUser,
		ARN:              "arn:aws:iam::" + account + ":root",
		UserCreationTime: credreport.TimeOf(time.Date(2019, 3, 4, 10, 0, 0, 0, time.UTC)),
	}
}

func findingFor(rule *rules.Rule, e *credreport.Entry, status rules.Status, reason string) Finding {
	resourceID := e.ARN
	if e.IsRoot() {
		resourceID = rules.AccountResourceID(account)
	}
	return Finding{
		Result:            &rules.Result{Rule: rule, Entry: e, Status: status, Reason: reason},
		ID:                account + "/" + rule.ID + "/" + resourceID,
		AccountID:         account,
		Partition:         "aws",
		Region:            region,
		ReportGeneratedAt: reportTime,
		FirstObservedAt:   firstSeen,
		CreatedAt:         firstSeen, // created in Security Hub when first seen
		LastObservedAt:    reportTime,
		UpdatedAt:         runTime,
	}
}

func mustASFF(t *testing.T, f Finding) types.AwsSecurityFinding {
	t.Helper()
	out, err := ASFF(f)
	if err != nil {
		t.Fatalf("ASFF: %v", err)
	}
	return out
}

func TestASFFGolden(t *testing.T) {
	alice := userEntry("alice", "/engineering/", time.Date(2024, 2, 1, 9, 30, 0, 0, time.UTC))
	bob := userEntry("bob", "/", time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC))

	resolved := findingFor(&rules.User01, bob, rules.Passed, "console password with MFA active")
	resolved.RecordState = types.RecordStateArchived

	// A deleted user: the caller rebuilds the result from its state, so
	// the row holds only the user name and ARN.
	goneEntry := &credreport.Entry{User: "carol", ARN: "arn:aws:iam::" + account + ":user/contractors/carol"}
	gone := findingFor(&rules.Pwd01, goneEntry, rules.Failed, "password is 120 days old and the user has no MFA")
	gone.RecordState = types.RecordStateArchived

	for _, tc := range []struct {
		name string
		f    Finding
	}{
		{"failed-user.json", findingFor(&rules.Key01, alice, rules.Failed, "access key 1 is 131 days old")},
		{"failed-root.json", findingFor(&rules.Root02, rootEntry(), rules.Failed, "root has no MFA and has a password")},
		{"resolved-passed-archived.json", resolved},
		{"gone-archived.json", gone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Marshal(mustASFF(t, tc.f))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := json.Indent(&out, b, "", "  "); err != nil {
				t.Fatalf("Marshal wrote invalid JSON: %v\n%s", err, b)
			}
			out.WriteByte('\n')
			golden.Check(t, tc.name, out.Bytes())
		})
	}
}

func TestASFFStatusDecidesSeverityAndCompliance(t *testing.T) {
	alice := userEntry("alice", "/", firstSeen)
	for _, tc := range []struct {
		name       string
		status     rules.Status
		override   types.ComplianceStatus
		wantStatus types.ComplianceStatus
		wantLabel  types.SeverityLabel
	}{
		{"failing result carries the rule severity", rules.Failed, "", types.ComplianceStatusFailed, types.SeverityLabelMedium},
		{"passing result is informational", rules.Passed, "", types.ComplianceStatusPassed, types.SeverityLabelInformational},
		{"not available result is informational", rules.NotAvailable, "", types.ComplianceStatusNotAvailable, types.SeverityLabelInformational},
		{"override wins over the result status", rules.Failed, types.ComplianceStatusPassed, types.ComplianceStatusPassed, types.SeverityLabelInformational},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := findingFor(&rules.Key01, alice, tc.status, "a reason")
			f.ComplianceStatus = tc.override
			out := mustASFF(t, f)
			if got := out.Compliance.Status; got != tc.wantStatus {
				t.Errorf("Compliance.Status = %s, want %s", got, tc.wantStatus)
			}
			if got := out.FindingProviderFields.Severity.Label; got != tc.wantLabel {
				t.Errorf("severity = %s, want %s", got, tc.wantLabel)
			}
			if out.Severity != nil || out.Types != nil {
				t.Errorf("top-level Severity/Types set (%v, %v); providers use FindingProviderFields", out.Severity, out.Types)
			}
		})
	}
}

func TestASFFTypesFollowCISMapping(t *testing.T) {
	alice := userEntry("alice", "/", firstSeen)
	cis := mustASFF(t, findingFor(&rules.Key01, alice, rules.Failed, "r"))
	if diff := cmp.Diff([]string{TypeCIS}, cis.FindingProviderFields.Types); diff != "" {
		t.Errorf("rule with CIS mappings (-want +got):\n%s", diff)
	}
	other := mustASFF(t, findingFor(&rules.Pwd01, alice, rules.Failed, "r"))
	if diff := cmp.Diff([]string{TypeBestPractices}, other.FindingProviderFields.Types); diff != "" {
		t.Errorf("rule without CIS mappings (-want +got):\n%s", diff)
	}
}

func TestASFFUserResource(t *testing.T) {
	for _, tc := range []struct {
		name     string
		arn      string
		user     string
		wantPath string
	}{
		{"user without a path", "arn:aws:iam::123456789012:user/alice", "alice", "/"},
		{"user with a nested path", "arn:aws:iam::123456789012:user/a/b/c/alice", "alice", "/a/b/c/"},
		{"GovCloud user", "arn:aws-us-gov:iam::123456789012:user/ops/alice", "alice", "/ops/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &credreport.Entry{User: tc.user, ARN: tc.arn}
			out := mustASFF(t, findingFor(&rules.Key01, e, rules.Failed, "r"))
			res := out.Resources[0]
			if aws.ToString(res.Id) != tc.arn || aws.ToString(res.Type) != "AwsIamUser" {
				t.Errorf("resource = %s %s, want AwsIamUser %s", aws.ToString(res.Type), aws.ToString(res.Id), tc.arn)
			}
			u := res.Details.AwsIamUser
			if aws.ToString(u.UserName) != tc.user || aws.ToString(u.Path) != tc.wantPath {
				t.Errorf("user details = %q %q, want %q %q", aws.ToString(u.UserName), aws.ToString(u.Path), tc.user, tc.wantPath)
			}
			if u.CreateDate != nil {
				t.Errorf("CreateDate = %s for a row without user_creation_time", *u.CreateDate)
			}
		})
	}
}

func TestASFFPartitionOutsideTheEnumKeepsProductARN(t *testing.T) {
	f := findingFor(&rules.Root02, rootEntry(), rules.Failed, "r")
	f.Partition = "aws-iso-b"
	out := mustASFF(t, f)
	if want := "arn:aws-iso-b:securityhub:eu-west-1:123456789012:product/123456789012/default"; aws.ToString(out.ProductArn) != want {
		t.Errorf("ProductArn = %s, want %s", aws.ToString(out.ProductArn), want)
	}
	if p := out.Resources[0].Partition; p != "" {
		t.Errorf("Resource.Partition = %q, want it left out (not an SDK enumeration value)", p)
	}
}

func TestASFFSuppressedResultNamesTheReason(t *testing.T) {
	f := findingFor(&rules.Key01, userEntry("alice", "/", firstSeen), rules.Failed, "r")
	f.Result.Suppression = &rules.Suppression{RuleID: "KEY-01", User: "alice", Reason: "break-glass user, reviewed quarterly"}
	out := mustASFF(t, f)
	if got := out.ProductFields[ProductFieldSuppression]; got != "break-glass user, reviewed quarterly" {
		t.Errorf("%s = %q", ProductFieldSuppression, got)
	}
}

func TestASFFTruncatesLongTexts(t *testing.T) {
	rule := rules.Key01
	rule.Title = strings.Repeat("T", 300)
	rule.Description = strings.Repeat("d", 2000)
	// é is 2 bytes and 1 UTF-16 unit; 😀 is 4 bytes and 2 units.
	rule.Remediation = strings.Repeat("é", 600)
	f := findingFor(&rule, userEntry("alice", "/", firstSeen), rules.Failed, strings.Repeat("😀", 1500))
	out := mustASFF(t, f)
	for _, tc := range []struct {
		field string
		got   string
		max   int
	}{
		{"Title", aws.ToString(out.Title), MaxTitleLength},
		{"Description", aws.ToString(out.Description), MaxDescriptionLength},
		{"Remediation", aws.ToString(out.Remediation.Recommendation.Text), MaxRemediationLength},
		{"Reason product field", out.ProductFields[ProductFieldReason], MaxProductFieldValue},
	} {
		if n := Length(tc.got); n > tc.max || n < tc.max-1 {
			t.Errorf("%s is %d UTF-16 units, want %d (or one less when a surrogate pair does not fit)", tc.field, n, tc.max)
		}
		if !strings.HasSuffix(tc.got, TruncationMarker) {
			t.Errorf("%s does not end in the truncation marker: …%q", tc.field, tc.got[len(tc.got)-20:])
		}
	}
}

func TestASFFRejectsWhatCannotBeTruncated(t *testing.T) {
	valid := func() Finding { return findingFor(&rules.Key01, userEntry("alice", "/", firstSeen), rules.Failed, "r") }
	for _, tc := range []struct {
		name   string
		change func(*Finding)
		want   string
	}{
		{"Id of 513 characters", func(f *Finding) { f.ID = strings.Repeat("x", 513) }, "Id is 513 characters"},
		{"blank Id", func(f *Finding) { f.ID = "  " }, "Id is empty"},
		{"account of 11 digits", func(f *Finding) { f.AccountID = "12345678901" }, "not 12 digits"},
		{"unknown partition", func(f *Finding) { f.Partition = "gcp" }, "partition"},
		{"region over 16 characters", func(f *Finding) { f.Region = "ap-southeast-9999x" }, "Region is 18 characters"},
		{"no UpdatedAt", func(f *Finding) { f.UpdatedAt = time.Time{} }, "UpdatedAt is not set"},
		{"UpdatedAt before CreatedAt", func(f *Finding) { f.UpdatedAt = firstSeen.Add(-time.Second) }, "before CreatedAt"},
		{"LastObservedAt before FirstObservedAt", func(f *Finding) { f.LastObservedAt = firstSeen.Add(-time.Hour) }, "LastObservedAt"},
		{"unknown record state", func(f *Finding) { f.RecordState = "DELETED" }, "record state"},
		{"unknown compliance status", func(f *Finding) { f.ComplianceStatus = "PASS" }, "compliance status"},
		{"no result", func(f *Finding) { f.Result = nil }, "no result"},
		{"rule without title", func(f *Finding) { r := *f.Result.Rule; r.Title = ""; f.Result.Rule = &r }, "no title"},
		{"rule ID over 512", func(f *Finding) { r := *f.Result.Rule; r.ID = strings.Repeat("R", 600); f.Result.Rule = &r }, "GeneratorId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := valid()
			tc.change(&f)
			_, err := ASFF(f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestASFFTimestampsKeepFirstObserved(t *testing.T) {
	f := findingFor(&rules.Key01, userEntry("alice", "/", firstSeen), rules.Failed, "r")
	out := mustASFF(t, f)
	got := []string{*out.CreatedAt, *out.FirstObservedAt, *out.LastObservedAt, *out.UpdatedAt}
	want := []string{"2026-09-01T06:00:00Z", "2026-09-01T06:00:00Z", "2026-11-20T06:00:00Z", "2026-11-20T06:04:31.25Z"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CreatedAt, FirstObservedAt, LastObservedAt, UpdatedAt (-want +got):\n%s", diff)
	}
	// An import that creates the finding (no CreatedAt known) sends its
	// UpdatedAt as CreatedAt, as Security Hub requires on creation; the
	// failure's first observation stays FirstObservedAt.
	creating := f
	creating.CreatedAt = time.Time{}
	out = mustASFF(t, creating)
	if got := []string{*out.CreatedAt, *out.FirstObservedAt}; !slices.Equal(got, []string{want[3], want[1]}) {
		t.Errorf("a creating import's CreatedAt, FirstObservedAt = %v, want %s, %s", got, want[3], want[1])
	}
	local := f
	local.UpdatedAt = runTime.In(time.FixedZone("CET", 3600))
	if got := *mustASFF(t, local).UpdatedAt; got != want[3] {
		t.Errorf("UpdatedAt in another zone = %s, want UTC %s", got, want[3])
	}
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		max  int
		want string
		cut  bool
	}{
		{"short text is kept", "hello", 10, "hello", false},
		{"text exactly at the limit is kept", "0123456789abcdef", 16, "0123456789abcdef", false},
		{"long text ends in the marker", "0123456789abcdefghij", 16, "0123" + TruncationMarker, true},
		{"trailing space before the marker is dropped", "abc   defghijklmnopq", 16, "abc" + TruncationMarker, true},
		{"multibyte runes count once", strings.Repeat("é", 16), 16, strings.Repeat("é", 16), false},
		{"a pair of surrogates counts twice", strings.Repeat("😀", 9), 16, strings.Repeat("😀", 2) + TruncationMarker, true},
		{"invalid UTF-8 becomes U+FFFD", "a\xffb", 16, "a\uFFFDb", false},
		{"a limit below the marker cuts without it", "abcdef", 3, "abc", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, cut := Truncate(tc.in, tc.max)
			if got != tc.want || cut != tc.cut {
				t.Errorf("Truncate(%q, %d) = %q, %v; want %q, %v", tc.in, tc.max, got, cut, tc.want, tc.cut)
			}
			if Length(got) > tc.max {
				t.Errorf("result is %d units, over %d", Length(got), tc.max)
			}
		})
	}
}

func TestValidateCatchesFindingsBuiltElsewhere(t *testing.T) {
	good := mustASFF(t, findingFor(&rules.Key01, userEntry("alice", "/", firstSeen), rules.Failed, "r"))
	if err := Validate(good); err != nil {
		t.Fatalf("Validate(ASFF output) = %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(*types.AwsSecurityFinding)
		want   string
	}{
		{"no title", func(f *types.AwsSecurityFinding) { f.Title = nil }, "Title is missing"},
		{"title too long", func(f *types.AwsSecurityFinding) { f.Title = aws.String(strings.Repeat("t", 257)) }, "Title is 257"},
		{"no resources", func(f *types.AwsSecurityFinding) { f.Resources = nil }, "0 resources"},
		{"no severity", func(f *types.AwsSecurityFinding) { f.FindingProviderFields = nil }, "no severity"},
		{"bad timestamp", func(f *types.AwsSecurityFinding) { f.UpdatedAt = aws.String("2026-11-20 06:00") }, "not an RFC 3339"},
		{"ten fractional digits", func(f *types.AwsSecurityFinding) {
			f.UpdatedAt = aws.String("2026-11-20T06:04:31.1234567891Z")
		}, "10 fractional digits, at most 9"},
		{"offset beyond 18 hours", func(f *types.AwsSecurityFinding) {
			f.FirstObservedAt = aws.String("2026-09-01T06:00:00-23:59")
		}, "beyond ±18:00"},
		{"user's creation date without a time", func(f *types.AwsSecurityFinding) {
			r := f.Resources[0] // a copy: the slice is good's
			r.Details = &types.ResourceDetails{AwsIamUser: &types.AwsIamUserDetails{CreateDate: aws.String("2024-02-01")}}
			f.Resources = []types.Resource{r}
		}, "Resources[0].Details.AwsIamUser.CreateDate"},
		{"resource partition outside the enumeration", func(f *types.AwsSecurityFinding) {
			r := f.Resources[0]
			r.Partition = "aws-iso"
			f.Resources = []types.Resource{r}
		}, `Resources[0].Partition "aws-iso"`},
		{"workflow status outside the enumeration", func(f *types.AwsSecurityFinding) {
			f.Workflow = &types.Workflow{Status: "DONE"}
		}, `Workflow.Status "DONE"`},
		{"top-level severity label outside the enumeration", func(f *types.AwsSecurityFinding) {
			f.Severity = &types.Severity{Label: "SEVERE"}
		}, `Severity.Label "SEVERE"`},
		{"normalized severity over 100", func(f *types.AwsSecurityFinding) {
			f.Severity = &types.Severity{Normalized: aws.Int32(101)}
		}, "Severity.Normalized 101"},
		{"33 related requirements", func(f *types.AwsSecurityFinding) {
			f.Compliance = &types.Compliance{RelatedRequirements: make([]string, 33)}
		}, "33 related requirements"},
		{"product field value too long", func(f *types.AwsSecurityFinding) {
			f.ProductFields = map[string]string{"k": strings.Repeat("v", 2049)}
		}, "2049 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := good
			tc.change(&f)
			err := Validate(f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestMarshalLeavesAbsentMembersOut(t *testing.T) {
	b, err := Marshal(types.AwsSecurityFinding{
		Id:            aws.String(`a"b<c>` + "\n\u2028"),
		RecordState:   types.RecordStateActive,
		ProductFields: map[string]string{"b": "2", "a": "1"},
		Resources:     []types.Resource{{Id: aws.String("r")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Id":"a\"b<c>\n\u2028","ProductFields":{"a":"1","b":"2"},"RecordState":"ACTIVE","Resources":[{"Id":"r"}]}`
	if string(b) != want {
		t.Errorf("Marshal =\n%s\nwant\n%s", b, want)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Errorf("not JSON: %v", err)
	}
}

func TestErrorsJoinedPerFinding(t *testing.T) {
	f := findingFor(&rules.Key01, userEntry("alice", "/", firstSeen), rules.Failed, "r")
	f.AccountID, f.Region = "x", ""
	_, err := ASFF(f)
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) < 2 {
		t.Errorf("err = %v, want every problem reported at once", err)
	}
}
