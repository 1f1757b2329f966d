// Package credreport acquires, parses and queries the AWS IAM credential report.
//
// The report is a CSV with one row per IAM user plus a row for the account's
// root user (user "<root_account>"). Parse reads it once, by header name, into
// a typed Report: Report.Root is the root row and Report.Users the IAM users,
// so no consumer ever compares against "<root_account>" or a sentinel string.
//
// # Sentinels
//
// Cells that are not data hold one of three sentinels. Parse decodes each into
// an explicit State on the typed value, and keeps the raw text:
//
//   - "N/A" (NotApplicable): the credential does not exist (no password, no key
//     in the slot, no active certificate), or — for access_key_N_last_used_* —
//     the key was never used or last used before 2015-04-22; the region is also
//     N/A for non-regional services such as S3.
//   - "no_information" (NoInformation): password_last_used only — the password
//     was never used, or not since tracking began on 2014-10-20.
//   - "not_supported" (NotSupported): password_enabled, password_last_changed
//     and password_next_rotation on the root row (and password_enabled in some
//     GovCloud reports). Whether root has a password is unknowable from the report.
//
// A Time, Bool or Text with State Set holds a value; any other state holds none,
// and its zero value must not be read as data. Booleans accept true/false in any
// case (the documentation prints TRUE/FALSE, real reports use lowercase).
//
// # Lossless
//
// Every cell's raw text is kept (Entry.Raw), including columns this package does
// not know, so WriteCSV reproduces the input's header and rows in order.
//
// # Acquisition
//
// Fetcher implements GetCredentialReport-first acquisition: a report younger than
// MaxAge is reused, otherwise GenerateCredentialReport is called and the report
// polled with capped exponential backoff and jitter until the context deadline.
// Failing to acquire a report is always an error, never an empty report.
package credreport
