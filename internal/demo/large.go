package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"steward/courses"
	"steward/internal/audit"
	"steward/internal/db"
	"steward/internal/people"
	"steward/policies"
)

// LargeOptions tune the large organisation.
type LargeOptions struct {
	People     int   // at least 50
	BcryptCost int   // for the one password hash every account shares
	Seed       int64 // the same seed builds the same organisation
}

// LargeResult says what Large created.
type LargeResult struct {
	People, Teams, Courses, Policies   int
	Cycles, Attempts, Acknowledgements int
}

// Large builds an organisation of opts.People people for trying reports
// at scale: a reporting tree of department heads, directors, team leads
// and their reports; ten courses (the starter course and nine short
// ones) and five staff policies, with three years of assignment cycles,
// quiz attempts and acknowledgements simulated up to now. The demo
// accounts (admin@, auditor@, manager@ heading the largest department,
// employee@) work as in the small demo. Everything is written in one
// transaction of multi-row inserts.
func Large(ctx context.Context, d *db.DB, now time.Time, opts LargeOptions) (LargeResult, error) {
	if opts.People < 50 {
		return LargeResult{}, fmt.Errorf("demo: the large organisation needs at least 50 people, not %d", opts.People)
	}
	n, err := people.NewStore(d).Count(ctx)
	if err != nil {
		return LargeResult{}, err
	}
	if n > 0 {
		return LargeResult{}, ErrNotEmpty
	}
	now = now.UTC().Truncate(time.Second)
	hash, err := people.HashPassword(Password, opts.BcryptCost)
	if err != nil {
		return LargeResult{}, err
	}
	g := &gen{now: now, start: now.AddDate(-3, 0, -30), rnd: rand.New(rand.NewPCG(uint64(opts.Seed), 7)), hash: hash}
	if err := g.courses(ctx, d); err != nil {
		return LargeResult{}, err
	}
	g.org(opts.People)
	err = d.Tx(ctx, func(tx *sqlx.Tx) error {
		if err := g.writePeople(ctx, tx); err != nil {
			return err
		}
		if err := g.writePolicies(ctx, tx); err != nil {
			return err
		}
		if err := g.writeTraining(ctx, tx); err != nil {
			return err
		}
		if err := g.writeAcks(ctx, tx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.System.Entry(now, "demo.large", "organisation",
			fmt.Sprintf("%d people, %d cycles, %d attempts, %d acknowledgements", len(g.people), g.res.Cycles, g.res.Attempts, g.res.Acknowledgements)))
	})
	if err != nil {
		return LargeResult{}, err
	}
	// The rows above carry their ids; PostgreSQL's sequences must follow.
	if err := d.ResetSequences(ctx); err != nil {
		return LargeResult{}, err
	}
	g.res.People, g.res.Teams, g.res.Courses, g.res.Policies = len(g.people), len(g.teams), len(g.course), len(g.policy)
	return g.res, nil
}

type gen struct {
	now, start time.Time
	rnd        *rand.Rand
	hash       string
	teams      []string
	people     []genPerson
	course     []genCourse
	policy     []genPolicy
	res        LargeResult
}

type genPerson struct {
	id, manager int64
	email, name string
	role        people.Role
	team        int // index in teams, -1 for none
	dept        string
	hired       time.Time
	created     time.Time
	left        *time.Time
}

type genCourse struct {
	id                           int64
	modules                      []int64
	dueDays, validMonths, window int
	audience                     func(p *genPerson) bool
	created                      time.Time
}

type genPolicy struct {
	id          int64
	slug, title string
	within      int
	reack       int
	versions    []genVersion
}

type genVersion struct {
	id        int64
	number    int
	material  bool
	effective time.Time
}

