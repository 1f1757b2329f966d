package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"unicode/utf8"
)

// MaxIDLength is the longest finding ID Security Hub accepts (ASFF Id, 1–512
// characters). IDs are counted in bytes, which is never fewer than characters.
const MaxIDLength = 512

// IDPrefix starts every finding ID, so our findings are told apart from any
// other custom findings in the account's default product.
const IDPrefix = "credaudit/"

// hashLength is the length of the hex digest that ends a shortened ID: 128
// bits of SHA-256, so two shortened IDs never collide in practice.
const hashLength = 32

// ID is the stable finding ID of a rule's verdict on a resource in an account:
//
//	credaudit/<account>/<rule>/<resource id>
//
// for example credaudit/123456789012/KEY-01/arn:aws:iam::123456789012:user/alice.
// It names only the three dimensions that identify the finding, so it is the
// same on every run; facts that change (which key, how old) belong in the
// reason. Rule IDs contain no "/" (the catalog test and the configuration
// check their format) and account IDs are 12 digits, so the parts cannot run
// into each other.
//
// An ID longer than MaxIDLength (a user with a long path) keeps its first
// MaxIDLength-33 bytes, cut at a character boundary, then "#" and the first
// 32 hex digits of the SHA-256 of the whole ID: still stable, still unique,
// and still readable up to the user name's start.
func ID(accountID, ruleID, resourceID string) string {
	id := string(appendID(nil, accountID, ruleID, resourceID))
	if len(id) <= MaxIDLength {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	n := MaxIDLength - 1 - hashLength
	for n > 0 && !utf8.RuneStart(id[n]) {
		n--
	}
	return id[:n] + "#" + hex.EncodeToString(sum[:])[:hashLength]
}

// appendID appends the ID before any shortening.
func appendID(b []byte, accountID, ruleID, resourceID string) []byte {
	b = append(b, IDPrefix...)
	b = append(b, accountID...)
	b = append(b, '/')
	b = append(b, ruleID...)
	b = append(b, '/')
	return append(b, resourceID...)
}
