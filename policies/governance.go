package policies

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"steward/internal/audit"
	"steward/internal/people"
)

// Governance errors: approval of drafts (four eyes).
var (
	ErrNotApproved      = errors.New("policies: the draft is not approved: submit it and have an approver who is not its author approve it, or turn four-eyes approval off for this policy")
	ErrOwnDraft         = errors.New("policies: the author of a draft cannot approve it while four-eyes approval is on")
	ErrNotApprover      = errors.New("policies: only the policy's approvers, who must be active admins, can approve or return its drafts")
	ErrNotSubmitted     = errors.New("policies: the draft is not submitted for approval")
	ErrAlreadySubmitted = errors.New("policies: the draft is already submitted or approved")
	ErrCheckLocked      = errors.New("policies: the draft's questions were submitted for approval with it")
	ErrNothingToReview  = errors.New("policies: the policy has no published version to review")
	ErrFileNotApproved  = errors.New("policies: no approved draft is identical to the file: run `steward policies draft FILE --as EMAIL`, then submit and approve it, or turn four-eyes approval off for this policy")
)

const (
	errNotAnActiveAdmin  = "must be an active admin"
	defaultReviewMonths  = 12
	maxGovernanceComment = 1000
)

// ApprovalState is where a draft stands on its way to publication.
type ApprovalState string

const (
	// Draft: being written, or edited since it was submitted or approved.
	ApprovalDraft ApprovalState = "draft"
	// Submitted: waiting for an approver.
	ApprovalSubmitted ApprovalState = "submitted"
	// Approved: this exact content may be published.
	ApprovalApproved ApprovalState = "approved"
	// Returned: an approver sent it back with a comment.
	ApprovalReturned ApprovalState = "returned"
)

// Approval actions, as stored.
const (
	ActionSubmit      = "submit"
	ActionApprove     = "approve"
	ActionSelfApprove = "self-approve"
	ActionReject      = "reject"
)

// Approval is one step of a draft on its way to publication, about the
// exact content whose hash it names.
type Approval struct {
	ID            int64     `db:"id"`
	PolicyID      int64     `db:"policy_id"`
	VersionID     *int64    `db:"version_id"`
	Action        string    `db:"action"`
	ActorID       *int64    `db:"actor_id"`
	ActorLabel    string    `db:"actor_label"`
	ActorName     string    `db:"actor_name"`
	ActorEmail    string    `db:"actor_email"`
	ContentSHA256 string    `db:"content_sha256"`
	Comment       string    `db:"comment"`
	At            time.Time `db:"at"`
	// Version is the published version the draft became, 0 while it is a
	// draft or after it was discarded.
	Version int `db:"version"`
}

// Who names the person who took the step, or the program that did.
func (a Approval) Who() string { return who(a.ActorName, a.ActorEmail, a.ActorLabel) }

func who(name, email, label string) string {
	switch {
	case name != "" && email != "":
		return name + " <" + email + ">"
	case name != "":
		return name
	case email != "":
		return email
	}
	return label
}

// DraftApproval is where a draft stands: its state, its author (who last
// changed its content, nil when that was not a person) and the step that
// put it there.
type DraftApproval struct {
	State    ApprovalState
	AuthorID *int64
	Last     *Approval
	Hash     string // the draft's content hash now
}

// Person is someone named in a policy's governance.
type Person struct {
	ID    int64  `db:"id"`
	Name  string `db:"name"`
	Email string `db:"email"`
}

// FourEyesChange is four-eyes approval turned off or on again.
type FourEyesChange struct {
	Enabled    bool      `db:"enabled"`
	Reason     string    `db:"reason"`
	ActorID    *int64    `db:"actor_id"`
	ActorLabel string    `db:"actor_label"`
	ActorName  string    `db:"actor_name"`
	ActorEmail string    `db:"actor_email"`
	At         time.Time `db:"at"`
}

