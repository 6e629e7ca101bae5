package scim

import (
	"fmt"
	"net/http"
	"strings"

	lib "github.com/elimity-com/scim"
	scimerr "github.com/elimity-com/scim/errors"
	filter "github.com/scim2/filter-parser/v2"
)

// applyOp applies one PATCH operation (RFC 7644 section 3.5.2) to a
// resource's attributes, which the library has already checked against the
// schema. Paths may name an attribute, a sub-attribute
// ("name.familyName"), an extension's attribute (by its URN), or the
// elements of a multi-valued attribute that match a filter
// ("emails[type eq \"work\"].value").
func applyOp(attrs map[string]any, op lib.PatchOperation) error {
	kind := strings.ToLower(op.Op)
	if op.Path == nil {
		// No path: the value is a set of attributes to add or replace.
		values, ok := op.Value.(map[string]any)
		if !ok || kind == lib.PatchOperationRemove {
			return scimerr.ScimErrorInvalidValue
		}
		for k, v := range values {
			if sub, ok := v.(map[string]any); ok && strings.HasPrefix(strings.ToLower(k), "urn:") {
				target := container(attrs, k)
				for sk, sv := range sub {
					set(target, sk, sv)
				}
				continue
			}
			if strings.Contains(k, ".") && !strings.HasPrefix(strings.ToLower(k), "urn:") { // "name.givenName"
				parent, child, _ := strings.Cut(k, ".")
				set(container(attrs, parent), child, v)
				continue
			}
			set(attrs, k, v)
		}
		return nil
	}

	ap := op.Path.AttributePath
	target := attrs
	if uri := ap.URI(); uri != "" {
		target = container(attrs, uri)
	}
	name := ap.AttributeName
	sub := ap.SubAttributeName()
	if op.Path.ValueExpression != nil {
		return applyFiltered(target, name, op.Path.ValueExpression, op.Path.SubAttributeName(), kind, op.Value)
	}
	if sub != "" {
		target = container(target, name)
		name = sub
	}
	switch kind {
	case lib.PatchOperationRemove:
		del(target, name)
	case lib.PatchOperationAdd:
		if list, ok := op.Value.([]any); ok { // add to a multi-valued attribute
			old, _ := get(target, name).([]any)
			set(target, name, append(old, list...))
			return nil
		}
		if m, ok := op.Value.(map[string]any); ok { // merge into a complex one
			c := container(target, name)
			for k, v := range m {
				set(c, k, v)
			}
			return nil
		}
		set(target, name, op.Value)
	default:
		set(target, name, op.Value)
	}
	return nil
}

// applyFiltered handles a path with a value filter: the elements of the
// multi-valued attribute name that match expr.
func applyFiltered(target map[string]any, name string, expr filter.Expression, sub, kind string, value any) error {
	attr, want, ok := simpleEq(expr)
	if !ok {
		return scimerr.ScimError{ScimType: scimerr.ScimTypeInvalidFilter, Status: http.StatusBadRequest,
			Detail: "A PATCH path's filter must be one comparison with eq, such as emails[type eq \"work\"]."}
	}
	list, _ := get(target, name).([]any)
	var kept []any
	matched := false
	for _, e := range list {
		m, isMap := e.(map[string]any)
		if !isMap || !strings.EqualFold(fmt.Sprint(get(m, attr)), want) {
			kept = append(kept, e)
			continue
		}
		matched = true
		switch {
		case kind == lib.PatchOperationRemove && sub == "":
			continue // drop the element
		case kind == lib.PatchOperationRemove:
			del(m, sub)
		case sub != "":
			set(m, sub, value)
		default:
			if vm, ok := value.(map[string]any); ok {
				for k, v := range vm {
					set(m, k, v)
				}
			}
		}
		kept = append(kept, m)
	}
	if !matched && kind != lib.PatchOperationRemove {
		// Nothing matched: add the element the path describes (what
		// Entra ID expects of emails[type eq "work"].value).
		m := map[string]any{attr: want}
		if sub != "" {
			m[sub] = value
		} else if vm, ok := value.(map[string]any); ok {
			for k, v := range vm {
				m[k] = v
			}
		}
		kept = append(kept, m)
	}
	set(target, name, kept)
	return nil
}

// simpleEq reads a filter of the one form Steward looks up directly:
// attribute eq "value". The attribute comes back lower-cased.
func simpleEq(e filter.Expression) (attr, value string, ok bool) {
	ae, isAttr := e.(*filter.AttributeExpression)
	if !isAttr || ae.Operator != filter.EQ || ae.AttributePath.SubAttribute != nil {
		return "", "", false
	}
	v, isString := ae.CompareValue.(string)
	if !isString {
		return "", "", false
	}
	return strings.ToLower(ae.AttributePath.AttributeName), v, true
}

// container returns the complex attribute name of m, creating it.
func container(m map[string]any, name string) map[string]any {
	if c, ok := get(m, name).(map[string]any); ok {
		return c
	}
	c := map[string]any{}
	set(m, name, c)
	return c
}

// set writes attribute name of m, keeping the key's existing spelling.
func set(m map[string]any, name string, v any) {
	for k := range m {
		if strings.EqualFold(k, name) {
			m[k] = v
			return
		}
	}
	m[name] = v
}

func del(m map[string]any, name string) {
	for k := range m {
		if strings.EqualFold(k, name) {
			delete(m, k)
		}
	}
}