var (
	firstNames = []string{"Ada", "Ben", "Chen", "Dara", "Emil", "Fatima", "Goran", "Hana", "Ivo", "Jana", "Kemal", "Lucia",
		"Malik", "Nora", "Oskar", "Pia", "Quentin", "Rania", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Ximena", "Yara", "Zeno"}
	lastNames = []string{"Adams", "Bauer", "Cruz", "Dahl", "Ek", "Fontaine", "Garcia", "Horvat", "Ito", "Jensen", "Kowalski",
		"Lopez", "Moreau", "Nakamura", "Okonkwo", "Park", "Quist", "Reyes", "Sato", "Toivonen", "Umeh", "Varga", "Weber", "Yilmaz"}
	departments = []struct {
		name   string
		weight int
	}{{"Engineering", 30}, {"Sales", 20}, {"Customer Support", 15}, {"Operations", 10}, {"Marketing", 10},
		{"Product", 7}, {"Finance", 5}, {"Legal", 3}}
)

func (g *gen) days(lo, hi int) time.Duration {
	return time.Duration(lo+g.rnd.IntN(hi-lo+1)) * 24 * time.Hour
}

// org lays out the reporting tree, breadth first so that every manager
// has a smaller id than their reports.
func (g *gen) org(total int) {
	add := func(p genPerson) *genPerson {
		p.id = int64(len(g.people) + 1)
		if p.email == "" {
			first, last := firstNames[g.rnd.IntN(len(firstNames))], lastNames[g.rnd.IntN(len(lastNames))]
			p.name = first + " " + last
			p.email = fmt.Sprintf("%s.%s.%d@example.com", strings.ToLower(first), strings.ToLower(last), p.id)
		}
		if p.hired.IsZero() {
			back := g.days(20, 8*365)
			if g.rnd.IntN(10) == 0 {
				back = g.days(3, 300)
			}
			p.hired = g.now.Add(-back).Truncate(24 * time.Hour)
		}
		p.created = p.hired
		if p.created.Before(g.start) {
			p.created = g.start
		}
		g.people = append(g.people, p)
		return &g.people[len(g.people)-1]
	}
	team := func(name string) int {
		g.teams = append(g.teams, name)
		return len(g.teams) - 1
	}
	add(genPerson{email: "admin@example.com", name: "Priya Raman", role: people.RoleAdmin, team: -1, hired: g.now.AddDate(-7, 0, 0)})
	audit := team("Internal Audit")
	add(genPerson{email: "auditor@example.com", name: "Omar Haddad", role: people.RoleAuditor, team: audit, hired: g.now.AddDate(-4, 0, 0)})
	for i := 0; i < 2; i++ {
		add(genPerson{role: people.RoleEmployee, team: audit, dept: "Internal Audit"})
	}
	remaining := total - len(g.people)
	type unit struct {
		lead  int64
		dept  string
		size  int
		level int
		team  int
	}
	var queue []unit
	sizes := make([]int, len(departments))
	given := 0
	for i, dpt := range departments {
		sizes[i] = remaining * dpt.weight / 100
		given += sizes[i]
	}
	sizes[0] += remaining - given
	for i, dpt := range departments {
		size := sizes[i]
		var head *genPerson
		if i == 0 {
			head = add(genPerson{email: "manager@example.com", name: "Maya Brooks", role: people.RoleManager, team: team(dpt.name), dept: dpt.name})
		} else {
			head = add(genPerson{role: people.RoleManager, team: team(dpt.name), dept: dpt.name})
		}
		queue = append(queue, unit{lead: head.id, dept: dpt.name, size: size - 1, level: 0, team: head.team})
	}
	employeeDone := false
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		switch {
		case u.size <= 12:
			// A team lead's direct reports.
			for k := 0; k < u.size; k++ {
				p := genPerson{manager: u.lead, role: people.RoleEmployee, team: u.team, dept: u.dept}
				if !employeeDone && u.dept == departments[0].name {
					p.email, p.name, p.hired, employeeDone = "employee@example.com", "Eli Turner", g.now.AddDate(-2, 0, 0), true
				}
				add(p)
			}
		default:
			// A manager with sub-units: directors under a head, team leads under a director.
			per := 150
			if u.level >= 1 {
				per = 11
			}
			subs := max(2, (u.size+per-1)/per)
			subs = min(subs, u.size)
			left := u.size
			for k := 0; k < subs && left > 0; k++ {
				share := left / (subs - k)
				t := u.team
				if u.level == 0 {
					t = team(fmt.Sprintf("%s %d", u.dept, k+1))
				}
				lead := add(genPerson{manager: u.lead, role: people.RoleManager, team: t, dept: u.dept})
				queue = append(queue, unit{lead: lead.id, dept: u.dept, size: share - 1, level: u.level + 1, team: t})
				left -= share
			}
		}
	}
	// About one in twenty-five has left, at some point in the last two years.
	for i := range g.people {
		p := &g.people[i]
		if p.role == people.RoleEmployee && p.email != "employee@example.com" && g.rnd.IntN(25) == 0 {
			l := g.now.Add(-g.days(1, 730))
			if l.After(p.created.AddDate(0, 1, 0)) {
				p.left = &l
			}
		}
	}
}