// Who names who changed it.
func (c FourEyesChange) Who() string { return who(c.ActorName, c.ActorEmail, c.ActorLabel) }

// Governance is who owns a policy, who approves its drafts, how often it
// is reviewed and whether four eyes are needed.
type Governance struct {
	Owner        *Person
	ReviewMonths int
	Approvers    []Person // none named: any active admin but the author
	FourEyes     bool
	Changes      []FourEyesChange // newest first
}

// FourEyesOff is the change that turned four-eyes approval off, while it
// is off.
func (g Governance) FourEyesOff() *FourEyesChange {
	if g.FourEyes || len(g.Changes) == 0 {
		return nil
	}
	return &g.Changes[0]
}

// ContentHash is the hash an approval names: the text (as its author wrote
// it, with its {{org.KEY}} references), the change summary and the key
// points. The kind of change is chosen when publishing.
func ContentHash(body, summary string, keyPoints []string) string {
	return Hash(normalizeDraft(body) + "\x00" + strings.TrimSpace(summary) + "\x00" + joinKeyPoints(keyPoints))
}

// ContentHash is the hash of the draft's content.
func (v Version) ContentHash() string { return ContentHash(v.SourceMD, v.Summary, v.KeyPoints) }

// GovernanceOf returns a policy's governance.
func (s *Store) GovernanceOf(ctx context.Context, slug string) (Policy, Governance, error) {
	p, err := policyBySlug(ctx, s.db, slug)
	if err != nil {
		return Policy{}, Governance{}, err
	}
	g, err := governanceOf(ctx, s.db, p.ID)
	return p, g, err
}

func governanceOf(ctx context.Context, q sqlx.ExtContext, policyID int64) (Governance, error) {
	g := Governance{ReviewMonths: defaultReviewMonths, FourEyes: true}
	var row struct {
		OwnerID      *int64 `db:"owner_id"`
		ReviewMonths int    `db:"review_months"`
	}
	err := sqlx.GetContext(ctx, q, &row, q.Rebind(`SELECT owner_id, review_months FROM policy_governance WHERE policy_id = ?`), policyID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return g, fmt.Errorf("policies: governance of %d: %w", policyID, err)
	default:
		g.ReviewMonths = row.ReviewMonths
		if row.OwnerID != nil {
			var o Person
			if err := sqlx.GetContext(ctx, q, &o, q.Rebind(`SELECT id, name, email FROM users WHERE id = ?`), *row.OwnerID); err != nil {
				return g, fmt.Errorf("policies: owner of %d: %w", policyID, err)
			}
			g.Owner = &o
		}
	}
	if err := sqlx.SelectContext(ctx, q, &g.Approvers, q.Rebind(`SELECT u.id, u.name, u.email FROM policy_approvers a
		JOIN users u ON u.id = a.user_id WHERE a.policy_id = ? ORDER BY u.name, u.id`), policyID); err != nil {
		return g, fmt.Errorf("policies: approvers of %d: %w", policyID, err)
	}
	if err := sqlx.SelectContext(ctx, q, &g.Changes, q.Rebind(`SELECT f.enabled, f.reason, f.actor_id, f.actor_label,
		COALESCE(u.name, '') AS actor_name, COALESCE(u.email, '') AS actor_email, f.at
		FROM policy_four_eyes f LEFT JOIN users u ON u.id = f.actor_id WHERE f.policy_id = ? ORDER BY f.at DESC, f.id DESC`), policyID); err != nil {
		return g, fmt.Errorf("policies: four-eyes history of %d: %w", policyID, err)
	}
	for i := range g.Changes {
		g.Changes[i].At = g.Changes[i].At.UTC()
	}
	if len(g.Changes) > 0 {
		g.FourEyes = g.Changes[0].Enabled
	}
	return g, nil
}

