package knowledge

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHardCutBoundsPassages(t *testing.T) {
	long := strings.Repeat("é", maxChunkBytes) // 2 bytes each: no space to cut at
	got := hardCut([]string{"short", long})
	if got[0] != "short" || strings.Join(got[1:], "") != long {
		t.Fatalf("hardCut lost or changed text")
	}
	for _, c := range got {
		if len(c) > maxChunkBytes || !utf8.ValidString(c) {
			t.Errorf("piece of %d bytes (valid UTF-8 %v), want at most %d and valid", len(c), utf8.ValidString(c), maxChunkBytes)
		}
	}
}