func (g *gen) courses(ctx context.Context, d *db.DB) error {
	store := courses.NewStore(d)
	by := audit.Actor{Label: "demo"}
	if _, err := store.Import(ctx, courses.Starter(), by, g.start); err != nil {
		return fmt.Errorf("demo: import starter: %w", err)
	}
	titles := []struct {
		slug, title string
		due, valid  int
		audience    courses.Audience
	}{
		{"security-basics", "Security basics", 30, 12, courses.Audience{Kind: courses.AudienceEveryone}},
		{"phishing-awareness", "Spotting phishing", 21, 12, courses.Audience{Kind: courses.AudienceEveryone}},
		{"gdpr-essentials", "GDPR essentials", 30, 24, courses.Audience{Kind: courses.AudienceEveryone}},
		{"incident-reporting", "Reporting an incident", 14, 0, courses.Audience{Kind: courses.AudienceEveryone}},
		{"clean-desk", "Clean desk and screens", 30, 12, courses.Audience{Kind: courses.AudienceEveryone}},
		{"secure-coding", "Secure coding", 45, 12, courses.Audience{Kind: courses.AudienceTeams}},
		{"handling-customer-requests", "Handling customer data requests", 30, 12, courses.Audience{Kind: courses.AudienceTeams}},
		{"leading-with-privacy", "Leading with privacy", 60, 24, courses.Audience{Kind: courses.AudienceRoles, Values: []string{"manager"}}},
		{"vendor-risk", "Vendor risk", 30, 12, courses.Audience{Kind: courses.AudienceTeams}},
	}
	for _, t := range titles {
		c := &courses.Course{Settings: courses.Settings{Slug: t.slug, Title: t.title, Summary: "A short course for the large demo.",
			Audience: t.audience, DueDays: t.due, ValidMonths: t.valid, RecertWindowDays: 30, PassMark: 80},
			Modules: []courses.Module{{Position: 1, Title: t.title, Body: "Read this, then answer the question.",
				Questions: []courses.Question{{Position: 1, Kind: courses.TrueFalse, Text: "Did you read the module?",
					Options: []courses.Option{{Position: 1, Text: courses.TrueLabel, Correct: true}, {Position: 2, Text: courses.FalseLabel}}}}}}}
		switch t.slug {
		case "secure-coding":
			c.Audience.Values = g.teamNames("Engineering")
		case "handling-customer-requests":
			c.Audience.Values = g.teamNames("Customer Support")
		case "vendor-risk":
			c.Audience.Values = append(g.teamNames("Operations"), g.teamNames("Legal")...)
		}
		if t.valid == 0 {
			c.RecertWindowDays = 0
		}
		if _, err := store.Save(ctx, c, by, g.start); err != nil {
			return fmt.Errorf("demo: course %s: %w", t.slug, err)
		}
	}
	var rows []struct {
		ID          int64  `db:"id"`
		Slug        string `db:"slug"`
		DueDays     int    `db:"due_days"`
		ValidMonths int    `db:"valid_months"`
		Window      int    `db:"recert_window_days"`
		Kind        string `db:"audience_kind"`
	}
	if err := d.SelectContext(ctx, &rows, `SELECT id, slug, due_days, valid_months, recert_window_days, audience_kind FROM courses ORDER BY id`); err != nil {
		return err
	}
	for _, r := range rows {
		gc := genCourse{id: r.ID, dueDays: r.DueDays, validMonths: r.ValidMonths, window: r.Window, created: g.start}
		if err := d.SelectContext(ctx, &gc.modules, d.Rebind(`SELECT id FROM course_modules WHERE course_id = ? AND archived = FALSE ORDER BY position`), r.ID); err != nil {
			return err
		}
		switch r.Slug {
		case "secure-coding":
			gc.audience = func(p *genPerson) bool { return p.dept == "Engineering" }
		case "handling-customer-requests":
			gc.audience = func(p *genPerson) bool { return p.dept == "Customer Support" }
		case "vendor-risk":
			gc.audience = func(p *genPerson) bool { return p.dept == "Operations" || p.dept == "Legal" }
		case "leading-with-privacy":
			gc.audience = func(p *genPerson) bool { return p.role == people.RoleManager }
		default:
			gc.audience = func(p *genPerson) bool { return true }
		}
		g.course = append(g.course, gc)
	}
	return nil
}

// teamNames are the names the department's teams will get in org: the
// department itself and "Dept 1" .. "Dept 40", enough for any size.
func (g *gen) teamNames(dept string) []string {
	out := []string{dept}
	for i := 1; i <= 40; i++ {
		out = append(out, fmt.Sprintf("%s %d", dept, i))
	}
	return out
}

