package publish_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// This file is a validator of ASFF findings written from Security Hub's
// documentation alone (shared/reference/aws-facts.md §2.2–§2.9, the API
// reference as the SDK's types.go quotes it, and issue 4 §3), independent of
// publish.Validate: the property test checks every finding credaudit would
// import against it.

// Limits of the documentation, each named where it is used.
const (
	docSchemaVersion     = "2018-10-08"
	docPerFindingBytes   = 240 * 1000 // "240 KB": the smaller reading
	docPerBatchBytes     = 6 * 1000 * 1000
	docFindingsPerBatch  = 100
	docIDMax             = 512
	docProductARNMin     = 12
	docProductARNMax     = 2048
	docTitleMax          = 256
	docDescriptionMax    = 1024
	docResourcesMax      = 32
	docResourceTypeMax   = 256
	docRegionMax         = 16
	docTypesMax          = 50
	docFieldsMax         = 50
	docFieldKeyMax       = 128
	docProductValueMax   = 2048
	docUserValueMax      = 1024
	docNameMax           = 128
	docRequirementsMax   = 32
	docRecommendationMax = 512
	docOriginalMax       = 64
	docAccountNameMax    = 50
)

// docNamespaces are the valid first parts of a finding type.
var docNamespaces = []string{"Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors", "Sensitive Data Identifications"}

// docPartitions are types.Partition's values.
var docPartitions = []string{"aws", "aws-cn", "aws-us-gov"}

// docTimestamp is the API's timestamp form: RFC 3339 with Z or an offset,
// up to nine fractional digits.
var docTimestamp = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|([+-])(\d{2}):(\d{2}))$`)

// docProductARN is the default product ARN (§2.5).
var docProductARN = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):securityhub:([a-z0-9-]+):(\d{12}):product/(\d{12})/default$`)

// docChars is a string's length as Security Hub may count it. The API
// reference says "characters" without saying which; UTF-16 code units (what
// a Java service's String.length counts) are never fewer than code points,
// so a string within a limit by this count is within it by either.
func docChars(s string) int {
	n := 0
	for _, r := range s { // an invalid byte reads as U+FFFD, one unit
		n += utf16.RuneLen(r)
	}
	return n
}

