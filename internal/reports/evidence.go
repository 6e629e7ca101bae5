package reports

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/internal/csvout"
	"steward/policies"
)

// Evidence formats.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// ErrUnknownFormat is returned for a format other than csv or json.
var ErrUnknownFormat = errors.New("reports: the format must be csv or json")

// EvidenceMeta says when, by whom and for which moment an export was made.
type EvidenceMeta struct {
	AsOf        time.Time // the last instant of the chosen day
	GeneratedAt time.Time
	GeneratedBy string // "Name <email>"
}

// EvidenceRow is one person and one requirement as they stood at the
// export's moment.
type EvidenceRow struct {
	Person      string `json:"person"`
	Email       string `json:"email"`
	Team        string `json:"team"`
	Manager     string `json:"manager"`
	LeftOn      string `json:"left_on"`
	Type        string `json:"requirement_type"` // course or policy
	Requirement string `json:"requirement"`
	Revision    string `json:"revision_or_version"`
	Status      string `json:"status"`
	Assigned    string `json:"assigned"`
	Due         string `json:"due"`
	Done        string `json:"completed_or_acknowledged"`
	Score       string `json:"score"`
	Expires     string `json:"expires"`
	// For an acknowledgement made by passing a change check: "passed",
	// the answers right at the first try out of the questions ("1/2"),
	// and the attempts it took.
	Check         string `json:"check"`
	CheckScore    string `json:"check_first_try_score"`
	CheckAttempts string `json:"check_attempts"`
}

// EvidenceColumns are the CSV header, in EvidenceRow's order.
var EvidenceColumns = []string{"person", "email", "team", "manager", "left_on", "requirement_type", "requirement",
	"revision_or_version", "status", "assigned", "due", "completed_or_acknowledged", "score", "expires",
	"check", "check_first_try_score", "check_attempts"}

func (r *EvidenceRow) fields() []string {
	return []string{r.Person, r.Email, r.Team, r.Manager, r.LeftOn, r.Type, r.Requirement, r.Revision, r.Status,
		r.Assigned, r.Due, r.Done, r.Score, r.Expires, r.Check, r.CheckScore, r.CheckAttempts}
}

func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// ValidFormat reports whether f is csv or json.
func ValidFormat(f string) bool { return f == FormatCSV || f == FormatJSON }

type evidenceWriter interface {
	row(r *EvidenceRow) error
	finish() error
}

type csvEvidence struct{ w *csvout.Writer }

// newCSVEvidence starts the CSV with its header: CSV readers take the first
// line as the header, so when, by whom and for which day the file was made
// travel beside it (the HTTP response's headers, the JSON form's fields).
func newCSVEvidence(w io.Writer, _ EvidenceMeta) (*csvEvidence, error) {
	cw := csvout.NewWriter(w)
	return &csvEvidence{w: cw}, cw.Write(EvidenceColumns)
}

func (c *csvEvidence) row(r *EvidenceRow) error { return c.w.Write(r.fields()) }
func (c *csvEvidence) finish() error            { return c.w.Flush() }

type jsonEvidence struct {
	w     io.Writer
	first bool
}

func newJSONEvidence(w io.Writer, m EvidenceMeta) (*jsonEvidence, error) {
	head, err := json.Marshal(map[string]string{
		"as_of": m.AsOf.Format(time.DateOnly), "generated_at": m.GeneratedAt.UTC().Format(time.RFC3339), "generated_by": m.GeneratedBy,
		"description": "Every person and requirement as they stood at the end of as_of (UTC).",
	})
	if err != nil {
		return nil, err
	}
	// Open the object, drop its closing brace, and stream the rows array.
	_, err = fmt.Fprintf(w, "%s,\"rows\":[\n", head[:len(head)-1])
	return &jsonEvidence{w: w, first: true}, err
}

func (j *jsonEvidence) row(r *EvidenceRow) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if !j.first {
		if _, err := io.WriteString(j.w, ",\n"); err != nil {
			return err
		}
	}
	j.first = false
	_, err = j.w.Write(b)
	return err
}

func (j *jsonEvidence) finish() error {
	_, err := io.WriteString(j.w, "\n]}\n")
	return err
}

type evPerson struct {
	ID            int64      `db:"id"`
	Name          string     `db:"name"`
	Email         string     `db:"email"`
	Team          string     `db:"team"`
	Manager       string     `db:"manager"`
	HiredOn       *time.Time `db:"hired_on"`
	CreatedAt     time.Time  `db:"created_at"`
	DeactivatedAt *time.Time `db:"deactivated_at"`
}

