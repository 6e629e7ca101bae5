package reports

// Queries is how many SQL queries the store has run: the tests and
// benchmarks check with it that a page's cost does not grow with the
// number of people.
func (s *Store) Queries() int64 { return s.q.n.Load() }
