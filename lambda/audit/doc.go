// Package audit is the run: the one place that knows every step. It acquires
// and parses the credential report, evaluates the rules, diffs the results
// against the previous state, publishes what changed to Security Hub and one
// digest to SNS, saves the new state and writes the run's metrics.
//
//	acquire → parse → evaluate → diff → save state ahead → publish (Security Hub, SNS) → save state
//
// It declares the small interfaces it needs of each AWS client, so the Lambda
// handler, the CLI and the tests drive the same code with real, emulated or
// fake clients.
//
// # Failing loudly
//
// A run that cannot see — the report cannot be acquired or parsed, the
// configuration or the previous state cannot be read, or the state cannot be
// saved ahead — is a *Failure: it
// publishes an operational alert to SNS (what failed, the error, what to
// check), imports nothing, resolves nothing, keeps the state as it was and
// returns the error. Never an empty "all clear".
//
// A run that saw but could not publish everything still sends its digest,
// naming what failed, and saves a state in which each failed update is left
// for the next run to redo (finding.NextAfter). A digest that cannot be sent
// fails the run, and the state saved is finding.NextUnnotified's: what
// Security Hub now holds, with the changes left for the next run to report
// again.
//
// # Order of effects
//
// A run with anything to send first saves the state ahead
// (finding.NextUnsettled): every import and workflow update it is about to
// send may or may not land, and its digest may or may not go out. A run
// that then fails to save its own state (the store failing, the function
// stopped) leaves the next one to send again what it sent and report again
// what it opened, rather than a state from before it, which Security Hub no
// longer matches.
//
// Then Security Hub, then the digest, then the state, written with a
// conditional write: the state never claims an update that was not made, and
// of two overlapping runs the first to save wins. The other saves the
// winner's state again, with each finding the two sent Security Hub
// otherwise (they saw different reports or configurations) as the run on
// the newer report saw it, and due to be sent again
// (finding.AfterConflict): Security Hub holds whichever run's import of a
// finding has the later UpdatedAt.
package audit
