// Package evidencepack builds the auditor's evidence pack: one zip with
// the records behind a training and acknowledgement programme as they
// stood on a day, a manifest of every file's SHA-256 signed with the
// installation's log key, a map from common control frameworks to the
// files that evidence them, a readable summary, and verify.html, a static
// page that checks the signature and every hash in a browser with no
// network. Verify checks the same in Go (`steward evidence verify`).
//
// It owns no table: it asks each owner for its records (reports for the
// requirements and their status, people for the roster, courses and
// policies for their content, audit for the trail) and writes what they
// say.
package evidencepack

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"steward/courses"
	"steward/internal/audit"
	"steward/internal/csvout"
	"steward/internal/db"
	"steward/internal/people"
	"steward/internal/reminders"
	"steward/internal/reports"
	"steward/internal/translog"
	"steward/policies"
)

//go:embed verify.html
var verifyHTML []byte

// Sources are the owners the pack asks for records.
type Sources struct {
	DB       *db.DB
	People   *people.Store
	Courses  *courses.Store
	Policies *policies.Store
	Reports  *reports.Store
	Log      *translog.Log
}

// Request says which day the pack describes and who asked.
type Request struct {
	AsOf        time.Time // the last instant of the chosen day
	GeneratedAt time.Time
	GeneratedBy string
}

// ManifestEntry is one file of the pack and its hash.
type ManifestEntry struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
}

// Manifest lists every file of the pack but the manifest and its signature.
type Manifest struct {
	Format      string          `json:"format"`
	Origin      string          `json:"origin"`
	AsOf        string          `json:"as_of"`
	GeneratedAt string          `json:"generated_at"`
	GeneratedBy string          `json:"generated_by"`
	PublicKey   string          `json:"public_key"`
	Files       []ManifestEntry `json:"files"`
}

const (
	manifestName  = "manifest.json"
	signatureName = "manifest.sig"
	formatName    = "steward-evidence-pack/v1"
	sigTitle      = "steward evidence pack"
)

// manifestText is what the signature covers: the manifest's hash.
func manifestText(origin string, asOf, manifestSHA string) string {
	return fmt.Sprintf("%s\n%s\nas-of %s\nmanifest-sha256 %s\n", sigTitle, origin, asOf, manifestSHA)
}

// packer writes files into the zip as they are made, hashing each on
// the way, so that memory stays flat whatever the organisation's size.
// Files are stored, not deflated: verify.html reads the zip with a few
// lines of JavaScript and the browser's own SHA-256 and Ed25519.
type packer struct {
	zw       *zip.Writer
	modified time.Time
	entries  []ManifestEntry
}

// counter counts the bytes written through it.
type counter struct{ n int }

func (c *counter) Write(b []byte) (int, error) { c.n += len(b); return len(b), nil }

func (p *packer) file(name string, write func(w io.Writer) error) error {
	fw, err := p.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: p.modified})
	if err != nil {
		return err
	}
	h, n := sha256.New(), &counter{}
	if err := write(io.MultiWriter(fw, h, n)); err != nil {
		return fmt.Errorf("evidencepack: %s: %w", name, err)
	}
	p.entries = append(p.entries, ManifestEntry{Path: name, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n.n})
	return nil
}

func (p *packer) add(name string, b []byte) error {
	return p.file(name, func(w io.Writer) error { _, err := w.Write(b); return err })
}

