package webchat

import "slices"

// Why deltas are merged: a streamed reply arrives as many small deltas (often one word each), and every frame costs
// the socket's writer a write system call. When the writer falls behind, deltas pile up on its queue; a delta queued
// right behind another delta of the same reply is then appended to it instead of becoming a frame of its own, so the
// number of frames and writes adapts to load. A writer that keeps up finds at most one frame queued and sends each
// delta at once: nothing waits for more.
//
// Why order is kept: only the newest queued frame, which the writer has not taken, is ever extended, and only by the
// frame that would otherwise have been queued right behind it. No frame is moved, and no delta passes another frame
// (a message, typing, an ack): a delta queued after any other frame starts a frame of its own. The client appends
// the text of deltas of one reply (docs/webchat-protocol.md), so one merged delta reads as the deltas it replaces.

// maxMergedDelta is the largest delta frame a merge makes: large enough that a reply's worth of one-word deltas
// becomes a few frames, small enough that a frame stays far below what clients read (journeybot-bench: 1 MiB).
const maxMergedDelta = 16 << 10

// deltaPrefix begins every delta frame; the reply id, ',"text":' and the text follow.
const deltaPrefix = `{"type":"delta","reply_id":`

// outFrame is an encoded server frame on a socket's queue.
type outFrame struct {
	data []byte
	// replyID is set on a delta frame only: the reply its text belongs to.
	replyID string
	// textAt is, in a delta frame, the index in data of the opening quote of the text, the frame's last value.
	textAt int
	// own says data was made by a merge for this socket alone and may be appended to; otherwise the bytes are shared
	// with every socket the frame was published to and must not change.
	own bool
}

// plainFrame wraps an encoded frame that is never merged.
func plainFrame(data []byte) outFrame { return outFrame{data: data} }

// deltaOut encodes a delta frame as json.Marshal(deltaFrame{...}) would, with the text as its last value, so that
// another delta's text can later be appended to it.
func deltaOut(replyID, text string) outFrame {
	id, txt := mustJSON(replyID), mustJSON(text)
	b := make([]byte, 0, len(deltaPrefix)+len(id)+len(`,"text":`)+len(txt)+1)
	b = append(b, deltaPrefix...)
	b = append(b, id...)
	b = append(b, `,"text":`...)
	at := len(b)
	b = append(b, txt...)
	b = append(b, '}')
	return outFrame{data: b, replyID: replyID, textAt: at}
}

// mergeable reports whether next may be appended to f: both are deltas of one reply and the merged frame stays
// within maxMergedDelta. It returns how many bytes the merge adds to f.
func (f outFrame) mergeable(next outFrame) (grow int, ok bool) {
	if f.replyID == "" || next.replyID != f.replyID {
		return 0, false
	}
	// f loses its closing `"}` and gains next's text without the opening quote, then `"}`.
	grow = len(next.data) - next.textAt - 1 - 2
	return grow, len(f.data)+grow <= maxMergedDelta
}

// merge returns f with the text of next appended; mergeable(next) must hold. Both texts are spliced as encoded, so
// the merged text decodes to f's decoded text followed by next's, exactly what a client appending both would show.
// Shared bytes are copied first; bytes f owns are extended in place, so a long run of deltas costs amortised
// constant work per delta.
func (f outFrame) merge(next outFrame) outFrame {
	b := f.data[:len(f.data)-2]
	if !f.own {
		b = slices.Clip(b) // append must not write into the shared frame
	}
	b = append(b, next.data[next.textAt+1:]...)
	return outFrame{data: b, replyID: f.replyID, textAt: f.textAt, own: true}
}