func fourEyesOn(ctx context.Context, q sqlx.ExtContext, policyID int64) (bool, error) {
	var on []bool
	if err := sqlx.SelectContext(ctx, q, &on, q.Rebind(`SELECT enabled FROM policy_four_eyes WHERE policy_id = ?
		ORDER BY at DESC, id DESC LIMIT 1`), policyID); err != nil {
		return false, fmt.Errorf("policies: four-eyes of %d: %w", policyID, err)
	}
	return len(on) == 0 || on[0], nil
}

// GovernanceInput is what an admin sets: the owner, the approvers and the
// review cadence.
type GovernanceInput struct {
	OwnerID      *int64
	Approvers    []int64
	ReviewMonths int
}

// MaxReviewMonths bounds the review cadence: three years at most.
const MaxReviewMonths = 36

// activeAdmin reports whether the person is an active admin: the people
// who may own a policy and approve its drafts.
func activeAdmin(ctx context.Context, q sqlx.ExtContext, id int64) (bool, error) {
	var n int
	if err := sqlx.GetContext(ctx, q, &n, q.Rebind(`SELECT COUNT(*) FROM users WHERE id = ? AND role = ? AND active = TRUE`),
		id, people.RoleAdmin); err != nil {
		return false, fmt.Errorf("policies: check user %d: %w", id, err)
	}
	return n == 1, nil
}

// SetGovernance names a policy's owner and approvers and sets its review
// cadence. Owner and approvers must be active admins.
func (s *Store) SetGovernance(ctx context.Context, slug string, in GovernanceInput, by audit.Actor, now time.Time) error {
	now = now.UTC().Truncate(time.Microsecond)
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		p, err := policyBySlug(ctx, tx, slug)
		if err != nil {
			return err
		}
		var v ValidationError
		if in.ReviewMonths < 1 || in.ReviewMonths > MaxReviewMonths {
			v.add("review_months", fmt.Sprintf("must be between 1 and %d months", MaxReviewMonths))
		}
		if in.OwnerID != nil {
			ok, err := activeAdmin(ctx, tx, *in.OwnerID)
			if err != nil {
				return err
			}
			if !ok {
				v.add("owner", errNotAnActiveAdmin)
			}
		}
		approvers := uniqueIDs(in.Approvers)
		for _, id := range approvers {
			ok, err := activeAdmin(ctx, tx, id)
			if err != nil {
				return err
			}
			if !ok {
				v.add("approvers", "must all be active admins")
			}
		}
		if err := v.orNil(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO policy_governance (policy_id, owner_id, review_months, updated_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (policy_id) DO UPDATE SET owner_id = excluded.owner_id,
			review_months = excluded.review_months, updated_at = excluded.updated_at`),
			p.ID, in.OwnerID, in.ReviewMonths, now); err != nil {
			return fmt.Errorf("policies: set governance of %s: %w", slug, err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM policy_approvers WHERE policy_id = ?`), p.ID); err != nil {
			return fmt.Errorf("policies: set approvers of %s: %w", slug, err)
		}
		for _, id := range approvers {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO policy_approvers (policy_id, user_id) VALUES (?, ?)`), p.ID, id); err != nil {
				return fmt.Errorf("policies: set approvers of %s: %w", slug, err)
			}
		}
		owner := "none"
		if in.OwnerID != nil {
			owner = fmt.Sprintf("user:%d", *in.OwnerID)
		}
		names := make([]string, len(approvers))
		for i, id := range approvers {
			names[i] = fmt.Sprintf("user:%d", id)
		}
		if len(names) == 0 {
			names = []string{"any admin"}
		}
		if err := touchPolicy(ctx, tx, p.ID, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, by.Entry(now, "policy.governance", "policy:"+slug,
			fmt.Sprintf("owner %s, approvers %s, review every %d months", owner, strings.Join(names, " "), in.ReviewMonths)))
	})
}

func uniqueIDs(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// touchPolicy marks the policy changed: its public pages name what they
// show by the policy's updated_at (a review date, for one).
func touchPolicy(ctx context.Context, tx *sqlx.Tx, policyID int64, now time.Time) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE policies SET updated_at = ? WHERE id = ?`), now, policyID); err != nil {
		return fmt.Errorf("policies: touch %d: %w", policyID, err)
	}
	return nil
}

