-- Transcripts and KPIs: one row of running figures per conversation (conversation_stats), kept in the transactions
-- that write messages, owner changes, tags, review marks and ratings, so that the transcript list and the dashboard
-- read one row per conversation instead of its whole history; the tags and agents of each conversation as rows for
-- the list's filters; full-text indexes over message text and customer name, email and phone.
--
-- The times in conversation_stats are INTEGER microseconds since the Unix epoch (derived figures the store
-- subtracts and sums; the TEXT times of the other tables stay the source of truth). The back-fill below turns a TEXT
-- time into them with (strftime('%s', t) * 1000000 + the six digits of its fraction): exact for timeLayout.

-- +goose Up
CREATE TABLE conversation_stats (
    conversation_id      TEXT PRIMARY KEY REFERENCES conversations (id),
    channel              TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    -- the customer's stage when the newest message was stored
    stage                TEXT NOT NULL DEFAULT '',
    messages             INTEGER NOT NULL DEFAULT 0,
    first_message_us     INTEGER,
    last_message_us      INTEGER,
    first_customer_us    INTEGER,
    -- the oldest customer message no bot or agent message has answered yet
    pending_us           INTEGER,
    first_bot_reply_us   INTEGER,
    bot_replies          INTEGER NOT NULL DEFAULT 0,
    bot_reply_us         INTEGER NOT NULL DEFAULT 0,
    first_agent_reply_us INTEGER,
    agent_replies        INTEGER NOT NULL DEFAULT 0,
    agent_reply_us       INTEGER NOT NULL DEFAULT 0,
    -- hand-offs: moves from the bot (or a closed conversation) to the queue or an agent
    handoffs             INTEGER NOT NULL DEFAULT 0,
    handoff_us           INTEGER,
    triggers             TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(triggers)),
    handoff_stage        TEXT NOT NULL DEFAULT '',
    -- since when it waits in the queue, NULL when it does not
    queued_us            INTEGER,
    queue_waits          INTEGER NOT NULL DEFAULT 0,
    queue_wait_us        INTEGER NOT NULL DEFAULT 0,
    agents               TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(agents)),
    team                 TEXT NOT NULL DEFAULT '',
    closed_us            INTEGER,
    outcome              TEXT NOT NULL DEFAULT '',
    rating               INTEGER NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
    tags                 TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
    review               TEXT NOT NULL DEFAULT '' CHECK (review IN ('', 'good', 'needs_work', 'escalate'))
) STRICT;

-- The list, newest first, and the facts, oldest first, walk this index.
CREATE INDEX conversation_stats_created ON conversation_stats (created_at, conversation_id);

-- Every conversation has its stats row from the start, whatever opens it.
-- +goose StatementBegin
CREATE TRIGGER conversations_stats_insert AFTER INSERT ON conversations
BEGIN
    INSERT INTO conversation_stats (conversation_id, channel, created_at) VALUES (new.id, new.channel, new.created_at);
END;
-- +goose StatementEnd

