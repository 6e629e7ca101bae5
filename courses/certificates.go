package courses

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// codeEncoding avoids letters that read like digits; codes are typed in
// from paper.
var codeEncoding = base32.NewEncoding("ABCDEFGHJKLMNPQRSTUVWXYZ23456789").WithPadding(base32.NoPadding)

// newCode returns 80 random bits as XXXX-XXXX-XXXX-XXXX.
func newCode() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("courses: certificate code: %w", err)
	}
	return groupCode(codeEncoding.EncodeToString(b)), nil
}

func groupCode(s string) string {
	var parts []string
	for len(s) > 4 {
		parts = append(parts, s[:4])
		s = s[4:]
	}
	return strings.Join(append(parts, s), "-")
}

// NormalizeCode accepts a code as people type it: any case, with or
// without hyphens and spaces.
func NormalizeCode(s string) string {
	s = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(s)))
	if len(s) != 16 {
		return ""
	}
	for _, r := range s {
		if !strings.ContainsRune("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", r) {
			return ""
		}
	}
	return groupCode(s)
}

func issueCertificate(ctx context.Context, tx *sqlx.Tx, cycleID int64, now time.Time) error {
	code, err := newCode()
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO course_certificates (code, cycle_id, created_at) VALUES (?, ?, ?)`),
		code, cycleID, now); err != nil {
		return fmt.Errorf("courses: issue certificate for cycle %d: %w", cycleID, err)
	}
	return nil
}

// Certificate is a completed cycle as printed.
type Certificate struct {
	Code        string     `db:"code"`
	UserID      int64      `db:"user_id"`
	Name        string     `db:"name"`
	CourseSlug  string     `db:"slug"`
	CourseTitle string     `db:"title"`
	Revision    int        `db:"revision"`
	CompletedAt time.Time  `db:"completed_at"`
	ValidUntil  *time.Time `db:"expires_at"` // nil: never expires
	Score       int        `db:"score"`
}

const certificateQuery = `SELECT k.code, u.id AS user_id, u.name, c.slug, c.title, y.completed_revision AS revision,
	y.completed_at, y.expires_at, y.score
	FROM course_certificates k JOIN course_cycles y ON y.id = k.cycle_id
	JOIN users u ON u.id = y.user_id JOIN courses c ON c.id = y.course_id `

// LatestCertificate returns userID's most recent certificate for course
// slug, or ErrNotFound when they have not completed it.
func (s *Store) LatestCertificate(ctx context.Context, userID int64, slug string) (*Certificate, error) {
	var c Certificate
	err := s.db.GetContext(ctx, &c, s.db.Rebind(certificateQuery+`WHERE y.user_id = ? AND c.slug = ?
		ORDER BY y.completed_at DESC LIMIT 1`), userID, slug)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("courses: certificate of user %d for %s: %w", userID, slug, err)
	}
	return &c, nil
}

// Verification is what anyone holding a certificate code may learn.
type Verification struct {
	Name        string
	CourseTitle string
	Revision    int
	CompletedAt time.Time
	ValidUntil  *time.Time // nil: never expires
}

// Verify looks a certificate code up. It reveals only the holder's name,
// the course, its revision, the completion date and the expiry.
func (s *Store) Verify(ctx context.Context, code string) (*Verification, error) {
	code = NormalizeCode(code)
	if code == "" {
		return nil, ErrNotFound
	}
	var c Certificate
	err := s.db.GetContext(ctx, &c, s.db.Rebind(certificateQuery+`WHERE k.code = ?`), code)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("courses: verify: %w", err)
	}
	return &Verification{Name: c.Name, CourseTitle: c.CourseTitle, Revision: c.Revision, CompletedAt: c.CompletedAt, ValidUntil: c.ValidUntil}, nil
}
