package reports

import (
	"context"
	"sort"
	"time"
)

// TeamFigures are one team's figures in the organisation view.
type TeamFigures struct {
	ID     int64 // 0: people with no team
	Name   string
	People int
	// Training: current course assignments and how they stand.
	Assigned  int
	Completed int
	Overdue   int // overdue or lapsed
	Exempt    int
	// Staff policies: requirements and acknowledgements.
	AckRequired int
	Acked       int
	// Suppressed hides the figures of a team smaller than the minimum.
	Suppressed bool
}

// Rate is the team's training completion rate in percent.
func (t TeamFigures) Rate() int { return Rate(t.Completed, t.Assigned-t.Exempt) }

// AckRate is the team's acknowledgement rate in percent.
func (t TeamFigures) AckRate() int { return Rate(t.Acked, t.AckRequired) }

// Org is the organisation view: figures by course, by policy and by team,
// and the compliance trend. Groups smaller than MinGroupSize are
// suppressed, so that no individual can be singled out from an aggregate.
type Org struct {
	*Line
	Teams        []TeamFigures
	MinGroupSize int
}

// Org builds the organisation view at now in a fixed number of queries.
func (s *Store) Org(ctx context.Context, now time.Time) (*Org, error) {
	byTeam := map[int64]*TeamFigures{}
	team := func(id *int64) *TeamFigures {
		var k int64
		if id != nil {
			k = *id
		}
		t, ok := byTeam[k]
		if !ok {
			t = &TeamFigures{ID: k}
			byTeam[k] = t
		}
		return t
	}
	line, heads, err := s.report(ctx, scope{}, Filter{}, false, nil, now, func(id *int64, kind, status string, n int) {
		t := team(id)
		if kind == "policy" {
			t.AckRequired += n
			if status == StatusAcknowledged {
				t.Acked += n
			}
			return
		}
		t.Assigned += n
		switch status {
		case "completed":
			t.Completed += n
		case "overdue", "lapsed":
			t.Overdue += n
		case "exempt":
			t.Exempt += n
		}
	})
	if err != nil {
		return nil, err
	}
	teams, err := s.Teams(ctx)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, t := range teams {
		names[t.ID] = t.Name
	}
	for _, h := range heads {
		t := team(h.TeamID)
		t.People += h.N
		if h.TeamID != nil {
			t.Name = names[*h.TeamID]
		}
	}
	out := &Org{Line: line, MinGroupSize: s.MinGroupSize}
	for _, t := range byTeam {
		if t.People == 0 {
			continue
		}
		if t.ID == 0 {
			t.Name = "No team"
		}
		if t.People < s.MinGroupSize {
			*t = TeamFigures{ID: t.ID, Name: t.Name, People: t.People, Suppressed: true}
		}
		out.Teams = append(out.Teams, *t)
	}
	sort.Slice(out.Teams, func(i, j int) bool {
		a, b := out.Teams[i], out.Teams[j]
		if (a.ID == 0) != (b.ID == 0) {
			return b.ID == 0
		}
		return a.Name < b.Name
	})
	for i := range line.Courses {
		if c := &line.Courses[i]; c.Assigned > 0 && c.Assigned < s.MinGroupSize {
			*c = CourseFigures{Course: c.Course, Assigned: c.Assigned, Suppressed: true}
		}
	}
	for i := range line.Policies {
		if p := &line.Policies[i]; p.Required > 0 && p.Required < s.MinGroupSize {
			*p = PolicyFigures{ID: p.ID, Slug: p.Slug, Title: p.Title, Version: p.Version, Required: p.Required, Suppressed: true}
		}
	}
	return out, nil
}
