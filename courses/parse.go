package courses

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"steward/internal/mdnest"
	"steward/internal/org"
)

// ErrInvalid wraps every *ValidationError.
var ErrInvalid = errors.New("courses: invalid course")

// Problem is one thing wrong with a course folder or form.
type Problem struct {
	File    string // "course.yaml", "01-transparency.md"; empty for a form
	Line    int    // 1-based; 0 when the problem is not on one line
	Message string
}

func (p Problem) String() string {
	switch {
	case p.File != "" && p.Line > 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	case p.File != "":
		return p.File + ": " + p.Message
	default:
		return p.Message
	}
}

// ValidationError lists every problem found; nothing was changed.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return fmt.Sprintf("course is invalid (%d problems):\n%s", len(lines), strings.Join(lines, "\n"))
}

func (e *ValidationError) Unwrap() error { return ErrInvalid }

// problems collects problems for one file.
type problems struct {
	list *[]Problem
	file string
	// offset is added to YAML line numbers: front matter starts on line 2.
	offset int
}

func (p problems) at(line int, format string, args ...any) {
	if line > 0 {
		line += p.offset
	}
	*p.list = append(*p.list, Problem{File: p.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

var (
	slugPattern       = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	moduleFilePattern = regexp.MustCompile(`^[0-9]{2,}-[a-z0-9]+(-[a-z0-9]+)*\.md$`)
)

// Roles a course audience may name.
var Roles = []string{"employee", "manager", "admin", "auditor"}

// ParseFolder reads and validates a course folder: fsys is rooted at the
// folder, holding course.yaml and one NN-title.md file per module. It
// checks everything before returning, so the error (a *ValidationError)
// lists every problem with its file and line.
func ParseFolder(fsys fs.FS) (*Course, error) {
	var list []Problem
	c := &Course{}
	data, err := fs.ReadFile(fsys, "course.yaml")
	if err != nil {
		list = append(list, Problem{File: "course.yaml", Message: "missing: a course folder needs a course.yaml with its settings"})
	} else {
		parseCourseYAML(data, c, problems{list: &list, file: "course.yaml"})
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("courses: read folder: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".md") {
			continue
		}
		p := problems{list: &list, file: name}
		if !moduleFilePattern.MatchString(name) {
			p.at(0, "module files are named NN-some-title.md (two digits, a hyphen, lowercase words)")
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("courses: read %s: %w", name, err)
		}
		m := Module{file: name}
		parseModuleFile(data, &m, p)
		c.Modules = append(c.Modules, m)
	}
	if len(c.Modules) == 0 && len(entries) > 0 {
		list = append(list, Problem{Message: "no module files: add at least one NN-title.md file next to course.yaml"})
	}
	checkPositions(c.Modules, &list)
	if len(list) > 0 {
		return nil, &ValidationError{Problems: list}
	}
	sort.Slice(c.Modules, func(i, j int) bool { return c.Modules[i].Position < c.Modules[j].Position })
	return c, nil
}

func checkPositions(ms []Module, list *[]Problem) {
	first := map[int]string{}
	for _, m := range ms {
		if m.Position <= 0 {
			continue
		}
		name := m.file
		if name == "" {
			name = fmt.Sprintf("module %q", m.Title)
		}
		if other, dup := first[m.Position]; dup {
			*list = append(*list, Problem{File: m.file, Line: m.positionLine,
				Message: fmt.Sprintf("position %d is also used by %s; positions must be unique", m.Position, other)})
			continue
		}
		first[m.Position] = name
	}
}

// yamlFile parses one YAML document and returns its root mapping.
func yamlFile(data []byte, p problems) (ast.MapNode, int, bool) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		line, msg := 0, err.Error()
		var ye yaml.Error
		if errors.As(err, &ye) {
			msg = ye.GetMessage()
			if ye.GetToken() != nil {
				line = ye.GetToken().Position.Line
			}
		}
		p.at(line, "not valid YAML: %s", msg)
		return nil, 0, false
	}
	if len(f.Docs) != 1 || f.Docs[0].Body == nil {
		p.at(0, "expected one YAML document with settings")
		return nil, 0, false
	}
	body := f.Docs[0].Body
	m, ok := body.(ast.MapNode)
	if !ok {
		p.at(line(body), "expected a mapping of keys to values")
		return nil, 0, false
	}
	return m, line(body), true
}

func line(n ast.Node) int {
	if n == nil || n.GetToken() == nil {
		return 0
	}
	return n.GetToken().Position.Line
}

// fields walks a mapping: each known key's value goes to its handler,
// unknown and duplicate keys are problems. It returns the keys present.
func fields(m ast.MapNode, p problems, what string, known map[string]func(ast.Node)) map[string]bool {
	seen := map[string]bool{}
	it := m.MapRange()
	for it.Next() {
		k := it.Key()
		name := strings.TrimSpace(k.String())
		if s, ok := k.(*ast.StringNode); ok {
			name = s.Value
		}
		h, ok := known[name]
		switch {
		case !ok:
			keys := make([]string, 0, len(known))
			for k := range known {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			p.at(line(k), "unknown key %q in %s (known keys: %s)", name, what, strings.Join(keys, ", "))
		case seen[name]:
			p.at(line(k), "key %q appears twice in %s", name, what)
		default:
			seen[name] = true
			h(it.Value())
		}
	}
	return seen
}

func keyLine(m ast.MapNode, key string) int {
	it := m.MapRange()
	for it.Next() {
		if strings.TrimSpace(it.Key().String()) == key {
			return line(it.Key())
		}
	}
	return 0
}

// text reads a scalar as trimmed text; YAML would read "yes" or "42" as a
// bool or number, but in a text field the author meant the words.
func text(n ast.Node, p problems, key string) string {
	switch v := n.(type) {
	case *ast.StringNode:
		return strings.TrimSpace(v.Value)
	case *ast.LiteralNode:
		return strings.TrimSpace(v.Value.Value)
	case *ast.NullNode:
		return ""
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return strings.TrimSpace(v.GetToken().Value)
	}
	p.at(line(n), "%s must be text", key)
	return ""
}

func integer(n ast.Node, p problems, key string, lo, hi int) (int, bool) {
	v, ok := n.(*ast.IntegerNode)
	if !ok {
		p.at(line(n), "%s must be a whole number from %d to %d", key, lo, hi)
		return 0, false
	}
	i, err := strconv.Atoi(fmt.Sprint(v.Value))
	if err != nil || i < lo || i > hi {
		p.at(line(n), "%s must be a whole number from %d to %d, not %s", key, lo, hi, v.GetToken().Value)
		return 0, false
	}
	return i, true
}

func boolean(n ast.Node, p problems, key string) bool {
	v, ok := n.(*ast.BoolNode)
	if !ok {
		p.at(line(n), "%s must be true or false", key)
		return false
	}
	return v.Value
}

func stringList(n ast.Node, p problems, key string) []string {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		p.at(line(n), "%s must be a list, like [Marketing, Sales]", key)
		return nil
	}
	var out []string
	for _, v := range seq.Values {
		s := text(v, p, key)
		if s == "" {
			p.at(line(v), "%s has an empty entry", key)
			continue
		}
		if slices.Contains(out, s) {
			p.at(line(v), "%s lists %q twice", key, s)
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 && len(seq.Values) == 0 {
		p.at(line(n), "%s must name at least one", key)
	}
	return out
}

func parseCourseYAML(data []byte, c *Course, p problems) {
	root, rootLine, ok := yamlFile(data, p)
	if !ok {
		return
	}
	lines := map[string]int{}
	at := func(key string, f func(ast.Node)) func(ast.Node) {
		return func(n ast.Node) { lines[key] = line(n); f(n) }
	}
	s := &c.Settings
	seen := fields(root, p, "course.yaml", map[string]func(ast.Node){
		"slug":         at("slug", func(n ast.Node) { s.Slug = text(n, p, "slug") }),
		"title":        at("title", func(n ast.Node) { s.Title = text(n, p, "title") }),
		"summary":      at("summary", func(n ast.Node) { s.Summary = text(n, p, "summary") }),
		"audience":     func(n ast.Node) { s.Audience = parseAudience(n, p) },
		"due_days":     func(n ast.Node) { s.DueDays, _ = integer(n, p, "due_days", 1, 365) },
		"valid_months": func(n ast.Node) { s.ValidMonths, _ = integer(n, p, "valid_months", 0, 120) },
		"recert_window_days": at("recert_window_days", func(n ast.Node) {
			s.RecertWindowDays, _ = integer(n, p, "recert_window_days", 0, 365)
		}),
		"pass_mark":           func(n ast.Node) { s.PassMark, _ = integer(n, p, "pass_mark", 1, 100) },
		"max_attempts":        func(n ast.Node) { s.MaxAttempts, _ = integer(n, p, "max_attempts", 0, 100) },
		"shuffle":             func(n ast.Node) { s.Shuffle = boolean(n, p, "shuffle") },
		"requires_retraining": func(n ast.Node) { s.RequiresRetraining = boolean(n, p, "requires_retraining") },
	})
	for _, key := range []string{"slug", "title", "audience", "due_days", "pass_mark"} {
		if !seen[key] {
			p.at(rootLine, "missing required key %q", key)
		}
	}
	if seen["slug"] && !slugPattern.MatchString(s.Slug) {
		p.at(lines["slug"], "slug %q must be lowercase letters, digits and single hyphens", s.Slug)
	}
	if seen["title"] && s.Title == "" {
		p.at(lines["title"], "title is empty")
	}
	if s.ValidMonths > 0 && s.RecertWindowDays > s.ValidMonths*28 {
		p.at(lines["recert_window_days"], "recert_window_days (%d) is longer than the validity of %d months", s.RecertWindowDays, s.ValidMonths)
	}
}

func parseAudience(n ast.Node, p problems) Audience {
	m, ok := n.(ast.MapNode)
	if !ok {
		p.at(line(n), "audience must be a mapping with one of everyone: true, teams: [...] or roles: [...]")
		return Audience{}
	}
	var a Audience
	var kinds []string
	seen := fields(m, p, "audience", map[string]func(ast.Node){
		"everyone": func(v ast.Node) {
			kinds = append(kinds, AudienceEveryone)
			if !boolean(v, p, "audience.everyone") {
				p.at(line(v), "audience.everyone can only be true; use teams or roles to narrow it")
			}
			a.Kind = AudienceEveryone
		},
		"teams": func(v ast.Node) {
			kinds = append(kinds, AudienceTeams)
			a.Kind, a.Values = AudienceTeams, stringList(v, p, "audience.teams")
		},
		"roles": func(v ast.Node) {
			kinds = append(kinds, AudienceRoles)
			a.Kind, a.Values = AudienceRoles, stringList(v, p, "audience.roles")
			for _, r := range a.Values {
				if !slices.Contains(Roles, r) {
					p.at(line(v), "audience.roles: unknown role %q (roles are %s)", r, strings.Join(Roles, ", "))
				}
			}
		},
	})
	if len(seen) > 1 || len(kinds) > 1 {
		p.at(line(n), "audience must have exactly one of everyone, teams or roles, not %s", strings.Join(kinds, " and "))
	}
	if len(kinds) == 0 {
		p.at(line(n), "audience must have one of everyone: true, teams: [...] or roles: [...]")
	}
	return a
}

// splitFrontMatter splits "---\nYAML\n---\nbody" into its parts.
func splitFrontMatter(data []byte) (front, body []byte, bodyLine int, ok bool) {
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	if !bytes.HasPrefix(data, []byte("---\n")) {
		return nil, nil, 0, false
	}
	rest := data[4:]
	lineNo := 2
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		var ln []byte
		if i < 0 {
			ln, rest = rest, nil
		} else {
			ln, rest = rest[:i], rest[i+1:]
		}
		if string(bytes.TrimRight(ln, " \t")) == "---" {
			front = data[4 : len(data)-len(rest)-len(ln)-boolInt(i >= 0)]
			return front, rest, lineNo + 1, true
		}
		lineNo++
	}
	return nil, nil, 0, false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func parseModuleFile(data []byte, m *Module, p problems) {
	front, body, bodyLine, ok := splitFrontMatter(data)
	if !ok {
		p.at(1, "a module file starts with front matter between two lines of ---")
		return
	}
	m.Body = strings.TrimSpace(string(body))
	var deep *mdnest.Error
	switch {
	case m.Body == "":
		p.at(bodyLine, "the module body is empty: write the lesson below the front matter")
	case errors.As(mdnest.Check(string(body)), &deep):
		p.at(bodyLine+deep.Line-1, "the body is too deeply nested: it nests %s more than %d deep; simplify it", deep.What, mdnest.MaxDepth)
	}
	fp := p
	fp.offset = 1
	if len(bytes.TrimSpace(front)) == 0 {
		p.at(1, "the front matter is empty: it needs position, title and quiz")
		return
	}
	root, rootLine, ok := yamlFile(front, fp)
	if !ok {
		return
	}
	var drawLine int
	seen := fields(root, fp, "the front matter", map[string]func(ast.Node){
		"position": func(n ast.Node) {
			m.positionLine = line(n) + 1
			m.Position, _ = integer(n, fp, "position", 1, 999)
		},
		"title": func(n ast.Node) {
			if m.Title = text(n, fp, "title"); m.Title == "" {
				fp.at(line(n), "title is empty")
			}
		},
		"quiz": func(n ast.Node) { m.Questions = parseQuiz(n, fp) },
		"draw": func(n ast.Node) {
			drawLine = line(n)
			m.Draw, _ = integer(n, fp, "draw", 1, maxDraw)
		},
		"minutes": func(n ast.Node) { m.Minutes, _ = integer(n, fp, "minutes", 1, maxMinutes) },
	})
	for _, key := range []string{"position", "title", "quiz"} {
		if !seen[key] {
			fp.at(rootLine, "missing required key %q", key)
		}
	}
	if msg := drawProblem(m); msg != "" && len(m.Questions) > 0 {
		fp.at(drawLine, "%s", msg)
	}
}

// Bounds of a module's draw and minutes.
const (
	maxDraw    = 100
	maxMinutes = 600
)

// drawProblem says what is wrong with m's draw for its quiz, or "".
func drawProblem(m *Module) string {
	if m.Draw == 0 {
		return ""
	}
	if slots := m.Slots(); m.Draw > slots {
		return fmt.Sprintf("draw is %d, but the quiz has only %d questions to draw from (questions sharing an objective count as one); draw must be from 1 to %d",
			m.Draw, slots, slots)
	}
	return ""
}

func parseQuiz(n ast.Node, p problems) []Question {
	seq, ok := n.(*ast.SequenceNode)
	if !ok || len(seq.Values) == 0 {
		p.at(line(n), "quiz must be a list of at least one question")
		return nil
	}
	var qs []Question
	for i, v := range seq.Values {
		qs = append(qs, parseQuestion(v, i+1, p))
	}
	return qs
}

func parseQuestion(n ast.Node, num int, p problems) Question {
	q := Question{Position: num}
	m, ok := n.(ast.MapNode)
	if !ok {
		p.at(line(n), "question %d must be a mapping with kind, text and options or answer", num)
		return q
	}
	what := fmt.Sprintf("question %d", num)
	var answer *bool
	var optionsLine, kindLine, textLine int
	var hasOptions bool
	seen := fields(m, p, what, map[string]func(ast.Node){
		"kind": func(v ast.Node) {
			kindLine = line(v)
			q.Kind = QuestionKind(text(v, p, "kind"))
			if q.Kind != Single && q.Kind != Multiple && q.Kind != TrueFalse {
				p.at(line(v), "%s: kind must be single, multiple or truefalse, not %q", what, q.Kind)
			}
		},
		"text": func(v ast.Node) {
			textLine = line(v)
			q.Text = text(v, p, "text")
		},
		"explanation": func(v ast.Node) { q.Explanation = text(v, p, "explanation") },
		"objective": func(v ast.Node) {
			q.Objective = text(v, p, "objective")
			if !slugPattern.MatchString(q.Objective) {
				p.at(line(v), "%s: objective must be lowercase letters, digits and hyphens, not %q", what, q.Objective)
			}
		},
		"answer": func(v ast.Node) {
			b := boolean(v, p, what+": answer")
			answer = &b
		},
		"options": func(v ast.Node) {
			optionsLine, hasOptions = keyLine(m, "options"), true
			q.Options = parseOptions(v, what, p)
		},
	})
	if !seen["kind"] {
		p.at(line(n), "%s: missing kind (single, multiple or truefalse)", what)
	}
	if seen["text"] && q.Text == "" || !seen["text"] {
		l := textLine
		if l == 0 {
			l = line(n)
		}
		p.at(l, "%s: text is empty", what)
	}
	if kindLine == 0 {
		kindLine = line(n)
	}
	switch q.Kind {
	case TrueFalse:
		if hasOptions {
			p.at(optionsLine, "%s: a truefalse question uses answer: true or false, not options", what)
		}
		if answer == nil {
			if !seen["answer"] {
				p.at(kindLine, "%s: a truefalse question needs answer: true or answer: false", what)
			}
			break
		}
		q.Options = []Option{{Position: 1, Text: TrueLabel, Correct: *answer}, {Position: 2, Text: FalseLabel, Correct: !*answer}}
	case Single, Multiple:
		if seen["answer"] {
			p.at(keyLine(m, "answer"), "%s: answer is only for truefalse questions; mark options with correct: true", what)
		}
		if !hasOptions {
			p.at(kindLine, "%s: a %s question needs options", what, q.Kind)
			break
		}
		checkOptions(q, what, optionsLine, p)
	}
	return q
}

func checkOptions(q Question, what string, optionsLine int, p problems) {
	if len(q.Options) < 2 {
		p.at(optionsLine, "%s: needs at least two options", what)
	}
	correct := 0
	for _, o := range q.Options {
		if o.Correct {
			correct++
		}
	}
	switch {
	case correct == 0:
		p.at(optionsLine, "%s: no option is marked correct: true", what)
	case q.Kind == Single && correct > 1:
		p.at(optionsLine, "%s: a single-choice question has exactly one correct option, this one has %d (use kind: multiple)", what, correct)
	}
}

func parseOptions(n ast.Node, what string, p problems) []Option {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		p.at(line(n), "%s: options must be a list of {text, correct}", what)
		return nil
	}
	var out []Option
	seenText := map[string]int{}
	for i, v := range seq.Values {
		o := Option{Position: i + 1}
		ow := fmt.Sprintf("%s, option %d", what, i+1)
		m, ok := v.(ast.MapNode)
		if !ok {
			p.at(line(v), "%s must be a mapping like {text: ..., correct: true}", ow)
			out = append(out, o)
			continue
		}
		seen := fields(m, p, ow, map[string]func(ast.Node){
			"text":    func(t ast.Node) { o.Text = text(t, p, "text") },
			"correct": func(t ast.Node) { o.Correct = boolean(t, p, ow+": correct") },
		})
		switch {
		case !seen["text"] || o.Text == "":
			p.at(line(v), "%s: text is empty", ow)
		case seenText[strings.ToLower(o.Text)] > 0:
			p.at(line(v), "%s repeats the text of option %d", ow, seenText[strings.ToLower(o.Text)])
		default:
			seenText[strings.ToLower(o.Text)] = i + 1
		}
		out = append(out, o)
	}
	return out
}

// Validate checks a course built in the editor by the same rules as the
// importer; problems carry no file or line but name the module and question.
func Validate(c *Course) error {
	var list []Problem
	p := problems{list: &list}
	s := c.Settings
	if !slugPattern.MatchString(s.Slug) {
		p.at(0, "slug must be lowercase letters, digits and single hyphens")
	}
	if s.Title == "" {
		p.at(0, "title is empty")
	}
	switch s.Audience.Kind {
	case AudienceEveryone:
	case AudienceTeams, AudienceRoles:
		if len(s.Audience.Values) == 0 {
			p.at(0, "choose at least one of the %s", s.Audience.Kind)
		}
		for _, v := range s.Audience.Values {
			if s.Audience.Kind == AudienceRoles && !slices.Contains(Roles, v) {
				p.at(0, "unknown role %q", v)
			}
		}
	default:
		p.at(0, "audience must be everyone, teams or roles")
	}
	checkRange := func(name string, v, lo, hi int) {
		if v < lo || v > hi {
			p.at(0, "%s must be from %d to %d", name, lo, hi)
		}
	}
	checkRange("due days", s.DueDays, 1, 365)
	checkRange("valid months", s.ValidMonths, 0, 120)
	checkRange("recertification window", s.RecertWindowDays, 0, 365)
	checkRange("pass mark", s.PassMark, 1, 100)
	checkRange("attempts per cycle", s.MaxAttempts, 0, 100)
	if s.ValidMonths > 0 && s.RecertWindowDays > s.ValidMonths*28 {
		p.at(0, "the recertification window is longer than the validity")
	}
	for i := range c.Modules {
		list = append(list, ValidateModule(&c.Modules[i])...)
	}
	checkPositions(c.Modules, &list)
	if len(list) > 0 {
		return &ValidationError{Problems: list}
	}
	return nil
}

// ValidateModule checks one module as the importer would.
func ValidateModule(m *Module) []Problem {
	var list []Problem
	p := problems{list: &list}
	where := fmt.Sprintf("module %d", m.Position)
	if m.Position < 1 || m.Position > 999 {
		p.at(0, "%s: position must be from 1 to 999", where)
	}
	if strings.TrimSpace(m.Title) == "" {
		p.at(0, "%s: title is empty", where)
	}
	if strings.TrimSpace(m.Body) == "" {
		p.at(0, "%s: the body is empty", where)
	} else if err := mdnest.Check(m.Body); err != nil {
		p.at(0, "%s: the body is too deeply nested: %v", where, err)
	} else if err := org.Check(m.Body); err != nil {
		p.at(0, "%s: the body %v", where, err)
	}
	if len(m.Questions) == 0 {
		p.at(0, "%s: the quiz needs at least one question", where)
	}
	if m.Draw < 0 || m.Draw > maxDraw {
		p.at(0, "%s: draw must be from 1 to %d, or 0 to show every question", where, maxDraw)
	} else if msg := drawProblem(m); msg != "" && len(m.Questions) > 0 {
		p.at(0, "%s: %s", where, msg)
	}
	if m.Minutes < 0 || m.Minutes > maxMinutes {
		p.at(0, "%s: minutes must be from 1 to %d, or 0 for Steward's estimate", where, maxMinutes)
	}
	for i, q := range m.Questions {
		what := fmt.Sprintf("%s, question %d", where, i+1)
		if strings.TrimSpace(q.Text) == "" {
			p.at(0, "%s: text is empty", what)
		}
		quizText := []string{q.Text, q.Explanation}
		for _, o := range q.Options {
			quizText = append(quizText, o.Text)
		}
		if err := org.Check(strings.Join(quizText, "\n")); err != nil {
			p.at(0, "%s %v", what, err)
		}
		if q.Objective != "" && !slugPattern.MatchString(q.Objective) {
			p.at(0, "%s: objective must be lowercase letters, digits and hyphens", what)
		}
		switch q.Kind {
		case TrueFalse:
			if len(q.Options) != 2 || q.Options[0].Correct == q.Options[1].Correct {
				p.at(0, "%s: a true/false question needs its answer", what)
			}
			continue
		case Single, Multiple:
		default:
			p.at(0, "%s: kind must be single, multiple or truefalse", what)
			continue
		}
		texts := map[string]bool{}
		for j, o := range q.Options {
			t := strings.ToLower(strings.TrimSpace(o.Text))
			if t == "" {
				p.at(0, "%s, option %d: text is empty", what, j+1)
			} else if texts[t] {
				p.at(0, "%s, option %d repeats another option's text", what, j+1)
			}
			texts[t] = true
		}
		checkOptions(q, what, 0, p)
	}
	return list
}
