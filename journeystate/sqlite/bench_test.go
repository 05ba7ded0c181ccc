//go:build sqlite_fts5

package sqlite_test

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/journeybot/journeybot/journeystate"
)

// BenchmarkAppendMessage measures one durable message (row, seq, event, commit): serially on one conversation,
// and from parallel goroutines each on its own conversation (they share the one writer).
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
	b.Run("parallel", func(b *testing.B) {
		s := openStore(b, filepath.Join(b.TempDir(), "db"))
		var next atomic.Int64
		b.ReportAllocs()
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
