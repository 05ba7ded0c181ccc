package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/journeybot/journeybot/journeystate"
)

// bm25 weights of the knowledge columns title, heading and body: a term in a title or heading says more about what
// a passage is about than the same term in its text.
const knowledgeRank = `bm25(knowledge, 5.0, 3.0, 1.0)`

// maxQueryTerms bounds the work one search does, whatever the length of the text it is given.
const maxQueryTerms = 64

// ReplaceKnowledge replaces the whole knowledge index with passages and records version, in one transaction; see
// journeystate.Store. version is required, and every passage needs a Source and a Text; on an error nothing changes.
func (s *Store) ReplaceKnowledge(ctx context.Context, version string, passages []journeystate.Passage) error {
	if version == "" {
		return errors.New("replace knowledge: version is required")
	}
	for i, p := range passages {
		if p.Source == "" || strings.TrimSpace(p.Text) == "" {
			return fmt.Errorf("replace knowledge: passage %d (%q) needs a source and a text", i, p.Source)
		}
	}
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM knowledge`); err != nil {
			return fmt.Errorf("clear index: %w", err)
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO knowledge (title, heading, body, source, url, stages)
			VALUES (?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, p := range passages {
			stages, err := json.Marshal(p.Stages)
			if err != nil {
				return err
			}
			if _, err := stmt.ExecContext(ctx, p.Title, p.Heading, p.Text, p.Source, p.URL, string(stages)); err != nil {
				return fmt.Errorf("index %s: %w", p.Source, err)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO knowledge_meta (id, version, passages, updated_at) VALUES (1, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET version = excluded.version, passages = excluded.passages,
			updated_at = excluded.updated_at`, version, len(passages), formatTime(s.stamp()))
		return err
	})
	if err != nil {
		return fmt.Errorf("replace knowledge: %w", err)
	}
	return nil
}

// KnowledgeVersion returns the version recorded by the last ReplaceKnowledge and how many passages it indexed; ""
// and 0 before the first.
func (s *Store) KnowledgeVersion(ctx context.Context) (string, int, error) {
	var version string
	var n int
	err := s.inRead(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT version, passages FROM knowledge_meta WHERE id = 1`).Scan(&version, &n)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return "", 0, fmt.Errorf("knowledge version: %w", err)
	}
	return version, n, nil
}

// SearchKnowledge returns up to limit passages matching any word of query, best first, with Score = -bm25; see
// journeystate.Store. query is never parsed as FTS5 syntax (see ftsQuery). limit 0 means DefaultSearchLimit; it is
// capped at MaxSearchLimit.
func (s *Store) SearchKnowledge(ctx context.Context, query string, limit int) ([]journeystate.Passage, error) {
	limit, err := clampLimit(limit, DefaultSearchLimit, MaxSearchLimit)
	if err != nil {
		return nil, fmt.Errorf("search knowledge: %w", err)
	}
	match := ftsQuery(query)
	if match == "" {
		return nil, nil
	}
	var found []journeystate.Passage
	err = s.inRead(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT source, title, heading, url, stages, body, `+knowledgeRank+` AS rank
			FROM knowledge WHERE knowledge MATCH ? ORDER BY rank, rowid LIMIT ?`, match, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p journeystate.Passage
			var stages string
			var rank float64
			if err := rows.Scan(&p.Source, &p.Title, &p.Heading, &p.URL, &stages, &p.Text, &rank); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(stages), &p.Stages); err != nil {
				return fmt.Errorf("passage %s stages: %w", p.Source, err)
			}
			p.Score = -rank
			found = append(found, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("search knowledge: %w", err)
	}
	return found, nil
}

// ftsQuery turns free text into an FTS5 query that matches any of its words: the text is split on every character
// that is not a letter, a digit or a combining mark, and each word is quoted as an FTS5 string, so that no character
// of the input (quotes, *, ^, :, -, parentheses, AND/OR/NOT/NEAR) has a syntax meaning. Words are deduplicated
// (case-insensitively) and at most maxQueryTerms are kept. It returns "" when the text has no word.
func ftsQuery(text string) string {
	var b strings.Builder
	seen := make(map[string]bool)
	for _, w := range strings.FieldsFunc(text, isSeparator) {
		w = strings.ToLower(w)
		if seen[w] {
			continue
		}
		if len(seen) == maxQueryTerms {
			break
		}
		seen[w] = true
		if b.Len() > 0 {
			b.WriteString(" OR ")
		}
		// A word holds no '"' (it is not a letter), so wrapping it in quotes needs no escaping.
		b.WriteString(`"` + w + `"`)
	}
	return b.String()
}

func isSeparator(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r)
}
