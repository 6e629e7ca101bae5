package handlers

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"steward/internal/audit"
	"steward/internal/people"
	"steward/internal/reminders"
	"steward/internal/reports"
	"steward/internal/tokens"
	"steward/internal/validator"
)

// personForm is the add/edit form for a person.
type personForm struct {
	Email        string
	Name         string
	Role         string
	TeamID       string
	ManagerEmail string
	HiredOn      string
	Invite       bool // adding: email them an invitation at once
	validator.Validator
}

func personFormOf(u people.User) personForm {
	f := personForm{Email: u.Email, Name: u.Name, Role: string(u.Role)}
	if u.TeamID != nil {
		f.TeamID = strconv.FormatInt(*u.TeamID, 10)
	}
	if u.ManagerEmail != nil {
		f.ManagerEmail = *u.ManagerEmail
	}
	if u.HiredOn != nil {
		f.HiredOn = u.HiredOn.Format(time.DateOnly)
	}
	return f
}

func readPersonForm(c *fiber.Ctx) personForm {
	return personForm{
		Email:        people.NormalizeEmail(c.FormValue("email")),
		Name:         strings.TrimSpace(c.FormValue("name")),
		Role:         c.FormValue("role"),
		TeamID:       c.FormValue("team_id"),
		ManagerEmail: people.NormalizeEmail(c.FormValue("manager_email")),
		HiredOn:      strings.TrimSpace(c.FormValue("hired_on")),
		Invite:       c.FormValue("invite") != "",
	}
}

// input validates the form and resolves the manager's email to an id.
func (s *Server) personInput(c *fiber.Ctx, f *personForm) people.Input {
	in := people.Input{Email: f.Email, Name: f.Name, Role: people.Role(f.Role)}
	for field, msg := range in.Problems() {
		f.AddFieldError(field, msg)
	}
	if f.TeamID != "" {
		id, err := strconv.ParseInt(f.TeamID, 10, 64)
		if err != nil {
			f.AddFieldError("team_id", "Choose a team from the list.")
		} else if _, err := s.people.Team(c.UserContext(), id); err != nil {
			f.AddFieldError("team_id", "That team does not exist.")
		} else {
			in.TeamID = &id
		}
	}
	if f.ManagerEmail != "" {
		m, err := s.people.ByEmail(c.UserContext(), f.ManagerEmail)
		if err != nil {
			f.AddFieldError("manager_email", "Nobody in Steward has this email.")
		} else {
			in.ManagerID = &m.ID
		}
	}
	if f.HiredOn != "" {
		d, err := time.Parse(time.DateOnly, f.HiredOn)
		if err != nil {
			f.AddFieldError("hired_on", "Enter a date like 2026-01-31.")
		} else {
			in.HiredOn = &d
		}
	}
	return in
}

// fieldOf says which form field a domain error belongs beside.
func fieldOf(err error) (string, string, bool) {
	switch {
	case errors.Is(err, people.ErrDuplicateEmail):
		return "email", "Someone in Steward already has this email.", true
	case errors.Is(err, people.ErrManagerCycle):
		return "manager_email", "This person is above them in the reporting line; choose someone else.", true
	case errors.Is(err, people.ErrUnknownManager):
		return "manager_email", "Nobody in Steward has this email.", true
	case errors.Is(err, people.ErrUnknownTeam):
		return "team_id", "That team does not exist.", true
	case errors.Is(err, people.ErrLastAdmin):
		return "role", "This is the last active admin; make someone else an admin first.", true
	}
	return "", "", false
}

func (s *Server) peopleFormPage(c *fiber.Ctx, status int, title string, f personForm, person *people.User) error {
	teams, err := s.people.Teams(c.UserContext())
	if err != nil {
		return err
	}
	var sessions []people.Session
	var identities []people.Identity
	if person != nil {
		if sessions, err = s.people.Sessions(c.UserContext(), person.ID); err != nil {
			return err
		}
		if identities, err = s.people.Identities(c.UserContext(), person.ID); err != nil {
			return err
		}
	}
	return s.renderPage(c, status, "people/form", &personFormPage{layout: layout{Title: title}, Form: f, Teams: teams, Roles: people.Roles,
		Person: person, Sessions: len(sessions), Identities: identities, InviteFor: s.tokens.Lifetime(tokens.PurposeInvite)})
}

