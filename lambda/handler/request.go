package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/credaudit/credaudit/lambda/audit"
	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/internal/lazyre"
)

// Request is what an invocation asks for.
type Request struct {
	// Source names the event's shape: "eventbridge" (a scheduled rule's
	// event), "scheduler" (an EventBridge Scheduler payload) or "account"
	// (a per-account request).
	Source string
	// AccountID and RoleARN are set by a per-account request: audit that
	// account through that role. Both empty: the function's own account.
	AccountID, RoleARN string
	// Notify overrides the notify mode (per-account requests only).
	// "never" also leaves the operational alert of a failure to the
	// caller: an organisation run reports it in its one digest.
	Notify *audit.NotifyMode
	// RunID, set by an organisation run's per-account request, is the run
	// whose prefix keeps the audit's summary (SummaryKey): the run's
	// digest reads it when the map fails, and writes no results.
	RunID string
	// Org is an organisation run's step (Source "organisation").
	Org *OrgStep
	// Delivery names the event, so that a second delivery of it is told
	// (audit.Auditor.Delivery): a Scheduler payload's executionId, or an
	// EventBridge event's id (with its replay-name, for an event replayed
	// from an archive, which keeps its id), or for an organisation run's
	// list_accounts its execution input's executionId (OrgStep.Delivery).
	// "" when the event has none: {} sent by hand, a per-account request,
	// an organisation's other steps.
	Delivery string
}

// schedulerKeys are the keys a Scheduler payload may carry: the context
// attributes the schedule substitutes, and a source tag.
var schedulerKeys = []string{"source", "scheduledTime", "executionId", "attemptNumber", "scheduleArn"}

// eventBridgeKeys are the keys of an EventBridge event (replay-name: one
// replayed from an archive).
var eventBridgeKeys = []string{"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail", "replay-name"}

// orgStepKeys are an organisation step's keys (OrgStep).
var orgStepKeys = []string{"action", "run_id", "accounts", "missing", "results", "error", "event"}