// Build writes the pack for r to w.
func Build(ctx context.Context, src Sources, r Request, w io.Writer) error {
	asOf := r.AsOf.UTC()
	day := asOf.Format(time.DateOnly)
	p := &packer{zw: zip.NewWriter(w), modified: r.GeneratedAt.UTC()}

	// The requirements: everyone who had to take a course or acknowledge
	// a policy on the day, and where each stood, as the reports say. The
	// summary counts the very rows written to requirements.csv.
	meta := reports.EvidenceMeta{AsOf: asOf, GeneratedAt: r.GeneratedAt, GeneratedBy: r.GeneratedBy}
	var tallied counts
	err := p.file("requirements.csv", func(w io.Writer) error {
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			var err error
			tallied, err = tallyCSV(pr)
			pr.CloseWithError(err)
			done <- err
		}()
		_, err := src.Reports.Evidence(ctx, io.MultiWriter(w, pw), reports.FormatCSV, meta, r.GeneratedAt)
		pw.CloseWithError(err)
		if terr := <-done; err == nil {
			err = terr
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := p.file("requirements.json", func(w io.Writer) error {
		_, err := src.Reports.Evidence(ctx, w, reports.FormatJSON, meta, r.GeneratedAt)
		return err
	}); err != nil {
		return err
	}

	emails, err := emailsByID(ctx, src.People)
	if err != nil {
		return err
	}
	if err := p.file("roster.csv", func(w io.Writer) error { return rosterCSV(ctx, w, src.People, asOf) }); err != nil {
		return err
	}
	rules, err := rulesJSON(ctx, src)
	if err != nil {
		return err
	}
	if err := p.add("rules.json", rules); err != nil {
		return err
	}

	cs, err := src.Courses.Courses(ctx)
	if err != nil {
		return err
	}
	for _, c := range cs {
		files, err := src.Courses.Export(ctx, c.Slug)
		if err != nil {
			return err
		}
		for _, f := range files {
			if err := p.add("courses/"+c.Slug+"/"+f.Name, f.Data); err != nil {
				return err
			}
		}
	}

	var inEffect []string
	for _, aud := range []policies.Audience{policies.Public, policies.Staff} {
		ts, err := src.Policies.Timelines(ctx, aud)
		if err != nil {
			return err
		}
		for _, t := range ts {
			for _, v := range t.Versions {
				if v.EffectiveAt.After(asOf) {
					continue
				}
				name := fmt.Sprintf("policies/%s/v%d.md", t.Policy.Slug, v.Number)
				// A shortened notice period carries its public reason.
				var reason string
				if v.ShortNoticeReason != "" {
					reason = fmt.Sprintf("short_notice_reason: %q\n", v.ShortNoticeReason)
				}
				head := fmt.Sprintf("---\nslug: %s\ntitle: %s\naudience: %s\nversion: %d\neffective: %s\npublished: %s\nchange: %s\nsummary: %q\n%ssha256: %s\n---\n\n",
					t.Policy.Slug, t.Policy.Title, t.Policy.Audience, v.Number, v.EffectiveAt.UTC().Format(time.RFC3339),
					v.PublishedAt.UTC().Format(time.RFC3339), v.ChangeKind, v.Summary, reason, policies.Hash(v.BodyMD))
				if err := p.add(name, []byte(head+v.BodyMD)); err != nil {
					return err
				}
			}
			if v, ok := t.InEffect(asOf); ok {
				inEffect = append(inEffect, fmt.Sprintf("%s (%s) version %d, in effect since %s",
					t.Policy.Title, t.Policy.Audience, v.Number, v.EffectiveAt.UTC().Format(time.DateOnly)))
			}
		}
	}

	if err := p.file("policies/governance.csv", func(w io.Writer) error { return governanceCSV(ctx, w, src.Policies, asOf) }); err != nil {
		return err
	}
	if err := p.file("reminders.csv", func(w io.Writer) error { return reminderLog(ctx, w, src.DB, emails, asOf) }); err != nil {
		return err
	}
	if err := p.file("exemptions.csv", func(w io.Writer) error { return exemptionsCSV(ctx, w, src.DB, emails, asOf) }); err != nil {
		return err
	}
	var auditEntries int
	if err := p.file("audit/entries.csv", func(w io.Writer) error {
		var err error
		auditEntries, err = auditExcerpt(ctx, w, src.DB, asOf)
		return err
	}); err != nil {
		return err
	}
	checkpoint, err := src.Log.AnchorAudit(ctx, r.GeneratedAt)
	if err != nil {
		return err
	}
	if err := p.add("audit/checkpoint.txt", checkpoint); err != nil {
		return err
	}
	if err := p.add("controls.json", controlsJSON()); err != nil {
		return err
	}
	if err := p.add("summary.html", summaryHTML(src.Log.Origin(), day, r, tallied, inEffect, auditEntries)); err != nil {
		return err
	}
	if err := p.add("verify.html", verifyHTML); err != nil {
		return err
	}

	// Last, the manifest of everything above and its signature.
	man := Manifest{Format: formatName, Origin: src.Log.Origin(), AsOf: day, GeneratedAt: r.GeneratedAt.UTC().Format(time.RFC3339),
		GeneratedBy: r.GeneratedBy, PublicKey: src.Log.PublicKey(), Files: p.entries}
	manBytes, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	manSum := sha256.Sum256(manBytes)
	sig, err := src.Log.Sign(manifestText(man.Origin, day, hex.EncodeToString(manSum[:])))
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		b    []byte
	}{{manifestName, manBytes}, {signatureName, sig}} {
		fw, err := p.zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Store, Modified: p.modified})
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.b); err != nil {
			return err
		}
	}
	return p.zw.Close()
}

