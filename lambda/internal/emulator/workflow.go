package emulator

import (
	"encoding/json"
	"net/http"
)

// WorkflowUpdate is a BatchUpdateFindings request, as far as tests read it.
type WorkflowUpdate struct {
	FindingIdentifiers []struct{ Id, ProductArn string }
	Workflow           struct{ Status string }
	Note               struct{ Text string }
}

// AnswerWorkflowUpdates is a Proxy hook that passes every call on but
// BatchUpdateFindings, which moto does not implement: it hands that to seen
// (nil: no one) and answers it as Security Hub does when it takes every
// finding.
func AnswerWorkflowUpdates(seen func(WorkflowUpdate)) func(http.ResponseWriter, *Call) {
	return func(w http.ResponseWriter, c *Call) {
		if c.Op != "BatchUpdateFindings" {
			c.Forward(w, nil)
			return
		}
		in, out, err := WorkflowAnswer(c.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if seen != nil {
			seen(in)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(out)
	}
}

// WorkflowAnswer reads the body of a BatchUpdateFindings request and
// returns it with Security Hub's answer when it takes every finding.
func WorkflowAnswer(body []byte) (WorkflowUpdate, []byte, error) {
	var in WorkflowUpdate
	if err := json.Unmarshal(body, &in); err != nil {
		return in, nil, err
	}
	out, err := json.Marshal(map[string]any{"ProcessedFindings": in.FindingIdentifiers, "UnprocessedFindings": []any{}})
	return in, out, err
}