var roleARN = lazyre.New(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/[\w+=,.@/-]{1,512}$`)

// ParseRequest reads an invocation's payload: an EventBridge scheduled
// event, an EventBridge Scheduler payload (a JSON object of schedule context
// attributes, or {}), or a per-account request {"account_id", "role_arn"}.
// Anything else is an error naming what is wrong.
func ParseRequest(payload []byte) (Request, error) {
	payload = bytes.TrimSpace(payload)
	fields, err := eventFields(payload)
	if err != nil {
		return Request{}, err
	}
	str := func(key string) (string, error) { return stringField(fields, key) }
	if _, ok := fields["action"]; ok {
		// encoding/json would match "Run_ID" to run_id: a key is taken
		// as the state machine writes it.
		for k := range fields {
			if !slices.Contains(orgStepKeys, k) {
				return Request{}, fmt.Errorf("organisation step: unknown key %s (want %s)", keyName(k), strings.Join(orgStepKeys, ", "))
			}
		}
		st, err := parseOrgStep(payload)
		if err != nil {
			return Request{}, err
		}
		return Request{Source: "organisation", Org: st, Delivery: st.Delivery}, nil
	}
	if _, ok := fields["detail-type"]; ok {
		dt, err := str("detail-type")
		if err != nil {
			return Request{}, err
		}
		if dt != "Scheduled Event" {
			return Request{}, fmt.Errorf("EventBridge event of detail-type %q: only \"Scheduled Event\" starts an audit", dt)
		}
		// A per-account request's keys on a scheduled event would be
		// dropped, and the function's own account audited.
		var unknown []string
		for k := range fields {
			if !slices.Contains(eventBridgeKeys, k) {
				unknown = append(unknown, keyName(k))
			}
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			return Request{}, fmt.Errorf("unknown keys %s in an EventBridge scheduled event, which carries %s",
				strings.Join(unknown, ", "), strings.Join(eventBridgeKeys, ", "))
		}
		req := Request{Source: "eventbridge"}
		if req.Delivery, err = deliveryOf(fields, "id"); err != nil {
			return Request{}, err
		}
		if replay, err := deliveryOf(fields, "replay-name"); err != nil {
			return Request{}, err
		} else if replay != "" && req.Delivery != "" {
			req.Delivery = "replay/" + replay + "/" + req.Delivery
		}
		return req, nil
	}
	_, hasAccount := fields["account_id"]
	_, hasRole := fields["role_arn"]
	if !hasAccount && !hasRole {
		var unknown []string
		for k := range fields {
			if !slices.Contains(schedulerKeys, k) {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			// The keys unquoted: the log masks what an error quotes.
			return Request{}, fmt.Errorf("unknown keys %s: a Scheduler payload may carry %s; a per-account request has account_id and role_arn, and may have notify and run_id",
				strings.Join(unknown, ", "), strings.Join(schedulerKeys, ", "))
		}
		req := Request{Source: "scheduler"}
		if req.Delivery, err = deliveryOf(fields, "executionId"); err != nil {
			return Request{}, err
		}
		return req, nil
	}

	req := Request{Source: "account"}
	var errs []error
	for k := range fields {
		if k != "account_id" && k != "role_arn" && k != "notify" && k != "run_id" {
			errs = append(errs, fmt.Errorf("unknown key %q in a per-account request (want account_id, role_arn, notify, run_id)", k))
		}
	}
	accountOK := false
	if req.AccountID, err = str("account_id"); err != nil {
		errs = append(errs, err)
	} else if !credreport.IsAccountID(req.AccountID) {
		errs = append(errs, fmt.Errorf("account_id %q is not 12 digits", req.AccountID))
	} else {
		accountOK = true
	}
	if req.RoleARN, err = str("role_arn"); err != nil {
		errs = append(errs, err)
	} else if req.RoleARN != "" {
		m := roleARN().FindStringSubmatch(req.RoleARN)
		switch {
		case m == nil:
			errs = append(errs, fmt.Errorf("role_arn %q is not an IAM role ARN", req.RoleARN))
		case m[1] != req.AccountID && accountOK: // else account_id's error says it
			errs = append(errs, fmt.Errorf("role_arn %q is in account %s, not account_id %s", req.RoleARN, m[1], req.AccountID))
		}
	}
	if v, err := str("notify"); err != nil {
		errs = append(errs, err)
	} else if v != "" {
		mode, err := audit.ParseNotifyMode(v)
		if err != nil {
			errs = append(errs, err)
		}
		req.Notify = &mode
	}
	if req.RunID, err = str("run_id"); err != nil {
		errs = append(errs, err)
	} else if _, ok := fields["run_id"]; ok && !runID().MatchString(req.RunID) {
		errs = append(errs, fmt.Errorf("run_id %q: want the execution name (1 to 80 letters, digits, - and _)", req.RunID))
	}
	if len(errs) > 0 {
		return Request{}, fmt.Errorf("per-account request: %w", errors.Join(errs...))
	}
	return req, nil
}

// stringField is the string at key of fields, "" when there is none.
func stringField(fields map[string]json.RawMessage, key string) (string, error) {
	raw, ok := fields[key]
	if !ok {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%q is not a string", key)
	}
	return s, nil
}

// deliveryOf is the event's key (of its fields) that names its delivery: "" when the
// event has none, and an error unless it is 1 to 128 ASCII letters,
// digits, '.', '_', ':' and '-', without "..", (a UUID, as Scheduler and
// EventBridge write it; the state's object metadata carries it, and an
// organisation run's claim names an object by it). A Scheduler
// placeholder left as it is, which the schedule substitutes, is refused.
func deliveryOf(fields map[string]json.RawMessage, key string) (string, error) {
	v, err := stringField(fields, key)
	if err != nil || v == "" {
		return "", err
	}
	if !deliveryID().MatchString(v) || strings.Contains(v, "..") {
		return "", fmt.Errorf("%s %.80q: want the event's own ID (1 to 128 letters, digits, '.', '_', ':' and '-', no \"..\"), as the schedule substitutes it", key, v)
	}
	return v, nil
}

var deliveryID = lazyre.New(`^[A-Za-z0-9._:-]{1,128}$`)

// eventFields reads the event, one JSON object, into its top-level fields.
// A key given twice, in any case, is an error saying where both are:
// encoding/json would take the last silently (and match either case to an
// organisation step's field), and which account, role or step was meant is
// not for credaudit to guess.
func eventFields(payload []byte) (map[string]json.RawMessage, error) {
	notObject := fmt.Errorf("the event is not a JSON object: %.80q", payload)
	dec := json.NewDecoder(bytes.NewReader(payload))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, notObject
	}
	fields := map[string]json.RawMessage{}
	at := map[string]int{} // where each key is, by its lower case
	for dec.More() {
		keyAt := int(dec.InputOffset())
		for keyAt < len(payload) && strings.IndexByte(", \t\r\n", payload[keyAt]) >= 0 {
			keyAt++
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, notObject
		}
		name := tok.(string) // an object's tokens alternate key, value
		if first, twice := at[strings.ToLower(name)]; twice {
			line, column := lineColumn(payload, keyAt)
			firstLine, firstColumn := lineColumn(payload, first)
			return nil, fmt.Errorf("the event gives key %s a second time at line %d, column %d (first at line %d, column %d): which one is meant is not for credaudit to guess",
				keyName(name), line, column, firstLine, firstColumn)
		}
		at[strings.ToLower(name)] = keyAt
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, notObject
		}
		fields[name] = value
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, notObject
	}
	if _, err := dec.Token(); err != io.EOF { // nothing after the object
		return nil, notObject
	}
	return fields, nil
}

// lineColumn is where byte off of b is, counting from 1.
func lineColumn(b []byte, off int) (line, column int) {
	return 1 + bytes.Count(b[:off], []byte("\n")), off - bytes.LastIndexByte(b[:off], '\n')
}

// keyName is a key as an error names it: unquoted when it is a plain name,
// so that the log, which masks what an error quotes, keeps it.
func keyName(k string) string {
	if plainKey().MatchString(k) {
		return k
	}
	return fmt.Sprintf("%q", k)
}

var plainKey = lazyre.New(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)
