package scim

import (
	"net/http"
	"strconv"
	"strings"

	lib "github.com/elimity-com/scim"
	scimerr "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"

	"steward/internal/people"
)

type groupHandler struct{ s *Service }

func teamVersion(t people.DirectoryTeam) string { return versionOf(t.Modified()) }

func groupResource(t people.DirectoryTeam) lib.Resource {
	members := []any{}
	for _, m := range t.Members {
		members = append(members, map[string]any{"value": strconv.FormatInt(m, 10), "type": "User"})
	}
	var ext optional.String
	if t.ExternalID != nil {
		ext = optional.NewString(*t.ExternalID)
	}
	return lib.Resource{
		ID:         strconv.FormatInt(t.ID, 10),
		ExternalID: ext,
		Attributes: lib.ResourceAttributes{"displayName": t.Name, "members": members},
		Meta:       lib.Meta{Created: timePtr(t.CreatedAt), LastModified: timePtr(t.Modified()), Version: teamVersion(t)},
	}
}

// memberIDs reads a members list ([{"value": "12"}, …]).
func memberIDs(v any) ([]int64, error) {
	list, _ := v.([]any)
	var ids []int64
	for _, e := range list {
		m, _ := e.(map[string]any)
		ref := str(get(m, "value"))
		id := parseID(ref)
		if id == 0 {
			return nil, invalid("The member %q is not a person's SCIM id.", clip(ref))
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (h groupHandler) Create(r *http.Request, attrs lib.ResourceAttributes) (lib.Resource, error) {
	members, err := memberIDs(get(attrs, "members"))
	if err != nil {
		return lib.Resource{}, err
	}
	t, err := h.s.people.ProvisionTeam(r.Context(), str(get(attrs, "displayName")), str(get(attrs, "externalId")), members, actor(r), h.s.now())
	if err != nil {
		return lib.Resource{}, h.s.fail(err, "")
	}
	return groupResource(t), nil
}

func (h groupHandler) Get(r *http.Request, id string) (lib.Resource, error) {
	t, err := h.s.people.DirectoryTeam(r.Context(), parseID(id))
	if err != nil {
		return lib.Resource{}, h.s.fail(err, id)
	}
	return groupResource(t), nil
}

func (h groupHandler) GetAll(r *http.Request, params lib.ListRequestParams) (lib.Page, error) {
	f := people.DirectoryTeamFilter{Offset: max(params.StartIndex, 1) - 1, Limit: min(max(params.Count, 0), maxPage)}
	if params.FilterValidator != nil {
		attr, value, ok := simpleEq(params.FilterValidator.GetFilter())
		switch {
		case ok && attr == "displayname":
			f.Name = value
		case ok && attr == "externalid":
			f.ExternalID = value
		default:
			return lib.Page{}, scimerr.ScimError{ScimType: scimerr.ScimTypeInvalidFilter, Status: http.StatusBadRequest,
				Detail: "Groups can be filtered by displayName eq \"…\" or externalId eq \"…\"."}
		}
	}
	teams, total, err := h.s.people.DirectoryTeams(r.Context(), f)
	if err != nil {
		return lib.Page{}, h.s.fail(err, "")
	}
	page := lib.Page{TotalResults: total, Resources: []lib.Resource{}}
	for _, t := range teams {
		page.Resources = append(page.Resources, groupResource(t))
	}
	return page, nil
}

func (h groupHandler) Replace(r *http.Request, id string, attrs lib.ResourceAttributes) (lib.Resource, error) {
	members, err := memberIDs(get(attrs, "members"))
	if err != nil {
		return lib.Resource{}, err
	}
	name, ext := str(get(attrs, "displayName")), str(get(attrs, "externalId"))
	t, err := h.s.people.ChangeTeam(r.Context(), parseID(id), people.TeamChange{Name: &name, ExternalID: &ext, SetMembers: members, Replace: true}, actor(r), h.s.now())
	if err != nil {
		return lib.Resource{}, h.s.fail(err, id)
	}
	return groupResource(t), nil
}

func (h groupHandler) Delete(r *http.Request, id string) error {
	return h.s.fail(h.s.people.DeprovisionTeam(r.Context(), parseID(id), actor(r), h.s.now()), id)
}

// Patch turns the operations into one change of the team: its name, its
// externalId, members added, removed or replaced, as Entra ID and Okta
// send them (Entra removes members with a value list, Okta with a filter).
func (h groupHandler) Patch(r *http.Request, id string, ops []lib.PatchOperation) (lib.Resource, error) {
	var ch people.TeamChange
	for _, op := range ops {
		kind := strings.ToLower(op.Op)
		if op.Path == nil {
			values, ok := op.Value.(map[string]any)
			if !ok {
				return lib.Resource{}, scimerr.ScimErrorInvalidValue
			}
			for k, v := range values {
				switch strings.ToLower(k) {
				case "displayname":
					n := str(v)
					ch.Name = &n
				case "externalid":
					e := str(v)
					ch.ExternalID = &e
				case "members":
					if err := patchMembers(&ch, kind, v); err != nil {
						return lib.Resource{}, err
					}
				}
			}
			continue
		}
		switch strings.ToLower(op.Path.AttributePath.AttributeName) {
		case "displayname":
			n := str(op.Value)
			ch.Name = &n
		case "externalid":
			e := str(op.Value)
			ch.ExternalID = &e
		case "members":
			if op.Path.ValueExpression != nil {
				attr, value, ok := simpleEq(op.Path.ValueExpression)
				if !ok || attr != "value" || kind != "remove" {
					return lib.Resource{}, scimerr.ScimErrorInvalidPath
				}
				mid := parseID(value)
				if mid == 0 {
					return lib.Resource{}, invalid("The member %q is not a person's SCIM id.", clip(value))
				}
				ch.Remove = append(ch.Remove, mid)
				ch.Add = without(ch.Add, mid)
				continue
			}
			if kind == "remove" && op.Value == nil { // every member
				ch.Replace, ch.SetMembers, ch.Add = true, nil, nil
				continue
			}
			if err := patchMembers(&ch, kind, op.Value); err != nil {
				return lib.Resource{}, err
			}
		default:
			return lib.Resource{}, scimerr.ScimErrorInvalidPath
		}
	}
	t, err := h.s.people.ChangeTeam(r.Context(), parseID(id), ch, actor(r), h.s.now())
	if err != nil {
		return lib.Resource{}, h.s.fail(err, id)
	}
	return groupResource(t), nil
}

func patchMembers(ch *people.TeamChange, kind string, v any) error {
	ids, err := memberIDs(v)
	if err != nil {
		return err
	}
	switch kind {
	case "add":
		for _, id := range ids {
			ch.Add = append(ch.Add, id)
			ch.Remove = without(ch.Remove, id)
		}
	case "remove":
		for _, id := range ids {
			ch.Remove = append(ch.Remove, id)
			ch.Add = without(ch.Add, id)
		}
	default: // replace
		ch.Replace, ch.SetMembers, ch.Add, ch.Remove = true, ids, nil, nil
	}
	return nil
}

func without(ids []int64, id int64) []int64 {
	out := ids[:0:0]
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}
