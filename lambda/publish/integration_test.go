package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/google/go-cmp/cmp"

	"github.com/credaudit/credaudit/lambda/rules"

	"github.com/credaudit/credaudit/lambda/internal/emulator"
)

// These tests run the real SDK over HTTP against the moto server that
// `make test` starts (scripts/with-moto.sh). Other tests share that server,
// so these never reset it and use finding IDs of their own. moto 5.2.5's
// Security Hub differs from the real service; each difference is noted where
// it matters:
//
//   - BatchImportFindings accepts findings whether or not Security Hub is
//     enabled, validates only that Resources is a non-empty list, and
//     replaces a stored finding whatever its UpdatedAt (the service ignores
//     an import whose UpdatedAt is not later);
//   - GetFindings ignores Filters and SortCriteria and returns every finding
//     as it was sent, without the attributes Security Hub adds (Region,
//     Workflow, top-level Severity and Types, ProcessedAt);
//   - BatchUpdateFindings is not implemented, so UpdateWorkflow is covered by
//     the scripted tests only.

// motoSecurityHub returns a Security Hub client for the moto server named by
// AWS_ENDPOINT_URL, with Security Hub enabled. Without a server it skips,
// or fails when CI is set.
func motoSecurityHub(t *testing.T) (*securityhub.Client, string) {
	t.Helper()
	cfg := emulator.Config(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	client := securityhub.NewFromConfig(cfg)
	_, err := client.EnableSecurityHub(ctx, &securityhub.EnableSecurityHubInput{EnableDefaultStandards: aws.Bool(false)})
	var conflict *types.ResourceConflictException
	if err != nil && !errors.As(err, &conflict) { // already enabled is fine
		t.Fatalf("enable Security Hub: %v", err)
	}
	return client, cfg.Region
}

// readBack returns our findings whose Id starts with prefix, by Id. The
// filter is what a real account needs; moto ignores it, hence the second
// check.
func readBack(t *testing.T, client *securityhub.Client, productARN, prefix string) (map[string]types.AwsSecurityFinding, int) {
	t.Helper()
	in := &securityhub.GetFindingsInput{
		Filters: &types.AwsSecurityFindingFilters{
			ProductArn: []types.StringFilter{{Value: aws.String(productARN), Comparison: types.StringFilterComparisonEquals}},
			Id:         []types.StringFilter{{Value: aws.String(prefix), Comparison: types.StringFilterComparisonPrefix}},
		},
		MaxResults: aws.Int32(100),
	}
	got := map[string]types.AwsSecurityFinding{}
	n := 0
	for p := securityhub.NewGetFindingsPaginator(client, in); p.HasMorePages(); {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("GetFindings: %v", err)
		}
		for _, f := range page.Findings {
			if id := aws.ToString(f.Id); strings.HasPrefix(id, prefix) && aws.ToString(f.ProductArn) == productARN {
				got[id] = f
				n++
			}
		}
	}
	return got, n
}

// asMap is a finding as generic JSON, for comparing what was sent with what
// came back (which may hold more attributes).
func asMap(t *testing.T, f types.AwsSecurityFinding) map[string]any {
	t.Helper()
	b, err := Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestImportIntoMoto(t *testing.T) {
	client, region := motoSecurityHub(t)
	productARN := DefaultProductARN("aws", region, account)
	// Unique to this run, stable within it.
	prefix := fmt.Sprintf("%s/IT-%d/", account, time.Now().UnixNano())

	build := func(updatedAt time.Time, days int) []types.AwsSecurityFinding {
		out := make([]types.AwsSecurityFinding, 250)
		for i := range out {
			e := userEntry(fmt.Sprintf("user%03d", i), "/it/", firstSeen)
			f := findingFor(&rules.Key01, e, rules.Failed, fmt.Sprintf("access key 1 is %d days old", days+i))
			f.ID = prefix + f.Result.ResourceID()
			f.Region = region
			f.LastObservedAt, f.UpdatedAt = updatedAt, updatedAt
			asff, err := ASFF(f)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = asff
		}
		return out
	}

	check := func(t *testing.T, sent []types.AwsSecurityFinding) {
		t.Helper()
		got, n := readBack(t, client, productARN, prefix)
		if n != len(sent) || len(got) != len(sent) {
			t.Fatalf("read back %d findings (%d distinct IDs), want %d: a re-import must update, not duplicate", n, len(got), len(sent))
		}
		for _, s := range sent {
			g, ok := got[aws.ToString(s.Id)]
			if !ok {
				t.Errorf("finding %s not found", aws.ToString(s.Id))
				continue
			}
			want, have := asMap(t, s), asMap(t, g)
			for k := range have {
				if _, sentIt := want[k]; !sentIt {
					delete(have, k) // added by Security Hub
				}
			}
			if diff := cmp.Diff(want, have); diff != "" {
				t.Errorf("finding %s as stored (-sent +stored):\n%s", aws.ToString(s.Id), diff)
				return
			}
		}
	}

	im := &Importer{Client: client}
	first := build(runTime, 91)
	st, err := im.Import(t.Context(), first)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if want := (Stats{Requests: 3, Succeeded: 250}); st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	check(t, first)

	// The next run: same IDs, later UpdatedAt, older keys.
	second := build(runTime.Add(24*time.Hour), 92)
	if _, err := im.Import(t.Context(), second); err != nil {
		t.Fatalf("re-import: %v", err)
	}
	check(t, second)
}
