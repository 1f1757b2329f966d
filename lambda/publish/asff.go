package publish

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/internal/lazyre"
	"github.com/credaudit/credaudit/lambda/rules"
)

// SchemaVersion is the only ASFF schema version.
const SchemaVersion = "2018-10-08"

// CompanyName and ProductName replace Security Hub's defaults ("Personal",
// "Default") for our custom integration, so the console and GetFindings can
// filter on them.
const (
	CompanyName = "credaudit"
	ProductName = "credaudit"
)

// ProductFields keys. Security Hub reserves the aws/ prefix.
const (
	ProductFieldRuleID            = "credaudit/RuleId"
	ProductFieldReportGeneratedAt = "credaudit/ReportGeneratedAt"
	ProductFieldReason            = "credaudit/Reason"
	ProductFieldSuppression       = "credaudit/SuppressionReason"
)

// Finding types (namespace/category/classifier). A rule mapped to CIS gets
// the CIS classifier, any other the AWS best-practices one.
const (
	TypeCIS           = "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"
	TypeBestPractices = "Software and Configuration Checks/AWS Security Best Practices"
)

// TruncationMarker ends every text that was cut to fit a field limit.
const TruncationMarker = "…[truncated]"

// ASFF field limits, from the Security Hub API reference (see doc.go).
const (
	MaxIDLength            = 512
	MaxTitleLength         = 256
	MaxDescriptionLength   = 1024
	MaxRemediationLength   = 512
	MaxProductFields       = 50
	MaxProductFieldKey     = 128
	MaxProductFieldValue   = 2048
	MaxTypes               = 50
	MaxResources           = 32
	MaxResourceTypeLength  = 256
	MaxRegionLength        = 16
	MinProductARNLength    = 12
	MaxProductARNLength    = 2048
	MaxNameLength          = 128 // CompanyName, ProductName
	MaxRelatedRequirements = rules.MaxRelatedRequirements
)

// Finding is everything ASFF needs to write one finding. It is independent
// of how the caller keeps state: the caller supplies the stable ID and every
// timestamp.
type Finding struct {
	// Result is the rule's verdict on the resource. For a finding whose user
	// is gone the caller rebuilds it from its state: Rule, an Entry holding
	// User and ARN (which give the resource's type and ID), Status and the
	// last Reason.
	Result *rules.Result
	// ID is the stable finding Id (account, rule and resource; see doc.go).
	ID string
	// AccountID (12 digits) and Partition ("aws", "aws-us-gov", …) are the
	// audited account's, from the report.
	AccountID string
	Partition string
	// Region is the Security Hub home region the finding is imported into.
	Region string
	// ReportGeneratedAt is when IAM generated the report; zero leaves the
	// product field out.
	ReportGeneratedAt time.Time
	// FirstObservedAt is when the failure was first seen; it must not
	// change between imports.
	FirstObservedAt time.Time
	// CreatedAt is the CreatedAt Security Hub's finding was created with,
	// which must not change between imports; zero when this import creates
	// the finding, which then sends UpdatedAt, as Security Hub requires the
	// two equal on creation.
	CreatedAt time.Time
	// LastObservedAt is the report time of the latest observation.
	LastObservedAt time.Time
	// UpdatedAt must be later than that of every earlier import of ID.
	UpdatedAt time.Time
	// RecordState is ACTIVE (the default when empty) or ARCHIVED.
	RecordState types.RecordState
	// ComplianceStatus overrides the status derived from Result.Status
	// (PASSED, FAILED, NOT_AVAILABLE); empty derives it.
	ComplianceStatus types.ComplianceStatus
}

