package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"path"
	"time"
)

//go:embed static/*.js static/*.css
var staticFS embed.FS

// staticFiles are the console's scripts and styles, with a hash of each file's content. Pages link them as
// /console/static/<name>?v=<hash>: a URL that names one content, so browsers may cache it for a year, and a new
// release's pages name new URLs.
type staticFiles struct {
	files map[string]staticFile
}

type staticFile struct {
	data    []byte
	version string
}

func loadStatic() *staticFiles {
	s := &staticFiles{files: make(map[string]staticFile)}
	entries, err := staticFS.ReadDir("static")
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	for _, e := range entries {
		data, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(data)
		s.files[e.Name()] = staticFile{data: data, version: hex.EncodeToString(sum[:6])}
	}
	return s
}

// url returns the versioned URL of the static file name; a name that is not embedded is a template bug, caught by
// the tests that render every page.
func (s *staticFiles) url(name string) string {
	f, ok := s.files[name]
	if !ok {
		panic("console: no static file " + name)
	}
	return "/console/static/" + name + "?v=" + f.version
}

// serveStatic serves an embedded script or style. The current version's URL is cached for a year; any other (an
// old page asking after a release) must be revalidated.
func (c *Console) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	f, ok := c.static.files[name]
	if !ok || path.Base(name) != name {
		http.NotFound(w, r)
		return
	}
	if r.URL.Query().Get("v") == f.version {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("ETag", `"`+f.version+`"`)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.data))
}
