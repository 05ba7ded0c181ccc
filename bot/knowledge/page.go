package knowledge

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// frontMatter is the YAML block at the top of a page. Unknown keys are refused, so that a typo ("stage:") is an
// error rather than a silently missing field.
type frontMatter struct {
	Title  string   `yaml:"title"`
	URL    string   `yaml:"url"`
	Stages []string `yaml:"stages"`
}

// page is one parsed Markdown file.
type page struct {
	frontMatter
	Body string // the Markdown after the front matter, with "\n" line ends
}

// parsePage checks that data is UTF-8 text and splits it into its front matter and body.
func parsePage(data []byte) (page, error) {
	if !utf8.Valid(data) {
		return page{}, errors.New("not UTF-8 text")
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return page{}, errors.New("binary file (NUL bytes), not Markdown text")
	}
	text := strings.TrimPrefix(string(data), "\uFEFF")
	text = strings.ReplaceAll(text, "\r\n", "\n")

	head, body, err := cutFrontMatter(text)
	if err != nil {
		return page{}, err
	}
	var fm frontMatter
	dec := yaml.NewDecoder(strings.NewReader(head))
	dec.KnownFields(true)
	if err := dec.Decode(&fm); err != nil {
		if errors.Is(err, io.EOF) {
			return page{}, errors.New("front matter is empty: title is required")
		}
		return page{}, fmt.Errorf("front matter: %w", err)
	}
	if err := fm.validate(); err != nil {
		return page{}, fmt.Errorf("front matter: %w", err)
	}
	return page{frontMatter: fm, Body: body}, nil
}

// cutFrontMatter splits text into the YAML between a first line "---" and the next line "---" (or "..."), and the
// rest.
func cutFrontMatter(text string) (head, body string, err error) {
	rest, ok := strings.CutPrefix(text, "---\n")
	if !ok {
		return "", "", errors.New(`no front matter: the file must start with a "---" line`)
	}
	off := 0
	for _, line := range strings.SplitAfter(rest, "\n") {
		if t := strings.TrimRight(line, " \t\n"); t == "---" || t == "..." {
			return rest[:off], rest[off+len(line):], nil
		}
		off += len(line)
	}
	return "", "", errors.New(`front matter is not closed by a "---" line`)
}

// validate checks the fields and normalises them in place.
func (fm *frontMatter) validate() error {
	fm.Title = strings.TrimSpace(fm.Title)
	if fm.Title == "" {
		return errors.New("title is required")
	}
	if strings.ContainsAny(fm.Title, "\n\r") {
		return errors.New("title must be one line")
	}
	fm.URL = strings.TrimSpace(fm.URL)
	if fm.URL != "" && !strings.HasPrefix(fm.URL, "/") &&
		!strings.HasPrefix(fm.URL, "https://") && !strings.HasPrefix(fm.URL, "http://") {
		return fmt.Errorf("url %q must be a path starting with / or an http(s) URL", fm.URL)
	}
	if strings.ContainsAny(fm.URL, " \t\n\r") {
		return fmt.Errorf("url %q must not contain spaces", fm.URL)
	}
	for i, s := range fm.Stages {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" {
			return fmt.Errorf("stage %d is empty", i+1)
		}
		fm.Stages[i] = s
	}
	return nil
}