type evCycle struct {
	UserID      int64      `db:"user_id"`
	Title       string     `db:"title"`
	Status      string     `db:"status"`
	Revision    *int       `db:"completed_revision"`
	AssignedAt  time.Time  `db:"assigned_at"`
	DueAt       time.Time  `db:"due_at"`
	CompletedAt *time.Time `db:"completed_at"`
	Score       *int       `db:"score"`
	ExpiresAt   *time.Time `db:"expires_at"`
}

// cursor walks a query's rows in user order, one row ahead.
type cursor[T any] struct {
	rows *sqlx.Rows
	cur  T
	ok   bool
	err  error
}

func newCursor[T any](rows *sqlx.Rows) *cursor[T] {
	c := &cursor[T]{rows: rows}
	c.next()
	return c
}

func (c *cursor[T]) next() {
	c.ok = c.rows.Next()
	if c.ok {
		var v T
		if err := c.rows.StructScan(&v); err != nil {
			c.err, c.ok = err, false
			return
		}
		c.cur = v
	} else {
		c.err = c.rows.Err()
	}
}

// Evidence writes the evidence export for the moment m.AsOf to w in format,
// row by row: one row per person and requirement (the course cycle current
// then, or the staff policy version in effect then) for everyone who was
// there at that moment (hired by then, or with no hire date, and not yet
// left), including people who have left since, as long as they left within
// the retention period. When a person's row was inserted plays no part:
// a roster loaded today with its history counts from the hire dates. Three queries stream side by
// side in user order, so memory stays flat whatever the organisation's
// size. It returns the number of rows written.
func (s *Store) Evidence(ctx context.Context, w io.Writer, format string, m EvidenceMeta, now time.Time) (int, error) {
	if !ValidFormat(format) {
		return 0, ErrUnknownFormat
	}
	at := m.AsOf.UTC()
	bw := bufio.NewWriterSize(w, 64<<10)
	var out evidenceWriter
	var err error
	if format == FormatCSV {
		out, err = newCSVEvidence(bw, m)
	} else {
		out, err = newJSONEvidence(bw, m)
	}
	if err != nil {
		return 0, err
	}
	ts, err := s.timelines(ctx)
	if err != nil {
		return 0, err
	}
	retained := now.UTC().AddDate(0, 0, -s.RetentionDays)
	pq, err := s.q.rows(ctx, `SELECT u.id, u.name, u.email, COALESCE(t.name, '') AS team, COALESCE(m.name, '') AS manager,
			u.hired_on, u.created_at, u.deactivated_at
		FROM users u LEFT JOIN teams t ON t.id = u.team_id LEFT JOIN users m ON m.id = u.manager_id
		WHERE u.deactivated_at IS NULL OR (u.deactivated_at > ? AND u.deactivated_at > ?)
		ORDER BY u.id`, at, retained)
	if err != nil {
		return 0, fmt.Errorf("reports: evidence people: %w", err)
	}
	defer pq.Close()
	cq, err := s.q.rows(ctx, `SELECT c.user_id, k.title, `+statusExpr+` AS status,
			c.completed_revision, c.assigned_at, c.due_at, c.completed_at, c.score, c.expires_at
		FROM course_cycles c JOIN courses k ON k.id = c.course_id
		WHERE `+currentAt+` ORDER BY c.user_id, k.title, k.id`,
		append(statusArgs(at), currentArgs(at)...)...)
	if err != nil {
		return 0, fmt.Errorf("reports: evidence cycles: %w", err)
	}
	defer cq.Close()
	acks, err := s.ackCursor(ctx, ts, at)
	if err != nil {
		return 0, err
	}
	if acks != nil {
		defer acks.rows.Close()
	}
	people := newCursor[evPerson](pq)
	cycles := newCursor[evCycle](cq)
	n := 0
	var r EvidenceRow
	for ; people.ok; people.next() {
		p := people.cur
		if p.HiredOn != nil && p.HiredOn.After(at) {
			// Not hired yet. Compared here, not in SQL: PostgreSQL would
			// compare a DATE with a time in the session's time zone.
			continue
		}
		r = EvidenceRow{Person: p.Name, Email: p.Email, Team: p.Team, Manager: p.Manager}
		if p.DeactivatedAt != nil {
			r.LeftOn = p.DeactivatedAt.UTC().Format(time.DateOnly)
		}
		for cycles.ok && cycles.cur.UserID < p.ID {
			cycles.next()
		}
		for ; cycles.ok && cycles.cur.UserID == p.ID; cycles.next() {
			c := cycles.cur
			if c.CompletedAt != nil && c.CompletedAt.After(at) {
				// Completed after the moment: not done then.
				c.CompletedAt, c.Revision, c.Score, c.ExpiresAt = nil, nil, nil, nil
			}
			r.Type, r.Requirement, r.Status = "course", c.Title, c.Status
			r.Check, r.CheckScore, r.CheckAttempts = "", "", ""
			r.Revision, r.Score = optInt(c.Revision), optInt(c.Score)
			r.Assigned, r.Due, r.Done, r.Expires = stamp(&c.AssignedAt), stamp(&c.DueAt), stamp(c.CompletedAt), stamp(c.ExpiresAt)
			if err := out.row(&r); err != nil {
				return n, err
			}
			n++
		}
		if cycles.err != nil {
			return n, fmt.Errorf("reports: evidence cycles: %w", cycles.err)
		}
		mine := map[int64]lastAck{}
		if acks != nil {
			for acks.ok && acks.cur.UserID < p.ID {
				acks.next()
			}
			for ; acks.ok && acks.cur.UserID == p.ID; acks.next() {
				mine[acks.cur.PolicyID] = acks.cur
			}
			if acks.err != nil {
				return n, fmt.Errorf("reports: evidence acknowledgements: %w", acks.err)
			}
		}
		joined := policies.Joined(p.HiredOn, p.CreatedAt)
		for _, t := range ts {
			cur, ok := t.InEffect(at)
			if !ok {
				continue
			}
			var list []policies.Acknowledgement
			if a, ok := mine[t.Policy.ID]; ok {
				list = []policies.Acknowledgement{{UserID: p.ID, PolicyID: a.PolicyID, Number: a.Number, AcknowledgedAt: a.AcknowledgedAt.UTC(),
					CheckQuestions: a.CheckQuestions, CheckFirstScore: a.CheckFirstScore, CheckAttempts: a.CheckAttempts}}
			}
			st := policies.Evaluate(t, list, joined, at)
			r.Type, r.Requirement, r.Revision = "policy", t.Policy.Title, strconv.Itoa(cur.Number)
			r.Status, r.Assigned, r.Due, r.Score, r.Expires, r.Done = ackStatus(st.State), "", stamp(&st.Due), "", "", ""
			r.Check, r.CheckScore, r.CheckAttempts = "", "", ""
			if st.Last != nil {
				r.Done = stamp(&st.Last.AcknowledgedAt)
				if ck := st.Last.Check(); ck != nil {
					r.Check, r.CheckScore, r.CheckAttempts = "passed", fmt.Sprintf("%d/%d", ck.FirstScore, ck.Questions), strconv.Itoa(ck.Attempts)
				}
			}
			if err := out.row(&r); err != nil {
				return n, err
			}
			n++
		}
		if n%512 == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
	}
	if people.err != nil {
		return n, fmt.Errorf("reports: evidence people: %w", people.err)
	}
	if err := out.finish(); err != nil {
		return n, err
	}
	return n, bw.Flush()
}