// checkComment reports what is wrong with a comment, reason or note.
func checkComment(v *ValidationError, field, text string, required bool) {
	switch {
	case required && strings.TrimSpace(text) == "":
		v.add(field, "is required")
	case utf8.RuneCountInString(text) > maxGovernanceComment:
		v.add(field, fmt.Sprintf("must be at most %d characters", maxGovernanceComment))
	case strings.ContainsFunc(text, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
		v.add(field, "must be plain text without control characters")
	}
}

// SetFourEyes turns four-eyes approval on or off for a policy. Turning it
// off (for an installation with one admin) needs a reason; both are
// recorded and shown to auditors.
func (s *Store) SetFourEyes(ctx context.Context, slug string, enabled bool, reason string, by audit.Actor, now time.Time) error {
	reason = strings.TrimSpace(reason)
	var v ValidationError
	if !enabled && reason == "" {
		v.add("reason", "is required: auditors see why four-eyes approval was turned off")
	}
	checkComment(&v, "reason", reason, false)
	if err := v.orNil(); err != nil {
		return err
	}
	now = now.UTC().Truncate(time.Microsecond)
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		p, err := policyBySlug(ctx, tx, slug)
		if err != nil {
			return err
		}
		on, err := fourEyesOn(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		if on == enabled {
			return nil
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO policy_four_eyes (policy_id, enabled, reason, actor_id, actor_label, at)
			VALUES (?, ?, ?, ?, ?, ?)`), p.ID, enabled, reason, by.ID, actorLabel(by), now); err != nil {
			return fmt.Errorf("policies: four-eyes of %s: %w", slug, err)
		}
		detail := "four-eyes approval on"
		if !enabled {
			detail = "four-eyes approval off: " + reason
		}
		return audit.Record(ctx, tx, by.Entry(now, "policy.four_eyes", "policy:"+slug, detail))
	})
}

func actorLabel(a audit.Actor) string {
	if a.Label == "" {
		return audit.System.Label
	}
	return a.Label
}

// DraftApprovalOf returns the policy's draft and where it stands.
func (s *Store) DraftApprovalOf(ctx context.Context, slug string) (Policy, Version, DraftApproval, error) {
	p, err := policyBySlug(ctx, s.db, slug)
	if err != nil {
		return Policy{}, Version{}, DraftApproval{}, err
	}
	d, err := draftOf(ctx, s.db, p.ID)
	if err != nil {
		return p, Version{}, DraftApproval{}, err
	}
	st, err := draftApproval(ctx, s.db, d)
	return p, d, st, err
}

const approvalCols = `a.id, a.policy_id, a.version_id, a.action, a.actor_id, a.actor_label,
	COALESCE(u.name, '') AS actor_name, COALESCE(u.email, '') AS actor_email, a.content_sha256, a.comment, a.at,
	COALESCE(v.number, 0) AS version`

const approvalFrom = ` FROM policy_approvals a LEFT JOIN users u ON u.id = a.actor_id
	LEFT JOIN policy_versions v ON v.id = a.version_id`

// draftApproval derives the draft's state from its latest step: a step
// about other content than the draft has now no longer counts.
func draftApproval(ctx context.Context, q sqlx.ExtContext, d Version) (DraftApproval, error) {
	st := DraftApproval{State: ApprovalDraft, Hash: d.ContentHash()}
	if err := sqlx.GetContext(ctx, q, &st.AuthorID, q.Rebind(`SELECT COALESCE(edited_by, created_by) FROM policy_versions WHERE id = ?`), d.ID); err != nil {
		return st, fmt.Errorf("policies: author of draft %d: %w", d.ID, err)
	}
	var last []Approval
	if err := sqlx.SelectContext(ctx, q, &last, q.Rebind(`SELECT `+approvalCols+approvalFrom+`
		WHERE a.version_id = ? ORDER BY a.id DESC LIMIT 1`), d.ID); err != nil {
		return st, fmt.Errorf("policies: approval of draft %d: %w", d.ID, err)
	}
	if len(last) == 0 || last[0].ContentSHA256 != st.Hash {
		return st, nil
	}
	a := last[0]
	a.At = a.At.UTC()
	st.Last = &a
	switch a.Action {
	case ActionSubmit:
		st.State = ApprovalSubmitted
	case ActionApprove, ActionSelfApprove:
		st.State = ApprovalApproved
	case ActionReject:
		st.State = ApprovalReturned
	}
	return st, nil
}

func recordStep(ctx context.Context, tx *sqlx.Tx, p Policy, versionID int64, action, hash, comment string, by audit.Actor, now time.Time) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO policy_approvals
		(policy_id, version_id, action, actor_id, actor_label, content_sha256, comment, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		p.ID, versionID, action, by.ID, actorLabel(by), hash, comment, now); err != nil {
		return fmt.Errorf("policies: %s draft of %s: %w", action, p.Slug, err)
	}
	detail := "content sha256 " + hash
	if comment != "" {
		detail += ": " + comment
	}
	return audit.Record(ctx, tx, by.Entry(now, "policy."+strings.ReplaceAll(action, "-", "_"), "policy:"+p.Slug+"/draft", detail))
}

// onDraft runs fn on the policy's draft in a transaction.
func (s *Store) onDraft(ctx context.Context, slug string, fn func(tx *sqlx.Tx, p Policy, d Version, st DraftApproval) error) error {
	return s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		p, err := policyBySlug(ctx, tx, slug)
		if err != nil {
			return err
		}
		d, err := draftOf(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		st, err := draftApproval(ctx, tx, d)
		if err != nil {
			return err
		}
		return fn(tx, p, d, st)
	})
}

// Submit asks the policy's approvers to approve its draft as it is now.
func (s *Store) Submit(ctx context.Context, slug string, by audit.Actor, now time.Time) error {
	now = now.UTC().Truncate(time.Microsecond)
	return s.onDraft(ctx, slug, func(tx *sqlx.Tx, p Policy, d Version, st DraftApproval) error {
		if st.State == ApprovalSubmitted || st.State == ApprovalApproved {
			return ErrAlreadySubmitted
		}
		return recordStep(ctx, tx, p, d.ID, ActionSubmit, st.Hash, "", by, now)
	})
}

// mayApprove checks that the person may approve or return the policy's
// drafts: an active admin, one of the named approvers if any are named.
func mayApprove(ctx context.Context, tx *sqlx.Tx, p Policy, by audit.Actor) error {
	if by.ID == nil {
		return ErrNotApprover
	}
	ok, err := activeAdmin(ctx, tx, *by.ID)
	if err != nil || !ok {
		return errors.Join(err, ErrNotApprover)
	}
	var named, me int
	if err := tx.GetContext(ctx, &named, tx.Rebind(`SELECT COUNT(*) FROM policy_approvers WHERE policy_id = ?`), p.ID); err != nil {
		return fmt.Errorf("policies: approvers of %s: %w", p.Slug, err)
	}
	if named == 0 {
		return nil
	}
	if err := tx.GetContext(ctx, &me, tx.Rebind(`SELECT COUNT(*) FROM policy_approvers WHERE policy_id = ? AND user_id = ?`), p.ID, *by.ID); err != nil {
		return fmt.Errorf("policies: approvers of %s: %w", p.Slug, err)
	}
	if me == 0 {
		return ErrNotApprover
	}
	return nil
}

func sameActor(a *int64, by audit.Actor) bool { return a != nil && by.ID != nil && *a == *by.ID }

// Approve approves the draft's present content. With four-eyes approval
// on, the draft must be submitted and the approver is not its author; with
// it off, the author may approve their own draft, recorded as a
// self-approval.
func (s *Store) Approve(ctx context.Context, slug, comment string, by audit.Actor, now time.Time) error {
	comment = strings.TrimSpace(comment)
	var v ValidationError
	checkComment(&v, "comment", comment, false)
	if err := v.orNil(); err != nil {
		return err
	}
	now = now.UTC().Truncate(time.Microsecond)
	return s.onDraft(ctx, slug, func(tx *sqlx.Tx, p Policy, d Version, st DraftApproval) error {
		if st.State == ApprovalApproved {
			return ErrAlreadySubmitted
		}
		if err := mayApprove(ctx, tx, p, by); err != nil {
			return err
		}
		on, err := fourEyesOn(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		own := sameActor(st.AuthorID, by)
		if on {
			if own {
				return ErrOwnDraft
			}
			if st.State != ApprovalSubmitted {
				return ErrNotSubmitted
			}
		}
		action := ActionApprove
		if own {
			action = ActionSelfApprove
		}
		return recordStep(ctx, tx, p, d.ID, action, st.Hash, comment, by, now)
	})
}

// Reject sends a submitted draft back to its author with a comment saying
// why, which is required.
func (s *Store) Reject(ctx context.Context, slug, comment string, by audit.Actor, now time.Time) error {
	comment = strings.TrimSpace(comment)
	var v ValidationError
	checkComment(&v, "comment", comment, true)
	if err := v.orNil(); err != nil {
		return err
	}
	now = now.UTC().Truncate(time.Microsecond)
	return s.onDraft(ctx, slug, func(tx *sqlx.Tx, p Policy, d Version, st DraftApproval) error {
		if st.State != ApprovalSubmitted && st.State != ApprovalApproved {
			return ErrNotSubmitted
		}
		if err := mayApprove(ctx, tx, p, by); err != nil {
			return err
		}
		return recordStep(ctx, tx, p, d.ID, ActionReject, st.Hash, comment, by, now)
	})
}

// Approvals lists every step of every draft of the policy, newest first.
func (s *Store) Approvals(ctx context.Context, slug string) ([]Approval, error) {
	p, err := policyBySlug(ctx, s.db, slug)
	if err != nil {
		return nil, err
	}
	return approvalsWhere(ctx, s.db, `a.policy_id = ?`, p.ID)
}

func approvalsWhere(ctx context.Context, q sqlx.ExtContext, where string, args ...any) ([]Approval, error) {
	var out []Approval
	if err := sqlx.SelectContext(ctx, q, &out, q.Rebind(`SELECT `+approvalCols+approvalFrom+` WHERE `+where+` ORDER BY a.at DESC, a.id DESC`), args...); err != nil {
		return nil, fmt.Errorf("policies: approvals: %w", err)
	}
	for i := range out {
		out[i].At = out[i].At.UTC()
	}
	return out, nil
}

// mayPublish reports whether the draft's present content is approved
// (approved), or else whether four-eyes approval is off, so that the
// publisher may approve it themself (ErrNotApproved when it is on).
func mayPublish(ctx context.Context, q sqlx.ExtContext, p Policy, d Version) (st DraftApproval, approved bool, err error) {
	st, err = draftApproval(ctx, q, d)
	if err != nil || st.State == ApprovalApproved {
		return st, err == nil, err
	}
	on, err := fourEyesOn(ctx, q, p.ID)
	if err != nil {
		return st, false, err
	}
	if on {
		return st, false, ErrNotApproved
	}
	return st, false, nil
}

// requireApproval is the publication's guard: the draft's present content
// is approved, or four-eyes approval is off for the policy and the
// publisher's approval is recorded as a self-approval.
func requireApproval(ctx context.Context, tx *sqlx.Tx, p Policy, d Version, by audit.Actor, now time.Time) error {
	st, approved, err := mayPublish(ctx, tx, p, d)
	if err != nil || approved {
		return err
	}
	return recordStep(ctx, tx, p, d.ID, ActionSelfApprove, st.Hash, "published with four-eyes approval off", by, now.UTC().Truncate(time.Microsecond))
}

// noteEdit records who changed a draft's content (its author, who may not
// approve it) and, when the change voids a submission or an approval,
// says so in the audit log. Saving the same content changes nothing.
func noteEdit(ctx context.Context, tx *sqlx.Tx, p Policy, before *Version, after Version, by audit.Actor, now time.Time) error {
	if before != nil && before.ContentHash() == after.ContentHash() {
		return nil
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE policy_versions SET edited_by = ? WHERE id = ? AND status = 'draft'`), by.ID, after.ID); err != nil {
		return fmt.Errorf("policies: author of draft %d: %w", after.ID, err)
	}
	if before == nil {
		return nil
	}
	st, err := draftApproval(ctx, tx, *before)
	if err != nil || (st.State != ApprovalSubmitted && st.State != ApprovalApproved) {
		return err
	}
	return audit.Record(ctx, tx, by.Entry(now.UTC().Truncate(time.Microsecond), "policy.approval_void", "policy:"+p.Slug+"/draft",
		fmt.Sprintf("draft edited while %s: content sha256 %s, was %s", st.State, after.ContentHash(), st.Hash)))
}

// fileApproval is a file's publication's guard (PublishFile): an approved
// draft with exactly the file's content, which the publication then turns
// into the version; or, with four-eyes approval off, the publisher's
// self-approval, of the draft if it holds the file's content, else of the
// new version (done, after it is written).
type fileApproval struct {
	draftID *int64
	after   bool // record the self-approval once the version exists
	hash    string
}

func checkFileApproval(ctx context.Context, tx *sqlx.Tx, p Policy, f File, by audit.Actor, now time.Time) (fileApproval, error) {
	hash := ContentHash(f.Body, f.Summary, f.KeyPoints)
	out := fileApproval{hash: hash}
	d, err := draftOf(ctx, tx, p.ID)
	hasDraft := err == nil
	if err != nil && !errors.Is(err, ErrNoDraft) {
		return out, err
	}
	var st DraftApproval
	if hasDraft {
		if st, err = draftApproval(ctx, tx, d); err != nil {
			return out, err
		}
		if st.Hash == hash && st.State == ApprovalApproved {
			out.draftID = &d.ID
			return out, nil
		}
	}
	on, err := fourEyesOn(ctx, tx, p.ID)
	if err != nil {
		return out, err
	}
	if on {
		return out, ErrFileNotApproved
	}
	if hasDraft && st.Hash == hash {
		out.draftID = &d.ID
		return out, recordStep(ctx, tx, p, d.ID, ActionSelfApprove, hash, "published from a file with four-eyes approval off", by, now.UTC().Truncate(time.Microsecond))
	}
	out.after = true
	return out, nil
}

func (a fileApproval) done(ctx context.Context, tx *sqlx.Tx, p Policy, v Version, by audit.Actor, now time.Time) error {
	if !a.after {
		return nil
	}
	return recordStep(ctx, tx, p, v.ID, ActionSelfApprove, a.hash, "published from a file with four-eyes approval off", by, now.UTC().Truncate(time.Microsecond))
}

// DraftFile writes a policy file as its policy's draft, creating the
// policy (with the file's settings) if it is new, so that it can be
// submitted and approved before `steward policies publish` publishes the
// same file. The actor becomes the draft's author.
func (s *Store) DraftFile(ctx context.Context, f File, by audit.Actor, now time.Time) (Policy, Version, error) {
	in := DraftInput{Body: f.Body, Summary: f.Summary, KeyPoints: f.KeyPoints, ChangeKind: f.Change}
	if err := in.Validate(); err != nil {
		return Policy{}, Version{}, fileErr(f.Name, err)
	}
	var p Policy
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		p, err = policyBySlug(ctx, tx, f.Settings.Slug)
		if errors.Is(err, ErrNotFound) {
			p, err = createPolicy(ctx, tx, f.settingsOver(Policy{Audience: Public}), now)
			if err != nil {
				return fileErr(f.Name, err)
			}
		}
		return err
	})
	if err != nil {
		return Policy{}, Version{}, err
	}
	v, err := s.SaveDraft(ctx, p.Slug, in, by, now)
	if err != nil {
		return Policy{}, Version{}, fileErr(f.Name, err)
	}
	// The file's questions go to the approver with its text.
	if len(f.Check) > 0 {
		if err := s.SaveDraftCheck(ctx, p.Slug, f.Check, by, now); err != nil {
			return Policy{}, Version{}, fileErr(f.Name, err)
		}
	}
	return p, v, nil
}