CREATE TABLE conversation_tags (
    tag             TEXT NOT NULL CHECK (tag <> ''),
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    PRIMARY KEY (tag, conversation_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE conversation_agents (
    agent_id        TEXT NOT NULL CHECK (agent_id <> ''),
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    PRIMARY KEY (agent_id, conversation_id)
) STRICT, WITHOUT ROWID;

-- Message text, searched by the transcript list. The index keeps its own copy of the text rather than pointing at
-- messages (external content): messages has no INTEGER PRIMARY KEY, so its rowids may change in a VACUUM. A merge
-- moves a conversation, never its messages' text, so nothing here names a customer.
CREATE VIRTUAL TABLE message_search USING fts5(
    text,
    conversation_id UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- Customer name, email and phone, searched by the transcript list. customer_search_rows gives each customer a
-- stable rowid in customer_search; triggers keep it current, whatever writes the profile (identify, merges,
-- updates).
CREATE TABLE customer_search_rows (
    row         INTEGER PRIMARY KEY,
    customer_id TEXT NOT NULL UNIQUE REFERENCES customers (id)
) STRICT;

CREATE VIRTUAL TABLE customer_search USING fts5(
    name,
    email,
    phone,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- +goose StatementBegin
CREATE TRIGGER customers_search_insert AFTER INSERT ON customers
BEGIN
    INSERT INTO customer_search_rows (customer_id) VALUES (new.id);
    INSERT INTO customer_search (rowid, name, email, phone)
        VALUES ((SELECT row FROM customer_search_rows WHERE customer_id = new.id), new.name, new.email, new.phone);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER customers_search_update AFTER UPDATE OF name, email, phone ON customers
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.phone IS NOT new.phone
BEGIN
    DELETE FROM customer_search WHERE rowid = (SELECT row FROM customer_search_rows WHERE customer_id = new.id);
    INSERT INTO customer_search (rowid, name, email, phone)
        VALUES ((SELECT row FROM customer_search_rows WHERE customer_id = new.id), new.name, new.email, new.phone);
END;
-- +goose StatementEnd

-- Back-fill, for a database written before this version.
INSERT INTO customer_search_rows (customer_id) SELECT id FROM customers ORDER BY created_at, id;
INSERT INTO customer_search (rowid, name, email, phone)
    SELECT r.row, c.name, c.email, c.phone FROM customer_search_rows r JOIN customers c ON c.id = r.customer_id;
INSERT INTO message_search (text, conversation_id) SELECT text, conversation_id FROM messages ORDER BY rowid;

INSERT INTO conversation_stats (conversation_id, channel, created_at, stage)
    SELECT v.id, v.channel, v.created_at, u.stage FROM conversations v JOIN customers u ON u.id = v.customer_id;

-- The back-fill works on temporary tables with keys: a correlated subquery over an unindexed set would make it
-- quadratic in the number of conversations.
--
-- Messages: counts, first and last, first bot reply after the first customer message, and replies. A customer
-- message with n bot or agent messages before it is answered by the bot or agent message with n before it.
CREATE TEMP TABLE bf_messages AS
SELECT conversation_id, seq, author,
    CAST(strftime('%s', created_at) AS INTEGER) * 1000000 + CAST(substr(created_at, 21, 6) AS INTEGER) AS t,
    COALESCE(SUM(author IN ('bot', 'agent')) OVER (PARTITION BY conversation_id ORDER BY seq
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS n
FROM messages;
CREATE INDEX temp.bf_messages_key ON bf_messages (conversation_id, seq);

CREATE TEMP TABLE bf_pending (conversation_id TEXT, n INTEGER, since INTEGER, PRIMARY KEY (conversation_id, n));
INSERT INTO bf_pending SELECT conversation_id, n, MIN(t) FROM bf_messages WHERE author = 'customer'
    GROUP BY conversation_id, n;

CREATE TEMP TABLE bf_firsts (conversation_id TEXT PRIMARY KEY, messages INTEGER, first_us INTEGER, last_us INTEGER,
    first_customer_us INTEGER, first_customer_seq INTEGER, answers INTEGER);
INSERT INTO bf_firsts SELECT conversation_id, COUNT(*), MIN(t), MAX(t),
    MIN(CASE WHEN author = 'customer' THEN t END), MIN(CASE WHEN author = 'customer' THEN seq END),
    SUM(author IN ('bot', 'agent'))
FROM bf_messages GROUP BY conversation_id;

CREATE TEMP TABLE bf_replies (conversation_id TEXT PRIMARY KEY, bot_n INTEGER, bot_us INTEGER, agent_n INTEGER,
    agent_us INTEGER);
INSERT INTO bf_replies SELECT a.conversation_id,
    SUM(a.author = 'bot'), SUM(CASE WHEN a.author = 'bot' THEN a.t - p.since ELSE 0 END),
    SUM(a.author = 'agent'), SUM(CASE WHEN a.author = 'agent' THEN a.t - p.since ELSE 0 END)
FROM bf_messages a JOIN bf_pending p ON p.conversation_id = a.conversation_id AND p.n = a.n
WHERE a.author IN ('bot', 'agent') GROUP BY a.conversation_id;

CREATE TEMP TABLE bf_first_bot (conversation_id TEXT PRIMARY KEY, t INTEGER);
INSERT INTO bf_first_bot SELECT b.conversation_id, MIN(b.t)
FROM bf_messages b JOIN bf_firsts f ON f.conversation_id = b.conversation_id
WHERE b.author = 'bot' AND b.seq > f.first_customer_seq GROUP BY b.conversation_id;

UPDATE conversation_stats SET
    messages = f.messages, first_message_us = f.first_us, last_message_us = f.last_us,
    first_customer_us = f.first_customer_us, first_bot_reply_us = fb.t, pending_us = p.since,
    bot_replies = COALESCE(r.bot_n, 0), bot_reply_us = COALESCE(r.bot_us, 0),
    agent_replies = COALESCE(r.agent_n, 0), agent_reply_us = COALESCE(r.agent_us, 0)
FROM bf_firsts f
    LEFT JOIN bf_replies r ON r.conversation_id = f.conversation_id
    LEFT JOIN bf_first_bot fb ON fb.conversation_id = f.conversation_id
    LEFT JOIN bf_pending p ON p.conversation_id = f.conversation_id AND p.n = f.answers
WHERE f.conversation_id = conversation_stats.conversation_id;

-- Owner changes: hand-offs (with the trigger of the packet stored right after the change, else the change's cause),
-- queue waits, agents, the newest team, the close.
CREATE TEMP TABLE bf_moves AS
SELECT e.conversation_id, e.seq, e.cause,
    CAST(strftime('%s', e.time) AS INTEGER) * 1000000 + CAST(substr(e.time, 21, 6) AS INTEGER) AS t,
    e.payload ->> 'from' AS from_owner, e.payload ->> 'to' AS to_owner, COALESCE(e.payload ->> 'agent_id', '') AS agent,
    COALESCE(e.payload ->> 'team', '') AS team,
    h.cause AS packet_trigger, COALESCE(h.payload ->> 'stage', '') AS packet_stage,
    LEAD(e.payload ->> 'to') OVER (PARTITION BY e.conversation_id ORDER BY e.seq) AS next_owner,
    LEAD(CAST(strftime('%s', e.time) AS INTEGER) * 1000000 + CAST(substr(e.time, 21, 6) AS INTEGER))
        OVER (PARTITION BY e.conversation_id ORDER BY e.seq) AS next_t
FROM events e LEFT JOIN events h ON h.seq = e.seq + 1 AND h.type = 'handoff' AND h.conversation_id = e.conversation_id
WHERE e.type = 'owner_changed' AND e.conversation_id IS NOT NULL;
CREATE INDEX temp.bf_moves_key ON bf_moves (conversation_id, seq);

-- The bare columns of a query with one MIN or MAX come from the row that has it.
CREATE TEMP TABLE bf_handoffs (conversation_id TEXT PRIMARY KEY, first_seq INTEGER, stage TEXT, handoffs INTEGER,
    handoff_us INTEGER, triggers TEXT);
INSERT INTO bf_handoffs SELECT conversation_id, MIN(seq), packet_stage, COUNT(*), t,
    json_group_array(COALESCE(packet_trigger, cause) ORDER BY seq)
FROM bf_moves WHERE from_owner IN ('bot', 'closed') AND to_owner IN ('queue', 'agent') GROUP BY conversation_id;

CREATE TEMP TABLE bf_last (conversation_id TEXT PRIMARY KEY, last_seq INTEGER, to_owner TEXT, t INTEGER, cause TEXT);
INSERT INTO bf_last SELECT conversation_id, MAX(seq), to_owner, t, cause FROM bf_moves GROUP BY conversation_id;

CREATE TEMP TABLE bf_team (conversation_id TEXT PRIMARY KEY, last_seq INTEGER, team TEXT);
INSERT INTO bf_team SELECT conversation_id, MAX(seq), team FROM bf_moves WHERE team <> '' GROUP BY conversation_id;

CREATE TEMP TABLE bf_waits (conversation_id TEXT PRIMARY KEY, n INTEGER, us INTEGER);
INSERT INTO bf_waits SELECT conversation_id, COUNT(*), SUM(next_t - t) FROM bf_moves
WHERE to_owner = 'queue' AND next_owner = 'agent' GROUP BY conversation_id;

INSERT INTO conversation_agents (agent_id, conversation_id)
    SELECT DISTINCT agent, conversation_id FROM bf_moves WHERE to_owner = 'agent' AND agent <> '';

CREATE TEMP TABLE bf_agents (conversation_id TEXT PRIMARY KEY, agents TEXT);
INSERT INTO bf_agents SELECT conversation_id, json_group_array(agent ORDER BY first_seq) FROM (
    SELECT conversation_id, agent, MIN(seq) AS first_seq FROM bf_moves
    WHERE to_owner = 'agent' AND agent <> '' GROUP BY conversation_id, agent)
GROUP BY conversation_id;

UPDATE conversation_stats SET
    handoffs = COALESCE(h.handoffs, 0), handoff_us = h.handoff_us, triggers = COALESCE(h.triggers, '[]'),
    handoff_stage = COALESCE(h.stage, ''),
    queue_waits = COALESCE(w.n, 0), queue_wait_us = COALESCE(w.us, 0),
    agents = COALESCE(a.agents, '[]'), team = COALESCE(tm.team, ''),
    queued_us = CASE WHEN l.to_owner = 'queue' THEN l.t END,
    closed_us = CASE WHEN l.to_owner = 'closed' THEN l.t END,
    outcome = CASE WHEN l.to_owner = 'closed' THEN l.cause ELSE '' END
FROM bf_last l
    LEFT JOIN bf_handoffs h ON h.conversation_id = l.conversation_id
    LEFT JOIN bf_waits w ON w.conversation_id = l.conversation_id
    LEFT JOIN bf_agents a ON a.conversation_id = l.conversation_id
    LEFT JOIN bf_team tm ON tm.conversation_id = l.conversation_id
WHERE l.conversation_id = conversation_stats.conversation_id;

-- The first agent message after the first hand-off.
UPDATE conversation_stats SET first_agent_reply_us = x.t
FROM (
    SELECT m.conversation_id, MIN(m.t) AS t FROM bf_messages m JOIN bf_handoffs h ON h.conversation_id = m.conversation_id
    WHERE m.author = 'agent' AND m.t >= h.handoff_us GROUP BY m.conversation_id
) x WHERE x.conversation_id = conversation_stats.conversation_id;

DROP TABLE bf_agents;
DROP TABLE bf_waits;
DROP TABLE bf_team;
DROP TABLE bf_last;
DROP TABLE bf_handoffs;
DROP TABLE bf_moves;
DROP TABLE bf_first_bot;
DROP TABLE bf_replies;
DROP TABLE bf_firsts;
DROP TABLE bf_pending;
DROP TABLE bf_messages;

-- +goose Down
DROP TRIGGER customers_search_update;
DROP TRIGGER customers_search_insert;
DROP TABLE customer_search;
DROP TABLE customer_search_rows;
DROP TABLE message_search;
DROP TABLE conversation_agents;
DROP TABLE conversation_tags;
DROP TRIGGER conversations_stats_insert;
DROP INDEX conversation_stats_created;
DROP TABLE conversation_stats;
