package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/journeybot/journeybot/channels"
	"github.com/journeybot/journeybot/console"
	"github.com/journeybot/journeybot/journeystate"
)

// memUsers is an in-memory journeystate.UserStore. (The SQLite store is being extended on this branch; the console's
// tests must not wait for it.)
type memUsers struct {
	mu       sync.Mutex
	now      func() time.Time
	users    []journeystate.User
	sessions map[string]journeystate.Session
}

var _ journeystate.UserStore = (*memUsers)(nil)

func newMemUsers(now func() time.Time) *memUsers {
	return &memUsers{now: now, sessions: make(map[string]journeystate.Session)}
}

func (m *memUsers) CreateUser(ctx context.Context, u journeystate.User) (journeystate.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.users {
		if o.Email == u.Email {
			return journeystate.User{}, journeystate.ErrConflict
		}
	}
	u.ID = fmt.Sprintf("user-%d", len(m.users)+1)
	u.CreatedAt = m.now()
	m.users = append(m.users, u)
	return u, nil
}

func (m *memUsers) UserByEmail(ctx context.Context, email string) (journeystate.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, u := range m.users {
		if u.Email == email {
			return u, nil
		}
	}
	return journeystate.User{}, journeystate.ErrNotFound
}

func (m *memUsers) User(ctx context.Context, id string) (journeystate.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, u := range m.users {
		if u.ID == id {
			return u, nil
		}
	}
	return journeystate.User{}, journeystate.ErrNotFound
}

func (m *memUsers) Users(ctx context.Context) ([]journeystate.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	us := slices.Clone(m.users)
	slices.SortFunc(us, func(a, b journeystate.User) int { return strings.Compare(a.Email, b.Email) })
	return us, nil
}

func (m *memUsers) SetUserStatus(ctx context.Context, id string, status journeystate.AgentStatus) (journeystate.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, u := range m.users {
		if u.ID == id {
			m.users[i].Status, m.users[i].StatusAt = status, m.now()
			return m.users[i], nil
		}
	}
	return journeystate.User{}, journeystate.ErrNotFound
}

func (m *memUsers) CreateSession(ctx context.Context, userID, tokenHash string, expires time.Time) (journeystate.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.sessions[tokenHash]; ok {
		return journeystate.Session{}, journeystate.ErrConflict
	}
	s := journeystate.Session{TokenHash: tokenHash, UserID: userID, CreatedAt: m.now(), ExpiresAt: expires}
	m.sessions[tokenHash] = s
	return s, nil
}

func (m *memUsers) Session(ctx context.Context, tokenHash string) (journeystate.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[tokenHash]
	if !ok {
		return journeystate.Session{}, journeystate.ErrNotFound
	}
	return s, nil
}

func (m *memUsers) DeleteSession(ctx context.Context, tokenHash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, tokenHash)
	return nil
}

// memRecords is an in-memory console.Records, filled by the tests and changed by fakeDesk.
type memRecords struct {
	mu         sync.Mutex
	convs      map[string]journeystate.Conversation
	customers  map[string]journeystate.Customer
	identities map[string][]journeystate.Identity
	handoffs   map[string]journeystate.Handoff
	messages   map[string][]journeystate.Message
	events     map[string][]journeystate.Event
}

var _ console.Records = (*memRecords)(nil)

func newMemRecords() *memRecords {
	return &memRecords{convs: map[string]journeystate.Conversation{}, customers: map[string]journeystate.Customer{},
		identities: map[string][]journeystate.Identity{}, handoffs: map[string]journeystate.Handoff{},
		messages: map[string][]journeystate.Message{}, events: map[string][]journeystate.Event{}}
}

func (m *memRecords) put(conv journeystate.Conversation, cust journeystate.Customer, h *journeystate.Handoff, msgs ...journeystate.Message) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.convs[conv.ID] = conv
	m.customers[cust.ID] = cust
	if h != nil {
		m.handoffs[conv.ID] = *h
	}
	for i, msg := range msgs {
		msg.ConversationID, msg.CustomerID, msg.Seq = conv.ID, cust.ID, int64(i+1)
		m.messages[conv.ID] = append(m.messages[conv.ID], msg)
	}
}

func (m *memRecords) setOwner(id string, owner journeystate.Owner, agentID string) (journeystate.Conversation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	conv, ok := m.convs[id]
	if !ok {
		return conv, journeystate.ErrNotFound
	}
	conv.Owner, conv.AgentID = owner, agentID
	m.convs[id] = conv
	return conv, nil
}

func (m *memRecords) Conversations(ctx context.Context, q journeystate.ConversationQuery) ([]journeystate.Conversation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []journeystate.Conversation
	for _, c := range m.convs {
		if c.Owner == q.Owner && (q.AgentID == "" || c.AgentID == q.AgentID) && (q.Team == "" || c.Team == q.Team) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b journeystate.Conversation) int { return a.OwnerSince.Compare(b.OwnerSince) })
	return out, nil
}

func (m *memRecords) Conversation(ctx context.Context, id string) (journeystate.Conversation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.convs[id]
	if !ok {
		return c, journeystate.ErrNotFound
	}
	return c, nil
}

func (m *memRecords) LatestHandoff(ctx context.Context, id string) (journeystate.Handoff, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, ok := m.handoffs[id]
	if !ok {
		return h, journeystate.ErrNotFound
	}
	return h, nil
}

func (m *memRecords) RecentMessages(ctx context.Context, id string, limit int) ([]journeystate.Message, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	msgs := m.messages[id]
	if len(msgs) > limit {
		msgs = msgs[len(msgs)-limit:]
	}
	return slices.Clone(msgs), nil
}

