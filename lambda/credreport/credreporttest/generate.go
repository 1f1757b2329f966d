// Package credreporttest makes realistic credential reports of any size for
// tests and benchmarks.
package credreporttest

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Header is the 22-column header in IAM's order.
const Header = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"

// TimeLayout is how IAM writes timestamps: RFC 3339 with a numeric UTC
// offset, 2026-11-20T06:00:00+00:00.
const TimeLayout = "2006-01-02T15:04:05-07:00"

// AsOf is the generation time the generated reports are consistent with.
var AsOf = time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)

var (
	regions  = []string{"us-east-1", "eu-west-1", "ap-southeast-2", "N/A"}
	services = []string{"s3", "ec2", "sts", "iam", "lambda"}
)

// Generate returns the CSV of a report for account 123456789012 with a root
// row and users IAM users in a realistic mix of states: console users with and
// without MFA, service users with one or two keys, dormant and never-used
// credentials, signing certificates. The same seed gives the same report.
func Generate(users int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var b bytes.Buffer
	b.Grow((users + 2) * 420)
	b.WriteString(Header)
	b.WriteByte('\n')
	ts := func(daysAgo int) string {
		return AsOf.Add(-time.Duration(daysAgo)*24*time.Hour - time.Duration(rng.IntN(86400))*time.Second).Format(TimeLayout)
	}
	b.WriteString("<root_account>,arn:aws:iam::123456789012:root," + ts(2500) + ",not_supported," + ts(40) +
		",not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n")
	for i := range users {
		created := 30 + rng.IntN(2000)
		name := fmt.Sprintf("user-%05d", i)
		if i%97 == 0 {
			name = fmt.Sprintf("last,first.%d", i) // IAM names may hold commas: CSV quoting must work
		}
		arn := fmt.Sprintf("arn:aws:iam::123456789012:user/team-%d/%s", i%13, name)
		if strings.Contains(name, ",") {
			name, arn = `"`+name+`"`, `"`+arn+`"`
		}
		cols := make([]string, 0, 22)
		cols = append(cols, name, arn, ts(created))
		if rng.IntN(3) > 0 { // console user
			changed := rng.IntN(created)
			used := "no_information"
			if rng.IntN(10) > 0 {
				used = ts(rng.IntN(changed + 1))
			}
			next := "N/A"
			if rng.IntN(4) == 0 {
				next = AsOf.Add(time.Duration(rng.IntN(60)-10) * 24 * time.Hour).Format(TimeLayout)
			}
			cols = append(cols, "true", used, ts(changed), next)
		} else {
			cols = append(cols, "false", "N/A", "N/A", "N/A")
		}
		cols = append(cols, fmt.Sprint(rng.IntN(4) > 0))
		for range 2 {
			switch rng.IntN(3) {
			case 0: // empty slot
				cols = append(cols, "false", "N/A", "N/A", "N/A", "N/A")
			default:
				rotated := rng.IntN(created + 1)
				active := fmt.Sprint(rng.IntN(5) > 0)
				if rng.IntN(6) == 0 { // never used
					cols = append(cols, active, ts(rotated), "N/A", "N/A", "N/A")
				} else {
					cols = append(cols, active, ts(rotated), ts(rng.IntN(rotated+1)), regions[rng.IntN(len(regions))], services[rng.IntN(len(services))])
				}
			}
		}
		for range 2 {
			if rng.IntN(40) == 0 {
				cols = append(cols, "true", ts(rng.IntN(created+1)))
			} else {
				cols = append(cols, "false", "N/A")
			}
		}
		b.WriteString(strings.Join(cols, ","))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// TimestampColumns are the report's ten timestamp columns.
var TimestampColumns = []string{
	"user_creation_time", "password_last_used", "password_last_changed", "password_next_rotation",
	"access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_2_last_rotated", "access_key_2_last_used_date",
	"cert_1_last_rotated", "cert_2_last_rotated",
}

// BaselineRead is the floor the parser's and the scan's benchmarks compare
// with: read r with encoding/csv and time.Parse (RFC 3339) every cell of the
// timestamp columns, found by name in the header, that is not a sentinel
// (N/A, no_information, not_supported); nothing else.
func BaselineRead(r io.Reader) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return err
	}
	var cols []int
	for i, name := range header {
		if slices.Contains(TimestampColumns, name) {
			cols = append(cols, i)
		}
	}
	if len(cols) != len(TimestampColumns) {
		return fmt.Errorf("header has %d of the %d timestamp columns", len(cols), len(TimestampColumns))
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		for _, i := range cols {
			switch cell := rec[i]; cell {
			case "N/A", "no_information", "not_supported":
			default:
				if _, err := time.Parse(time.RFC3339, cell); err != nil {
					return err
				}
			}
		}
	}
}
