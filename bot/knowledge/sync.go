package knowledge

import (
	"context"
	"fmt"

	"github.com/journeybot/journeybot/journeystate"
)

// Index is the part of journeystate.Store that Sync writes to.
type Index interface {
	// ReplaceKnowledge replaces the whole index with passages and records version.
	ReplaceKnowledge(ctx context.Context, version string, passages []journeystate.Passage) error
	// KnowledgeVersion returns the recorded version and passage count; "" and 0 before the first ReplaceKnowledge.
	KnowledgeVersion(ctx context.Context) (version string, passages int, err error)
}

var _ Index = journeystate.Store(nil)

// Result says what Sync did.
type Result struct {
	// Reindexed is true when Sync replaced the index, false when the index already held this version.
	Reindexed bool
	// Version is the folder's version (see Load), now recorded in the index.
	Version string
	// Passages is how many passages the index holds for Version.
	Passages int
}

// Sync loads dir (see Load) and replaces the index with its passages, unless the index already records the same
// version and force is false. When loading fails the index is left as it was and the error is returned; an error
// from the index is returned wrapped.
func Sync(ctx context.Context, store Index, dir, baseURL string, force bool) (Result, error) {
	passages, version, err := Load(dir, baseURL)
	if err != nil {
		return Result{}, err
	}
	if !force {
		have, n, err := store.KnowledgeVersion(ctx)
		if err != nil {
			return Result{}, fmt.Errorf("knowledge: read index version: %w", err)
		}
		if have == version {
			return Result{Version: version, Passages: n}, nil
		}
	}
	if err := store.ReplaceKnowledge(ctx, version, passages); err != nil {
		return Result{}, fmt.Errorf("knowledge: replace index: %w", err)
	}
	return Result{Reindexed: true, Version: version, Passages: len(passages)}, nil
}
