package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"
)

// MetricsNamespace and the run metrics are what the function writes in
// CloudWatch embedded metric format, one set per audited account
// (dimension AccountId).
const MetricsNamespace = "credaudit"

// SeverityMetrics are the failing-finding counts per severity.
var SeverityMetrics = []string{"FailingCritical", "FailingHigh", "FailingMedium", "FailingLow", "FailingInformational"}

// addDashboard creates a dashboard of the run metrics for the stack's own
// account, next to the function's and the failure queue's health. Points are
// per day: the default schedule runs once a day.
func (st *Stack) addDashboard() {
	day := awscdk.Duration_Days(jsii.Number(1))
	run := func(name, stat, label string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String(MetricsNamespace),
			MetricName:    jsii.String(name),
			DimensionsMap: &map[string]*string{"AccountId": awscdk.Aws_ACCOUNT_ID()},
			Statistic:     jsii.String(stat),
			Period:        day,
			Label:         jsii.String(label),
		})
	}
	graph := func(title string, stacked bool, left ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(title), Left: &left, Stacked: jsii.Bool(stacked),
			Width: jsii.Number(8), Height: jsii.Number(6),
		})
	}
	var bySeverity []awscloudwatch.IMetric
	for _, m := range SeverityMetrics {
		bySeverity = append(bySeverity, run(m, "Maximum", m[len("Failing"):]))
	}
	fiveMin := awscdk.Duration_Minutes(jsii.Number(5))
	fn := func(m func(*awscloudwatch.MetricOptions) awscloudwatch.Metric, stat, label string) awscloudwatch.IMetric {
		return m(&awscloudwatch.MetricOptions{Statistic: jsii.String(stat), Period: fiveMin, Label: jsii.String(label)})
	}

	st.Dashboard = awscloudwatch.NewDashboard(st.Stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DefaultInterval: awscdk.Duration_Days(jsii.Number(30)),
		Widgets: &[]*[]awscloudwatch.IWidget{
			{
				awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
					Markdown: jsii.String("## credaudit\nOne point per run and day for this account: failing findings, " +
						"what changed, what was imported into Security Hub, and how old the credential report was. " +
						"Alarms go to the digest topic."),
					Width: jsii.Number(24), Height: jsii.Number(2),
				}),
			},
			{
				awscloudwatch.NewSingleValueWidget(&awscloudwatch.SingleValueWidgetProps{
					Title: jsii.String("Latest run"),
					Metrics: &[]awscloudwatch.IMetric{
						run("UsersAudited", "Maximum", "Users audited"),
						run("Failing", "Maximum", "Failing"),
						run("New", "Sum", "New"),
						run("Resolved", "Sum", "Resolved"),
						run("Imported", "Sum", "Imported"),
					},
					Width: jsii.Number(24), Height: jsii.Number(4),
				}),
			},
			{
				graph("Failing findings by severity", true, bySeverity...),
				graph("New, changed and resolved findings", false,
					run("New", "Sum", "New"), run("Changed", "Sum", "Changed"), run("Resolved", "Sum", "Resolved")),
				graph("Findings imported into Security Hub", false, run("Imported", "Sum", "Imported")),
			},
			{
				graph("Credential report age (s)", false, run("ReportAgeSeconds", "Maximum", "Report age")),
				graph("Refused imports and undecided results", false,
					run("PublishFailed", "Sum", "Refused by Security Hub"), run("NotAvailable", "Maximum", "Not available")),
			},
			{
				graph("Run duration (ms)", false,
					run("DurationMs", "Maximum", "Audit (handler)"),
					fn(st.Function.MetricDuration, "Maximum", "Lambda duration")),
				graph("Function and failure queue", false,
					fn(st.Function.MetricInvocations, "Sum", "Invocations"),
					fn(st.Function.MetricErrors, "Sum", "Errors"),
					fn(st.Function.MetricThrottles, "Sum", "Throttles"),
					fn(st.Queue.MetricApproximateNumberOfMessagesVisible, "Maximum", "Failure queue messages")),
			},
		},
	})
}
