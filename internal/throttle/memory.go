package throttle

import (
	"container/heap"
	"container/list"
	"context"
	"sync"
	"time"
)

// DefaultMaxEntries is the cap of a memory store made without one: some
// 20 MB of logs at most.
const DefaultMaxEntries = 100_000

// Memory is the Store of one process. It holds at most its cap of entries,
// one per request that a key's log holds, and when full forgets first the
// logs used least recently: so no input, however many clients or keys it
// brings, grows it without bound. Forgetting a log lets its key through
// sooner; that is the price of the bound, paid by the keys nobody has used
// for longest. (Forgetting the soonest to expire instead let an attacker who
// filled the store with hour-long logs make every new minute-long log, such
// as the count of the address it guesses from, the first to go.) To have a
// key forgotten, a client must bring a full cap of other requests since its
// last use.
type Memory struct {
	mu       sync.Mutex
	logs     map[string]*history
	byExpiry expiryHeap // every log, the soonest to expire first, to expire them
	byUse    list.List  // every log, the least recently used first, to evict them
	entries  int        // requests held by all logs together
	max      int
}

// history is one key's requests, newest first as DRF keeps them, and the
// window they count in.
type history struct {
	key    string
	times  []time.Time
	window time.Duration
	index  int           // in byExpiry
	use    *list.Element // in byUse
}

// expires is when the whole log has left its window.
func (h *history) expires() time.Time { return h.times[0].Add(h.window) }

// NewMemory returns a Store in this process's memory that holds at most
// maxEntries requests (DefaultMaxEntries when maxEntries <= 0).
func NewMemory(maxEntries int) *Memory {
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	return &Memory{logs: map[string]*history{}, max: maxEntries}
}

// Len is the number of requests the store holds, at most its cap.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.entries
}

// Take implements Store.
func (m *Memory) Take(_ context.Context, key string, limit int, window time.Duration, now time.Time) (Window, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// A refused request is a use too: a key being hammered stays.
	l := m.use(key, now)
	var h []time.Time
	if l != nil {
		h = l.times
		for len(h) > 0 && !h[len(h)-1].After(now.Add(-window)) {
			h = h[:len(h)-1]
		}
		m.entries -= len(l.times) - len(h)
		l.times = h
		if len(h) >= limit {
			// Only the oldest went, so the newest, and the expiry, stay.
			return Window{Count: len(h), Oldest: h[len(h)-1]}, nil
		}
	}
	h = append(h, time.Time{})
	copy(h[1:], h)
	h[0] = now
	m.put(key, l, h, window)
	return Window{Count: len(h) - 1, Oldest: h[len(h)-1], Taken: true}, nil
}

// Refund implements Store.
func (m *Memory) Refund(_ context.Context, key string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.logs[key]
	if l == nil {
		return nil
	}
	for i, t := range l.times {
		if !t.Equal(at) {
			continue
		}
		l.times = append(l.times[:i], l.times[i+1:]...)
		m.entries--
		switch {
		case len(l.times) == 0:
			m.drop(l)
		case i == 0:
			heap.Fix(&m.byExpiry, l.index)
		}
		return nil
	}
	return nil
}

// Mark implements Store.
func (m *Memory) Mark(_ context.Context, key string, window time.Duration, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.use(key, now)
	var h []time.Time
	if l != nil {
		h = l.times[:0]
	}
	m.put(key, l, append(h, now), window)
	return nil
}

// Marked implements Store.
func (m *Memory) Marked(_ context.Context, key string, window time.Duration, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.logs[key]
	return l != nil && l.times[0].After(now.Add(-window)), nil
}

// use drops the logs that have left their window and returns key's log,
// moved to the most recently used end (nil for a key it has none of); m.mu
// is held.
func (m *Memory) use(key string, now time.Time) *history {
	m.expire(now)
	l := m.logs[key]
	if l != nil {
		m.byUse.MoveToBack(l.use)
	}
	return l
}

// put stores times as key's log, l (nil for a new key), then evicts down to
// the cap.
func (m *Memory) put(key string, l *history, times []time.Time, window time.Duration) {
	if l == nil {
		l = &history{key: key, times: times, window: window}
		m.logs[key] = l
		heap.Push(&m.byExpiry, l)
		l.use = m.byUse.PushBack(l)
		m.entries += len(times)
	} else {
		m.entries += len(times) - len(l.times)
		l.times, l.window = times, window
		heap.Fix(&m.byExpiry, l.index)
	}
	// The log just used is the last in byUse, so it goes only when it alone
	// is over the cap.
	for m.entries > m.max && m.byUse.Len() > 0 {
		m.drop(m.byUse.Front().Value.(*history))
	}
}

// expire drops the logs whose every request has left its window: the heap
// finds them without a walk over every key.
func (m *Memory) expire(now time.Time) {
	for len(m.byExpiry) > 0 && !m.byExpiry[0].expires().After(now) {
		m.drop(m.byExpiry[0])
	}
}

func (m *Memory) drop(l *history) {
	heap.Remove(&m.byExpiry, l.index)
	m.byUse.Remove(l.use)
	delete(m.logs, l.key)
	m.entries -= len(l.times)
}

// expiryHeap orders logs by when they expire (container/heap.Interface).
type expiryHeap []*history

func (q expiryHeap) Len() int           { return len(q) }
func (q expiryHeap) Less(i, j int) bool { return q[i].expires().Before(q[j].expires()) }
func (q expiryHeap) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}

func (q *expiryHeap) Push(x any) {
	l := x.(*history)
	l.index = len(*q)
	*q = append(*q, l)
}

func (q *expiryHeap) Pop() any {
	old := *q
	l := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return l
}
