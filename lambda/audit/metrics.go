package audit

import (
	"encoding/json"
	"strings"

	"github.com/credaudit/credaudit/lambda/rules"
)

// MetricsNamespace is the CloudWatch namespace of the run's metrics, with
// the single dimension AccountId.
const MetricsNamespace = "credaudit"

// metric is one CloudWatch embedded-metric-format metric definition.
type metric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// metrics writes the run's numbers as one line in CloudWatch embedded
// metric format: CloudWatch Logs turns it into metrics with no API call.
func (a *Auditor) metrics(out *Outcome) {
	if a.Metrics == nil {
		return
	}
	c := out.Counts
	values := []struct {
		name, unit string
		v          float64
	}{
		{"UsersAudited", "Count", float64(len(out.Observation.Report.Users))},
		{"Failing", "Count", float64(c.Failing)},
		{"New", "Count", float64(c.New)},
		{"Changed", "Count", float64(c.Changed)},
		{"Resolved", "Count", float64(c.Resolved + c.Gone)},
		{"Imported", "Count", float64(out.Hub.Imported)},
		{"PublishFailed", "Count", float64(out.Hub.Failed)},
		{"NotAvailable", "Count", float64(c.NotAvailable)},
		{"DurationMs", "Milliseconds", float64(out.Duration.Milliseconds())},
	}
	if gen := out.Observation.Report.GeneratedTime; !gen.IsZero() {
		values = append(values, struct {
			name, unit string
			v          float64
		}{"ReportAgeSeconds", "Seconds", a.now().Sub(gen).Seconds()})
	}
	for s := rules.Informational; s <= rules.Critical; s++ {
		name := "Failing" + s.String()[:1] + strings.ToLower(s.String()[1:])
		values = append(values, struct {
			name, unit string
			v          float64
		}{name, "Count", float64(c.BySeverity[s])})
	}
	doc := map[string]any{"AccountId": out.AccountID}
	defs := make([]metric, 0, len(values))
	for _, v := range values {
		defs = append(defs, metric{Name: v.name, Unit: v.unit})
		doc[v.name] = v.v
	}
	doc["_aws"] = map[string]any{
		"Timestamp": a.now().UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  MetricsNamespace,
			"Dimensions": [][]string{{"AccountId"}},
			"Metrics":    defs,
		}},
	}
	line, err := json.Marshal(doc)
	if err != nil {
		return // a map of numbers and strings always marshals
	}
	a.Metrics.Write(append(line, '\n'))
}
