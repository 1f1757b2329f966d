package rules

import (
	"encoding/json"
	"testing"
)

// A Status is its Security Hub name as text, both ways, and nothing else
// reads or writes as one.
func TestStatusText(t *testing.T) {
	for st, name := range map[Status]string{Passed: "PASSED", Failed: "FAILED", NotAvailable: "NOT_AVAILABLE"} {
		if got := st.String(); got != name {
			t.Errorf("Status %d String = %q, want %q", uint8(st), got, name)
		}
		b, err := json.Marshal(struct{ S Status }{st})
		if err != nil || string(b) != `{"S":"`+name+`"}` {
			t.Errorf("marshal %s = %s, %v", name, b, err)
		}
		var back struct{ S Status }
		if err := json.Unmarshal(b, &back); err != nil || back.S != st {
			t.Errorf("unmarshal %s = %v, %v", b, back.S, err)
		}
	}
	for _, st := range []Status{0, NotAvailable + 1} {
		if _, err := json.Marshal(st); err == nil {
			t.Errorf("marshal %v: no error", st)
		}
	}
	for _, text := range []string{`""`, `"passed"`, `"PASS"`, `"UNKNOWN"`, `1`} {
		var st Status
		if err := json.Unmarshal([]byte(text), &st); err == nil {
			t.Errorf("unmarshal %s = %v, want an error", text, st)
		}
	}
}
