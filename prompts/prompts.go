// Package prompts renders the text journeybot sends to a language model: the system prompt of every bot turn (with
// the customer's journey stage, memory and cross-channel timeline) and the instructions that update a customer's
// running summary. The
// templates are text/template files (*.tmpl) embedded in the binary; an operator may replace any of them with a
// same-named file in an override folder.
//
// It must not call a model, read configuration or the environment, or touch storage: the bot engine hands it
// everything a prompt shows. Text from customers, knowledge pages and tools is rendered as quoted data inside marked
// blocks, never spliced in as instructions.
package prompts

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
)

//go:embed *.tmpl
var embedded embed.FS

// maxTemplateBytes bounds an override file: a template is a page of prose, not a data set.
const maxTemplateBytes = 256 << 10

// Renderer renders journeybot's prompts from its templates. It is immutable after New and safe for concurrent use.
type Renderer struct {
	set *template.Template
}

// New returns a Renderer over the embedded templates. When overrideDir is not empty, every file in it replaces the
// embedded template of the same name. New returns an error naming the file when overrideDir cannot be read, holds a
// file or folder that is not a known template name, holds a file that fails to parse (the error names the file and
// line) or a template that fails to render sample data, so that a broken override stops the server at start-up
// rather than on a customer's first message.
func New(overrideDir string) (*Renderer, error) {
	sources := map[string]string{} // template name -> its text
	origin := map[string]string{}  // template name -> the file it came from, for errors
	names, err := fs.Glob(embedded, "*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("prompts: list embedded templates: %w", err)
	}
	for _, name := range names {
		b, err := embedded.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("prompts: read embedded %s: %w", name, err)
		}
		sources[name] = string(b)
		origin[name] = "embedded " + name
	}

	if overrideDir != "" {
		overrides, err := readOverrides(overrideDir, names)
		if err != nil {
			return nil, err
		}
		for name, text := range overrides {
			sources[name] = text
			origin[name] = filepath.Join(overrideDir, name)
		}
	}

	set := template.New("").Funcs(templateFuncs()).Option("missingkey=error")
	for _, name := range names {
		if _, err := set.New(name).Parse(sources[name]); err != nil {
			// text/template's message already says "template: NAME:LINE: ...".
			return nil, fmt.Errorf("prompts: parse %s: %w", origin[name], err)
		}
	}
	r := &Renderer{set: set}
	for _, d := range sampleSystemData() {
		if _, err := r.System(d); err != nil {
			return nil, fmt.Errorf("prompts: %s does not render: %w", origin[systemTemplate], err)
		}
	}
	for _, d := range sampleSummaryData() {
		if _, err := r.Summary(d); err != nil {
			return nil, fmt.Errorf("prompts: %s does not render: %w", origin[summaryTemplate], err)
		}
	}
	return r, nil
}

// readOverrides reads every file of dir, refusing names that are not among known.
func readOverrides(dir string, known []string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("prompts: read override folder: %w", err)
	}
	out := map[string]string{}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if !slices.Contains(known, e.Name()) {
			return nil, fmt.Errorf("prompts: %s is not a known template (known: %s)", path, strings.Join(known, ", "))
		}
		b, err := readBounded(path)
		if err != nil {
			return nil, err
		}
		out[e.Name()] = string(b)
	}
	return out, nil
}

// readBounded reads the regular file at path (following symlinks), refusing one over maxTemplateBytes.
func readBounded(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("prompts: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("prompts: %s is not a regular file", path)
	}
	if info.Size() > maxTemplateBytes {
		return nil, fmt.Errorf("prompts: %s is %d bytes, more than the %d a template may have", path, info.Size(),
			maxTemplateBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("prompts: %w", err)
	}
	return b, nil
}

// render executes the named template with data.
func (r *Renderer) render(name string, data any) (string, error) {
	var b strings.Builder
	if err := r.set.ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return b.String(), nil
}