// personFormPage is the data of people/form.html: adding a person, or
// editing one (Person set).
type personFormPage struct {
	layout
	Form       personForm
	Teams      []people.Team
	Roles      []people.Role
	Person     *people.User      // nil when adding
	Sessions   int               // the person's open sessions
	Identities []people.Identity // their single sign-on identities
	InviteFor  string            // how long an invitation works: "7 days"
}

func (s *Server) peopleList(c *fiber.Ctx) error {
	page := max(c.QueryInt("page", 1), 1)
	f := people.Filter{Query: c.Query("q"), Role: people.Role(c.Query("role")), Status: c.Query("status"), Limit: 50, Offset: (page - 1) * 50}
	if len(f.Query) > 200 {
		return fiber.NewError(fiber.StatusBadRequest, "The search is too long; use at most 200 characters.")
	}
	if f.Role != "" && !f.Role.Valid() {
		return fiber.NewError(fiber.StatusBadRequest, "Unknown role in the filter.")
	}
	if !validator.PermittedValue(f.Status, "", "active", "inactive", "all") {
		return fiber.NewError(fiber.StatusBadRequest, "Unknown status in the filter.")
	}
	if t := c.Query("team"); t != "" {
		id, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return fiber.NewError(fiber.StatusBadRequest, "Unknown team in the filter.")
		}
		f.TeamID = id
	}
	users, total, err := s.people.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	teams, err := s.people.Teams(c.UserContext())
	if err != nil {
		return err
	}
	q := url.Values{"q": {f.Query}, "role": {string(f.Role)}, "status": {f.Status}}
	if f.TeamID != 0 {
		q.Set("team", strconv.FormatInt(f.TeamID, 10))
	}
	return s.renderPage(c, fiber.StatusOK, "people/list", &peopleListPage{
		layout: layout{Title: "People"}, People: users, Total: total, Teams: teams, Roles: people.Roles,
		Filter: f, TeamFilter: c.Query("team"), Pager: pageLinks("/admin/people", q, page, page*50 < total, ""),
	})
}

// peopleListPage is the data of people/list.html.
type peopleListPage struct {
	layout
	People     []people.User // this page of them
	Total      int           // matching the filter, on every page
	Teams      []people.Team
	Roles      []people.Role
	Filter     people.Filter
	TeamFilter string // the team asked for, to keep it selected
	Pager      pager
}

func (s *Server) personNewForm(c *fiber.Ctx) error {
	return s.peopleFormPage(c, fiber.StatusOK, "Add a person", personForm{Role: string(people.RoleEmployee), Invite: true}, nil)
}

