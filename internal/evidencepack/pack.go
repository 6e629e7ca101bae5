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
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"steward/courses"
	"steward/internal/audit"
	"steward/internal/csvout"
	"steward/internal/db"
	"steward/internal/people"
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

// packer collects files in the order they are written.
type packer struct {
	names []string
	files map[string][]byte
}

func (p *packer) add(name string, b []byte) {
	if p.files == nil {
		p.files = map[string][]byte{}
	}
	if _, dup := p.files[name]; !dup {
		p.names = append(p.names, name)
	}
	p.files[name] = b
}

// Build writes the pack for r to w.
func Build(ctx context.Context, src Sources, r Request, w io.Writer) error {
	asOf := r.AsOf.UTC()
	day := asOf.Format(time.DateOnly)
	var p packer

	// The requirements: everyone who had to take a course or acknowledge
	// a policy on the day, and where each stood, as the reports say.
	meta := reports.EvidenceMeta{AsOf: asOf, GeneratedAt: r.GeneratedAt, GeneratedBy: r.GeneratedBy}
	var csvBuf, jsonBuf bytes.Buffer
	if _, err := src.Reports.Evidence(ctx, &csvBuf, reports.FormatCSV, meta, r.GeneratedAt); err != nil {
		return err
	}
	if _, err := src.Reports.Evidence(ctx, &jsonBuf, reports.FormatJSON, meta, r.GeneratedAt); err != nil {
		return err
	}
	p.add("requirements.csv", csvBuf.Bytes())
	p.add("requirements.json", jsonBuf.Bytes())
	var ev struct {
		Rows []reports.EvidenceRow `json:"rows"`
	}
	if err := json.Unmarshal(jsonBuf.Bytes(), &ev); err != nil {
		return fmt.Errorf("evidencepack: read the requirements back: %w", err)
	}

	roster, err := rosterCSV(ctx, src.People, asOf)
	if err != nil {
		return err
	}
	p.add("roster.csv", roster)

	rules, err := rulesJSON(ctx, src)
	if err != nil {
		return err
	}
	p.add("rules.json", rules)

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
			p.add("courses/"+c.Slug+"/"+f.Name, f.Data)
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
				head := fmt.Sprintf("---\nslug: %s\ntitle: %s\naudience: %s\nversion: %d\neffective: %s\npublished: %s\nchange: %s\nsummary: %q\nsha256: %s\n---\n\n",
					t.Policy.Slug, t.Policy.Title, t.Policy.Audience, v.Number, v.EffectiveAt.UTC().Format(time.RFC3339),
					v.PublishedAt.UTC().Format(time.RFC3339), v.ChangeKind, v.Summary, policies.Hash(v.BodyMD))
				p.add(name, []byte(head+v.BodyMD))
			}
			if v, ok := t.InEffect(asOf); ok {
				inEffect = append(inEffect, fmt.Sprintf("%s (%s) version %d, in effect since %s",
					t.Policy.Title, t.Policy.Audience, v.Number, v.EffectiveAt.UTC().Format(time.DateOnly)))
			}
		}
	}

	auditCSV, n, err := auditExcerpt(ctx, src.DB, asOf)
	if err != nil {
		return err
	}
	p.add("audit/entries.csv", auditCSV)
	checkpoint, err := src.Log.AnchorAudit(ctx, r.GeneratedAt)
	if err != nil {
		return err
	}
	p.add("audit/checkpoint.txt", checkpoint)

	p.add("controls.json", controlsJSON())
	p.add("summary.html", summaryHTML(src.Log.Origin(), day, r, ev.Rows, inEffect, n, len(cs)))
	p.add("verify.html", verifyHTML)

	man := Manifest{Format: formatName, Origin: src.Log.Origin(), AsOf: day, GeneratedAt: r.GeneratedAt.UTC().Format(time.RFC3339),
		GeneratedBy: r.GeneratedBy, PublicKey: src.Log.PublicKey()}
	for _, name := range p.names {
		sum := sha256.Sum256(p.files[name])
		man.Files = append(man.Files, ManifestEntry{Path: name, SHA256: hex.EncodeToString(sum[:]), Size: len(p.files[name])})
	}
	manBytes, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	manSum := sha256.Sum256(manBytes)
	sig, err := src.Log.Sign(manifestText(man.Origin, day, hex.EncodeToString(manSum[:])))
	if err != nil {
		return err
	}

	// Stored, not deflated: verify.html reads the zip with a few lines of
	// JavaScript and the browser's own SHA-256 and Ed25519.
	zw := zip.NewWriter(w)
	write := func(name string, b []byte) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: r.GeneratedAt.UTC()})
		if err != nil {
			return err
		}
		_, err = fw.Write(b)
		return err
	}
	if err := write(manifestName, manBytes); err != nil {
		return err
	}
	if err := write(signatureName, sig); err != nil {
		return err
	}
	for _, name := range p.names {
		if err := write(name, p.files[name]); err != nil {
			return err
		}
	}
	return zw.Close()
}