func rosterCSV(ctx context.Context, out io.Writer, ps *people.Store, asOf time.Time) error {
	w := csvout.NewWriter(out)
	if err := w.Write([]string{"name", "email", "role", "team", "manager", "joined"}); err != nil {
		return err
	}
	for off := 0; ; off += 500 {
		us, _, err := ps.List(ctx, people.Filter{Status: "all", Limit: 500, Offset: off})
		if err != nil {
			return err
		}
		for _, u := range us {
			joined := u.CreatedAt
			if u.HiredOn != nil {
				joined = *u.HiredOn
			}
			if joined.After(asOf) || (u.DeactivatedAt != nil && !u.DeactivatedAt.After(asOf)) {
				continue // not in the organisation on the day
			}
			if err := w.Write([]string{u.Name, u.Email, string(u.Role), deref(u.TeamName), deref(u.ManagerName),
				csvout.Date(joined)}); err != nil {
				return err
			}
		}
		if len(us) < 500 {
			break
		}
	}
	return w.Flush()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func rulesJSON(ctx context.Context, src Sources) ([]byte, error) {
	type courseRule struct {
		Course           string            `json:"course"`
		Title            string            `json:"title"`
		Revision         int               `json:"revision"`
		Audience         courses.Audience  `json:"audience"`
		DueDays          int               `json:"due_days_after_assignment"`
		ValidMonths      int               `json:"valid_months"`
		RecertWindowDays int               `json:"recertification_window_days"`
		PassMark         int               `json:"pass_mark_percent"`
		MaxAttempts      int               `json:"max_attempts_per_module"`
		Modules          int               `json:"modules"`
		Questions        map[string]int    `json:"questions_per_module"`
		Extra            map[string]string `json:"-"`
	}
	type policyRule struct {
		Policy        string            `json:"policy"`
		Title         string            `json:"title"`
		Audience      policies.Audience `json:"audience"`
		MustAck       bool              `json:"must_acknowledge"`
		AckWithinDays int               `json:"acknowledge_within_days"`
		ReackMonths   int               `json:"reacknowledge_every_months"`
	}
	var out struct {
		Courses  []courseRule `json:"courses"`
		Policies []policyRule `json:"policies"`
	}
	cs, err := src.Courses.Courses(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		full, err := src.Courses.Course(ctx, c.Slug)
		if err != nil {
			return nil, err
		}
		qs := map[string]int{}
		for _, m := range full.Modules {
			qs[fmt.Sprintf("%d. %s", m.Position, m.Title)] = len(m.Questions)
		}
		out.Courses = append(out.Courses, courseRule{Course: c.Slug, Title: c.Title, Revision: full.Revision, Audience: c.Audience,
			DueDays: c.DueDays, ValidMonths: c.ValidMonths, RecertWindowDays: c.RecertWindowDays, PassMark: c.PassMark,
			MaxAttempts: c.MaxAttempts, Modules: len(full.Modules), Questions: qs})
	}
	for _, aud := range []policies.Audience{policies.Public, policies.Staff} {
		ps, err := src.Policies.Policies(ctx, aud)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			out.Policies = append(out.Policies, policyRule{Policy: p.Slug, Title: p.Title, Audience: p.Audience,
				MustAck: p.NeedsAck(), AckWithinDays: p.AckWithinDays, ReackMonths: p.ReackMonths})
		}
	}
	return json.MarshalIndent(out, "", "  ")
}

func emailsByID(ctx context.Context, ps *people.Store) (map[int64]string, error) {
	out := map[int64]string{}
	for off := 0; ; off += 500 {
		us, _, err := ps.List(ctx, people.Filter{Status: "all", Limit: 500, Offset: off})
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			out[u.ID] = u.Email
		}
		if len(us) < 500 {
			return out, nil
		}
	}
}

func reminderLog(ctx context.Context, out io.Writer, d *db.DB, emails map[int64]string, asOf time.Time) error {
	w := csvout.NewWriter(out)
	if err := w.Write([]string{"at", "about", "sent_to", "subject", "subject_id", "stage", "round"}); err != nil {
		return err
	}
	err := reminders.EventLog(ctx, d, asOf.Add(time.Nanosecond), func(e reminders.LoggedEvent) error {
		return w.Write([]string{csvout.Time(e.CreatedAt), emails[e.UserID], emails[e.RecipientID], e.SubjectType,
			fmt.Sprint(e.SubjectID), e.Stage, e.Round})
	})
	if err != nil {
		return err
	}
	return w.Flush()
}

// governanceCSV is every policy's approvals, reviews and four-eyes
// changes up to the day: who approved what content, and when each policy
// was last looked at.
func governanceCSV(ctx context.Context, out io.Writer, ps *policies.Store, asOf time.Time) error {
	evs, err := ps.GovernanceRecord(ctx, asOf)
	if err != nil {
		return err
	}
	w := csvout.NewWriter(out)
	if err := w.Write([]string{"policy", "at", "event", "version", "who", "content_sha256", "detail"}); err != nil {
		return err
	}
	for _, e := range evs {
		v := ""
		if e.Version > 0 {
			v = fmt.Sprint(e.Version)
		}
		if err := w.Write([]string{e.Policy, csvout.Time(e.At), e.Event, v, e.Who, e.SHA256, e.Detail}); err != nil {
			return err
		}
	}
	return w.Flush()
}

