package scim

import (
	"net/http"
	"strconv"
	"strings"

	lib "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"

	"steward/internal/people"
)

type userHandler struct{ s *Service }

func userVersion(u people.User) string { return versionOf(u.UpdatedAt) }

// resource is the SCIM User for u.
func userResource(u people.User) lib.Resource {
	attrs := lib.ResourceAttributes{
		"userName":    userName(u),
		"displayName": u.Name,
		"name":        map[string]any{"formatted": u.Name},
		"active":      u.Active,
		"emails":      []any{map[string]any{"value": u.Email, "type": "work", "primary": true}},
	}
	ext := map[string]any{}
	if u.Department != "" {
		ext["department"] = u.Department
	}
	if u.EmployeeNumber != "" {
		ext["employeeNumber"] = u.EmployeeNumber
	}
	if u.ManagerID != nil {
		m := map[string]any{"value": strconv.FormatInt(*u.ManagerID, 10)}
		if u.ManagerName != nil {
			m["displayName"] = *u.ManagerName
		}
		ext["manager"] = m
	}
	if len(ext) > 0 {
		attrs[enterpriseURN] = ext
	}
	if u.TeamID != nil {
		g := map[string]any{"value": strconv.FormatInt(*u.TeamID, 10), "type": "direct"}
		if u.TeamName != nil {
			g["display"] = *u.TeamName
		}
		attrs["groups"] = []any{g}
	}
	var ext2 optional.String
	if u.ExternalID != nil {
		ext2 = optional.NewString(*u.ExternalID)
	}
	return lib.Resource{
		ID:         strconv.FormatInt(u.ID, 10),
		ExternalID: ext2,
		Attributes: attrs,
		Meta:       lib.Meta{Created: timePtr(u.CreatedAt), LastModified: timePtr(u.UpdatedAt), Version: userVersion(u)},
	}
}

func userName(u people.User) string {
	if u.UserName != nil {
		return *u.UserName
	}
	return u.Email
}

func (h userHandler) Create(r *http.Request, attrs lib.ResourceAttributes) (lib.Resource, error) {
	p, err := h.s.provisioned(r, attrs)
	if err != nil {
		return lib.Resource{}, err
	}
	u, err := h.s.people.Provision(r.Context(), p, actor(r), h.s.now())
	if err != nil {
		return lib.Resource{}, h.s.fail(err, "")
	}
	return userResource(u), nil
}

func (h userHandler) Get(r *http.Request, id string) (lib.Resource, error) {
	u, err := h.s.people.DirectoryPerson(r.Context(), parseID(id))
	if err != nil {
		return lib.Resource{}, h.s.fail(err, id)
	}
	return userResource(u), nil
}

func (h userHandler) GetAll(r *http.Request, params lib.ListRequestParams) (lib.Page, error) {
	f := people.DirectoryFilter{Offset: max(params.StartIndex, 1) - 1, Limit: min(max(params.Count, 0), maxPage)}
	if params.FilterValidator != nil {
		attr, value, ok := simpleEq(params.FilterValidator.GetFilter())
		switch {
		case ok && attr == "username":
			f.UserName = value
		case ok && attr == "externalid":
			f.ExternalID = value
		default:
			return h.s.filteredUsers(r, params)
		}
	}
	users, total, err := h.s.people.Directory(r.Context(), f)
	if err != nil {
		return lib.Page{}, h.s.fail(err, "")
	}
	page := lib.Page{TotalResults: total, Resources: []lib.Resource{}}
	for _, u := range users {
		page.Resources = append(page.Resources, userResource(u))
	}
	return page, nil
}

// filteredUsers answers any other filter RFC 7644 allows by testing each
// person's resource against it, a page of the directory at a time.
func (s *Service) filteredUsers(r *http.Request, params lib.ListRequestParams) (lib.Page, error) {
	page := lib.Page{Resources: []lib.Resource{}}
	skip, want := max(params.StartIndex, 1)-1, min(max(params.Count, 0), maxPage)
	for off := 0; ; off += 500 {
		users, _, err := s.people.Directory(r.Context(), people.DirectoryFilter{Offset: off, Limit: 500})
		if err != nil {
			return lib.Page{}, s.fail(err, "")
		}
		for _, u := range users {
			res := userResource(u)
			full := map[string]any(res.Attributes)
			full["id"] = res.ID
			if res.ExternalID.Present() {
				full["externalId"] = res.ExternalID.Value()
			}
			if params.FilterValidator.PassesFilter(full) != nil {
				continue
			}
			page.TotalResults++
			if skip > 0 {
				skip--
				continue
			}
			if len(page.Resources) < want {
				page.Resources = append(page.Resources, res)
			}
		}
		if len(users) < 500 {
			return page, nil
		}
	}
}

