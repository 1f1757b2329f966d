// Package publish turns rule results into AWS Security Finding Format (ASFF)
// findings and sends them to AWS Security Hub CSPM.
//
// ASFF maps one finding and is pure: everything, including every timestamp,
// arrives in its Finding argument. Importer sends findings with
// BatchImportFindings and changes their workflow status with
// BatchUpdateFindings, within Security Hub's batch, size and rate limits.
//
// # Finding IDs
//
// Security Hub creates a finding for an Id it has not seen in the product and
// updates the finding when the Id exists and UpdatedAt is later than the
// stored one; an equal or earlier UpdatedAt is silently ignored. So the Id is
// the finding's identity and must be deterministic: built from the account,
// the rule ID and the resource ID (the user's ARN, or AWS::::Account:<id> for
// root), and from nothing else. Facts that change between runs (which access
// key, how many days) go in the reason, never in the Id; otherwise every run
// would create a new finding and orphan the old one. The caller supplies the
// Id (Finding.ID); ASFF only checks that it is 1–512 characters and not blank.
//
// # Timestamps
//
// FirstObservedAt is when the failure was first seen, kept from run to run
// and never rewritten (Prowler rewrote it on every scan, losing the
// finding's history). CreatedAt is when Security Hub's finding was created:
// the UpdatedAt of the import that created it, as Security Hub requires the
// two equal on creation (Finding.CreatedAt zero), then kept. LastObservedAt is the report time of the latest
// observation. UpdatedAt must be later than the value of every earlier import
// of the same Id, or Security Hub ignores the import; the caller guarantees
// that. Every timestamp is written in UTC as RFC 3339 with up to nine
// fractional digits, which Security Hub accepts.
//
// # Field limits
//
// Security Hub rejects a finding that breaks a limit, so ASFF enforces them
// all before anything is sent. Lengths are counted in UTF-16 code units,
// which is never less than the count in Unicode code points, so a string
// within the limit by one measure is within it by both.
//
//   - Id, GeneratorId: 1–512; an error, since an identifier cut short would
//     collide with another.
//   - AwsAccountId: exactly 12 digits; ProductArn: 12–2048; Resource.Region:
//     1–16. Errors.
//   - Title 256, Description 1024, Remediation.Recommendation.Text 512,
//     ProductFields values 2048: truncated on a rune boundary, ending in
//     TruncationMarker. An empty Title or Description is an error.
//   - Compliance.RelatedRequirements: at most 32 (extra entries dropped).
//   - ProductFields: at most 50 pairs, keys at most 128 (ours are constants),
//     empty values left out. The aws/ prefix is Security Hub's own.
//   - A finding larger than 240 KB (measured as JSON) is not sent; a
//     BatchImportFindings request holds at most 100 findings and 6 MB.
//
// # Severity and types
//
// Severity and Types go in FindingProviderFields only, where the API
// reference tells providers to put them: the top-level fields belong to the
// customer once BatchUpdateFindings has changed them, and a provider that
// rewrites them on every import (Prowler does) fights those changes. That
// the live service accepts a new finding with severity only there is not
// verified (moto does not validate severity). A failing result carries the
// rule's severity; a passing or not-available one is INFORMATIONAL, as
// Security Hub's own control findings are.
//
// # Resolving
//
// A resolved finding is re-imported with Compliance.Status PASSED and
// RecordState ARCHIVED; a finding whose user is gone, with RecordState
// ARCHIVED. Workflow.Status is the customer's field: BatchImportFindings
// ignores it on existing findings, so suppression uses BatchUpdateFindings
// (Importer.UpdateWorkflow).
package publish