func optInt(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

// ackCursor streams each person's latest acknowledgement per policy made
// by at, in user order; nil when no policy is in effect then.
func (s *Store) ackCursor(ctx context.Context, ts []*policies.Timeline, at time.Time) (*cursor[lastAck], error) {
	var vals []string
	var args []any
	for _, t := range ts {
		if cur, ok := t.InEffect(at); ok {
			vals = append(vals, s.valuesRow("(CAST(? AS BIGINT), CAST(? AS INTEGER))", "(?, ?)"))
			args = append(args, t.Policy.ID, cur.Number)
		}
	}
	if len(vals) == 0 {
		return nil, nil
	}
	rows, err := s.q.rows(ctx, `WITH cur(pid, n) AS (VALUES `+strings.Join(vals, ", ")+`),
	best AS (
		SELECT a.user_id, v.policy_id, MAX(v.number) AS number
		FROM policy_acknowledgements a JOIN policy_versions v ON v.id = a.version_id
		JOIN cur ON cur.pid = v.policy_id AND v.number <= cur.n
		WHERE a.acknowledged_at <= ?
		GROUP BY a.user_id, v.policy_id)
	SELECT best.user_id, best.policy_id, best.number, a.acknowledged_at, a.check_questions, a.check_first_score, a.check_attempts
	FROM best JOIN policy_versions v ON v.policy_id = best.policy_id AND v.number = best.number
	JOIN policy_acknowledgements a ON a.version_id = v.id AND a.user_id = best.user_id
	ORDER BY best.user_id, best.policy_id`, append(args, at)...)
	if err != nil {
		return nil, fmt.Errorf("reports: evidence acknowledgements: %w", err)
	}
	return newCursor[lastAck](rows), nil
}
