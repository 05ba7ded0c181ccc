package knowledge

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tmc/langchaingo/textsplitter"

	"github.com/journeybot/journeybot/journeystate"
)

// Chunking: passages of about ChunkSize characters, neighbours sharing up to ChunkOverlap characters when a long
// section has to be cut, so that a fact on the cut still appears whole in one passage.
const (
	ChunkSize    = 700
	ChunkOverlap = 100
)

// chunkerVersion changes whenever passages would come out differently from the same files (see Load's version).
const chunkerVersion = 2

// section is the Markdown under one heading, up to the next heading of any level.
type section struct {
	Heading string
	Body    string
}

// passages splits the page into passages for source (the file) with the page's url already resolved.
func (p page) passages(source, url string) ([]journeystate.Passage, error) {
	splitter := textsplitter.NewMarkdownTextSplitter(
		textsplitter.WithChunkSize(ChunkSize),
		textsplitter.WithChunkOverlap(ChunkOverlap),
		textsplitter.WithCodeBlocks(true),
	)
	var out []journeystate.Passage
	for _, s := range sections(p.Body) {
		if strings.TrimSpace(s.Body) == "" {
			continue
		}
		// Split each section on its own, without its heading line: the splitter would otherwise prepend the
		// heading to the chunk text, and the heading is recorded in its own field.
		chunks, err := splitter.SplitText(unwrap(s.Body))
		if err != nil {
			return nil, fmt.Errorf("split section %q: %w", s.Heading, err)
		}
		for _, c := range hardCut(chunks) {
			c = strings.TrimSpace(c)
			if c == "" {
				continue
			}
			out = append(out, journeystate.Passage{
				Source:  source,
				Title:   p.Title,
				Heading: s.Heading,
				URL:     url,
				Stages:  append([]string(nil), p.Stages...),
				Text:    c,
			})
		}
	}
	return out, nil
}

// maxChunkBytes bounds a passage: the splitter cuts at spaces and newlines only, so a long run without them (a URL,
// a data URI, a table row) would otherwise become one huge passage, in the index, in prompts and in caches.
const maxChunkBytes = 2 * ChunkSize

// hardCut cuts every chunk longer than maxChunkBytes into pieces of at most that many bytes, at rune boundaries.
func hardCut(chunks []string) []string {
	var out []string
	for _, c := range chunks {
		for len(c) > maxChunkBytes {
			n := maxChunkBytes
			for n > 0 && !utf8.RuneStart(c[n]) {
				n--
			}
			out = append(out, c[:n])
			c = c[n:]
		}
		out = append(out, c)
	}
	return out
}
