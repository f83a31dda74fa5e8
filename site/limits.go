package site

import (
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
)

// Limits are the server's defences against clients that hold connections: 20 000 slow-body
// POST /login connections from one address used up the file descriptors, /healthz stopped
// answering, and a warehouse reload and audit entries failed. A request must arrive whole within
// ReadTimeout, except an upload's body, which may take up to UploadTimeout as long as it keeps
// coming (no pause longer than UploadIdle, on average at least UploadMinRate); one address may
// hold MaxConnsPerAddr connections at once, and further ones are closed as they come.
type Limits struct {
	ReadHeaderTimeout time.Duration // the request line and headers: 10 s when zero
	ReadTimeout       time.Duration // the whole request, body included (not an upload's): 30 s
	WriteTimeout      time.Duration // the answer, from the end of the headers (not an upload's): 5 min
	IdleTimeout       time.Duration // a kept-alive connection without a request: 2 min
	UploadIdle        time.Duration // the longest pause in an upload's body: 30 s
	UploadMinRate     int64         // bytes a second an upload's body must average, past UploadIdle: 4 KiB
	UploadTimeout     time.Duration // an upload, body and answer: 1 h
	MaxConnsPerAddr   int           // open connections per address (an IPv6 /64): 64
}

// DefaultLimits are the limits for zero fields.
var DefaultLimits = Limits{
	ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 5 * time.Minute,
	IdleTimeout: 2 * time.Minute, UploadIdle: 30 * time.Second, UploadMinRate: 4 << 10,
	UploadTimeout: time.Hour, MaxConnsPerAddr: 64,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	set := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.ReadHeaderTimeout, d.ReadHeaderTimeout)
	set(&l.ReadTimeout, d.ReadTimeout)
	set(&l.WriteTimeout, d.WriteTimeout)
	set(&l.IdleTimeout, d.IdleTimeout)
	set(&l.UploadIdle, d.UploadIdle)
	set(&l.UploadTimeout, d.UploadTimeout)
	if l.UploadMinRate <= 0 {
		l.UploadMinRate = d.UploadMinRate
	}
	if l.MaxConnsPerAddr <= 0 {
		l.MaxConnsPerAddr = d.MaxConnsPerAddr
	}
	return l
}

// Server is the HTTP server of the site with its limits: serve it on Listen's listener.
func (s *Site) Server() *http.Server {
	l := s.limits
	return &http.Server{Handler: s.Handler(), ReadHeaderTimeout: l.ReadHeaderTimeout, ReadTimeout: l.ReadTimeout,
		WriteTimeout: l.WriteTimeout, IdleTimeout: l.IdleTimeout, MaxHeaderBytes: 64 << 10}
}

// Listen wraps ln so that one address holds at most MaxConnsPerAddr connections at once.
func (s *Site) Listen(ln net.Listener) net.Listener {
	return &connLimiter{Listener: ln, max: s.limits.MaxConnsPerAddr, open: map[netip.Prefix]int{}}
}

// uploadRoutes are the routes whose body is a file: they alone may take longer than ReadTimeout.
var uploadRoutes = map[string]bool{"POST /api/v1/uploads": true, "POST /upload": true}

// uploadDeadlines lets an upload's body take longer than the server's ReadTimeout, for as long as
// it makes progress: each read that brings bytes moves the connection's read deadline UploadIdle
// on, up to UploadTimeout from the start, and a body averaging less than UploadMinRate is cut
// off. It runs after the guard, so only a caller allowed to upload gets the longer time.
func (s *Site) uploadDeadlines(c *gin.Context) {
	if !uploadRoutes[c.Request.Method+" "+c.FullPath()] {
		c.Next()
		return
	}
	l := s.limits
	rc := http.NewResponseController(c.Writer)
	start := time.Now()
	end := start.Add(l.UploadTimeout)
	// a writer that cannot set deadlines (a test's recorder) has no server timeouts to lift
	if rc.SetReadDeadline(start.Add(l.UploadIdle)) == nil {
		rc.SetWriteDeadline(end.Add(l.WriteTimeout)) //nolint:errcheck // supported, as the read one is
		c.Request.Body = &progressBody{ReadCloser: c.Request.Body, rc: rc, start: start, end: end, idle: l.UploadIdle,
			minRate: float64(l.UploadMinRate)}
	}
	c.Next()
}

// errTooSlow ends an upload whose body comes slower than the minimum rate.
var errTooSlow = minsheng.Errorf(minsheng.EINVALID, "上传速度过慢,连接已断开,请在网络通畅时重新上传",
	"the upload came in too slowly and was cut off; send it again on a better connection")

// progressBody is an upload's body that moves the read deadline on while it makes progress.
type progressBody struct {
	io.ReadCloser
	rc         *http.ResponseController
	start, end time.Time
	idle       time.Duration
	minRate    float64
	n          int64
	failed     error
}

func (b *progressBody) Read(p []byte) (int, error) {
	if b.failed != nil {
		return 0, b.failed
	}
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if n > 0 {
		now := time.Now()
		if el := now.Sub(b.start); el > b.idle && float64(b.n) < b.minRate*el.Seconds() {
			b.failed = errTooSlow
			b.rc.SetReadDeadline(now) //nolint:errcheck // the connection is given up either way
			return n, b.failed
		}
		dl := now.Add(b.idle)
		if dl.After(b.end) {
			dl = b.end
		}
		b.rc.SetReadDeadline(dl) //nolint:errcheck // set once already, so supported
	}
	return n, err
}

// connLimiter is a listener that closes, as soon as it is accepted, a connection from an address
// (an IPv6 /64, as the login throttle counts) already holding max: a flood from one address
// cannot take every file descriptor, and everyone else, /healthz's monitor included, is still
// served.
type connLimiter struct {
	net.Listener
	max  int
	mu   sync.Mutex
	open map[netip.Prefix]int
}

func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key, ok := addrPrefix(c.RemoteAddr())
		if !ok {
			return c, nil // not an IP connection (a unix socket): nothing to count by
		}
		l.mu.Lock()
		if l.open[key] >= l.max {
			l.mu.Unlock()
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0) //nolint:errcheck // a reset, so the refused socket does not linger in TIME_WAIT
			}
			c.Close()
			continue
		}
		l.open[key]++
		l.mu.Unlock()
		return &countedConn{Conn: c, release: func() { l.release(key) }}, nil
	}
}

func (l *connLimiter) release(key netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key]--; l.open[key] <= 0 {
		delete(l.open, key)
	}
}

// addrPrefix is the address a connection is counted by: the IPv4 address, or the IPv6 /64.
func addrPrefix(a net.Addr) (netip.Prefix, bool) {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Prefix{}, false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap().WithZone("")
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, err := ip.Prefix(bits)
	return p, err == nil
}

// countedConn gives its address's place back when closed, once.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