func (h userHandler) Replace(r *http.Request, id string, attrs lib.ResourceAttributes) (lib.Resource, error) {
	p, err := h.s.provisioned(r, attrs)
	if err != nil {
		return lib.Resource{}, err
	}
	u, err := h.s.people.Reprovision(r.Context(), parseID(id), p, actor(r), h.s.now())
	if err != nil {
		return lib.Resource{}, h.s.fail(err, id)
	}
	return userResource(u), nil
}

func (h userHandler) Delete(r *http.Request, id string) error {
	return h.s.fail(h.s.people.Deprovision(r.Context(), parseID(id), actor(r), h.s.now()), id)
}

// Patch applies the operations to the person's resource as it is, in
// order, then writes the result as a whole: every operation or none.
func (h userHandler) Patch(r *http.Request, id string, ops []lib.PatchOperation) (lib.Resource, error) {
	u, err := h.s.people.DirectoryPerson(r.Context(), parseID(id))
	if err != nil {
		return lib.Resource{}, h.s.fail(err, id)
	}
	res := userResource(u)
	attrs := map[string]any(res.Attributes)
	if res.ExternalID.Present() {
		attrs["externalId"] = res.ExternalID.Value()
	}
	for _, op := range ops {
		if err := applyOp(attrs, op); err != nil {
			return lib.Resource{}, err
		}
	}
	p, err := h.s.provisioned(r, attrs)
	if err != nil {
		return lib.Resource{}, err
	}
	u, err = h.s.people.Reprovision(r.Context(), u.ID, p, actor(r), h.s.now())
	if err != nil {
		return lib.Resource{}, h.s.fail(err, id)
	}
	return userResource(u), nil
}

// provisioned reads what Steward keeps of a SCIM User: the userName, an
// email (the primary or work one, else the userName when it is an
// address), a name (name.formatted, else displayName, else given and
// family names), whether active (default true), the directory's id, and
// from the enterprise extension the department, employee number and
// manager. Everything else a directory sends (phone numbers, addresses,
// passwords, …) is not stored: Steward keeps what it needs.
func (s *Service) provisioned(r *http.Request, attrs map[string]any) (people.Provisioned, error) {
	p := people.Provisioned{Active: true}
	p.UserName = str(get(attrs, "userName"))
	p.Email = primaryEmail(get(attrs, "emails"))
	if p.Email == "" && strings.Contains(p.UserName, "@") {
		p.Email = p.UserName
	}
	if p.Email == "" {
		return p, invalid("Steward needs each person's email: send emails with a primary or work address, or a userName that is an email address.")
	}
	name, _ := get(attrs, "name").(map[string]any)
	p.Name = strings.TrimSpace(str(get(name, "formatted")))
	if p.Name == "" {
		p.Name = strings.TrimSpace(str(get(attrs, "displayName")))
	}
	if p.Name == "" {
		p.Name = strings.TrimSpace(str(get(name, "givenName")) + " " + str(get(name, "familyName")))
	}
	if p.Name == "" {
		p.Name = p.UserName
	}
	if a := get(attrs, "active"); a != nil {
		switch v := a.(type) {
		case bool:
			p.Active = v
		case string: // Entra ID has sent "True" and "False"
			b, err := strconv.ParseBool(strings.ToLower(v))
			if err != nil {
				return p, invalid("active must be true or false, not %q.", v)
			}
			p.Active = b
		default:
			return p, invalid("active must be true or false.")
		}
	}
	p.ExternalID = str(get(attrs, "externalId"))
	ext, _ := get(attrs, enterpriseURN).(map[string]any)
	p.Department = str(get(ext, "department"))
	p.EmployeeNumber = str(get(ext, "employeeNumber"))
	var managerRef string
	switch m := get(ext, "manager").(type) {
	case map[string]any:
		managerRef = str(get(m, "value"))
	case string: // Entra ID sends the manager's id alone
		managerRef = m
	}
	if managerRef = strings.TrimSpace(managerRef); managerRef != "" {
		mid := parseID(managerRef)
		if _, err := s.people.Get(r.Context(), mid); err != nil {
			return p, invalid("The manager %q is not a person Steward knows: send the manager's SCIM id, and provision the manager first.", clip(managerRef))
		}
		p.ManagerID = &mid
	}
	return p, nil
}

func primaryEmail(v any) string {
	list, _ := v.([]any)
	var first, work string
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		addr := strings.TrimSpace(str(get(m, "value")))
		if addr == "" {
			continue
		}
		if p, _ := get(m, "primary").(bool); p {
			return addr
		}
		if strings.EqualFold(str(get(m, "type")), "work") && work == "" {
			work = addr
		}
		if first == "" {
			first = addr
		}
	}
	if work != "" {
		return work
	}
	return first
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// get reads attribute name of m, compared without case as SCIM says.
func get(m map[string]any, name string) any {
	if m == nil {
		return nil
	}
	if v, ok := m[name]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}