func (s *Server) personCreate(c *fiber.Ctx) error {
	f := readPersonForm(c)
	in := s.personInput(c, &f)
	if v := c.FormValue("invite"); v != "" && v != "yes" {
		f.AddFieldError("invite", "Tick the box to send an invitation, or leave it empty.")
	}
	if !f.Valid() {
		return s.peopleFormPage(c, fiber.StatusUnprocessableEntity, "Add a person", f, nil)
	}
	u := currentUser(c)
	now := s.now()
	id, err := s.people.Create(c.UserContext(), in, audit.UserActor(u.ID), now)
	if field, msg, ok := fieldOf(err); ok {
		f.AddFieldError(field, msg)
		return s.peopleFormPage(c, fiber.StatusUnprocessableEntity, "Add a person", f, nil)
	}
	if err != nil {
		return err
	}
	if f.Invite {
		err := s.db.Tx(c.UserContext(), func(tx *sqlxTx) error {
			if _, err := s.tokens.IssueInvite(c.UserContext(), tx, id, u.Name, now); err != nil {
				return err
			}
			return audit.Record(c.UserContext(), tx, audit.UserActor(u.ID).Entry(now, "user.invite", "user:"+strconv.FormatInt(id, 10), ""))
		})
		if err != nil {
			return err
		}
		s.flash(c, fmt.Sprintf("%s has been added, and an invitation to choose a password is on its way to %s (the link works for %s).",
			in.Name, in.Email, s.tokens.Lifetime(tokens.PurposeInvite)))
		return c.Redirect("/admin/people/"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
	}
	s.flash(c, fmt.Sprintf("%s has been added.", in.Name))
	return c.Redirect("/admin/people/"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
}

func (s *Server) personByParam(c *fiber.Ctx) (people.User, error) {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return people.User{}, fiber.NewError(fiber.StatusNotFound, "We could not find that person.")
	}
	return s.people.Get(c.UserContext(), int64(id))
}

func (s *Server) personEditForm(c *fiber.Ctx) error {
	p, err := s.personByParam(c)
	if err != nil {
		return err
	}
	return s.peopleFormPage(c, fiber.StatusOK, p.Name, personFormOf(p), &p)
}

func (s *Server) personUpdate(c *fiber.Ctx) error {
	p, err := s.personByParam(c)
	if err != nil {
		return err
	}
	f := readPersonForm(c)
	in := s.personInput(c, &f)
	if !f.Valid() {
		return s.peopleFormPage(c, fiber.StatusUnprocessableEntity, p.Name, f, &p)
	}
	err = s.people.Update(c.UserContext(), p.ID, in, audit.UserActor(currentUser(c).ID), s.now())
	if errors.Is(err, people.ErrManaged) {
		return errManaged(p)
	}
	if field, msg, ok := fieldOf(err); ok {
		f.AddFieldError(field, msg)
		return s.peopleFormPage(c, fiber.StatusUnprocessableEntity, p.Name, f, &p)
	}
	if err != nil {
		return err
	}
	s.flash(c, "Saved.")
	return c.Redirect("/admin/people/"+strconv.FormatInt(p.ID, 10), fiber.StatusSeeOther)
}

func (s *Server) setActive(c *fiber.Ctx, active bool) error {
	p, err := s.personByParam(c)
	if err != nil {
		return err
	}
	me := currentUser(c)
	if !active && p.ID == me.ID {
		return fiber.NewError(fiber.StatusConflict, "You cannot deactivate yourself.")
	}
	err = s.people.SetActive(c.UserContext(), p.ID, active, audit.UserActor(me.ID), s.now())
	if errors.Is(err, people.ErrManaged) {
		return errManaged(p)
	}
	if err != nil {
		return err
	}
	if active {
		s.flash(c, p.Name+" is active again.")
	} else {
		s.flash(c, p.Name+" has been deactivated. Their training and acknowledgement records are kept.")
	}
	return c.Redirect("/admin/people/"+strconv.FormatInt(p.ID, 10), fiber.StatusSeeOther)
}

func errManaged(p people.User) error {
	return fiber.NewError(fiber.StatusConflict, p.Name+" is managed by your company directory through SCIM: their name, email, team, manager and whether they are active change there, and Steward follows. Here you can change their role and start date.")
}

func (s *Server) personDeactivate(c *fiber.Ctx) error { return s.setActive(c, false) }
func (s *Server) personReactivate(c *fiber.Ctx) error { return s.setActive(c, true) }

func (s *Server) teamsList(c *fiber.Ctx) error {
	return s.teamsPage(c, fiber.StatusOK, "", nil)
}

func (s *Server) teamsPage(c *fiber.Ctx, status int, name string, v *validator.Validator) error {
	teams, err := s.people.Teams(c.UserContext())
	if err != nil {
		return err
	}
	if v == nil {
		v = &validator.Validator{}
	}
	return s.renderPage(c, status, "people/teams", &teamsListPage{layout: layout{Title: "Teams"}, Teams: teams, Name: name, Form: *v})
}

// teamsListPage is the data of people/teams.html.
type teamsListPage struct {
	layout
	Teams []people.Team
	Name  string // the new team's name, kept when it is refused
	Form  validator.Validator
}

func checkTeamName(v *validator.Validator, name string) {
	v.Check(validator.NotBlank(name), "name", "Enter a team name.")
	v.Check(validator.MaxChars(name, 100), "name", "Use at most 100 characters.")
}

func (s *Server) teamCreate(c *fiber.Ctx) error {
	name := strings.TrimSpace(c.FormValue("name"))
	var v validator.Validator
	checkTeamName(&v, name)
	if v.Valid() {
		_, err := s.people.CreateTeam(c.UserContext(), name, audit.UserActor(currentUser(c).ID), s.now())
		if errors.Is(err, people.ErrDuplicateTeam) {
			v.AddFieldError("name", "There is already a team with this name.")
		} else if err != nil {
			return err
		}
	}
	if !v.Valid() {
		return s.teamsPage(c, fiber.StatusUnprocessableEntity, name, &v)
	}
	s.flash(c, "Team "+name+" created.")
	return c.Redirect("/admin/teams", fiber.StatusSeeOther)
}

func (s *Server) teamRename(c *fiber.Ctx) error {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return fiber.NewError(fiber.StatusNotFound, "We could not find that team.")
	}
	name := strings.TrimSpace(c.FormValue("name"))
	var v validator.Validator
	checkTeamName(&v, name)
	if !v.Valid() {
		return s.teamsPage(c, fiber.StatusUnprocessableEntity, "", &v)
	}
	err = s.people.RenameTeam(c.UserContext(), int64(id), name, audit.UserActor(currentUser(c).ID), s.now())
	switch {
	case errors.Is(err, people.ErrNotFound):
		return fiber.NewError(fiber.StatusNotFound, "We could not find that team.")
	case errors.Is(err, people.ErrDuplicateTeam):
		v.AddFormError("There is already a team called " + name + ".")
		return s.teamsPage(c, fiber.StatusUnprocessableEntity, "", &v)
	case err != nil:
		return err
	}
	s.flash(c, "Team renamed to "+name+".")
	return c.Redirect("/admin/teams", fiber.StatusSeeOther)
}

