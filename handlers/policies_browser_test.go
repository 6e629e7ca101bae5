package handlers

import (
	"context"
	"testing"

	"steward/internal/audit"
	"steward/policies"
)

// The public policy pages, the staff acknowledgement pages, the policy
// admin and the outbox, looked at in chromium: axe-core and a phone's width.
func TestBrowserPolicyAndOutboxPages(t *testing.T) {
	ts := newTestServer(t)
	lookAt(t, ts, "", "/", "/policies/privacy", "/policies/privacy/v/1", "/policies/privacy/history",
		"/policies/privacy/diff/2/3", "/policies/staff-privacy-notice")
	lookAt(t, ts, employeeEmail, "/my/policies", "/my/policies/acceptable-use-of-customer-data")
	lookAt(t, ts, adminEmail, "/admin/policies", "/admin/policies/new", "/admin/policies/privacy", "/admin/outbox")
}

// The publish confirmation page, choosing and with its plan, in chromium:
// axe-core and a phone's width.
func TestBrowserPublishConfirmation(t *testing.T) {
	ts := newTestServer(t)
	if _, err := ts.srv.policies.SaveDraft(context.Background(), "privacy", policies.DraftInput{Body: "# Privacy\n\nLess.",
		Summary: "Less kept.", ChangeKind: policies.Material}, audit.System, ts.clock()); err != nil {
		t.Fatal(err)
	}
	lookAt(t, ts, adminEmail, "/admin/policies/privacy/publish", "/admin/policies/privacy/publish?check=1&when=now",
		"/admin/policies/privacy/publish?check=1&change=material&when=now&reason=A+court+order.")
}