func rosterCSV(ctx context.Context, ps *people.Store, asOf time.Time) ([]byte, error) {
	var buf bytes.Buffer
	w := csvout.NewWriter(&buf)
	if err := w.Write([]string{"name", "email", "role", "team", "manager", "joined", "left"}); err != nil {
		return nil, err
	}
	for off := 0; ; off += 500 {
		us, _, err := ps.List(ctx, people.Filter{Status: "all", Limit: 500, Offset: off})
		if err != nil {
			return nil, err
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
				csvout.Date(joined), ""}); err != nil {
				return nil, err
			}
		}
		if len(us) < 500 {
			break
		}
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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

func auditExcerpt(ctx context.Context, d *db.DB, asOf time.Time) ([]byte, int, error) {
	var buf bytes.Buffer
	w := csvout.NewWriter(&buf)
	if err := w.Write([]string{"id", "at", "actor", "action", "target", "detail", "prev_hash", "hash"}); err != nil {
		return nil, 0, err
	}
	n := 0
	err := audit.Stream(ctx, d, audit.Filter{Until: asOf.Add(time.Nanosecond)}, func(e audit.Entry) error {
		n++
		return w.Write([]string{fmt.Sprint(e.ID), csvout.Time(e.At), e.Actor, e.Action, e.Target, e.Detail, e.PrevHash, e.Hash})
	})
	if err != nil {
		return nil, 0, err
	}
	if err := w.Flush(); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), n, nil
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
	{"ISO/IEC 27001:2022", "A.6.3", "Information security awareness, education and training.",
		[]string{"courses/", "rules.json", "requirements.csv", "roster.csv"}},
	{"GDPR", "Art. 39(1)(b)", "The DPO monitors compliance, including awareness-raising and training of staff.",
		[]string{"courses/", "requirements.csv", "summary.html"}},
	{"HIPAA", "45 CFR 164.308(a)(5)(i)", "Security awareness and training program for all members of the workforce.",
		[]string{"rules.json", "courses/", "requirements.csv", "roster.csv"}},
	{"NIST CSF 2.0", "PR.AT-01", "Personnel are provided with awareness and training so that they possess the knowledge and skills to perform general tasks with cybersecurity risks in mind.",
		[]string{"courses/", "requirements.csv", "summary.html"}},
	{"CIS Controls v8", "14", "Security Awareness and Skills Training.",
		[]string{"rules.json", "courses/", "requirements.csv", "audit/entries.csv"}},
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

func tally(rows []reports.EvidenceRow) counts {
	c := counts{Requirements: map[string]map[string]int{}}
	seen := map[string]bool{}
	for _, r := range rows {
		if !seen[r.Email] {
			seen[r.Email] = true
			c.People++
		}
		key := r.Type + ": " + r.Requirement
		if c.Requirements[key] == nil {
			c.Requirements[key] = map[string]int{}
		}
		c.Requirements[key][r.Status]++
	}
	return c
}