func (g *gen) writePeople(ctx context.Context, tx *sqlx.Tx) error {
	tb := people.LoadTeams(ctx, tx)
	for i, t := range g.teams {
		if err := tb.Add(i+1, t, g.start); err != nil {
			return err
		}
	}
	if err := tb.Flush(); err != nil {
		return err
	}
	ub := people.LoadUsers(ctx, tx)
	for i := range g.people {
		p := &g.people[i]
		var team, manager any
		if p.team >= 0 {
			team = p.team + 1
		}
		if p.manager != 0 {
			manager = p.manager
		}
		var left any
		if p.left != nil {
			left = *p.left
		}
		if err := ub.Add(p.id, p.email, p.name, string(p.role), team, manager, p.hired, p.left == nil, left, g.hash, p.created, p.created); err != nil {
			return err
		}
	}
	return ub.Flush()
}

// writePolicies publishes five staff policies with versions over the
// three years; the code of conduct asks for a yearly re-acknowledgement
// and gets a yearly version to acknowledge.
func (g *gen) writePolicies(ctx context.Context, tx *sqlx.Tx) error {
	defs := []struct {
		slug, title string
		within      int
		reack       int
		versions    []int // months after start; negative: a minor version
	}{
		{"acceptable-use", "Acceptable use of customer data", 14, 0, []int{0, 14, -20, 30}},
		{"information-security", "Information security policy", 30, 0, []int{0, 18}},
		{"code-of-conduct", "Code of conduct", 30, 12, []int{0, -12, -24, -36}},
		{"data-retention", "Data retention", 21, 0, []int{2, 26, -33}},
		{"remote-work", "Remote work and devices", 14, 0, []int{6, -17, 35}},
	}
	pb := policies.LoadPolicies(ctx, tx)
	vb := policies.LoadVersions(ctx, tx)
	vid := int64(0)
	for i, d := range defs {
		gp := genPolicy{id: int64(i + 1), slug: d.slug, title: d.title, within: d.within, reack: d.reack}
		if err := pb.Add(gp.id, d.slug, d.title, string(policies.Staff), true, d.within, d.reack, g.start, g.start); err != nil {
			return err
		}
		for k, m := range d.versions {
			vid++
			material := m >= 0 || k == 0
			eff := g.start.AddDate(0, abs(m), 0)
			if eff.After(g.now) {
				continue
			}
			body := fmt.Sprintf("# %s\n\nVersion %d of the %s.\n", d.title, k+1, strings.ToLower(d.title))
			html, err := policies.Render(body)
			if err != nil {
				return err
			}
			kind, summary := policies.Material, "What changed and why it matters to you."
			if !material {
				kind, summary = policies.Minor, "Wording and links only."
			}
			pub := eff.AddDate(0, 0, -14)
			if err := vb.Add(vid, gp.id, "published", k+1, body, html, summary, string(kind), policies.Hash(body), pub, pub, pub, eff); err != nil {
				return err
			}
			gp.versions = append(gp.versions, genVersion{id: vid, number: k + 1, material: material, effective: eff})
		}
		g.policy = append(g.policy, gp)
	}
	if err := pb.Flush(); err != nil {
		return err
	}
	return vb.Flush()
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// writeTraining simulates each person's cycles of each course in their
// audience from when they joined: most finish before the due date, some
// late, a few never; certifications expire and recertification cycles
// open as courses.Sync would open them.
func (g *gen) writeTraining(ctx context.Context, tx *sqlx.Tx) error {
	cb := courses.LoadCycles(ctx, tx)
	ab := courses.LoadAttempts(ctx, tx)
	ab.After(cb)
	var cycleID, attemptID int64
	// Attempts wait for their cycle's row to be queued.
	var waiting [][]any
	attempt := func(cy int64, mod int64, user int64, at time.Time, score int) error {
		attemptID++
		waiting = append(waiting, []any{attemptID, fmt.Sprintf("demo-%d", attemptID), cy, mod, user, attemptID, 1,
			at.Add(-10 * time.Minute), at, score, score >= 80, ""})
		return nil
	}
	for i := range g.people {
		p := &g.people[i]
		end := g.now
		if p.left != nil {
			end = *p.left
		}
		for _, c := range g.course {
			if !c.audience(p) {
				continue
			}
			assigned := p.created
			if assigned.Before(c.created) {
				assigned = c.created
			}
			due := assigned.Add(time.Duration(c.dueDays) * 24 * time.Hour)
			var lapses *time.Time
			for seq := 1; assigned.Before(end); seq++ {
				cycleID++
				var done, expires, started *time.Time
				var score *int
				var closed *time.Time
				closedReason := ""
				span := due.Sub(assigned)
				var at time.Time
				switch r := g.rnd.IntN(100); {
				case r < 72:
					at = assigned.Add(time.Duration(g.rnd.Int64N(int64(span))))
				case r < 94:
					at = due.Add(g.days(1, 80))
				default:
					at = end.Add(time.Hour) // never, in this cycle
				}
				if at.Before(end) {
					sc := 80 + g.rnd.IntN(21)
					done, score = &at, &sc
					first := at
					if g.rnd.IntN(6) == 0 {
						first = at.Add(-26 * time.Hour)
						if err := attempt(cycleID, c.modules[0], p.id, first, 40); err != nil {
							return err
						}
					}
					started = &first
					for k, m := range c.modules {
						if err := attempt(cycleID, m, p.id, at.Add(time.Duration(k)*time.Minute), sc); err != nil {
							return err
						}
					}
					if c.validMonths > 0 {
						e := at.AddDate(0, c.validMonths, 0)
						expires = &e
					}
				} else if g.rnd.IntN(3) == 0 && len(c.modules) > 1 {
					s := end.Add(-g.days(1, 10))
					if s.After(assigned) {
						started = &s
						if err := attempt(cycleID, c.modules[0], p.id, s, 90); err != nil {
							return err
						}
					}
				}
				var next time.Time
				if expires != nil {
					next = expires.AddDate(0, 0, -c.window)
				}
				switch {
				case expires != nil && next.Before(end):
					closed, closedReason = &next, "recertification cycle opened"
				case p.left != nil:
					closed, closedReason = p.left, "person deactivated"
				}
				exempt, reason := false, ""
				var exemptAt any
				if closed == nil && g.rnd.IntN(100) == 0 {
					exempt, reason, exemptAt = true, "On long leave", end.Add(-g.days(1, 60))
				}
				var rev any
				if done != nil {
					rev = 1
				}
				if err := cb.Add(cycleID, p.id, c.id, seq, assigned, due, lapses, started, done, rev, expires, score,
					exempt, reason, exemptAt, closed, closedReason); err != nil {
					return err
				}
				for _, a := range waiting {
					if err := ab.Add(a...); err != nil {
						return err
					}
				}
				waiting = waiting[:0]
				g.res.Cycles++
				if closed == nil || closedReason != "recertification cycle opened" {
					break
				}
				assigned, due = next, *expires
				l := *expires
				lapses = &l
			}
		}
	}
	if err := cb.Flush(); err != nil {
		return err
	}
	g.res.Attempts = int(attemptID)
	return ab.Flush()
}

// writeAcks has people acknowledge each policy: most within the window,
// some late, a few not at all, again for every material version and,
// where the policy asks, every year.
func (g *gen) writeAcks(ctx context.Context, tx *sqlx.Tx) error {
	b := policies.LoadAcknowledgements(ctx, tx)
	for i := range g.people {
		p := &g.people[i]
		end := g.now
		if p.left != nil {
			end = *p.left
		}
		for _, pol := range g.policy {
			if len(pol.versions) == 0 {
				continue
			}
			acked := map[int64]bool{}
			pending := pol.versions[0].effective
			if p.created.After(pending) {
				pending = p.created
			}
			for pending.Before(end) {
				var at time.Time
				switch r := g.rnd.IntN(100); {
				case r < 80:
					at = pending.Add(g.days(0, pol.within-1))
				case r < 95:
					at = pending.Add(g.days(pol.within, pol.within+60))
				default:
					at = end.Add(time.Hour)
				}
				if !at.Before(end) {
					break
				}
				v := inEffect(pol.versions, at)
				if !acked[v.id] {
					acked[v.id] = true
					if err := b.Add(p.id, v.id, at); err != nil {
						return err
					}
					g.res.Acknowledgements++
				}
				next := time.Time{}
				for _, w := range pol.versions {
					if w.material && w.effective.After(at) {
						next = w.effective
						break
					}
				}
				if pol.reack > 0 {
					if r := at.AddDate(0, pol.reack, 0); next.IsZero() || r.Before(next) {
						next = r
					}
				}
				if next.IsZero() {
					break
				}
				pending = next
			}
		}
	}
	return b.Flush()
}

func inEffect(vs []genVersion, at time.Time) genVersion {
	cur := vs[0]
	for _, v := range vs {
		if !v.effective.After(at) {
			cur = v
		}
	}
	return cur
}