// GovernanceEvent is one line of a policy's governance record for
// auditors: a submission, approval, self-approval or rejection of a draft,
// a review (with no change, or the publication of a version), or
// four-eyes approval turned off or on.
type GovernanceEvent struct {
	Policy  string
	At      time.Time
	Event   string // submitted, approved, self-approved, returned, reviewed-no-change, published, four-eyes-off, four-eyes-on
	Version int    // the version the draft became, or was published; 0 for none
	Who     string
	SHA256  string // the content an approval step was about
	Detail  string // the comment, note, summary or reason
}

var stepEvents = map[string]string{ActionSubmit: "submitted", ActionApprove: "approved", ActionSelfApprove: "self-approved", ActionReject: "returned"}

// GovernanceRecord lists every governance event of every policy up to
// asOf, by policy and then in the order they happened.
func (s *Store) GovernanceRecord(ctx context.Context, asOf time.Time) ([]GovernanceEvent, error) {
	ps, err := s.Policies(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []GovernanceEvent
	for _, p := range ps {
		var evs []GovernanceEvent
		steps, err := approvalsWhere(ctx, s.db, `a.policy_id = ? AND a.at <= ?`, p.ID, asOf)
		if err != nil {
			return nil, err
		}
		for i := len(steps) - 1; i >= 0; i-- { // oldest first
			a := steps[i]
			evs = append(evs, GovernanceEvent{Policy: p.Slug, At: a.At, Event: stepEvents[a.Action], Version: a.Version,
				Who: a.Who(), SHA256: a.ContentSHA256, Detail: a.Comment})
		}
		reviews, err := reviewsWhere(ctx, s.db, asOf, "r.policy_id = ?", "v.policy_id = ?", p.ID)
		if err != nil {
			return nil, err
		}
		for i := len(reviews) - 1; i >= 0; i-- {
			r := reviews[i]
			ev := GovernanceEvent{Policy: p.Slug, At: r.At, Event: "reviewed-no-change", Version: r.Version, Who: r.Who(), Detail: r.Note}
			if r.Version > 0 {
				ev.Event = "published"
			}
			evs = append(evs, ev)
		}
		g, err := governanceOf(ctx, s.db, p.ID)
		if err != nil {
			return nil, err
		}
		for i := len(g.Changes) - 1; i >= 0; i-- {
			c := g.Changes[i]
			if c.At.After(asOf) {
				continue
			}
			ev := GovernanceEvent{Policy: p.Slug, At: c.At, Event: "four-eyes-on", Who: c.Who(), Detail: c.Reason}
			if !c.Enabled {
				ev.Event = "four-eyes-off"
			}
			evs = append(evs, ev)
		}
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
		out = append(out, evs...)
	}
	return out, nil
}