// ASFF maps f to an ASFF finding with every field within Security Hub's
// limits: long texts are truncated, and anything that cannot be truncated
// (an identifier, the account, a timestamp) is an error.
func ASFF(f Finding) (types.AwsSecurityFinding, error) {
	r := f.Result
	if r == nil || r.Rule == nil || r.Entry == nil {
		return types.AwsSecurityFinding{}, fmt.Errorf("finding %q: no result, rule or report row", f.ID)
	}
	rule := r.Rule
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if err := checkIdentifier("Id", f.ID, 1, MaxIDLength); err != nil {
		errs = append(errs, err)
	}
	if err := checkIdentifier("GeneratorId (rule ID)", rule.ID, 1, MaxIDLength); err != nil {
		errs = append(errs, err)
	}
	if !credreport.IsAccountID(f.AccountID) {
		bad("AwsAccountId %q is not 12 digits", f.AccountID)
	}
	if !credreport.IsPartition(f.Partition) {
		bad("partition %q is not aws or aws-<name>", f.Partition)
	}
	if err := checkIdentifier("Region", f.Region, 1, MaxRegionLength); err != nil {
		errs = append(errs, err)
	}
	if r.ResourceID() == "" {
		bad("resource ID is empty")
	}

	status := f.ComplianceStatus
	if status == "" {
		switch r.Status {
		case rules.Passed:
			status = types.ComplianceStatusPassed
		case rules.Failed:
			status = types.ComplianceStatusFailed
		case rules.NotAvailable:
			status = types.ComplianceStatusNotAvailable
		default:
			bad("result status %q has no compliance status", r.Status)
		}
	} else if !slices.Contains(status.Values(), status) {
		bad("compliance status %q is not one of %v", status, status.Values())
	}
	record := f.RecordState
	if record == "" {
		record = types.RecordStateActive
	} else if !slices.Contains(record.Values(), record) {
		bad("record state %q is not one of %v", record, record.Values())
	}

	label := types.SeverityLabelInformational
	if status == types.ComplianceStatusFailed || status == types.ComplianceStatusWarning {
		label = types.SeverityLabel(rule.Severity.String())
		if !slices.Contains(label.Values(), label) {
			bad("rule %s: severity %s is not an ASFF label", rule.ID, rule.Severity)
		}
	}

	for _, ts := range []struct {
		name string
		t    time.Time
	}{{"FirstObservedAt", f.FirstObservedAt}, {"LastObservedAt", f.LastObservedAt}, {"UpdatedAt", f.UpdatedAt}} {
		if ts.t.IsZero() {
			bad("%s is not set", ts.name)
		}
	}
	if f.LastObservedAt.Before(f.FirstObservedAt) {
		bad("LastObservedAt %s is before FirstObservedAt %s", timestamp(f.LastObservedAt), timestamp(f.FirstObservedAt))
	}
	if f.UpdatedAt.Before(f.FirstObservedAt) {
		bad("UpdatedAt %s is before FirstObservedAt %s", timestamp(f.UpdatedAt), timestamp(f.FirstObservedAt))
	}
	created := f.CreatedAt
	if created.IsZero() {
		created = f.UpdatedAt
	}
	if f.UpdatedAt.Before(created) {
		bad("UpdatedAt %s is before CreatedAt %s", timestamp(f.UpdatedAt), timestamp(created))
	}

	title, _ := Truncate(rule.Title, MaxTitleLength)
	if isBlank(title) {
		bad("rule %s has no title", rule.ID)
	}
	desc := strings.TrimSpace(rule.Description)
	if reason := strings.TrimSpace(r.Reason); reason != "" {
		desc = strings.TrimSpace("Reason: " + sentence(reason) + " " + desc)
	}
	desc, _ = Truncate(desc, MaxDescriptionLength)
	if isBlank(desc) {
		bad("rule %s has no description and the result no reason", rule.ID)
	}

	if len(errs) > 0 {
		return types.AwsSecurityFinding{}, fmt.Errorf("finding %q: %w", f.ID, errors.Join(errs...))
	}

	productARN := DefaultProductARN(f.Partition, f.Region, f.AccountID)
	out := types.AwsSecurityFinding{
		SchemaVersion: aws.String(SchemaVersion),
		Id:            aws.String(f.ID),
		ProductArn:    aws.String(productARN),
		GeneratorId:   aws.String(rule.ID),
		AwsAccountId:  aws.String(f.AccountID),
		CompanyName:   aws.String(CompanyName),
		ProductName:   aws.String(ProductName),
		Title:         aws.String(title),
		Description:   aws.String(desc),
		FindingProviderFields: &types.FindingProviderFields{
			Severity: &types.FindingProviderSeverity{Label: label},
			Types:    findingTypes(rule),
		},
		Compliance: &types.Compliance{
			Status:              status,
			RelatedRequirements: relatedRequirements(rule),
		},
		Resources:       []types.Resource{resource(f)},
		Remediation:     remediation(rule),
		ProductFields:   productFields(f),
		CreatedAt:       aws.String(timestamp(created)),
		FirstObservedAt: aws.String(timestamp(f.FirstObservedAt)),
		LastObservedAt:  aws.String(timestamp(f.LastObservedAt)),
		UpdatedAt:       aws.String(timestamp(f.UpdatedAt)),
		RecordState:     record,
	}
	if err := Validate(out); err != nil {
		return types.AwsSecurityFinding{}, err
	}
	return out, nil
}

