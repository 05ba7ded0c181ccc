package webchat

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/journeystate"
)

// readLoop reads the client's frames one at a time until the connection fails or closes, answering each: bad frames
// get an error frame and the connection keeps working. Messages of one socket are handled in order.
func (c *client) readLoop() {
	// The peer has gone or gorilla has already sent the close frame (1009): the writer just closes.
	defer c.stop(websocket.CloseAbnormalClosure, "")

	c.conn.SetReadLimit(maxReadBytes)
	c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(pongWait)) })
	limit := c.hub.opts.MaxFrameBytes
	for {
		kind, r, err := c.conn.NextReader()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.hub.log.Info("web chat socket closed: frame over the hard limit")
			}
			return
		}
		c.conn.SetReadDeadline(time.Now().Add(pongWait))
		data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
		if err != nil {
			return
		}
		if len(data) > limit {
			// Discard the rest of the frame so that the next one can be read; past maxReadBytes this fails and
			// the connection is closed.
			if _, err := io.Copy(io.Discard, r); err != nil {
				return
			}
			c.refuse(c.hub.frameTooLarge(peekMessageID(data)))
			continue
		}
		if kind != websocket.TextMessage {
			c.refuse(errBinaryFrame(peekMessageID(data)))
			continue
		}
		onOwnStack(func() { c.handle(data) })
	}
}

// handle decodes one text frame and acts on it.
func (c *client) handle(data []byte) {
	f, err := decodeFrame(data)
	if err != nil {
		var fe *frameError
		if !errors.As(err, &fe) {
			fe = &frameError{Code: codeBadFrame, Message: "The frame could not be read."}
		}
		c.refuse(fe)
		return
	}
	c.hub.metrics.frameIn(f.Type)
	switch f.Type {
	case typeHello:
		c.hello(f)
	case typeMessage:
		c.message(f)
	case typeIdentify:
		c.identify(f)
	}
}

// onOwnStack runs fn on a short-lived goroutine and waits for it. Handling a frame goes deep (JSON decoding, the
// engine, the store) and a goroutine's stack does not shrink back after it; the reader, which lives as long as the
// socket and is idle nearly all that time, thus keeps a small stack. Frames of one socket are still handled one at
// a time, in order.
func onOwnStack(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	<-done
}

// refuse answers an incoming frame that was not accepted.
func (c *client) refuse(e *frameError) {
	c.hub.metrics.frameIn("invalid")
	c.sendError(e)
}

func (c *client) sendError(e *frameError) {
	if c.reply(e.bytes()) {
		c.hub.metrics.frameOut(typeError)
	}
}

// hello joins the socket to its visitor (making a visitor id when the client has none) and answers with the
// welcome: the visitor's latest conversation and its newest messages after f.LastSeq (within historyLimit and
// MaxWelcomeBytes). The socket is registered before the history is read, so that nothing published meanwhile is
// missed: such frames are held and follow the welcome (a client may so see a message twice, and keeps it once by
// its id). A repeated hello re-sends the history, but only once the previous welcome has been written.
func (c *client) hello(f clientFrame) {
	h := c.hub
	vid := c.visitorID
	first := vid == ""
	switch {
	case !first && f.VisitorID != "" && f.VisitorID != vid:
		c.sendError(errVisitorChange)
		return
	case !first && c.welcomePending():
		// One welcome at a time: a client that asks again before reading the last one would otherwise make the
		// server queue a history per hello.
		c.sendError(errWelcomePending)
		return
	case first && f.VisitorID != "":
		vid = f.VisitorID
	case first:
		vid = newVisitorID()
	}
	if first && !h.register(c, vid) {
		return // stopped meanwhile
	}

	ctx, cancel := context.WithTimeout(context.Background(), engineWait)
	defer cancel()
	// One more than a welcome carries, to know whether older messages exist.
	conv, msgs, err := h.engine.History(ctx, journeystate.ChannelWeb, vid, vid, f.LastSeq, historyLimit+1)
	if err != nil {
		if first {
			h.unregisterVisitor(c)
			c.unhold()
		}
		c.sendError(h.engineError(err, vid, "", "history"))
		return
	}
	c.sendWelcome(vid, conv, msgs)
}

// sendWelcome queues the welcome for conv with msgs, which holds at most historyLimit+1 messages: one more than a
// welcome carries says that older ones exist. It records conv as the conversation the client knows.
func (c *client) sendWelcome(vid string, conv journeystate.Conversation, msgs []journeystate.Message) {
	h := c.hub
	more := len(msgs) > historyLimit
	if more {
		msgs = msgs[len(msgs)-historyLimit:]
	}
	c.convID = conv.ID
	limits := welcomeLimits{MaxMessageChars: h.opts.MaxMessageChars, MaxFrameBytes: h.opts.MaxFrameBytes}
	if c.welcome(welcomeBytes(vid, conv, msgs, more, limits, h.opts.MaxWelcomeBytes)) {
		h.metrics.frameOut(typeWelcome)
	}
}

// message hands a customer message to the engine, acknowledges it once the engine has stored it, shows it on the
// visitor's other sockets and asks the engine to answer it. A duplicate is acknowledged again and still passed to
// Answer: the engine knows whether it was answered before.
func (c *client) message(f clientFrame) {
	h := c.hub
	vid := c.visitorID
	if vid == "" {
		c.sendError(errHelloRequired(f.ID))
		return
	}
	if utf8.RuneCountInString(strings.TrimSpace(f.Text)) > h.opts.MaxMessageChars {
		c.sendError(h.textTooLong(f.ID))
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), engineWait)
	defer cancel()
	receipt, err := h.engine.Receive(ctx, channels.Inbound{
		Channel:     journeystate.ChannelWeb,
		UserID:      vid,
		Level:       journeystate.LevelAnonymous,
		ThreadID:    vid,
		ClientMsgID: f.ID,
		Text:        f.Text,
		ReceivedAt:  h.opts.Now(),
	})
	if err != nil {
		c.sendError(h.engineError(err, vid, f.ID, "receive"))
		return
	}

	c.convID = receipt.Conversation.ID
	ack := mustJSON(ackFrame{Type: typeAck, ID: f.ID, Seq: receipt.Message.Seq,
		ConversationID: receipt.Conversation.ID, Duplicate: receipt.Duplicate})
	if c.reply(ack) {
		h.metrics.frameOut(typeAck)
	}
	if !receipt.Duplicate {
		echo := mustJSON(messageFrame{Type: typeMessage, Message: toWire(receipt.Message)})
		h.publish(vid, typeMessage, plainFrame(echo), c)
	}
}

// newVisitorID makes a visitor id: "v_" and 26 random base32 characters (130 bits), valid per the protocol.
func newVisitorID() string {
	return "v_" + rand.Text()
}
