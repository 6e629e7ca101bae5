package courses

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
)

type yamlAudience struct {
	Everyone bool     `yaml:"everyone,omitempty"`
	Teams    []string `yaml:"teams,omitempty"`
	Roles    []string `yaml:"roles,omitempty"`
}

type yamlCourse struct {
	Slug               string       `yaml:"slug"`
	Title              string       `yaml:"title"`
	Summary            string       `yaml:"summary,omitempty"`
	Audience           yamlAudience `yaml:"audience"`
	DueDays            int          `yaml:"due_days"`
	ValidMonths        int          `yaml:"valid_months"`
	RecertWindowDays   int          `yaml:"recert_window_days"`
	PassMark           int          `yaml:"pass_mark"`
	MaxAttempts        int          `yaml:"max_attempts"`
	Shuffle            bool         `yaml:"shuffle"`
	RequiresRetraining bool         `yaml:"requires_retraining"`
}

type yamlOption struct {
	Text    string `yaml:"text"`
	Correct bool   `yaml:"correct,omitempty"`
}

type yamlQuestion struct {
	Kind        QuestionKind `yaml:"kind"`
	Text        string       `yaml:"text"`
	Answer      *bool        `yaml:"answer,omitempty"`
	Objective   string       `yaml:"objective,omitempty"`
	Explanation string       `yaml:"explanation,omitempty"`
	Options     []yamlOption `yaml:"options,omitempty"`
}

type yamlModule struct {
	Position int            `yaml:"position"`
	Title    string         `yaml:"title"`
	Minutes  int            `yaml:"minutes,omitempty"`
	Draw     int            `yaml:"draw,omitempty"`
	Quiz     []yamlQuestion `yaml:"quiz"`
}

// File is one file of an exported course folder.
type File struct {
	Name string
	Data []byte
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func moduleFileName(m *Module) string {
	words := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(m.Title), "-"), "-")
	if words == "" {
		words = "module"
	}
	if len(words) > 50 {
		words = strings.TrimRight(words[:50], "-")
	}
	return fmt.Sprintf("%02d-%s.md", m.Position, words)
}

// Folder renders c in the course folder format; importing the result gives
// back the same course.
func Folder(c *Course) ([]File, error) {
	yc := yamlCourse{Slug: c.Slug, Title: c.Title, Summary: c.Summary, DueDays: c.DueDays, ValidMonths: c.ValidMonths,
		RecertWindowDays: c.RecertWindowDays, PassMark: c.PassMark, MaxAttempts: c.MaxAttempts, Shuffle: c.Shuffle,
		RequiresRetraining: c.RequiresRetraining}
	switch c.Audience.Kind {
	case AudienceTeams:
		yc.Audience.Teams = c.Audience.Values
	case AudienceRoles:
		yc.Audience.Roles = c.Audience.Values
	default:
		yc.Audience.Everyone = true
	}
	b, err := yaml.MarshalWithOptions(yc, yaml.UseLiteralStyleIfMultiline(true))
	if err != nil {
		return nil, fmt.Errorf("courses: export %s: %w", c.Slug, err)
	}
	files := []File{{Name: "course.yaml", Data: b}}
	for i := range c.Modules {
		m := &c.Modules[i]
		ym := yamlModule{Position: m.Position, Title: m.Title, Minutes: m.Minutes, Draw: m.Draw}
		for _, q := range m.Questions {
			yq := yamlQuestion{Kind: q.Kind, Text: q.Text, Objective: q.Objective, Explanation: q.Explanation}
			if q.Kind == TrueFalse {
				ans := len(q.Options) > 0 && q.Options[0].Correct
				yq.Answer = &ans
			} else {
				for _, o := range q.Options {
					yq.Options = append(yq.Options, yamlOption{Text: o.Text, Correct: o.Correct})
				}
			}
			ym.Quiz = append(ym.Quiz, yq)
		}
		front, err := yaml.MarshalWithOptions(ym, yaml.UseLiteralStyleIfMultiline(true))
		if err != nil {
			return nil, fmt.Errorf("courses: export %s module %d: %w", c.Slug, m.Position, err)
		}
		var buf bytes.Buffer
		buf.WriteString("---\n")
		buf.Write(front)
		buf.WriteString("---\n\n")
		buf.WriteString(m.Body)
		buf.WriteString("\n")
		files = append(files, File{Name: moduleFileName(m), Data: buf.Bytes()})
	}
	return files, nil
}

// Export returns course slug in the course folder format.
func (s *Store) Export(ctx context.Context, slug string) ([]File, error) {
	c, err := s.Course(ctx, slug)
	if err != nil {
		return nil, err
	}
	return Folder(c)
}

// WriteFolder writes files into dir, creating it. It refuses to overwrite
// a file that is already there.
func WriteFolder(dir string, files []File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("courses: export: %w", err)
	}
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		fh, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("courses: export: %w", err)
		}
		if _, err := fh.Write(f.Data); err != nil {
			fh.Close()
			return fmt.Errorf("courses: export: write %s: %w", p, err)
		}
		if err := fh.Close(); err != nil {
			return fmt.Errorf("courses: export: write %s: %w", p, err)
		}
	}
	return nil
}
