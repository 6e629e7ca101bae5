package handlers

import (
	"context"
	"net/http"
	"testing"

	"steward/internal/audit"
	"steward/policies"
)

// approverEmail is the demo's second admin, who approves what the first
// writes.
const approverEmail = "privacy.lead@example.com"

// approveDraft submits the policy's draft as the admin who wrote it and
// has the second admin approve it, through the pages: what four-eyes
// approval asks before publishing.
func approveDraft(t *testing.T, ts *testServer, slug string) {
	t.Helper()
	ts.as(adminEmail).post("/admin/policies/"+slug+"/submit", nil).expect(t, http.StatusSeeOther)
	ts.as(approverEmail).post("/admin/policies/"+slug+"/approve", nil).expect(t, http.StatusSeeOther)
}

// approveInStore submits and approves the policy's draft through the
// store, for tests that write drafts there.
func approveInStore(t *testing.T, ts *testServer, slug string) {
	t.Helper()
	ctx := context.Background()
	if err := ts.srv.policies.Submit(ctx, slug, audit.System, ts.clock()); err != nil {
		t.Fatal(err)
	}
	if err := ts.srv.policies.Approve(ctx, slug, "", audit.UserActor(ts.userID(approverEmail)), ts.clock()); err != nil {
		t.Fatal(err)
	}
}

// approveFile writes the file as its policy's draft and approves it.
func approveFile(t *testing.T, ts *testServer, f policies.File) {
	t.Helper()
	if _, _, err := ts.srv.policies.DraftFile(context.Background(), f, audit.System, ts.clock()); err != nil {
		t.Fatal(err)
	}
	approveInStore(t, ts, f.Settings.Slug)
}