func exemptionsCSV(ctx context.Context, out io.Writer, d *db.DB, emails map[int64]string, asOf time.Time) error {
	w := csvout.NewWriter(out)
	if err := w.Write([]string{"person", "course", "cycle", "reason", "approved_by", "at"}); err != nil {
		return err
	}
	err := courses.Exemptions(ctx, d, asOf.Add(time.Nanosecond), func(e courses.Exemption) error {
		by := "system"
		if e.ByID != nil {
			by = emails[*e.ByID]
		}
		return w.Write([]string{emails[e.UserID], e.Course, fmt.Sprint(e.Seq), e.Reason, by, csvout.Time(e.At)})
	})
	if err != nil {
		return err
	}
	return w.Flush()
}

func auditExcerpt(ctx context.Context, out io.Writer, d *db.DB, asOf time.Time) (int, error) {
	w := csvout.NewWriter(out)
	if err := w.Write([]string{"id", "at", "actor", "action", "target", "detail", "prev_hash", "hash"}); err != nil {
		return 0, err
	}
	n := 0
	err := audit.Stream(ctx, d, audit.Filter{Until: asOf.Add(time.Nanosecond)}, func(e audit.Entry) error {
		n++
		return w.Write([]string{fmt.Sprint(e.ID), csvout.Time(e.At), e.Actor, e.Action, e.Target, e.Detail, e.PrevHash, e.Hash})
	})
	if err != nil {
		return 0, err
	}
	return n, w.Flush()
}

// Controls maps each framework's training and awareness control to the
// files that evidence it.
type Control struct {
	Framework string   `json:"framework"`
	Control   string   `json:"control"`
	Asks      string   `json:"asks"`
	Evidence  []string `json:"evidence"`
}

var controls = []Control{
	{"SOC 2 (2017 TSC)", "CC1.4", "The entity demonstrates a commitment to attract, develop and retain competent individuals.",
		[]string{"rules.json", "courses/", "requirements.csv", "summary.html"}},
	{"SOC 2 (2017 TSC)", "CC2.2", "The entity internally communicates information, including objectives and responsibilities for internal control.",
		[]string{"policies/", "requirements.csv", "audit/entries.csv"}},
	{"SOC 2 (2017 TSC)", "CC5.3", "The entity deploys control activities through policies that establish what is expected and in procedures that put policies into action.",
		[]string{"policies/", "policies/governance.csv", "audit/entries.csv"}},
	{"ISO/IEC 27001:2022", "A.6.3", "Information security awareness, education and training.",
		[]string{"courses/", "rules.json", "requirements.csv", "roster.csv"}},
	{"GDPR", "Art. 39(1)(b)", "The DPO monitors compliance, including awareness-raising and training of staff.",
		[]string{"courses/", "requirements.csv", "summary.html"}},
	{"HIPAA", "45 CFR 164.308(a)(5)(i)", "Security awareness and training program for all members of the workforce.",
		[]string{"rules.json", "courses/", "requirements.csv", "roster.csv"}},
	{"NIST CSF 2.0", "PR.AT-01", "Personnel are provided with awareness and training so that they possess the knowledge and skills to perform general tasks with cybersecurity risks in mind.",
		[]string{"courses/", "requirements.csv", "summary.html"}},
	{"CIS Controls v8", "14", "Security Awareness and Skills Training.",
		[]string{"rules.json", "courses/", "requirements.csv", "reminders.csv", "exemptions.csv", "audit/entries.csv"}},
}

func controlsJSON() []byte {
	b, _ := json.MarshalIndent(struct {
		Note     string    `json:"note"`
		Controls []Control `json:"controls"`
	}{"Paths ending in / name a folder of the pack. The mapping says where to look; whether the evidence satisfies the control is the auditor's judgement.", controls}, "", "  ")
	return b
}

// counts is the summary's arithmetic over the requirement rows.
type counts struct {
	People       int
	Requirements map[string]map[string]int // requirement -> status -> people
}

// tallyCSV counts requirements.csv as it is written: people, and per
// requirement the people in each status.
func tallyCSV(r io.Reader) (counts, error) {
	c := counts{Requirements: map[string]map[string]int{}}
	cr := csv.NewReader(bufio.NewReaderSize(r, 64<<10))
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return c, err
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimPrefix(h, "\ufeff")] = i
	}
	seen := map[string]bool{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return c, nil
		}
		if err != nil {
			return c, err
		}
		email := rec[col["email"]]
		if !seen[email] {
			seen[email] = true
			c.People++
		}
		key := rec[col["requirement_type"]] + ": " + rec[col["requirement"]]
		if c.Requirements[key] == nil {
			c.Requirements[key] = map[string]int{}
		}
		c.Requirements[key][rec[col["status"]]]++
	}
}
