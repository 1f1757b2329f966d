package audit

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// OrgFailure is an organisation run's step that failed: listing the
// accounts, the map over them, or collecting their results. Unlike an
// account's Failure, it may come after accounts were audited, each of
// which saved its state and published its findings with its news marked
// reported; its alert (FailOrg) says so, and where that news is, rather
// than that nothing changed. errors.As finds its Failure.
type OrgFailure struct {
	*Failure
	// RunID is the run's execution name.
	RunID string
	// Runs is the run's accounts as far as it knows them: those it listed,
	// each with the summary its audit kept, if any; with Partial, only the
	// accounts that kept one, its list being unreadable. None when the
	// listing failed, or the summaries could not be read (NewsUnread).
	Runs    []AccountRun
	Partial bool
	// Hub says the audits publish to Security Hub.
	Hub bool
	// News says where the audited accounts' news is; NewsErr why it is
	// not in a digest sent (or what else failed beside it), nil if
	// nothing did.
	News    OrgNews
	NewsErr error
}

// Unwrap is the step's Failure.
func (f *OrgFailure) Unwrap() error { return f.Failure }

// OrgNews is where an organisation run that failed left its audited
// accounts' news.
type OrgNews uint8

const (
	// NothingAudited: the run audited no account (its listing failed).
	NothingAudited OrgNews = iota
	// NoneKept: no account kept a summary; an account audited, if any,
	// has its news in no digest.
	NoneKept
	// NewsUnread: the summaries could not be read; the news is in no
	// digest.
	NewsUnread
	// NewsSent: in the organisation digest sent before the alert.
	NewsSent
	// NewsNotDue: no organisation digest was due under the notify mode.
	NewsNotDue
	// NewsOwed: the digest could not be sent and is kept owed, for the
	// next run to send late.
	NewsOwed
	// NewsLost: the digest could be neither sent nor kept.
	NewsLost
)

// maxAlertNames bounds the accounts an organisation alert names.
const maxAlertNames = 20

// FailOrg reports an organisation run's step that failed: it logs f, sends
// the organisation alert (orgAlert) unless NoAlerts, and returns f.
func (a *Auditor) FailOrg(ctx context.Context, f *OrgFailure) error {
	audited, _ := CountRuns(f.Runs)
	a.log().LogAttrs(ctx, slog.LevelError, "organisation run failed", slog.String("phase", string(f.Phase)), slog.String("error", LogSafe(f.Err)),
		slog.String("hint", f.Hint), slog.Int("audited", audited), slog.String("news", f.News.String()))
	return a.sendAlert(ctx, func() Message { return orgAlert(f, a.Notify, a.now()) }, f)
}

var orgNewsNames = [...]string{"nothing audited", "no summary kept", "summaries unread", "digest sent", "digest not due", "digest owed", "digest lost"}

func (n OrgNews) String() string {
	if int(n) < len(orgNewsNames) {
		return orgNewsNames[n]
	}
	return fmt.Sprintf("OrgNews(%d)", int(n))
}

// orgAlert is the operational alert of an organisation run's step that
// failed: what failed, then what the run did: which accounts were audited
// (saved their states, published their findings), and whether their news
// is in a digest sent, owed or nowhere, so that nobody reads the accounts
// audited as unchanged. notify is the run's notify mode, which says why
// no digest was due.
func orgAlert(f *OrgFailure, notify NotifyMode, now time.Time) Message {
	var b strings.Builder
	fmt.Fprintf(&b, "credaudit's organisation run %s failed.\n\n", f.RunID)
	writeFailure(&b, f.Failure)
	b.WriteString("\nWhat the run did:\n")
	b.WriteString(f.did(notify))
	b.WriteString("The next scheduled run audits the accounts again.\n")
	fmt.Fprintf(&b, "Time: %s\n", now.UTC().Format(time.RFC3339))
	return Message{Kind: KindError, Subject: subject("organisation", "", "run FAILED ("+string(f.Phase)+")"), Body: fitBody(b.String()), Severity: "NONE"}
}