func (m *memRecords) Customer(ctx context.Context, id string) (journeystate.Customer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.customers[id]
	if !ok {
		return c, journeystate.ErrNotFound
	}
	return c, nil
}

func (m *memRecords) Identities(ctx context.Context, id string) ([]journeystate.Identity, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.identities[id]), nil
}

func (m *memRecords) Events(ctx context.Context, q journeystate.EventQuery) ([]journeystate.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if q.ConversationID == "" { // a customer's log: memReports.event files it so
		var out []journeystate.Event
		for _, e := range m.events["customer:"+q.CustomerID] {
			if e.Seq > q.AfterSeq {
				out = append(out, e)
			}
		}
		return out, nil
	}
	return slices.Clone(m.events[q.ConversationID]), nil
}

// fakeDesk records the calls the console makes, changes memRecords the way the engine would change the store,
// and publishes updates to its subscribers. Err, when set, is what every action returns (and nothing changes).
type fakeDesk struct {
	records *memRecords

	mu    sync.Mutex
	Err   error
	calls []string
	subs  map[int]chan channels.Update
	next  int
}

var _ console.Desk = (*fakeDesk)(nil)

func newFakeDesk(r *memRecords) *fakeDesk {
	return &fakeDesk{records: r, subs: map[int]chan channels.Update{}}
}

// record notes a call and returns the error the desk is set to fail with.
func (d *fakeDesk) record(format string, args ...any) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, fmt.Sprintf(format, args...))
	return d.Err
}

func (d *fakeDesk) Calls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls)
}

func (d *fakeDesk) Subscribers() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.subs)
}

func (d *fakeDesk) Publish(u channels.Update) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ch := range d.subs {
		select {
		case ch <- u:
		default:
		}
	}
}

func (d *fakeDesk) Subscribe(buffer int) (<-chan channels.Update, func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ch := make(chan channels.Update, buffer)
	id := d.next
	d.next++
	d.subs[id] = ch
	return ch, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		delete(d.subs, id)
	}
}

func (d *fakeDesk) owner(id string, owner journeystate.Owner, agentID string) (journeystate.Conversation, error) {
	conv, err := d.records.setOwner(id, owner, agentID)
	if err == nil {
		d.Publish(channels.Update{Kind: channels.UpdateOwner, Conversation: conv})
	}
	return conv, err
}

func (d *fakeDesk) Take(ctx context.Context, id string, a channels.Agent) (journeystate.Conversation, error) {
	if err := d.record("take %s by %s", id, a.ID); err != nil {
		return journeystate.Conversation{}, err
	}
	return d.owner(id, journeystate.OwnerAgent, a.ID)
}

func (d *fakeDesk) Assign(ctx context.Context, id string, to, by channels.Agent) (journeystate.Conversation, error) {
	if err := d.record("assign %s to %s by %s", id, to.ID, by.ID); err != nil {
		return journeystate.Conversation{}, err
	}
	return d.owner(id, journeystate.OwnerAgent, to.ID)
}

func (d *fakeDesk) TransferToTeam(ctx context.Context, id string, a channels.Agent, team string) (journeystate.Conversation, error) {
	if err := d.record("transfer %s by %s to %s", id, a.ID, team); err != nil {
		return journeystate.Conversation{}, err
	}
	return d.owner(id, journeystate.OwnerQueue, "")
}

func (d *fakeDesk) Reply(ctx context.Context, id string, a channels.Agent, clientID, text string) (journeystate.Message, error) {
	if err := d.record("reply %s by %s: %s", id, a.ID, text); err != nil {
		return journeystate.Message{}, err
	}
	m := journeystate.Message{ConversationID: id, Author: journeystate.ActorAgent, ClientID: clientID, Text: text,
		Meta: journeystate.MessageMeta{AgentID: a.ID, AgentName: a.Name}}
	d.records.mu.Lock()
	for _, o := range d.records.messages[id] {
		if o.ClientID == clientID {
			d.records.mu.Unlock()
			return o, nil // stored once
		}
	}
	m.Seq = int64(len(d.records.messages[id]) + 1)
	d.records.messages[id] = append(d.records.messages[id], m)
	d.records.mu.Unlock()
	d.Publish(channels.Update{Kind: channels.UpdateMessage, Conversation: journeystate.Conversation{ID: id}, Message: m})
	return m, nil
}

func (d *fakeDesk) Note(ctx context.Context, id string, a channels.Agent, text string) (journeystate.Event, error) {
	if err := d.record("note %s by %s: %s", id, a.ID, text); err != nil {
		return journeystate.Event{}, err
	}
	payload, _ := json.Marshal(map[string]string{"text": text, "agent_name": a.Name})
	e := journeystate.Event{ConversationID: id, Type: "agent_note", Actor: journeystate.ActorAgent, Payload: payload}
	d.records.mu.Lock()
	d.records.events[id] = append(d.records.events[id], e)
	d.records.mu.Unlock()
	return e, nil
}

func (d *fakeDesk) Typing(ctx context.Context, id string, a channels.Agent, on bool) error {
	return d.record("typing %s by %s %v", id, a.ID, on)
}

func (d *fakeDesk) HandBack(ctx context.Context, id string, a channels.Agent) (journeystate.Conversation, error) {
	if err := d.record("handback %s by %s", id, a.ID); err != nil {
		return journeystate.Conversation{}, err
	}
	return d.owner(id, journeystate.OwnerBot, "")
}

func (d *fakeDesk) Close(ctx context.Context, id string, a channels.Agent, outcome string) (journeystate.Conversation, error) {
	if err := d.record("close %s by %s %s", id, a.ID, outcome); err != nil {
		return journeystate.Conversation{}, err
	}
	return d.owner(id, journeystate.OwnerClosed, "")
}
