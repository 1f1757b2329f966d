package publish_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/publish"
	"github.com/credaudit/credaudit/lambda/rules"
)

// validFinding is a finding as ASFF writes it, for hand-made breakage.
func validFinding(t *testing.T) types.AwsSecurityFinding {
	t.Helper()
	at := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	f, err := publish.ASFF(publish.Finding{
		Result: &rules.Result{Rule: &rules.Key01, Status: rules.Failed, Reason: "access key 1 is 131 days old",
			Entry: &credreport.Entry{User: "alice", ARN: "arn:aws:iam::123456789012:user/alice"}},
		ID: "credaudit/123456789012/KEY-01/arn:aws:iam::123456789012:user/alice", AccountID: "123456789012",
		Partition: "aws", Region: "eu-west-1", ReportGeneratedAt: at, FirstObservedAt: at, LastObservedAt: at, UpdatedAt: at.Add(time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := violations(&f); len(v) > 0 {
		t.Fatalf("the valid finding breaks %v", v)
	}
	return f
}

func units(s string, n int) string { return strings.Repeat(s, n) }

// manyFields is n product or user-defined fields.
func manyFields(n int, value string) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[fmt.Sprintf("credaudit/f%d", i)] = value
	}
	return m
}

// TestFindingsTheDocumentationRefusesAreNotSent breaks one documented rule
// at a time in a valid finding: the validator written from the
// documentation refuses each, and so must Import, before sending it.
func TestFindingsTheDocumentationRefusesAreNotSent(t *testing.T) {
	res := func(f func(*types.Resource)) func(*types.AwsSecurityFinding) {
		return func(x *types.AwsSecurityFinding) {
			r := x.Resources[0]
			f(&r)
			x.Resources = []types.Resource{r}
		}
	}
	for _, tc := range []struct {
		name   string
		break_ func(*types.AwsSecurityFinding)
	}{
		{"another schema version", func(f *types.AwsSecurityFinding) { f.SchemaVersion = aws.String("2018-10-09") }},
		{"no schema version", func(f *types.AwsSecurityFinding) { f.SchemaVersion = nil }},
		{"empty Id", func(f *types.AwsSecurityFinding) { f.Id = aws.String("") }},
		{"blank Id", func(f *types.AwsSecurityFinding) { f.Id = aws.String(" \t") }},
		{"Id of 513 characters", func(f *types.AwsSecurityFinding) { f.Id = aws.String(units("i", 513)) }},
		{"Id of 257 emoji: 514 UTF-16 units", func(f *types.AwsSecurityFinding) { f.Id = aws.String(units("😀", 257)) }},
		{"Id with invalid UTF-8", func(f *types.AwsSecurityFinding) { f.Id = aws.String("id\xff") }},
		{"GeneratorId of 513", func(f *types.AwsSecurityFinding) { f.GeneratorId = aws.String(units("g", 513)) }},
		{"no GeneratorId", func(f *types.AwsSecurityFinding) { f.GeneratorId = nil }},
		{"account of 11 digits", func(f *types.AwsSecurityFinding) { f.AwsAccountId = aws.String("12345678901") }},
		{"account with a letter", func(f *types.AwsSecurityFinding) { f.AwsAccountId = aws.String("12345678901a") }},
		{"ProductArn of 11 characters", func(f *types.AwsSecurityFinding) { f.ProductArn = aws.String("arn:aws:x:y") }},
		{"ProductArn of 2049 characters", func(f *types.AwsSecurityFinding) {
			f.ProductArn = aws.String("arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/" + units("d", 2049-63))
		}},
		{"no title", func(f *types.AwsSecurityFinding) { f.Title = nil }},
		{"blank title", func(f *types.AwsSecurityFinding) { f.Title = aws.String("   ") }},
		{"title of 257", func(f *types.AwsSecurityFinding) { f.Title = aws.String(units("t", 257)) }},
		{"title of 255 + an emoji", func(f *types.AwsSecurityFinding) { f.Title = aws.String(units("t", 255) + "😀") }},
		{"title with invalid UTF-8", func(f *types.AwsSecurityFinding) { f.Title = aws.String("t\xe4\xb8") }},
		{"description of 1025", func(f *types.AwsSecurityFinding) { f.Description = aws.String(units("é", 1025)) }},
		{"empty description", func(f *types.AwsSecurityFinding) { f.Description = aws.String("") }},
		{"CreatedAt with a space", func(f *types.AwsSecurityFinding) { f.CreatedAt = aws.String("2026-11-20 06:00:00Z") }},
		{"CreatedAt without a zone", func(f *types.AwsSecurityFinding) { f.CreatedAt = aws.String("2026-11-20T06:00:00") }},
		{"UpdatedAt in month 13", func(f *types.AwsSecurityFinding) { f.UpdatedAt = aws.String("2026-13-20T06:01:00Z") }},
		{"UpdatedAt with 10 fractional digits", func(f *types.AwsSecurityFinding) {
			f.UpdatedAt = aws.String("2026-11-20T06:01:00.1234567891Z")
		}},
		{"UpdatedAt offset beyond 18 hours", func(f *types.AwsSecurityFinding) { f.UpdatedAt = aws.String("2026-11-21T06:01:00+19:00") }},
		// time.Parse takes these, RFC 3339 does not.
		{"UpdatedAt with a one-digit hour", func(f *types.AwsSecurityFinding) { f.UpdatedAt = aws.String("2026-11-21T6:01:00Z") }},
		{"UpdatedAt with a one-digit hour and 10 fractional digits", func(f *types.AwsSecurityFinding) {
			f.UpdatedAt = aws.String("2026-11-21T6:01:00.1234567891Z")
		}},
		{"UpdatedAt with a decimal comma", func(f *types.AwsSecurityFinding) { f.UpdatedAt = aws.String("2026-11-21T06:01:00,5Z") }},
		{"FirstObservedAt offset beyond 18 hours", func(f *types.AwsSecurityFinding) {
			f.FirstObservedAt = aws.String("2026-11-20T06:00:00-23:59")
		}},
		{"user created at no time", res(func(r *types.Resource) {
			r.Details = &types.ResourceDetails{AwsIamUser: &types.AwsIamUserDetails{CreateDate: aws.String("2024-02-01")}}
		})},
		{"no UpdatedAt", func(f *types.AwsSecurityFinding) { f.UpdatedAt = nil }},
		{"UpdatedAt before CreatedAt", func(f *types.AwsSecurityFinding) { f.UpdatedAt = aws.String("2026-11-20T05:00:00Z") }},
		{"FirstObservedAt not a timestamp", func(f *types.AwsSecurityFinding) { f.FirstObservedAt = aws.String("yesterday") }},
		{"no severity", func(f *types.AwsSecurityFinding) { f.FindingProviderFields.Severity = nil; f.Severity = nil }},
		{"severity label not a label", func(f *types.AwsSecurityFinding) {
			f.FindingProviderFields.Severity = &types.FindingProviderSeverity{Label: "SEVERE"}
		}},
		{"no types", func(f *types.AwsSecurityFinding) { f.FindingProviderFields.Types = nil; f.Types = nil }},
		{"51 types", func(f *types.AwsSecurityFinding) {
			f.FindingProviderFields.Types = strings.Split(strings.TrimSuffix(units("Effects/Data Exposure,", 51), ","), ",")
		}},
		{"no resources", func(f *types.AwsSecurityFinding) { f.Resources = nil }},
		{"33 resources", func(f *types.AwsSecurityFinding) {
			for len(f.Resources) < 33 {
				f.Resources = append(f.Resources, f.Resources[0])
			}
		}},
		{"resource without a type", res(func(r *types.Resource) { r.Type = nil })},
		{"resource type of 257", res(func(r *types.Resource) { r.Type = aws.String(units("T", 257)) })},
		{"resource without an Id", res(func(r *types.Resource) { r.Id = nil })},
		{"resource with a blank Id", res(func(r *types.Resource) { r.Id = aws.String(" ") })},
		{"resource region of 17", res(func(r *types.Resource) { r.Region = aws.String(units("r", 17)) })},
		{"resource in no partition", res(func(r *types.Resource) { r.Partition = "aws-iso" })},
		{"workflow status not a status", func(f *types.AwsSecurityFinding) { f.Workflow = &types.Workflow{Status: "DONE"} }},
		{"top-level severity label not a label", func(f *types.AwsSecurityFinding) {
			f.Severity = &types.Severity{Label: "SEVERE"}
		}},
		{"normalized severity 101", func(f *types.AwsSecurityFinding) {
			f.FindingProviderFields.Severity = nil
			f.Severity = &types.Severity{Normalized: aws.Int32(101)}
		}},
		{"compliance status not a status", func(f *types.AwsSecurityFinding) { f.Compliance.Status = "BROKEN" }},
		{"33 related requirements", func(f *types.AwsSecurityFinding) {
			f.Compliance.RelatedRequirements = strings.Split(strings.TrimSuffix(units("SOC 2 CC6.1,", 33), ","), ",")
		}},
		{"record state not a state", func(f *types.AwsSecurityFinding) { f.RecordState = "DELETED" }},
		{"remediation text of 513", func(f *types.AwsSecurityFinding) { f.Remediation.Recommendation.Text = aws.String(units("r", 513)) }},
		{"remediation text of 256 emoji", func(f *types.AwsSecurityFinding) {
			f.Remediation.Recommendation.Text = aws.String(units("😀", 256) + "x")
		}},
		{"empty remediation text", func(f *types.AwsSecurityFinding) { f.Remediation.Recommendation.Text = aws.String("") }},
		{"51 product fields", func(f *types.AwsSecurityFinding) { f.ProductFields = manyFields(51, "v") }},
		{"product field key of 129", func(f *types.AwsSecurityFinding) { f.ProductFields = map[string]string{units("k", 129): "v"} }},
		{"product field value of 2049", func(f *types.AwsSecurityFinding) {
			f.ProductFields = map[string]string{"credaudit/x": units("v", 2049)}
		}},
		{"product field value of 1024 emoji and one more", func(f *types.AwsSecurityFinding) {
			f.ProductFields = map[string]string{"credaudit/x": units("😀", 1024) + "v"}
		}},
		{"company name of 129", func(f *types.AwsSecurityFinding) { f.CompanyName = aws.String(units("c", 129)) }},
		{"empty product name", func(f *types.AwsSecurityFinding) { f.ProductName = aws.String("") }},
		{"over 240 KB on the wire", func(f *types.AwsSecurityFinding) {
			// 40 values of 2048 control characters, each written \u0001.
			f.ProductFields = manyFields(40, units("\x01", 2048))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := validFinding(t)
			tc.break_(&f)
			v := violations(&f)
			if len(v) == 0 {
				t.Fatalf("the documentation's validator takes it: the case breaks nothing")
			}
			rec := &recorder{}
			im := &publish.Importer{Client: rec, Sleep: func(context.Context, time.Duration) error { return nil }}
			_, err := im.Import(context.Background(), []types.AwsSecurityFinding{f})
			var ffe *publish.FailedFindingsError
			if len(rec.imports) > 0 || !errors.As(err, &ffe) {
				b, _ := publish.Marshal(f)
				t.Errorf("Import sent it (%d requests, error %v), though it breaks %v\nfinding: %.3000s", len(rec.imports), err, v, b)
			}
		})
	}
}

// TestImportBatchesStayWithinTheLimitsOnTheWire imports findings of nearly
// 240 KB each, and findings with characters JSON escapes differently: every
// request, as the SDK serializes it, holds at most 100 findings and 6 MB, and
// Marshal measures each finding as the SDK writes it.
func TestImportBatchesStayWithinTheLimitsOnTheWire(t *testing.T) {
	base := validFinding(t)
	var fs []types.AwsSecurityFinding
	for i := range 130 {
		f := base
		f.Id = aws.String(fmt.Sprintf("%s/%d", *base.Id, i))
		// Big: 19 values of 2048 units, each unit a control character
		// (\u0001, 6 bytes), a line separator or an emoji: just under
		// 240 KB on the wire for the control characters.
		fill := []string{"\x01", "\u2028", "😀", "<&>", "\\\""}[i%5]
		f.ProductFields = manyFields(19, units(fill, 2048/publish.Length(fill)))
		fs = append(fs, f)
	}
	for i := range fs {
		b, err := publish.Marshal(fs[i])
		if err != nil {
			t.Fatal(err)
		}
		wire, err := wireSize(fs[i : i+1])
		if err != nil {
			t.Fatal(err)
		}
		if wire -= len(`{"Findings":[]}`); len(b) != wire {
			t.Errorf("finding %d: Marshal measures %d bytes, the SDK writes %d", i, len(b), wire)
		}
	}
	rec := &recorder{}
	im := &publish.Importer{Client: rec, Sleep: func(context.Context, time.Duration) error { return nil }}
	st, err := im.Import(context.Background(), fs)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	sent := 0
	for i, in := range rec.imports {
		size, err := wireSize(in.Findings)
		if err != nil {
			t.Fatal(err)
		}
		if len(in.Findings) > docFindingsPerBatch || size > docPerBatchBytes {
			t.Errorf("request %d: %d findings, %d bytes on the wire; at most %d and %d", i, len(in.Findings), size, docFindingsPerBatch, docPerBatchBytes)
		}
		sent += len(in.Findings)
	}
	if sent != len(fs) || st.Succeeded != len(fs) {
		t.Errorf("sent %d of %d findings (%d succeeded)", sent, len(fs), st.Succeeded)
	}
}