// did says what the run did before f, one paragraph a line.
func (f *OrgFailure) did(notify NotifyMode) string {
	published := "saved its state and published its findings to its Security Hub"
	look := "look for them in the accounts' Security Hub"
	if !f.Hub {
		published = "saved its state (Security Hub publishing is off)"
		look = "they are only in the auditor function's logs"
	}
	why := ""
	if f.NewsErr != nil {
		why = ": " + clip(f.NewsErr.Error(), 1000)
	}
	var b strings.Builder
	switch f.News {
	case NothingAudited:
		b.WriteString("No account was audited: nothing was imported into Security Hub or resolved, and no account's state changed.\n")
		return b.String()
	case NoneKept:
		fmt.Fprintf(&b, "No account kept a summary: none was audited, or the audits could not write their summaries (the auditor function's logs say so). An account audited %s, and its changes are in no digest: %s.\n", published, look)
		return b.String()
	case NewsUnread:
		fmt.Fprintf(&b, "The summaries the audits kept could not be read%s. Each account audited %s, and its changes are in no digest: %s.\n", why, published, look)
		return b.String()
	}

	var audited []AccountRun
	incomplete := 0
	for _, r := range f.Runs {
		if r.Summary != nil {
			audited = append(audited, r)
			if r.Failed() {
				incomplete++
			}
		}
	}
	which := fmt.Sprintf("%d of %s", len(audited), Nouns(len(f.Runs), "account"))
	if f.Partial {
		which = Nouns(len(audited), "account") + " (the run's account list could not be read, so the accounts not audited are not known)"
	}
	were, each, their := "were", "Each", "Their"
	if len(audited) == 1 {
		were, each, their = "was", "It", "Its"
	}
	names := make([]string, 0, min(len(audited), maxAlertNames))
	for _, r := range audited[:min(len(audited), maxAlertNames)] {
		names = append(names, accountName(r))
	}
	if more := len(audited) - len(names); more > 0 {
		names = append(names, fmt.Sprintf("and %d more", more))
	}
	fmt.Fprintf(&b, "%s %s audited: %s.\n", which, were, strings.Join(names, ", "))
	fmt.Fprintf(&b, "%s %s", each, published)
	switch {
	case incomplete > 0 && len(audited) == 1:
		b.WriteString(", but not wholly (the digest lists the error under FAILED ACCOUNTS)")
	case incomplete == 1:
		b.WriteString(", but 1 of them not wholly (the digest lists its error under FAILED ACCOUNTS)")
	case incomplete > 0:
		fmt.Fprintf(&b, ", but %d of them not wholly (the digest lists their errors under FAILED ACCOUNTS)", incomplete)
	}
	b.WriteString(".\n")
	switch f.News {
	case NewsSent:
		fmt.Fprintf(&b, "%s changes are in the organisation digest sent before this alert.\n", their)
	case NewsNotDue:
		fmt.Fprintf(&b, "No organisation digest was due (notify mode %s", notify)
		if notify == NotifyChanges {
			b.WriteString(": " + NothingDue)
		}
		b.WriteString("), so none was sent.\n")
	case NewsOwed:
		fmt.Fprintf(&b, "%s changes are in the organisation digest, which could not be sent%s. It is kept with the digests owed, and the next run that can send sends it first, marked [late].\n", their, why)
	case NewsLost:
		fmt.Fprintf(&b, "%s changes are in no digest: the organisation digest could be neither sent nor kept%s. An error line in the function's log names it by its subject; %s.\n", their, why, look)
	}
	if f.NewsErr != nil && (f.News == NewsSent || f.News == NewsNotDue) {
		fmt.Fprintf(&b, "Besides: %s\n", clip(f.NewsErr.Error(), 1000))
	}
	if notAudited := len(f.Runs) - len(audited); notAudited > 0 {
		fmt.Fprintf(&b, "%s kept no summary: not audited, failed, or the summary not written (the map run and the auditor function's logs say which)",
			Nouns(notAudited, "other account"))
		switch {
		case f.News != NewsSent && f.News != NewsOwed:
		case notAudited == 1:
			b.WriteString("; the digest names it")
		default:
			b.WriteString("; the digest names them")
		}
		b.WriteString(".\n")
	}
	return b.String()
}
