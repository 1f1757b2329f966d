package cli

import (
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/credaudit/credaudit/lambda/credreport"
	"github.com/credaudit/credaudit/lambda/credreport/credreporttest"
)

// pipe gives n bytes of a repeating pattern (n < 0: without end) in reads of
// at most 4 KB, as a pipe does, and then err (io.EOF when nil). It has no
// WriteTo, so io.Copy cannot learn its size.
type pipe struct {
	n   int
	off int
	err error
}

func (p *pipe) Read(b []byte) (int, error) {
	if p.n >= 0 && p.off >= p.n {
		if p.err != nil {
			return 0, p.err
		}
		return 0, io.EOF
	}
	k := min(len(b), 4<<10)
	if p.n >= 0 {
		k = min(k, p.n-p.off)
	}
	for i := range k {
		b[i] = byte('a' + (p.off+i)%26)
	}
	p.off += k
	return k, nil
}

func pattern(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteByte(byte('a' + i%26))
	}
	return b.String()
}

// Read from a pipe, a report is the bytes sent, whatever the size against
// the parts it is read in; a read error is returned, not a short report.
func TestReadStringFromAPipe(t *testing.T) {
	for _, n := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 192 << 10, 1<<20 + 7} {
		got, err := readString(&pipe{n: n}, 0)
		if err != nil || got != pattern(n) {
			t.Errorf("%d bytes: got %d bytes, %v; want them whole", n, len(got), err)
		}
	}
	broken := errors.New("connection reset")
	if got, err := readString(&pipe{n: 100 << 10, err: broken}, 0); !errors.Is(err, broken) || got != "" {
		t.Errorf("a failing read: %d bytes, %v; want nothing and %v", len(got), err, broken)
	}
}

// allocated is how many bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Input from a pipe costs about what it holds: a report some twice its size
// (its parts, the last one part full, then the string; 44 MiB for 20), and
// input past maxReport about the maxReport bytes read before it is refused.
// A slice grown as it filled allocated some six times as much (122 and 192
// MiB here): over a gigabyte for an endless stream at the real limit.
func TestReadStringFromAPipeAllocatesWhatItReads(t *testing.T) {
	defer func(n int) { maxReport = n }(maxReport)
	maxReport = 32 << 20

	const size = 20 << 20
	var got string
	var err error
	if a := allocated(func() { got, err = readString(&pipe{n: size}, 0) }); err != nil || len(got) != size || a > size*5/2 {
		t.Errorf("a %d-byte report: %d bytes read, %v, %d bytes allocated; want at most %d", size, len(got), err, a, size*5/2)
	}
	if a := allocated(func() { got, err = readString(&pipe{n: -1}, 0) }); !errors.Is(err, errTooLarge) || a > uint64(maxReport)*9/8 {
		t.Errorf("an endless stream: %v, %d bytes allocated; want errTooLarge and at most %d", err, a, maxReport*9/8)
	}
}

// The latest time a report records a thing done is any time column's but
// password_next_rotation's (a time to come), to the nanosecond.
func TestLatestRecorded(t *testing.T) {
	rep, err := credreport.Parse([]byte(credreporttest.Header + "\n" +
		"<root_account>,arn:aws:iam::123456789012:root,2019-01-01T00:00:00+00:00,not_supported,2026-11-01T00:00:00+00:00,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
		"ann,arn:aws:iam::123456789012:user/ann,2026-01-01T00:00:00+00:00,true,no_information,2026-01-01T00:00:00+00:00,2027-01-01T00:00:00+00:00,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,true,2026-11-01T00:00:00.5+00:00\n"))
	if err != nil {
		t.Fatal(err)
	}
	user, column, at, ok := latestRecorded(rep)
	if want := time.Date(2026, 11, 1, 0, 0, 0, 5e8, time.UTC); !ok || user != "ann" || column != credreport.ColCert2LastRotated || !at.Equal(want) {
		t.Errorf("latest: %s's %s, %v (%v), want ann's cert_2_last_rotated, %v", user, column, at, ok, want)
	}
}