// violations lists every documented rule f breaks, each as "Field: what".
func violations(f *types.AwsSecurityFinding) []string {
	var v []string
	bad := func(format string, args ...any) { v = append(v, fmt.Sprintf(format, args...)) }
	str := func(field string, p *string, min, max int, required bool) {
		if p == nil {
			if required {
				bad("%s: required, missing", field)
			}
			return
		}
		s := *p
		if !utf8.ValidString(s) {
			bad("%s: not valid UTF-8 (%q)", field, s)
		}
		if n := docChars(s); n < min || n > max {
			bad("%s: %d characters, want %d–%d", field, n, min, max)
		}
	}
	nonBlank := func(field string, p *string) {
		if p != nil && strings.TrimSpace(*p) == "" {
			bad("%s: blank", field)
		}
	}
	ts := func(field string, p *string, required bool) {
		if p == nil {
			if required {
				bad("%s: required, missing", field)
			}
			return
		}
		if err := docCheckTimestamp(*p); err != nil {
			bad("%s: %q: %v", field, *p, err)
		}
	}

	// Required attributes (§2.4).
	if f.SchemaVersion == nil || *f.SchemaVersion != docSchemaVersion {
		bad("SchemaVersion: want %q, got %v", docSchemaVersion, deref(f.SchemaVersion))
	}
	str("Id", f.Id, 1, docIDMax, true)
	nonBlank("Id", f.Id)
	str("GeneratorId", f.GeneratorId, 1, docIDMax, true)
	nonBlank("GeneratorId", f.GeneratorId)
	str("ProductArn", f.ProductArn, docProductARNMin, docProductARNMax, true)
	if f.AwsAccountId == nil || !regexp.MustCompile(`^\d{12}$`).MatchString(*f.AwsAccountId) {
		bad("AwsAccountId: want exactly 12 digits, got %v", deref(f.AwsAccountId))
	}
	partition := ""
	if f.ProductArn != nil {
		m := docProductARN.FindStringSubmatch(*f.ProductArn)
		switch {
		case m == nil:
			bad("ProductArn: %q is not arn:<partition>:securityhub:<region>:<account>:product/<account>/default", *f.ProductArn)
		case f.AwsAccountId != nil && (m[3] != *f.AwsAccountId || m[4] != *f.AwsAccountId):
			bad("ProductArn: %q is not the default product of account %s (only that account may import with it)", *f.ProductArn, *f.AwsAccountId)
		default:
			partition = m[1]
		}
	}
	str("Title", f.Title, 1, docTitleMax, true)
	nonBlank("Title", f.Title)
	str("Description", f.Description, 1, docDescriptionMax, true)
	nonBlank("Description", f.Description)
	ts("CreatedAt", f.CreatedAt, true)
	ts("UpdatedAt", f.UpdatedAt, true)
	ts("FirstObservedAt", f.FirstObservedAt, false)
	ts("LastObservedAt", f.LastObservedAt, false)
	ts("ProcessedAt", f.ProcessedAt, false)
	docOrder := func(a, b string, pa, pb *string) {
		if pa == nil || pb == nil {
			return
		}
		ta, ea := time.Parse(time.RFC3339Nano, *pa)
		tb, eb := time.Parse(time.RFC3339Nano, *pb)
		if ea == nil && eb == nil && ta.After(tb) {
			bad("%s %s is after %s %s", a, *pa, b, *pb)
		}
	}
	docOrder("CreatedAt", "UpdatedAt", f.CreatedAt, f.UpdatedAt)
	docOrder("FirstObservedAt", "LastObservedAt", f.FirstObservedAt, f.LastObservedAt)

	// Severity: Label or Normalized, at the top or from the provider.
	labelOK := func(l types.SeverityLabel) bool {
		return slices.Contains(types.SeverityLabel("").Values(), l)
	}
	hasSeverity := false
	if s := f.Severity; s != nil {
		if s.Label != "" {
			hasSeverity = true
			if !labelOK(s.Label) {
				bad("Severity.Label: %q is not a label", s.Label)
			}
		}
		if s.Normalized != nil {
			hasSeverity = true
			if *s.Normalized < 0 || *s.Normalized > 100 {
				bad("Severity.Normalized: %d, want 0–100", *s.Normalized)
			}
		}
		str("Severity.Original", s.Original, 1, docOriginalMax, false)
	}
	var types_ []string
	types_ = append(types_, f.Types...)
	if p := f.FindingProviderFields; p != nil {
		if s := p.Severity; s != nil {
			if s.Label != "" {
				hasSeverity = true
				if !labelOK(s.Label) {
					bad("FindingProviderFields.Severity.Label: %q is not a label", s.Label)
				}
			}
			str("FindingProviderFields.Severity.Original", s.Original, 1, docOriginalMax, false)
		}
		types_ = append(types_, p.Types...)
		if len(p.Types) > docTypesMax {
			bad("FindingProviderFields.Types: %d, at most %d", len(p.Types), docTypesMax)
		}
		for _, n := range []*int32{p.Confidence, p.Criticality} {
			if n != nil && (*n < 0 || *n > 100) {
				bad("FindingProviderFields: score %d, want 0–100", *n)
			}
		}
	}
	if !hasSeverity {
		bad("Severity: neither Label nor Normalized, at the top or in FindingProviderFields")
	}
	if len(f.Types) > docTypesMax {
		bad("Types: %d, at most %d", len(f.Types), docTypesMax)
	}
	if len(types_) == 0 {
		bad("Types: required, none at the top or in FindingProviderFields")
	}
	for _, t := range types_ {
		parts := strings.Split(t, "/")
		if len(parts) > 3 || !slices.Contains(docNamespaces, parts[0]) || slices.ContainsFunc(parts, func(p string) bool { return strings.TrimSpace(p) == "" }) {
			bad("Types: %q is not namespace/category/classifier with a valid namespace", t)
		}
	}

	// Resources.
	if n := len(f.Resources); n < 1 || n > docResourcesMax {
		bad("Resources: %d, want 1–%d", n, docResourcesMax)
	}
	for i := range f.Resources {
		r := &f.Resources[i]
		name := fmt.Sprintf("Resources[%d]", i)
		str(name+".Type", r.Type, 1, docResourceTypeMax, true)
		str(name+".Id", r.Id, 1, 1<<30, true)
		nonBlank(name+".Id", r.Id)
		str(name+".Region", r.Region, 1, docRegionMax, false)
		if r.Partition != "" && !slices.Contains(docPartitions, string(r.Partition)) {
			bad("%s.Partition: %q is not aws, aws-cn or aws-us-gov", name, r.Partition)
		}
		if r.Partition != "" && partition != "" && string(r.Partition) != partition {
			bad("%s.Partition: %q, but the product ARN is in %q", name, r.Partition, partition)
		}
		if r.Type != nil && r.Id != nil {
			switch *r.Type {
			case "AwsIamUser":
				if !regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:user/`).MatchString(*r.Id) {
					bad("%s.Id: %q is not an IAM user's ARN", name, *r.Id)
				}
			case "AwsAccount":
				if !regexp.MustCompile(`^AWS::::Account:\d{12}$`).MatchString(*r.Id) {
					bad("%s.Id: %q is not AWS::::Account:<id>", name, *r.Id)
				}
			}
		}
		if d := r.Details; d != nil && d.AwsIamUser != nil {
			ts(name+".Details.AwsIamUser.CreateDate", d.AwsIamUser.CreateDate, false)
			for _, s := range []*string{d.AwsIamUser.UserName, d.AwsIamUser.Path, d.AwsIamUser.UserId} {
				if s != nil && !utf8.ValidString(*s) {
					bad("%s.Details.AwsIamUser: %q is not valid UTF-8", name, *s)
				}
			}
		}
	}

	// Compliance.
	if c := f.Compliance; c != nil {
		if c.Status != "" && !slices.Contains(types.ComplianceStatus("").Values(), c.Status) {
			bad("Compliance.Status: %q is not a status", c.Status)
		}
		if n := len(c.RelatedRequirements); n > docRequirementsMax {
			bad("Compliance.RelatedRequirements: %d, at most %d", n, docRequirementsMax)
		}
		for _, req := range c.RelatedRequirements {
			if !utf8.ValidString(req) || strings.TrimSpace(req) == "" {
				bad("Compliance.RelatedRequirements: %q", req)
			}
		}
	}
	if f.RecordState != "" && !slices.Contains(types.RecordState("").Values(), f.RecordState) {
		bad("RecordState: %q is not a record state", f.RecordState)
	}
	if w := f.Workflow; w != nil && w.Status != "" && !slices.Contains(types.WorkflowStatus("").Values(), w.Status) {
		bad("Workflow.Status: %q is not a workflow status", w.Status)
	}

	// Remediation.
	if rem := f.Remediation; rem != nil && rem.Recommendation != nil {
		rec := rem.Recommendation
		str("Remediation.Recommendation.Text", rec.Text, 1, docRecommendationMax, false)
		nonBlank("Remediation.Recommendation.Text", rec.Text)
		if rec.Url != nil {
			u, err := url.Parse(*rec.Url)
			switch {
			case err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
				bad("Remediation.Recommendation.Url: %q is not an http(s) URL", *rec.Url)
			case strings.ContainsFunc(*rec.Url, func(r rune) bool { return r <= ' ' || r >= 0x7f }):
				bad("Remediation.Recommendation.Url: %q is not a URI (space, control or non-ASCII character)", *rec.Url)
			}
			// The API reference gives Url no length, only the pattern
			// .*\S.* (not blank); that it is a URI is the README's
			// ("read as the URI it means (percent-encoded), in SARIF and
			// in Security Hub alike").
			nonBlank("Remediation.Recommendation.Url", rec.Url)
		}
	}

	// Maps.
	fields := func(field string, m map[string]string, valueMax int) {
		if len(m) > docFieldsMax {
			bad("%s: %d pairs, at most %d", field, len(m), docFieldsMax)
		}
		for k, val := range m {
			kk := k
			str(field+" key", &kk, 1, docFieldKeyMax, true)
			vv := val
			str(field+"["+k+"]", &vv, 1, valueMax, true)
			nonBlank(field+" key", &kk) // NonEmptyString: pattern .*\S.*
			nonBlank(field+"["+k+"]", &vv)
			if strings.HasPrefix(k, "aws/") {
				bad("%s: key %q uses the aws/ prefix Security Hub reserves", field, k)
			}
		}
	}
	fields("ProductFields", f.ProductFields, docProductValueMax)
	fields("UserDefinedFields", f.UserDefinedFields, docUserValueMax)
	str("CompanyName", f.CompanyName, 1, docNameMax, false)
	str("ProductName", f.ProductName, 1, docNameMax, false)
	str("AwsAccountName", f.AwsAccountName, 1, docAccountNameMax, false)
	if n := len(f.RelatedFindings); n > 10 {
		bad("RelatedFindings: %d, at most 10", n)
	}
	if f.Note != nil {
		str("Note.Text", f.Note.Text, 1, 512, true)
	}

	// Size on the wire (§2.2).
	if n, err := wireSize([]types.AwsSecurityFinding{*f}); err != nil {
		bad("serialize: %v", err)
	} else if n-len(`{"Findings":[]}`) > docPerFindingBytes {
		bad("size: %d bytes on the wire, at most %d (240 KB)", n-len(`{"Findings":[]}`), docPerFindingBytes)
	}
	return v
}

func deref(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

// docCheckTimestamp checks the API's timestamp rules (§2.7).
func docCheckTimestamp(s string) error {
	m := docTimestamp.FindStringSubmatch(s)
	if m == nil {
		return errors.New("not RFC 3339 with Z or ±HH:MM and at most 9 fractional digits")
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	if m[8] != "Z" && (atoi(m[10])*60+atoi(m[11]) > 18*60 || atoi(m[11]) > 59) {
		return errors.New("offset beyond ±18:00")
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return fmt.Errorf("not a real instant: %w", err)
	}
	return nil
}

// captured is an HTTP client that keeps a request's body and answers
// nothing: the SDK's own serializer measures what would go on the wire.
type captured struct{ body []byte }

var errCaptured = errors.New("captured")

func (c *captured) Do(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	c.body = b
	return nil, errCaptured
}

// wireSize is the size of the BatchImportFindings request body that holds
// fs, as the SDK writes it.
func wireSize(fs []types.AwsSecurityFinding) (int, error) {
	c := &captured{}
	client := securityhub.New(securityhub.Options{
		Region:      "us-east-1",
		Credentials: aws.AnonymousCredentials{},
		HTTPClient:  c,
		Retryer:     aws.NopRetryer{},
	})
	_, err := client.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: fs})
	if !errors.Is(err, errCaptured) {
		return 0, fmt.Errorf("the SDK did not serialize the request: %w", err)
	}
	if !bytes.HasPrefix(c.body, []byte(`{"Findings":[`)) {
		return 0, fmt.Errorf("unexpected body %.40q", c.body)
	}
	return len(c.body), nil
}
