package audit

import (
	"cmp"
	"encoding/json"
	"strings"

	"github.com/credaudit/credaudit/lambda/rules"
)

// MetricsNamespace is the CloudWatch namespace of the run's metrics, with
// the single dimension AccountId, or none (Auditor.MetricsAcrossAccounts).
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
	doc := map[string]any{"AccountId": out.AccountID, "level": cmp.Or(a.MetricsLevel, "INFO")}
	var defs []metric
	add := func(name, unit string, v float64) {
		defs = append(defs, metric{Name: name, Unit: unit})
		doc[name] = v
	}
	add("UsersAudited", "Count", float64(len(out.Observation.Report.Users)))
	add("Failing", "Count", float64(c.Failing))
	for s := rules.Informational; s <= rules.Critical; s++ {
		add("Failing"+s.String()[:1]+strings.ToLower(s.String()[1:]), "Count", float64(c.BySeverity[s]))
	}
	add("New", "Count", float64(c.New))
	add("Changed", "Count", float64(c.Changed))
	add("Resolved", "Count", float64(c.Resolved+c.Gone))
	add("Imported", "Count", float64(out.Hub.Imported))
	add("PublishFailed", "Count", float64(out.Hub.Failed))
	add("NotAvailable", "Count", float64(c.NotAvailable))
	add("DurationMs", "Milliseconds", float64(out.Duration.Milliseconds()))
	if gen := out.Observation.Report.GeneratedTime; !gen.IsZero() {
		add("ReportAgeSeconds", "Seconds", a.now().Sub(gen).Seconds())
	}
	dims := []string{"AccountId"}
	if a.MetricsAcrossAccounts {
		dims = []string{} // one series per metric: written [[]], not [null]
	}
	doc["_aws"] = map[string]any{
		"Timestamp": a.now().UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  MetricsNamespace,
			"Dimensions": [][]string{dims},
			"Metrics":    defs,
		}},
	}
	line, err := json.Marshal(doc)
	if err != nil {
		return // a map of numbers and strings always marshals
	}
	a.Metrics.Write(append(line, '\n'))
}
