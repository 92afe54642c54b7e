package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// DefaultStall is how long a registry request may go without a byte moving (the
// answer's headers, its body, or the body sent) before it is abandoned.
const DefaultStall = 30 * time.Second

// ErrStalled is wrapped by the error of a registry request that went ReadOptions.Stall
// without a byte moving.
var ErrStalled = errors.New("the registry sent nothing")

// stallTransport abandons a request when no byte moves for stall, and reports the
// bytes received to progress.
type stallTransport struct {
	base     http.RoundTripper
	stall    time.Duration
	progress func(n int64)
}

func (t *stallTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	stalled := fmt.Errorf("%w for %s (%s %s)", ErrStalled, t.stall, req.Method, req.URL.Redacted())
	timer := time.AfterFunc(t.stall, func() { cancel(stalled) })
	alive := func() { timer.Reset(t.stall) }
	req = req.Clone(ctx)
	if req.Body != nil {
		req.Body = &aliveBody{rc: req.Body, alive: alive}
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		timer.Stop()
		cancel(nil)
		if c := context.Cause(ctx); errors.Is(c, ErrStalled) {
			return nil, c
		}
		return nil, err
	}
	alive()
	body := &aliveBody{rc: resp.Body, alive: alive, progress: t.progress, done: func() { timer.Stop(); cancel(nil) }, ctx: ctx}
	if strings.Contains(req.URL.Path, "/manifests/") {
		body.limit = maxManifest // manifests and indexes, as every source bounds them
	}
	resp.Body = body
	return resp, nil
}

// ErrTooLarge is wrapped by the error of a manifest or index larger than a manifest
// may be.
var ErrTooLarge = errors.New("larger than a manifest may be")

// aliveBody tells each byte that moves through it.
type aliveBody struct {
	rc       io.ReadCloser
	alive    func()
	progress func(int64)
	done     func()
	ctx      context.Context
	once     sync.Once
	limit    int64 // > 0: the most bytes the body may have
	n        int64
}

func (b *aliveBody) Read(p []byte) (int, error) {
	if b.limit > 0 && b.n+int64(len(p)) > b.limit+1 {
		p = p[:b.limit+1-b.n]
	}
	n, err := b.rc.Read(p)
	b.n += int64(n)
	if b.limit > 0 && b.n > b.limit {
		return 0, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, b.limit)
	}
	if n > 0 {
		b.alive()
		if b.progress != nil {
			b.progress(int64(n))
		}
	}
	if err != nil && err != io.EOF && b.ctx != nil {
		if c := context.Cause(b.ctx); errors.Is(c, ErrStalled) {
			err = c
		}
	}
	return n, err
}

func (b *aliveBody) Close() error {
	err := b.rc.Close()
	if b.done != nil {
		b.once.Do(b.done)
	}
	return err
}

// registryError says what a registry answered, on one line: the HTTP status and the
// registry's error codes and messages (not their details, which are free-form data).
func registryError(err error) error {
	var te *transport.Error
	if !errors.As(err, &te) {
		return err
	}
	msg := fmt.Sprintf("HTTP %d %s", te.StatusCode, http.StatusText(te.StatusCode))
	if te.Request != nil {
		msg = fmt.Sprintf("%s %s: %s", te.Request.Method, te.Request.URL.Redacted(), msg)
	}
	var diags []string
	for _, d := range te.Errors {
		s := string(d.Code)
		if d.Message != "" {
			s += ": " + d.Message
		}
		diags = append(diags, s)
	}
	if len(diags) > 0 {
		msg += ": " + strings.Join(diags, "; ")
	}
	return &RegistryError{Status: te.StatusCode, msg: msg, err: err}
}

// RegistryError is an error answer of a registry.
type RegistryError struct {
	Status int // the HTTP status
	msg    string
	err    error
}

func (e *RegistryError) Error() string { return e.msg }
func (e *RegistryError) Unwrap() error { return e.err }

// transportFor is the HTTP transport of o, with its stall time-out.
func (o ReadOptions) transportFor() http.RoundTripper {
	base := o.Transport
	if base == nil {
		base = remote.DefaultTransport
	}
	stall := o.Stall
	if stall <= 0 {
		stall = DefaultStall
	}
	return &stallTransport{base: base, stall: stall, progress: o.Progress}
}