// DefaultProductARN is the product ARN Security Hub creates in every account
// where it is enabled, the one custom findings are imported under.
func DefaultProductARN(partition, region, accountID string) string {
	return "arn:" + partition + ":securityhub:" + region + ":" + accountID + ":product/" + accountID + "/default"
}

func findingTypes(rule *rules.Rule) []string {
	if len(rule.Frameworks.CIS) > 0 {
		return []string{TypeCIS}
	}
	return []string{TypeBestPractices}
}

func relatedRequirements(rule *rules.Rule) []string {
	reqs := rules.RelatedRequirements(rule)
	reqs = slices.DeleteFunc(reqs, isBlank)
	if len(reqs) > MaxRelatedRequirements {
		reqs = reqs[:MaxRelatedRequirements]
	}
	if len(reqs) == 0 {
		return nil
	}
	return reqs
}

// resource is the AwsIamUser or, for root, the AwsAccount the finding is about.
func resource(f Finding) types.Resource {
	r := f.Result
	res := types.Resource{
		Id:     aws.String(r.ResourceID()),
		Type:   aws.String(r.ResourceType()),
		Region: aws.String(f.Region),
	}
	if p := types.Partition(f.Partition); slices.Contains(p.Values(), p) {
		res.Partition = p
	}
	if r.ResourceType() != rules.ResourceIAMUser {
		return res
	}
	user := &types.AwsIamUserDetails{}
	name, path, ok := parseUserARN(r.ARN())
	if r.User() != "" {
		name = r.User()
	}
	if name != "" {
		user.UserName = aws.String(name)
	}
	if ok {
		user.Path = aws.String(path)
	}
	if t, ok := r.Entry.UserCreationTime.Get(); ok && !t.IsZero() {
		user.CreateDate = aws.String(timestamp(t))
	}
	if user.UserName != nil || user.Path != nil || user.CreateDate != nil {
		res.Details = &types.ResourceDetails{AwsIamUser: user}
	}
	return res
}

// parseUserARN splits arn:<partition>:iam::<account>:user/<path…>/<name> into
// the name and the path ("/" when the user has none).
func parseUserARN(arn string) (name, path string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" {
		return "", "", false
	}
	rest, found := strings.CutPrefix(parts[5], "user/")
	if !found || rest == "" {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '/')
	return rest[i+1:], "/" + rest[:i+1], true
}

func remediation(rule *rules.Rule) *types.Remediation {
	text, _ := Truncate(strings.TrimSpace(rule.Remediation), MaxRemediationLength)
	rec := &types.Recommendation{}
	if text != "" {
		rec.Text = aws.String(text)
	}
	if u := strings.TrimSpace(rule.URL); u != "" {
		rec.Url = aws.String(u)
	}
	if rec.Text == nil && rec.Url == nil {
		return nil
	}
	return &types.Remediation{Recommendation: rec}
}

func productFields(f Finding) map[string]string {
	r := f.Result
	fields := map[string]string{ProductFieldRuleID: r.Rule.ID}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			fields[k], _ = Truncate(v, MaxProductFieldValue)
		}
	}
	if !f.ReportGeneratedAt.IsZero() {
		set(ProductFieldReportGeneratedAt, timestamp(f.ReportGeneratedAt))
	}
	set(ProductFieldReason, r.Reason)
	if r.Suppressed() {
		set(ProductFieldSuppression, r.SuppressionReason())
	}
	return fields
}

// timestamp writes t as Security Hub accepts it: UTC, RFC 3339, at most nine
// fractional digits, trailing zeros dropped.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// sentence ends s with a full stop unless it already ends a sentence.
func sentence(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// Length is s's length as Security Hub's limits count it, in UTF-16 code
// units (a rune outside the Basic Multilingual Plane counts twice, so the
// result is never less than the rune count).
func Length(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Len(r)
	}
	return n
}

