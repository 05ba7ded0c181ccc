// Package knowledge loads the knowledge base: a folder of Markdown pages with YAML front matter, split into the
// passages that the store indexes and the bot answers from.
//
// It is the only package that uses langchaingo (for its Markdown splitter), so that the dormant library stays
// behind one small surface. It reads files and nothing else: it must not search, store or call a model.
package knowledge

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/journeybot/journeybot/journeystate"
)

// MaxFileSize is the largest page Load accepts, in bytes: a knowledge page is prose, and a bigger file is almost
// certainly something else dropped into the folder.
const MaxFileSize = 1 << 20

// ErrNoPages is returned (wrapped) by Load when the folder holds no Markdown page.
var ErrNoPages = errors.New("no Markdown pages")

// Load reads every *.md file under dir (recursively, in sorted order of their slash-separated paths, skipping files
// and folders whose names start with a dot) and splits each into passages, in a deterministic order.
//
// Each page must start with YAML front matter holding title (required), url and stages; an unknown key, malformed
// YAML, a file over MaxFileSize, a file that is not UTF-8 text, or an unreadable dir is an error that names the
// file, and no passages are returned. A passage's URL is baseURL joined with the page's url, or the url alone when
// baseURL is empty. version is a SHA-256 hex digest of baseURL and every file's name and content: it changes
// whenever the passages would.
func Load(dir, baseURL string) (passages []journeystate.Passage, version string, err error) {
	files, err := listPages(dir)
	if err != nil {
		return nil, "", err
	}
	if len(files) == 0 {
		return nil, "", fmt.Errorf("knowledge: %s: %w", dir, ErrNoPages)
	}
	h := sha256.New()
	// The chunker's version is hashed too, so that a new way of chunking re-indexes an unchanged folder.
	fmt.Fprintf(h, "chunker %d\nbase %d:%s\n", chunkerVersion, len(baseURL), baseURL)
	for _, rel := range files {
		data, err := readPage(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return nil, "", fmt.Errorf("knowledge: %s: %w", rel, err)
		}
		// Length-prefixed so that no two different folders hash alike.
		fmt.Fprintf(h, "file %d:%s %d\n", len(rel), rel, len(data))
		h.Write(data)
		p, err := parsePage(data)
		if err != nil {
			return nil, "", fmt.Errorf("knowledge: %s: %w", rel, err)
		}
		chunks, err := p.passages(rel, joinURL(baseURL, p.URL))
		if err != nil {
			return nil, "", fmt.Errorf("knowledge: %s: %w", rel, err)
		}
		passages = append(passages, chunks...)
	}
	return passages, hex.EncodeToString(h.Sum(nil)), nil
}

// listPages returns the slash-separated paths, relative to dir, of the Markdown files under dir, sorted.
func listPages(dir string) ([]string, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("knowledge: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("knowledge: %s is not a folder", dir)
	}
	var files []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !strings.EqualFold(filepath.Ext(d.Name()), ".md") {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("knowledge: read %s: %w", dir, err)
	}
	sort.Strings(files)
	return files, nil
}

// readPage reads one page, refusing anything that is not a regular file or is over MaxFileSize. The read itself is
// bounded too, in case the file grows (or is a device) after the size check.
func readPage(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if info.Size() > MaxFileSize {
		return nil, fmt.Errorf("file is %d bytes, over the %d-byte limit", info.Size(), MaxFileSize)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("file is over the %d-byte limit", MaxFileSize)
	}
	return data, nil
}

// joinURL joins a site's base URL and a page path without doubling or dropping the slash between them.
func joinURL(base, path string) string {
	if base == "" || path == "" {
		return path
	}
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(path, "/")
}
