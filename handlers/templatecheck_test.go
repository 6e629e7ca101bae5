package handlers

import (
	"fmt"
	"html/template"
	"reflect"
	"slices"
	"text/template/parse"
)

// fieldChecker reads a template's parse tree against the Go type of its
// data and reports every field or method it names that the type lacks, in
// every branch, including those no example data reaches. Where the type
// cannot be known (a map from dict, a function's result it cannot see, an
// interface) it checks nothing further down that path.
type fieldChecker struct {
	set   *template.Template
	funcs template.FuncMap
	seen  map[string]bool // template and type already checked
	errs  []string
}

func newFieldChecker(set *template.Template, funcs template.FuncMap) *fieldChecker {
	return &fieldChecker{set: set, funcs: funcs, seen: map[string]bool{}}
}

// check walks template name with dot of type t.
func (fc *fieldChecker) check(name string, t reflect.Type) {
	key := fmt.Sprintf("%s %v", name, t)
	if fc.seen[key] {
		return
	}
	fc.seen[key] = true
	tmpl := fc.set.Lookup(name)
	if tmpl == nil || tmpl.Tree == nil {
		fc.errs = append(fc.errs, fmt.Sprintf("no template %q", name))
		return
	}
	fc.list(tmpl.Tree, tmpl.Tree.Root, t, map[string]reflect.Type{"$": t})
}

func (fc *fieldChecker) list(tree *parse.Tree, l *parse.ListNode, dot reflect.Type, vars map[string]reflect.Type) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		fc.node(tree, n, dot, vars)
	}
}

// scope is a copy of vars for a nested block, whose declarations end with it.
func scope(vars map[string]reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type, len(vars))
	for k, v := range vars {
		out[k] = v
	}
	return out
}

func (fc *fieldChecker) node(tree *parse.Tree, n parse.Node, dot reflect.Type, vars map[string]reflect.Type) {
	switch n := n.(type) {
	case *parse.ActionNode:
		fc.pipe(tree, n.Pipe, dot, vars)
	case *parse.IfNode:
		inner := scope(vars)
		fc.pipe(tree, n.Pipe, dot, inner)
		fc.list(tree, n.List, dot, inner)
		fc.list(tree, n.ElseList, dot, scope(vars))
	case *parse.WithNode:
		inner := scope(vars)
		t := fc.pipe(tree, n.Pipe, dot, inner)
		fc.list(tree, n.List, t, inner)
		fc.list(tree, n.ElseList, dot, scope(vars))
	case *parse.RangeNode:
		inner := scope(vars)
		key, elem := elemTypes(fc.pipeValue(tree, n.Pipe, dot, inner))
		switch len(n.Pipe.Decl) {
		case 1:
			inner[n.Pipe.Decl[0].Ident[0]] = elem
		case 2:
			inner[n.Pipe.Decl[0].Ident[0]] = key
			inner[n.Pipe.Decl[1].Ident[0]] = elem
		}
		fc.list(tree, n.List, elem, inner)
		fc.list(tree, n.ElseList, dot, scope(vars))
	case *parse.TemplateNode:
		var t reflect.Type // no pipeline: the template's dot is nil
		if n.Pipe != nil {
			t = fc.pipe(tree, n.Pipe, dot, vars)
		}
		fc.check(n.Name, t)
	}
}

// pipe checks a pipeline, records the variables it declares and returns
// the type of its value (nil when unknown).
func (fc *fieldChecker) pipe(tree *parse.Tree, p *parse.PipeNode, dot reflect.Type, vars map[string]reflect.Type) reflect.Type {
	t := fc.pipeValue(tree, p, dot, vars)
	for _, d := range p.Decl {
		vars[d.Ident[0]] = t
	}
	return t
}

func (fc *fieldChecker) pipeValue(tree *parse.Tree, p *parse.PipeNode, dot reflect.Type, vars map[string]reflect.Type) reflect.Type {
	var t reflect.Type
	for _, cmd := range p.Cmds {
		t = fc.command(tree, cmd, dot, vars)
	}
	return t
}

func (fc *fieldChecker) command(tree *parse.Tree, cmd *parse.CommandNode, dot reflect.Type, vars map[string]reflect.Type) reflect.Type {
	for _, arg := range cmd.Args[1:] {
		fc.arg(tree, arg, dot, vars)
	}
	return fc.arg(tree, cmd.Args[0], dot, vars)
}

// arg checks one operand and returns its type.
func (fc *fieldChecker) arg(tree *parse.Tree, n parse.Node, dot reflect.Type, vars map[string]reflect.Type) reflect.Type {
	switch n := n.(type) {
	case *parse.DotNode:
		return dot
	case *parse.FieldNode:
		return fc.chain(tree, n, dot, n.Ident)
	case *parse.VariableNode:
		return fc.chain(tree, n, vars[n.Ident[0]], n.Ident[1:])
	case *parse.ChainNode:
		return fc.chain(tree, n, fc.arg(tree, n.Node, dot, vars), n.Field)
	case *parse.PipeNode:
		return fc.pipeValue(tree, n, dot, vars)
	case *parse.IdentifierNode:
		if fn, ok := fc.funcs[n.Ident]; ok {
			if ft := reflect.TypeOf(fn); ft.NumOut() > 0 {
				return ft.Out(0)
			}
		}
		return nil // a builtin (index, and, or, ...) or the escaper's
	}
	return nil
}

// chain follows .A.B.C from t, reporting the first name t lacks.
func (fc *fieldChecker) chain(tree *parse.Tree, n parse.Node, t reflect.Type, names []string) reflect.Type {
	for _, name := range names {
		next, ok := member(t, name)
		if !ok {
			loc, _ := tree.ErrorContext(n)
			if e := fmt.Sprintf("%s: %v has no field or method %s", loc, t, name); !slices.Contains(fc.errs, e) {
				fc.errs = append(fc.errs, e)
			}
			return nil
		}
		t = next
	}
	return t
}

// member is the type of t's field or method name; nil when t is not known.
func member(t reflect.Type, name string) (reflect.Type, bool) {
	if t == nil || t.Kind() == reflect.Interface {
		return nil, true
	}
	if t.Kind() == reflect.Map {
		return t.Elem(), t.Key().Kind() == reflect.String
	}
	for _, mt := range []reflect.Type{t, reflect.PointerTo(t)} {
		if m, ok := mt.MethodByName(name); ok {
			if m.Type.NumOut() == 0 {
				return nil, true
			}
			return m.Type.Out(0), true
		}
	}
	if t.Kind() == reflect.Pointer {
		return member(t.Elem(), name)
	}
	if t.Kind() == reflect.Struct {
		if f, ok := t.FieldByName(name); ok && f.IsExported() {
			return f.Type, true
		}
	}
	return nil, false
}

// elemTypes are the key and element types of what range walks over.
func elemTypes(t reflect.Type) (key, elem reflect.Type) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return nil, nil
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return reflect.TypeOf(0), t.Elem()
	case reflect.Map:
		return t.Key(), t.Elem()
	case reflect.Int:
		return t, t
	}
	return nil, nil
}
