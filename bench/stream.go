package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// ErrNoDone means a stream ended without its "data: [DONE]" line.
var ErrNoDone = errors.New("stream ended without [DONE]")

// maxSSELine bounds one server-sent-events line, so that a broken server cannot make the client buffer without end.
const maxSSELine = 1 << 20

// ReadSSE reads an OpenAI-style server-sent-events stream from r and calls onData with the payload of each "data:"
// line until the "data: [DONE]" line, then returns nil. Other lines (comments, event names, blank lines) are skipped.
// It returns ErrNoDone when the stream ends before [DONE], the error of onData when it fails, and an error for a
// line over 1 MiB.
func ReadSSE(r io.Reader, onData func(data []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxSSELine)
	for sc.Scan() {
		line := sc.Bytes()
		data, ok := bytes.CutPrefix(line, []byte("data:"))
		if !ok {
			continue
		}
		data = bytes.TrimSpace(data)
		if string(data) == "[DONE]" {
			return nil
		}
		if err := onData(data); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read stream: %w", err)
	}
	return ErrNoDone
}

// chunk is the part of a chat.completion.chunk the benchmark reads.
type chunk struct {
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
	} `json:"choices"`
}

// StreamResult is the timing of one streamed chat completion.
type StreamResult struct {
	FirstToken time.Time // when the first non-empty content delta was read
	Done       time.Time // when [DONE] was read
	Chunks     int       // content deltas read
}

// StreamClient sends streaming chat-completion requests to an OpenAI-compatible server, directly or through a
// proxy. It is safe for concurrent use.
type StreamClient struct {
	BaseURL string // ends with the version path, e.g. http://127.0.0.1:8080/v1
	HTTP    *http.Client
}

// NewStreamClient returns a client for baseURL whose transport keeps up to conns connections open, so that load at
// a high rate reuses connections rather than exhausting loopback ports. It sets no client timeout (that would cut
// streams): each call has its own context.
func NewStreamClient(baseURL string, conns int) *StreamClient {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &StreamClient{BaseURL: strings.TrimSuffix(baseURL, "/"), HTTP: &http.Client{Transport: tr}}
}

// Stream sends one streaming request with question as the user message and reads the answer to its end.
func (c *StreamClient) Stream(ctx context.Context, question string) (StreamResult, error) {
	var res StreamResult
	body, err := json.Marshal(map[string]any{
		"model":    "bench",
		"stream":   true,
		"messages": []map[string]string{{"role": "user", "content": question}},
	})
	if err != nil {
		return res, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return res, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer bench")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return res, fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return res, fmt.Errorf("post: HTTP %d", resp.StatusCode)
	}
	err = ReadSSE(resp.Body, func(data []byte) error {
		var ch chunk
		if err := json.Unmarshal(data, &ch); err != nil {
			return fmt.Errorf("decode chunk: %w", err)
		}
		if len(ch.Choices) > 0 && ch.Choices[0].Delta.Content != "" {
			if res.Chunks == 0 {
				res.FirstToken = time.Now()
			}
			res.Chunks++
		}
		return nil
	})
	res.Done = time.Now()
	if err == nil {
		// Read to the end of the body so that the connection is reused, not closed.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	}
	return res, err
}
