package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/credaudit/credaudit/lambda/rules"
)

// The run's embedded-metric-format line declares every metric the
// dashboard reads, each with its value at the top level.
func TestMetricsLine(t *testing.T) {
	r := newRig(t, "")
	var buf bytes.Buffer
	r.a.Metrics = &buf
	out, err := r.a.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &doc); err != nil {
		t.Fatalf("metric line is not one JSON object: %v\n%s", err, buf.String())
	}
	var aws struct {
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	}
	raw, _ := json.Marshal(doc["_aws"])
	if err := json.Unmarshal(raw, &aws); err != nil || len(aws.CloudWatchMetrics) != 1 {
		t.Fatalf("_aws: %s", raw)
	}
	if doc["level"] != "INFO" {
		t.Errorf("level %v, want INFO (Lambda reads a line without one as INFO, and filters by it)", doc["level"])
	}
	cw := aws.CloudWatchMetrics[0]
	if cw.Namespace != MetricsNamespace || !slices.Equal(cw.Dimensions[0], []string{"AccountId"}) || doc["AccountId"] != sampleAccount {
		t.Errorf("namespace %q, dimensions %v, AccountId %v", cw.Namespace, cw.Dimensions, doc["AccountId"])
	}
	var names []string
	for _, m := range cw.Metrics {
		names = append(names, m.Name)
		if _, ok := doc[m.Name].(float64); !ok {
			t.Errorf("metric %s has no numeric value", m.Name)
		}
	}
	want := []string{"UsersAudited", "Failing", "FailingInformational", "FailingLow", "FailingMedium", "FailingHigh", "FailingCritical",
		"New", "Changed", "Resolved", "Imported", "PublishFailed", "NotAvailable", "DurationMs", "ReportAgeSeconds"}
	if !slices.Equal(names, want) {
		t.Errorf("metrics %v, want %v", names, want)
	}
	// An organisation's audits: the same line, with no dimension.
	buf.Reset()
	r.a.MetricsAcrossAccounts = true
	r.on(1)
	if _, err := r.a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if line := buf.String(); !strings.Contains(line, `"Dimensions":[[]]`) || !strings.Contains(line, `"AccountId":"`+sampleAccount+`"`) {
		t.Errorf("across accounts: want no dimension and AccountId a field:\n%s", line)
	}
	c := out.Counts
	for name, v := range map[string]int{
		"UsersAudited": len(out.Observation.Report.Users), "Failing": c.Failing, "FailingCritical": c.BySeverity[rules.Critical],
		"New": c.New, "Imported": out.Hub.Imported, "ReportAgeSeconds": 7200,
	} {
		if doc[name] != float64(v) {
			t.Errorf("%s = %v, want %d", name, doc[name], v)
		}
	}
}
