package courses

import "time"

// completedData is the data of the course.completed webhook event (see
// package webhooks). Field names are part of the receivers' contract.
type completedData struct {
	UserID      int64      `json:"user_id"`
	Course      string     `json:"course"`
	Title       string     `json:"title"`
	Revision    int        `json:"revision"`
	Score       *int       `json:"score"`
	CompletedAt *time.Time `json:"completed_at"`
	ExpiresAt   *time.Time `json:"expires_at"`
}

func completedEvent(c *Course, cy *Cycle) completedData {
	return completedData{UserID: cy.UserID, Course: c.Slug, Title: c.Title, Revision: c.Revision,
		Score: cy.Score, CompletedAt: cy.CompletedAt, ExpiresAt: cy.ExpiresAt}
}
