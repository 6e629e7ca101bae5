package handlers

import "testing"

// The public policy pages, the staff acknowledgement pages, the policy
// admin and the outbox, looked at in chromium: axe-core and a phone's width.
func TestBrowserPolicyAndOutboxPages(t *testing.T) {
	ts := newTestServer(t)
	lookAt(t, ts, "", "/", "/policies/privacy", "/policies/privacy/v/1", "/policies/privacy/history",
		"/policies/privacy/diff/2/3", "/policies/staff-privacy-notice")
	lookAt(t, ts, employeeEmail, "/my/policies", "/my/policies/acceptable-use-of-customer-data")
	lookAt(t, ts, adminEmail, "/admin/policies", "/admin/policies/new", "/admin/policies/privacy", "/admin/outbox")
}