func utf16Len(r rune) int {
	if n := utf16.RuneLen(r); n > 0 {
		return n
	}
	return 1 // invalid UTF-8 decodes to U+FFFD
}

// Truncate cuts s to at most max UTF-16 code units (see Length), on a rune
// boundary, ending in TruncationMarker, and reports whether it cut. Invalid
// UTF-8 is replaced by U+FFFD first, as JSON encoding would.
func Truncate(s string, max int) (string, bool) {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if Length(s) <= max {
		return s, false
	}
	budget := max - Length(TruncationMarker)
	if budget < 0 {
		// The field is shorter than the marker: cut without it.
		budget, max = max, 0
	}
	n, end := 0, 0
	for i, r := range s {
		if n+utf16Len(r) > budget {
			break
		}
		n += utf16Len(r)
		end = i + utf8.RuneLen(r)
	}
	head := strings.TrimRightFunc(s[:end], unicode.IsSpace)
	if max == 0 {
		return head, true
	}
	return head + TruncationMarker, true
}

func checkIdentifier(field, v string, min, max int) error {
	switch n := Length(v); {
	case isBlank(v):
		return fmt.Errorf("%s is empty", field)
	case n < min || n > max:
		return fmt.Errorf("%s is %d characters, want %d–%d", field, n, min, max)
	case !utf8.ValidString(v):
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	return nil
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

// timestampShape is an RFC 3339 timestamp as Security Hub's are written:
// two-digit fields, a fraction after a dot, then Z or ±hh:mm. time.Parse
// also takes a one-digit hour and a decimal comma.
var timestampShape = lazyre.New(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)

// parseTimestamp reads s as Security Hub's timestamps are written: RFC 3339
// with Z or an offset of at most ±18:00, and at most nine fractional digits
// (time.Parse takes more digits, and offsets to ±24:00).
func parseTimestamp(s string) (time.Time, error) {
	m := timestampShape().FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, errors.New("is not an RFC 3339 timestamp")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errors.New("is not an RFC 3339 timestamp")
	}
	if n := len(m[1]) - 1; n > 9 {
		return time.Time{}, fmt.Errorf("has %d fractional digits, at most 9", n)
	}
	if _, off := t.Zone(); off > 18*3600 || off < -18*3600 {
		return time.Time{}, errors.New("has an offset beyond ±18:00")
	}
	return t, nil
}

// Validate checks f against the ASFF rules this package relies on: required
// attributes present, identifiers and texts within their limits, timestamps
// parseable, enumerations known. It never changes f. Import runs it on every
// finding before sending, so a finding built elsewhere is held to the same
// limits as one built by ASFF.
func Validate(f types.AwsSecurityFinding) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	str := func(field string, p *string, min, max int) {
		if p == nil {
			bad("%s is missing", field)
			return
		}
		if err := checkIdentifier(field, *p, min, max); err != nil {
			errs = append(errs, err)
		}
	}
	if aws.ToString(f.SchemaVersion) != SchemaVersion {
		bad("SchemaVersion is %q, want %q", aws.ToString(f.SchemaVersion), SchemaVersion)
	}
	str("Id", f.Id, 1, MaxIDLength)
	str("ProductArn", f.ProductArn, MinProductARNLength, MaxProductARNLength)
	str("GeneratorId", f.GeneratorId, 1, MaxIDLength)
	if !credreport.IsAccountID(aws.ToString(f.AwsAccountId)) {
		bad("AwsAccountId %q is not 12 digits", aws.ToString(f.AwsAccountId))
	}
	str("Title", f.Title, 1, MaxTitleLength)
	str("Description", f.Description, 1, MaxDescriptionLength)
	if f.CompanyName != nil {
		str("CompanyName", f.CompanyName, 1, MaxNameLength)
	}
	if f.ProductName != nil {
		str("ProductName", f.ProductName, 1, MaxNameLength)
	}

	var created, updated time.Time
	parse := func(field string, p *string, required bool) time.Time {
		if p == nil {
			if required {
				bad("%s is missing", field)
			}
			return time.Time{}
		}
		t, err := parseTimestamp(*p)
		if err != nil {
			bad("%s %q %v", field, *p, err)
		}
		return t
	}
	created = parse("CreatedAt", f.CreatedAt, true)
	updated = parse("UpdatedAt", f.UpdatedAt, true)
	parse("FirstObservedAt", f.FirstObservedAt, false)
	parse("LastObservedAt", f.LastObservedAt, false)
	if !created.IsZero() && !updated.IsZero() && updated.Before(created) {
		bad("UpdatedAt %s is before CreatedAt %s", *f.UpdatedAt, *f.CreatedAt)
	}

	severity := f.Severity != nil && (f.Severity.Label != "" || f.Severity.Normalized != nil)
	if s := f.Severity; s != nil {
		if s.Label != "" && !slices.Contains(s.Label.Values(), s.Label) {
			bad("Severity.Label %q is not a severity label", s.Label)
		}
		if n := s.Normalized; n != nil && (*n < 0 || *n > 100) {
			bad("Severity.Normalized %d is not 0–100", *n)
		}
	}
	typeList := f.Types
	if fp := f.FindingProviderFields; fp != nil {
		if fp.Severity != nil && fp.Severity.Label != "" {
			severity = true
			if !slices.Contains(fp.Severity.Label.Values(), fp.Severity.Label) {
				bad("FindingProviderFields.Severity.Label %q is not a severity label", fp.Severity.Label)
			}
		}
		if len(fp.Types) > 0 {
			typeList = fp.Types
		}
	}
	if !severity {
		bad("no severity label (FindingProviderFields.Severity or Severity)")
	}
	if len(typeList) == 0 || len(typeList) > MaxTypes {
		bad("%d finding types, want 1–%d", len(typeList), MaxTypes)
	}

	if n := len(f.Resources); n < 1 || n > MaxResources {
		bad("%d resources, want 1–%d", n, MaxResources)
	}
	for i, res := range f.Resources {
		if d := res.Details; d != nil && d.AwsIamUser != nil {
			parse(fmt.Sprintf("Resources[%d].Details.AwsIamUser.CreateDate", i), d.AwsIamUser.CreateDate, false)
		}
		str(fmt.Sprintf("Resources[%d].Type", i), res.Type, 1, MaxResourceTypeLength)
		if res.Id == nil || isBlank(*res.Id) {
			bad("Resources[%d].Id is missing", i)
		}
		if res.Region != nil {
			str(fmt.Sprintf("Resources[%d].Region", i), res.Region, 1, MaxRegionLength)
		}
		if res.Partition != "" && !slices.Contains(res.Partition.Values(), res.Partition) {
			bad("Resources[%d].Partition %q is not one of %v", i, res.Partition, res.Partition.Values())
		}
	}
	if c := f.Compliance; c != nil {
		if len(c.RelatedRequirements) > MaxRelatedRequirements {
			bad("%d related requirements, want at most %d", len(c.RelatedRequirements), MaxRelatedRequirements)
		}
		if c.Status != "" && !slices.Contains(c.Status.Values(), c.Status) {
			bad("Compliance.Status %q is not a compliance status", c.Status)
		}
	}
	if f.RecordState != "" && !slices.Contains(f.RecordState.Values(), f.RecordState) {
		bad("RecordState %q is not a record state", f.RecordState)
	}
	if w := f.Workflow; w != nil && w.Status != "" && !slices.Contains(w.Status.Values(), w.Status) {
		bad("Workflow.Status %q is not a workflow status", w.Status)
	}
	if f.Remediation != nil && f.Remediation.Recommendation != nil && f.Remediation.Recommendation.Text != nil {
		str("Remediation.Recommendation.Text", f.Remediation.Recommendation.Text, 1, MaxRemediationLength)
	}
	if len(f.ProductFields) > MaxProductFields {
		bad("%d product fields, want at most %d", len(f.ProductFields), MaxProductFields)
	}
	for k, v := range f.ProductFields {
		if n := Length(k); n < 1 || n > MaxProductFieldKey {
			bad("product field key %q is %d characters, want 1–%d", k, n, MaxProductFieldKey)
		}
		if n := Length(v); n > MaxProductFieldValue {
			bad("product field %q value is %d characters, want at most %d", k, n, MaxProductFieldValue)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("finding %q: %w", aws.ToString(f.Id), errors.Join(errs...))
	}
	return nil
}
