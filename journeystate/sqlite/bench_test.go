//go:build sqlite_fts5

package sqlite_test

import (
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/journeybot/journeybot/journeystate"
)

// BenchmarkAppendMessage measures one durable message (row, seq, event, commit): serially on one conversation,
// and from parallel goroutines each on its own conversation (they share the one writer, which commits what they
// queue together).
func BenchmarkAppendMessage(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		s := openStore(b, filepath.Join(b.TempDir(), "db"))
		conv := benchConversation(b, s, "v0")
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			m := journeystate.Message{ConversationID: conv.ID, Author: journeystate.ActorCustomer,
				ClientID: fmt.Sprintf("c%d", i), Text: "Where is my order?"}
			if _, _, err := s.AppendMessage(b.Context(), m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) { benchParallel(b, 1) })
	// Many callers at once, as under a server's load: what group commit is for.
	b.Run("parallel-64", func(b *testing.B) { benchParallel(b, 64/runtime.GOMAXPROCS(0)) })
}

// benchParallel appends from p×GOMAXPROCS goroutines, each on its own conversation.
func benchParallel(b *testing.B, p int) {
	s := openStore(b, filepath.Join(b.TempDir(), "db"))
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(max(p, 1))
	b.RunParallel(func(pb *testing.PB) {
		g := next.Add(1)
		conv := benchConversation(b, s, fmt.Sprintf("v%d", g))
		for i := 0; pb.Next(); i++ {
			m := journeystate.Message{ConversationID: conv.ID, Author: journeystate.ActorCustomer,
				ClientID: fmt.Sprintf("c%d", i), Text: "Where is my order?"}
			if _, _, err := s.AppendMessage(b.Context(), m); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchConversation(b *testing.B, s journeystate.Store, visitor string) journeystate.Conversation {
	b.Helper()
	c, err := s.ResolveIdentity(b.Context(), journeystate.IdentityClaim{Channel: journeystate.ChannelWeb, ExternalID: visitor})
	if err != nil {
		b.Fatal(err)
	}
	conv, _, err := s.OpenConversation(b.Context(), c.ID, journeystate.ChannelWeb, visitor)
	if err != nil {
		b.Fatal(err)
	}
	return conv
}