func (s *Server) importForm(c *fiber.Ctx) error {
	return s.renderPage(c, fiber.StatusOK, "people/import", &importPage{layout: layout{Title: "Import a roster"}, Columns: people.RosterColumns, SCIM: s.cfg.SCIM(),
		InviteFor: s.tokens.Lifetime(tokens.PurposeInvite)})
}

// importPage is the data of people/import.html: the upload form, and what
// was wrong with the last file.
type importPage struct {
	layout
	Columns  []string
	SCIM     bool   // the directory provisions people: no import
	Error    string // no file
	Problems []people.RowError
	FileName string
	// InviteFor is how long an invitation works: "7 days".
	InviteFor string
}

// errDirectorySource refuses the roster import where the directory
// provisions people.
var errDirectorySource = fiber.NewError(fiber.StatusConflict,
	"People come from your company directory through SCIM (STEWARD_PEOPLE_SOURCE=scim), so the roster import is off: change people in the directory.")

// importRoster takes a roster CSV upload and imports all of it or none.
func (s *Server) importRoster(c *fiber.Ctx) error {
	if s.cfg.SCIM() {
		return errDirectorySource
	}
	if v := c.FormValue("invite"); v != "" && v != "yes" {
		return fiber.NewError(fiber.StatusBadRequest, "Tick the box to invite the people added, or leave it empty; nothing was imported.")
	}
	fh, err := c.FormFile("roster")
	if err != nil {
		return s.renderPage(c, fiber.StatusUnprocessableEntity, "people/import", &importPage{
			layout: layout{Title: "Import a roster"}, Columns: people.RosterColumns, Error: "Choose a CSV file to import."})
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := people.ParseRoster(io.LimitReader(f, 8<<20))
	var res people.ImportResult
	if err == nil {
		res, err = s.people.Import(c.UserContext(), rows, audit.UserActor(currentUser(c).ID), s.now())
	}
	var re *people.RosterError
	if errors.As(err, &re) {
		return s.renderPage(c, fiber.StatusUnprocessableEntity, "people/import", &importPage{
			layout: layout{Title: "Import a roster"}, Columns: people.RosterColumns, Problems: re.Problems, FileName: fh.Filename})
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Roster imported: %d added, %d updated, %d unchanged, %d new teams.",
		res.Created, res.Updated, res.Unchanged, res.TeamsCreated)
	if c.FormValue("invite") != "" {
		n, err := s.invitePending(c)
		if err != nil {
			return err
		}
		msg += " " + invitedMessage(n, s.tokens.Lifetime(tokens.PurposeInvite))
	} else {
		msg += " To email the people added an invitation, use \"Invite everyone without a password\" below."
	}
	s.flash(c, msg)
	return c.Redirect("/admin/people/import", fiber.StatusSeeOther)
}

// invitePending invites everyone who has no password yet and no
// invitation that still works (tokens.InvitePending), each with an
// audit entry; it returns how many.
func (s *Server) invitePending(c *fiber.Ctx) (int, error) {
	me := currentUser(c)
	now := s.now()
	var n int
	err := s.db.Tx(c.UserContext(), func(tx *sqlxTx) error {
		ids, err := s.tokens.InvitePending(c.UserContext(), tx, me.Name, now)
		if err != nil {
			return err
		}
		n = len(ids)
		for _, id := range ids {
			if err := audit.Record(c.UserContext(), tx, audit.UserActor(me.ID).Entry(now, "user.invite", "user:"+strconv.FormatInt(id, 10), "not yet signed in")); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

func invitedMessage(n int, lifetime string) string {
	if n == 0 {
		return "Nobody needed an invitation: everyone has a password or an invitation that still works."
	}
	return fmt.Sprintf("Invitations are on their way to %s without a password (each link works for %s).", personCount(n), lifetime)
}

// inviteEveryone invites everyone not yet signed in: the button on the
// import page.
func (s *Server) inviteEveryone(c *fiber.Ctx) error {
	if s.cfg.SCIM() {
		return errDirectorySource
	}
	n, err := s.invitePending(c)
	if err != nil {
		return err
	}
	s.flash(c, invitedMessage(n, s.tokens.Lifetime(tokens.PurposeInvite)))
	return c.Redirect("/admin/people/import", fiber.StatusSeeOther)
}

// teamLine shows a manager everyone in their reporting line.
func (s *Server) teamLine(c *fiber.Ctx) error {
	u := currentUser(c)
	line, err := s.people.ReportingLine(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "people/team", fiber.Map{"Title": "My team", "People": line})
}

// inScope loads a person the signed-in manager may see: someone in their
// line (admins see everyone). Anyone else is a 404, and the attempt is
// audited, so probing for people outside one's line leaves a trace.
func (s *Server) inScope(c *fiber.Ctx, id int64) (people.User, error) {
	me := currentUser(c)
	notFound := fiber.NewError(fiber.StatusNotFound, "We could not find that person in your reporting line.")
	if me.Role != people.RoleAdmin {
		ok, err := s.people.InLine(c.UserContext(), me.ID, id)
		if err != nil {
			return people.User{}, err
		}
		if !ok {
			return people.User{}, s.notInLine(c, id)
		}
	}
	p, err := s.people.Get(c.UserContext(), id)
	if errors.Is(err, people.ErrNotFound) {
		return people.User{}, notFound
	}
	return p, err
}

// notInLine logs and audits a request for a person outside the caller's
// reporting line, and answers it as if there were no such person.
func (s *Server) notInLine(c *fiber.Ctx, id int64) error {
	s.log.Warn("out-of-scope person requested", "user_id", currentUser(c).ID, "person_id", id, "path", c.Path())
	if err := s.recordDenied(c, id); err != nil {
		s.log.Error("audit denied access", "err", err)
	}
	return fiber.NewError(fiber.StatusNotFound, "We could not find that person in your reporting line.")
}

func (s *Server) recordDenied(c *fiber.Ctx, id int64) error {
	me := currentUser(c)
	return s.db.Tx(c.UserContext(), func(tx *sqlxTx) error {
		return audit.Record(c.UserContext(), tx, audit.UserActor(me.ID).Entry(s.now(), "access.denied",
			"user:"+strconv.FormatInt(id, 10), c.Method()+" "+c.Path()))
	})
}

func (s *Server) teamPerson(c *fiber.Ctx) error {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return fiber.NewError(fiber.StatusNotFound, "We could not find that person in your reporting line.")
	}
	p, err := s.inScope(c, int64(id))
	if err != nil {
		return err
	}
	now := s.now()
	h, err := s.reports().History(c.UserContext(), p.ID, now)
	if err != nil {
		return err
	}
	sent, err := reminders.RemindedToday(c.UserContext(), s.db, p.ID, now)
	if err != nil {
		return err
	}
	// Per course, when today's reminder was queued: a second one today
	// would be a no-op, so the page says so instead of offering it.
	reminded := map[string]string{}
	for slug, at := range sent {
		reminded[slug] = at.Format("15:04 UTC")
	}
	return s.renderPage(c, fiber.StatusOK, "people/person", &personPage{layout: layout{Title: p.Name}, Person: p, History: h, Reminded: reminded})
}

// personPage is the data of people/person.html, a manager's view of one
// person in their line.
type personPage struct {
	layout
	Person   people.User
	History  *reports.History
	Reminded map[string]string // course slug: when today's reminder was queued
}
